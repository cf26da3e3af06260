//! A JSON reader that keeps line and column of every value and rejects duplicate keys.
//! serde_json reports positions only for syntax errors, and the decoder needs them for
//! every semantic error too (an unknown `Fn::`, a wrong arity).

use super::node::{Node, NodeKind, ParseError, Pos, duplicate_key, parse_number};

/// Nesting deeper than this is refused rather than risking the stack.
/// Templates nest a few dozen levels at most; 128 keeps parse, decode and emit within a
/// 2 MiB thread stack even in debug builds.
pub(crate) const MAX_DEPTH: usize = 128;

pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut p = Reader {
        text,
        s: text.as_bytes(),
        i: 0,
        line: 1,
        col: 1,
    };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters after the JSON document"));
    }
    Ok(node)
}

struct Reader<'a> {
    /// The input; slices of it at ASCII delimiters are valid UTF-8 with no re-check.
    text: &'a str,
    s: &'a [u8],
    i: usize,
    line: usize,
    col: usize,
}

impl Reader<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
        }
    }

    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.pos(), "", msg)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if b & 0xC0 != 0x80 {
            // Count characters, not UTF-8 continuation bytes.
            self.col += 1;
        }
        Some(b)
    }

    fn skip_ws(&mut self) {
        // A tight loop: white space is a third of a pretty-printed template.
        let s = self.s;
        let mut i = self.i;
        while i < s.len() {
            match s[i] {
                b'\n' => {
                    self.line += 1;
                    self.col = 1;
                }
                b' ' | b'\t' | b'\r' => self.col += 1,
                _ => break,
            }
            i += 1;
        }
        self.i = i;
    }

    fn expect(&mut self, b: u8) -> Result<(), ParseError> {
        if self.peek() == Some(b) {
            self.bump();
            Ok(())
        } else {
            Err(self.err(format!("expected '{}', found {}", b as char, self.found())))
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "end of input".into(),
            Some(b) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Some(b) => format!("byte 0x{b:02x}"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let pos = self.pos();
        let kind = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => NodeKind::String(self.string()?),
            Some(b't') => self.word("true", NodeKind::Bool(true))?,
            Some(b'f') => self.word("false", NodeKind::Bool(false))?,
            Some(b'n') => self.word("null", NodeKind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.err(format!("expected a JSON value, found {}", self.found()))),
        };
        Ok(Node { pos, kind })
    }

    fn word(&mut self, w: &str, kind: NodeKind) -> Result<NodeKind, ParseError> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            for _ in 0..w.len() {
                self.bump();
            }
            Ok(kind)
        } else {
            Err(self.err(format!("expected a JSON value, found {}", self.found())))
        }
    }

    fn number(&mut self) -> Result<NodeKind, ParseError> {
        let start = self.i;
        let pos = self.pos();
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.bump();
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        // serde_json enforces the JSON number grammar (no leading zeros, no "1.").
        match serde_json::from_str::<serde_json::Number>(text) {
            Ok(_) => parse_number(text)
                .map(NodeKind::Number)
                .ok_or_else(|| ParseError::at(pos, "", format!("number {text} is out of range"))),
            Err(_) => Err(ParseError::at(pos, "", format!("invalid number {text:?}"))),
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start_pos = self.pos();
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let run_start = self.i;
            let s = self.s;
            // One pass that stops at a quote, a backslash or a control character and
            // counts characters (not UTF-8 continuation bytes) for the column; strings in
            // templates are short, so a plain loop beats a SIMD search and its set-up.
            let mut i = run_start;
            let mut chars = 0;
            while let Some(&b) = s.get(i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                chars += usize::from(b & 0xC0 != 0x80);
                i += 1;
            }
            self.col += chars;
            self.i = i;
            // The run ends at an ASCII byte (or the end): a char boundary of `text`.
            let run = &self.text[run_start..i];
            if out.is_empty() && s.get(i) == Some(&b'"') {
                // The common case, a string without escapes: one allocation.
                self.bump();
                return Ok(run.to_string());
            }
            out.push_str(run);
            match self.peek() {
                None => return Err(ParseError::at(start_pos, "", "unterminated string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    let esc = self.bump().ok_or_else(|| self.err("unterminated escape"))?;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        other => {
                            return Err(self.err(format!("invalid escape '\\{}'", other as char)));
                        }
                    }
                }
                Some(_) => return Err(self.err("control character in string (escape it)")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let b = self
                .bump()
                .ok_or_else(|| self.err("truncated \\u escape"))?;
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.peek() != Some(b'\\') {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            self.bump();
            self.expect(b'u')?;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("invalid \\u escape"))
    }

    fn array(&mut self, depth: usize) -> Result<NodeKind, ParseError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(NodeKind::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                }
                Some(b']') => {
                    self.bump();
                    return Ok(NodeKind::Seq(items));
                }
                _ => return Err(self.err(format!("expected ',' or ']', found {}", self.found()))),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<NodeKind, ParseError> {
        self.expect(b'{')?;
        let mut entries: Vec<(String, Pos, Node)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(NodeKind::Map(entries));
        }
        loop {
            self.skip_ws();
            let kpos = self.pos();
            if self.peek() != Some(b'"') {
                return Err(self.err(format!("expected a string key, found {}", self.found())));
            }
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let v = self.value(depth + 1)?;
            entries.push((key, kpos, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                }
                Some(b'}') => {
                    self.bump();
                    if let Some((k, p)) = duplicate_key(&entries) {
                        return Err(ParseError::at(p, "", format!("duplicate key {k:?}")));
                    }
                    return Ok(NodeKind::Map(entries));
                }
                _ => return Err(self.err(format!("expected ',' or '}}', found {}", self.found()))),
            }
        }
    }
}

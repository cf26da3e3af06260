//! What CloudFormation (and PyYAML, which cfn-lint uses) accept in YAML and a strict
//! reader refuses: a multi-line quoted scalar whose continuation lines sit at (or left of)
//! its key's indentation, and a flow collection (`[...]`, `{...}`) whose lines or closing
//! bracket do the same. In both, leading white space of a continuation line carries no
//! meaning (quoted scalars fold it away; flow collections ignore it), so indenting such
//! lines one column past the line the construct began on changes no value. The reader
//! retries with that text only after the strict reading failed on indentation; line
//! numbers are kept.

#[derive(Clone, Copy, PartialEq)]
enum State {
    Block,
    /// Inside a flow collection of this depth, begun on a line of this indentation.
    Flow {
        depth: usize,
        anchor: usize,
    },
    /// Inside a quoted scalar, begun on a line of this indentation; `flow` is the depth
    /// of the flow collection around it (0 in block context).
    Quoted {
        double: bool,
        anchor: usize,
        flow: usize,
    },
    /// Inside a literal or folded block scalar whose parent line has this indentation.
    BlockScalar {
        parent: usize,
    },
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The column of a line's first key or value: past its indentation and any `- ` item
/// marks, which is where the block a construct begins in is indented.
fn key_column(line: &str) -> usize {
    let mut rest = line.trim_start_matches(' ');
    while let Some(after) = rest.strip_prefix("- ") {
        rest = after.trim_start_matches(' ');
    }
    line.len() - rest.len()
}

/// The text with continuation lines of quoted scalars and flow collections indented
/// past the line each began on; other lines as they are.
pub fn reindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut state = State::Block;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = indent_of(content);
        let blank = content.trim().is_empty();
        if let State::BlockScalar { parent } = state {
            if blank || indent > parent {
                out.push_str(line);
                continue;
            }
            state = State::Block;
        }
        let anchor = match state {
            State::Flow { anchor, .. } | State::Quoted { anchor, .. } => Some(anchor),
            _ => None,
        };
        match anchor {
            Some(a) if !blank && indent <= a => {
                out.push_str(&" ".repeat(a + 1 - indent));
                out.push_str(line);
            }
            _ => out.push_str(line),
        }
        state = scan(content, indent, key_column(content), state);
    }
    out
}

/// The state after one line.
fn scan(line: &str, indent: usize, key_col: usize, mut state: State) -> State {
    let b = line.as_bytes();
    let mut i = if matches!(state, State::Block) {
        indent
    } else {
        0
    };
    // Whether the next non-space character starts a token (a value, a key, an item).
    let mut token_start = matches!(state, State::Block | State::Flow { .. });
    while i < b.len() {
        let c = b[i];
        match state {
            State::Quoted {
                double,
                anchor: _,
                flow,
            } => {
                if double && c == b'\\' {
                    i += 2;
                    continue;
                }
                let quote = if double { b'"' } else { b'\'' };
                if c == quote {
                    if !double && b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    state = if flow > 0 {
                        State::Flow {
                            depth: flow,
                            anchor: indent,
                        }
                    } else {
                        State::Block
                    };
                    token_start = false;
                }
            }
            State::Block | State::Flow { .. } => {
                let flow = match state {
                    State::Flow { depth, .. } => depth,
                    _ => 0,
                };
                let anchor = match state {
                    State::Flow { anchor, .. } => anchor,
                    _ => key_col,
                };
                if c == b' ' || c == b'\t' {
                    i += 1;
                    continue;
                }
                if c == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') {
                    break;
                }
                // A tag (`!Sub`) or an anchor (`&a`) before a value: the value still
                // starts a token.
                if token_start && (c == b'!' || c == b'&') {
                    while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                        i += 1;
                    }
                    continue;
                }
                if token_start && (c == b'"' || c == b'\'') {
                    state = State::Quoted {
                        double: c == b'"',
                        anchor,
                        flow,
                    };
                    i += 1;
                    continue;
                }
                if (token_start || flow > 0) && (c == b'[' || c == b'{') {
                    state = State::Flow {
                        depth: flow + 1,
                        anchor,
                    };
                    token_start = true;
                    i += 1;
                    continue;
                }
                if flow > 0 && (c == b']' || c == b'}') {
                    state = if flow == 1 {
                        State::Block
                    } else {
                        State::Flow {
                            depth: flow - 1,
                            anchor,
                        }
                    };
                    token_start = false;
                    i += 1;
                    continue;
                }
                if flow == 0 && token_start && (c == b'|' || c == b'>') {
                    let rest = line[i + 1..].trim();
                    if rest.is_empty()
                        || rest.starts_with('#')
                        || rest.chars().all(|x| "+-0123456789".contains(x))
                    {
                        return State::BlockScalar { parent: indent };
                    }
                }
                let next_is_space = b.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\t');
                token_start = match c {
                    b':' | b'-' | b'?' if next_is_space => true,
                    b',' if flow > 0 => true,
                    _ => false,
                };
            }
            State::BlockScalar { .. } => return state,
        }
        i += 1;
    }
    state
}

/// A single-pair mapping written bare inside a flow sequence (`[x, Key: !Select [1, y]]`,
/// as in `!Sub [text, Var: value]`), which the strict reader refuses when the value is a
/// flow collection, wrapped in braces (`[x, {Key: !Select [1, y]}]`), which YAML defines
/// as the same value. Quoted scalars and comments are left alone.
pub fn wrap_flow_pairs(text: &str) -> String {
    // Open flow collections: their bracket, and whether a wrapped pair is open in them.
    let mut stack: Vec<(u8, bool)> = Vec::new();
    let mut out = String::with_capacity(text.len() + 16);
    let b = text.as_bytes();
    let mut i = 0;
    // Whether the next token starts an item of the innermost sequence.
    let mut item_start = false;
    while i < b.len() {
        let c = b[i];
        if stack.is_empty() {
            // Block context: a flow collection starts after `: `, `- `, a tag, or at the
            // start of a line's content.
            if c == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\n') {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                out.push_str(&text[i..end]);
                i = end;
                continue;
            }
            if c == b'[' || c == b'{' {
                let before = text[..i].trim_end_matches(' ');
                let last_word = before.rsplit([' ', '\n']).next().unwrap_or("");
                let starts = before.is_empty()
                    || before.ends_with(['\n', ':', '-'])
                    || last_word.starts_with('!');
                if starts {
                    stack.push((c, false));
                    item_start = c == b'[';
                }
            } else if c == b'"' || c == b'\'' {
                let before = text[..i].trim_end_matches(' ');
                if before.is_empty() || before.ends_with(['\n', ':', '-']) {
                    let end = quoted_end(text, i);
                    out.push_str(&text[i..end]);
                    i = end;
                    continue;
                }
            }
            let ch = text[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        match c {
            b' ' | b'\n' | b'\r' | b'\t' => {}
            b'#' if i > 0 && matches!(b[i - 1], b' ' | b'\n' | b'\t') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                out.push_str(&text[i..end]);
                i = end;
                continue;
            }
            b'"' | b'\'' => {
                let end = quoted_end(text, i);
                out.push_str(&text[i..end]);
                i = end;
                item_start = false;
                continue;
            }
            b'[' | b'{' => {
                stack.push((c, false));
                item_start = c == b'[';
                out.push(c as char);
                i += 1;
                continue;
            }
            b']' | b'}' => {
                if let Some((_, true)) = stack.last() {
                    out.push('}');
                }
                stack.pop();
                item_start = false;
                out.push(c as char);
                i += 1;
                continue;
            }
            b',' => {
                if let Some(top) = stack.last_mut()
                    && top.1
                {
                    out.push('}');
                    top.1 = false;
                }
                item_start = matches!(stack.last(), Some((b'[', _)));
                out.push(',');
                i += 1;
                continue;
            }
            _ => {
                if item_start
                    && matches!(stack.last(), Some((b'[', false)))
                    && bare_pair_at(&text[i..])
                {
                    out.push('{');
                    if let Some(top) = stack.last_mut() {
                        top.1 = true;
                    }
                }
                item_start = false;
            }
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Whether a flow-sequence item starts with a bare `key: ` (a plain key and a colon
/// followed by white space).
fn bare_pair_at(rest: &str) -> bool {
    let key_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        .count();
    key_len > 0 && rest[key_len..].starts_with(':') && rest[key_len + 1..].starts_with([' ', '\n'])
}

/// The end (exclusive) of the quoted scalar that starts at `start`.
fn quoted_end(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        if q == b'"' && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::reindent;

    #[test]
    fn continuation_lines_move_right_of_their_key() {
        let q = "a:\n  b: \"one\n  two\"\n  c: 1\n";
        assert_eq!(reindent(q), "a:\n  b: \"one\n   two\"\n  c: 1\n");
        let tagged = "a:\n  - b: !Sub '{\n      x\n  }'\n";
        assert_eq!(reindent(tagged), "a:\n  - b: !Sub '{\n      x\n     }'\n");
        let f = "a:\n  b: [\n    1,\n  ]\n  c: {x: 1,\n y: 2}\n";
        assert_eq!(
            reindent(f),
            "a:\n  b: [\n    1,\n   ]\n  c: {x: 1,\n   y: 2}\n"
        );
        // Block scalars, comments and apostrophes inside plain scalars are left alone.
        let other = "a: |\n  it's \"x\n  [\nb: it's # a [ comment\nc: 'x'\n";
        assert_eq!(reindent(other), other);
    }

    #[test]
    fn bare_pairs_in_flow_sequences_get_braces() {
        let t = "n: !Sub [\n    \"x-${ID}\",\n    ID: !Select [2, !Split [\"/\", !Ref AWS::StackId]],\n  ] # c: [a: b]\nm: [a, 'k: v', {k: v}]\n";
        assert_eq!(
            super::wrap_flow_pairs(t),
            "n: !Sub [\n    \"x-${ID}\",\n    {ID: !Select [2, !Split [\"/\", !Ref AWS::StackId]]},\n  ] # c: [a: b]\nm: [a, 'k: v', {k: v}]\n"
        );
    }
}

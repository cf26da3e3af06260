//! The XML answers of the query-protocol APIs read as a small tree (element names
//! without namespace, text unescaped), over the SDK's own tokenizer.

/// An element: its local name, its text and its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name` (empty when there is none).
    pub fn text_of(&self, name: &str) -> String {
        self.child(name).map(|c| c.text.clone()).unwrap_or_default()
    }

    /// The `<item>` children of the child named `name` (EC2's lists).
    pub fn items(&self, name: &str) -> Vec<&Node> {
        self.child(name)
            .map(|c| c.children.iter().filter(|i| i.name == "item").collect())
            .unwrap_or_default()
    }

    /// The first element named `name` at any depth, this one included.
    pub fn find(&self, name: &str) -> Option<&Node> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// Parses a document into its root element.
pub fn parse(text: &str) -> Result<Node, String> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut stack: Vec<Node> = vec![Node::default()];
    for token in Tokenizer::from(text) {
        match token.map_err(|e| format!("not XML: {e}"))? {
            Token::ElementStart { local, .. } => stack.push(Node {
                name: local.as_str().to_string(),
                ..Node::default()
            }),
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => {}
                ElementEnd::Close(..) | ElementEnd::Empty => {
                    let done = stack.pop().ok_or("unbalanced XML")?;
                    stack
                        .last_mut()
                        .ok_or("unbalanced XML")?
                        .children
                        .push(done);
                }
            },
            Token::Text { text } | Token::Cdata { text, .. } => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&unescape(text.as_str()));
                }
            }
            _ => {}
        }
    }
    let mut root = stack.pop().ok_or("empty XML")?;
    if !stack.is_empty() {
        return Err("unclosed XML element".into());
    }
    root.children
        .pop()
        .ok_or_else(|| "no XML element".to_string())
}

/// XML's five entities and character references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let entity = &after[..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..=i + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_answers_read_as_a_tree() {
        let doc = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <availabilityZoneInfo>
    <item><zoneName>eu-west-1a</zoneName><zoneId>euw1-az3</zoneId></item>
    <item><zoneName>eu-west-1b</zoneName><zoneId>euw1-az1</zoneId><empty/></item>
  </availabilityZoneInfo>
  <message>a &amp; b &lt;c&gt; &#65;&#x42;</message>
</DescribeAvailabilityZonesResponse>"#,
        )
        .unwrap();
        assert_eq!(doc.name, "DescribeAvailabilityZonesResponse");
        let zones: Vec<(String, String)> = doc
            .items("availabilityZoneInfo")
            .iter()
            .map(|z| (z.text_of("zoneName"), z.text_of("zoneId")))
            .collect();
        assert_eq!(
            zones,
            [
                ("eu-west-1a".to_string(), "euw1-az3".to_string()),
                ("eu-west-1b".to_string(), "euw1-az1".to_string())
            ]
        );
        assert_eq!(doc.text_of("message"), "a & b <c> AB");
        assert_eq!(doc.find("zoneId").unwrap().text, "euw1-az3");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
    }
}

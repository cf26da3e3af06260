//! The untyped value tree of a template: what properties, metadata and mappings hold.

use std::collections::BTreeMap;

use super::intrinsic::Intrinsic;

/// A JSON-like value in which a single-key `{"Ref": ..}` / `{"Fn::X": ..}` map is an
/// [`Intrinsic`], never a plain map.
///
/// Maps are `BTreeMap`s, so every emitted template lists keys in byte order: the same
/// model always prints the same bytes, whatever order the input or the builder used.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Fn(Box<Intrinsic>),
}

impl Value {
    /// The string inside, if this is a literal string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map inside, if this is a literal map.
    /// A scalar as the text CloudFormation reads it (`5`, `true`, `"a"`); `None` for
    /// lists, maps, functions and null.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A number, or a string CloudFormation reads as one (`"30"`).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// What kind of value this is, in words: "a string", "a map", "a function".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
            Value::Fn(_) => "an intrinsic function",
        }
    }

    /// Whether the value is a string holding a dynamic reference (`{{resolve:ssm:...}}`),
    /// which CloudFormation replaces at deployment: what it stands for is not known before.
    pub fn is_dynamic_reference(&self) -> bool {
        matches!(self, Value::String(s) if s.contains("{{resolve:"))
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list inside, if this is a literal list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The intrinsic inside, if this is one.
    pub fn as_fn(&self) -> Option<&Intrinsic> {
        match self {
            Value::Fn(f) => Some(f),
            _ => None,
        }
    }

    /// Builds a map value from `(key, value)` pairs.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Whether the value holds an intrinsic function anywhere (its result is known only
    /// at deploy time).
    pub fn has_intrinsic(&self) -> bool {
        match self {
            Value::Fn(_) => true,
            Value::List(items) => items.iter().any(Value::has_intrinsic),
            Value::Map(m) => m.values().any(Value::has_intrinsic),
            _ => false,
        }
    }

    /// Whether the value is `{"Ref": "AWS::NoValue"}`: the property it stands for is
    /// removed (an `Fn::If` branch that takes it away).
    pub fn is_no_value(&self) -> bool {
        matches!(self.as_fn(), Some(Intrinsic::Ref(n)) if n == "AWS::NoValue")
    }

    /// Visits this value and every value nested in it, intrinsic arguments included.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Value)) {
        f(self);
        match self {
            Value::List(items) => items.iter().for_each(|v| v.walk(f)),
            Value::Map(m) => m.values().for_each(|v| v.walk(f)),
            Value::Fn(i) => i.args().into_iter().for_each(|v| v.walk(f)),
            _ => {}
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}
impl From<Intrinsic> for Value {
    fn from(i: Intrinsic) -> Self {
        Value::Fn(Box::new(i))
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

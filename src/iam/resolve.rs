//! Resolving template values (`!Ref Endpoint`, `!GetAtt Role.Arn`, `!Sub`) to the
//! concrete strings a deployed stack would hold, so policies can be evaluated before
//! deployment.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use crate::template::{Intrinsic, Value};

/// Concrete values for `Ref` and `GetAtt` targets and pseudo parameters.
///
/// ```
/// use perimeter::iam::Bindings;
/// use perimeter::template::typed::{fns, ToValue};
/// let b = Bindings::new().bind("AWS::Region", "us-east-1").bind("Endpoint", "vpce-0abc");
/// assert_eq!(b.resolve(&fns::sub("${Endpoint}@${AWS::Region}").to_value()).as_deref(), Some("vpce-0abc@us-east-1"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// `Name` for Ref targets, `Name.Attribute` for GetAtt.
    values: BTreeMap<String, String>,
    /// [`Bindings::ids_lower`], made on first use (and made again after a bind).
    ids: OnceLock<HashSet<String>>,
}

impl Bindings {
    pub fn new() -> Self {
        Bindings::default()
    }

    /// Binds `Name` (a Ref) or `Name.Attribute` (a GetAtt) to a value.
    pub fn bind(mut self, name: &str, value: &str) -> Self {
        self.values.insert(name.to_string(), value.to_string());
        self.ids = OnceLock::new();
        self
    }

    /// The logical ids bound (each name's part before its first `.`, pseudo parameters
    /// `AWS::...` aside), in ASCII lower case. Made once: the prover asks it of every
    /// question of a template, whose bindings hold thousands of names.
    pub fn ids_lower(&self) -> &HashSet<String> {
        self.ids.get_or_init(|| {
            self.values
                .keys()
                .filter(|n| !n.starts_with("AWS::"))
                .map(|n| n.split('.').next().unwrap_or(n).to_ascii_lowercase())
                .collect()
        })
    }

    /// The names bound: `Name` of a Ref target, `Name.Attribute` of a GetAtt, pseudo
    /// parameters (`AWS::Region`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// The concrete string a value yields, or `None` when something in it is unbound.
    pub fn resolve(&self, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Fn(i) => match &**i {
                Intrinsic::Ref(name) => self.values.get(name).cloned(),
                Intrinsic::GetAtt {
                    resource,
                    attribute: Value::String(a),
                } => self.values.get(&format!("{resource}.{a}")).cloned(),
                Intrinsic::Sub {
                    template,
                    variables,
                } => self.sub(template, variables.as_ref()),
                Intrinsic::Join { delimiter, values } => {
                    self.resolve_list(values).map(|p| p.join(delimiter))
                }
                Intrinsic::Select { index, list } => {
                    let i: usize = self.resolve(index)?.parse().ok()?;
                    self.resolve_list(list)?.into_iter().nth(i)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The concrete strings a list value yields (a list, or `Fn::Split` of a value), or
    /// `None` when something in it is unbound.
    pub fn resolve_list(&self, v: &Value) -> Option<Vec<String>> {
        match v {
            Value::List(items) => items.iter().map(|x| self.resolve(x)).collect(),
            Value::Fn(i) => match &**i {
                Intrinsic::Split { delimiter, source } if !delimiter.is_empty() => Some(
                    self.resolve(source)?
                        .split(delimiter.as_str())
                        .map(str::to_string)
                        .collect(),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    fn sub(&self, template: &str, vars: Option<&BTreeMap<String, Value>>) -> Option<String> {
        crate::template::sub::substitute(template, |name| match vars.and_then(|v| v.get(name)) {
            Some(v) => self.resolve(v),
            None => self.values.get(name).cloned(),
        })
    }
}

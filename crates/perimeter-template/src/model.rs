//! The template document: sections, resources, parameters and outputs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use super::value::Value;

/// A validated logical id: 1 to 255 ASCII letters and digits, as CloudFormation demands.
///
/// ```
/// use perimeter_template::LogicalId;
/// assert!("BedrockEndpoint".parse::<LogicalId>().is_ok());
/// assert!("bedrock-endpoint".parse::<LogicalId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogicalId(String);

impl LogicalId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Ord and Hash derive from the inner String, which agree with str's: maps keyed by
// LogicalId can be searched with a &str.
impl std::borrow::Borrow<str> for LogicalId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl FromStr for LogicalId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
            if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!(
                    "logical id {s:?} must be 1 to 255 ASCII letters and digits"
                ));
            }
            Ok(LogicalId(s.to_string()))
        })()
        .map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resource type name: `AWS::Service::Type`, `Custom::Name` or a registry type
/// `Org::Service::Type`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceType(String);

impl ResourceType {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ResourceType {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        {
            let r: Result<Self, String> = {
                let parts: Vec<&str> = s.split("::").collect();
                let part_ok = |p: &&str| {
                    !p.is_empty()
                        && p.bytes().all(|b| {
                            b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'@'
                        })
                };
                let ok = match parts.as_slice() {
                    ["Custom", name] => part_ok(name),
                    [_, _, _] | [_, _, _, _] => parts.iter().all(part_ok),
                    _ => false,
                };
                if ok {
                    Ok(ResourceType(s.to_string()))
                } else {
                    Err(format!(
                        "resource type {s:?} is not of the form Org::Service::Type or Custom::Name"
                    ))
                }
            };
            r
        }
        .map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole template. Sections that are empty are not emitted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    pub format_version: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, Value>,
    /// `Transform`: a name or a list of names/macro calls.
    pub transform: Option<Value>,
    pub parameters: BTreeMap<String, Parameter>,
    pub rules: BTreeMap<String, Value>,
    pub mappings: BTreeMap<String, Value>,
    pub conditions: BTreeMap<String, Value>,
    pub resources: BTreeMap<LogicalId, Resource>,
    pub outputs: BTreeMap<String, Output>,
    /// `Hooks` (CodeDeploy blue/green), kept as written.
    pub hooks: BTreeMap<String, Value>,
    /// `Globals` (AWS::Serverless transform), kept as written.
    pub globals: BTreeMap<String, Value>,
}

/// The transforms a template declares, by what they may do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transforms {
    /// None, or only `AWS::LanguageExtensions` (its loops are expanded when read).
    None,
    /// The SAM transform (with language extensions or not): what it generates is known.
    Sam,
    /// A macro, a module or `AWS::Include`: anything may change.
    Macros,
}

impl Template {
    /// What the template's `Transform` may do to it.
    ///
    /// ```
    /// use perimeter_template::{Template, Transforms};
    /// let t = Template::parse_any("Transform: AWS::Serverless-2016-10-31\nResources: {}\n").unwrap();
    /// assert_eq!(t.transforms(), Transforms::Sam);
    /// ```
    pub fn transforms(&self) -> Transforms {
        let names: Vec<&str> = match &self.transform {
            None => return Transforms::None,
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::List(items)) => match items.iter().map(Value::as_str).collect() {
                Some(v) => v,
                None => return Transforms::Macros,
            },
            Some(_) => return Transforms::Macros,
        };
        if names.iter().all(|n| *n == "AWS::LanguageExtensions") {
            Transforms::None
        } else if names
            .iter()
            .all(|n| matches!(*n, "AWS::Serverless-2016-10-31" | "AWS::LanguageExtensions"))
        {
            Transforms::Sam
        } else {
            Transforms::Macros
        }
    }
}

impl Template {
    /// Whether the template declares the SAM transform (alone or with others).
    pub fn declares_sam(&self) -> bool {
        match &self.transform {
            Some(Value::String(s)) => s == "AWS::Serverless-2016-10-31",
            Some(Value::List(items)) => items
                .iter()
                .any(|i| i.as_str() == Some("AWS::Serverless-2016-10-31")),
            _ => false,
        }
    }
}

/// One resource and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub resource_type: ResourceType,
    pub properties: BTreeMap<String, Value>,
    /// A set: CloudFormation ignores the order.
    pub depends_on: BTreeSet<LogicalId>,
    pub condition: Option<String>,
    pub deletion_policy: Option<Value>,
    pub update_replace_policy: Option<Value>,
    pub creation_policy: Option<Value>,
    pub update_policy: Option<Value>,
    pub metadata: Option<Value>,
    /// The legacy `Version` attribute of custom resources.
    pub version: Option<Value>,
    /// Attributes CloudFormation does not define, kept as written: a macro (`Count`) or
    /// the SAM transform may read them; check reports them when no transform is declared.
    pub other: BTreeMap<String, Value>,
}

impl Resource {
    pub fn new(resource_type: ResourceType) -> Self {
        Resource {
            resource_type,
            properties: BTreeMap::new(),
            depends_on: BTreeSet::new(),
            condition: None,
            deletion_policy: None,
            update_replace_policy: None,
            creation_policy: None,
            update_policy: None,
            metadata: None,
            version: None,
            other: BTreeMap::new(),
        }
    }
}

/// A parameter type, including the AWS-specific and SSM ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterType {
    String,
    Number,
    NumberList,
    /// `List<String>`
    StringList,
    CommaDelimitedList,
    /// e.g. `AWS::EC2::VPC::Id`
    Aws(String),
    /// e.g. `List<AWS::EC2::Subnet::Id>`
    AwsList(String),
    /// e.g. `AWS::SSM::Parameter::Value<String>`
    Ssm(String),
}

impl FromStr for ParameterType {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
        let aws_name = |t: &str| {
            t.starts_with("AWS::")
                && t.split("::").count() >= 3
                && t.split("::").all(|p| !p.is_empty())
        };
        Ok(match s {
            "String" => ParameterType::String,
            "Number" => ParameterType::Number,
            "List<Number>" => ParameterType::NumberList,
            "List<String>" => ParameterType::StringList,
            "CommaDelimitedList" => ParameterType::CommaDelimitedList,
            _ if s.starts_with("AWS::SSM::Parameter::") => ParameterType::Ssm(s.to_string()),
            _ if aws_name(s) => ParameterType::Aws(s.to_string()),
            _ if s
                .strip_prefix("List<")
                .and_then(|r| r.strip_suffix('>'))
                .is_some_and(aws_name) =>
            {
                ParameterType::AwsList(s[5..s.len() - 1].to_string())
            }
            _ => {
                return Err(format!(
                    "unknown parameter type {s:?}: expected String, Number, List<Number>, CommaDelimitedList, an AWS-specific type such as AWS::EC2::VPC::Id or List<AWS::EC2::Subnet::Id>, or AWS::SSM::Parameter::Value<...>"
                ));
            }
        })
    })().map_err(crate::error::Invalid::from)
    }
}

impl ParameterType {
    /// Whether a Ref to the parameter is a list (`CommaDelimitedList`, `List<...>`, an SSM
    /// parameter of a list), which Fn::Sub and an output's Value cannot take.
    pub fn is_list(&self) -> bool {
        match self {
            ParameterType::NumberList
            | ParameterType::StringList
            | ParameterType::CommaDelimitedList
            | ParameterType::AwsList(_) => true,
            ParameterType::Ssm(inner) => inner.contains("List<"),
            _ => false,
        }
    }
}

impl fmt::Display for ParameterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParameterType::String => f.write_str("String"),
            ParameterType::Number => f.write_str("Number"),
            ParameterType::NumberList => f.write_str("List<Number>"),
            ParameterType::StringList => f.write_str("List<String>"),
            ParameterType::CommaDelimitedList => f.write_str("CommaDelimitedList"),
            ParameterType::Aws(t) | ParameterType::Ssm(t) => f.write_str(t),
            ParameterType::AwsList(t) => write!(f, "List<{t}>"),
        }
    }
}

/// A template parameter and its constraints. Numeric constraints keep the value as
/// written (CloudFormation accepts `5` and `"5"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub parameter_type: ParameterType,
    pub description: Option<String>,
    pub default: Option<Value>,
    pub allowed_values: Option<Vec<Value>>,
    pub allowed_pattern: Option<String>,
    pub constraint_description: Option<String>,
    pub min_length: Option<Value>,
    pub max_length: Option<Value>,
    pub min_value: Option<Value>,
    pub max_value: Option<Value>,
    pub no_echo: Option<Value>,
}

impl Parameter {
    pub fn new(parameter_type: ParameterType) -> Self {
        Parameter {
            parameter_type,
            description: None,
            default: None,
            allowed_values: None,
            allowed_pattern: None,
            constraint_description: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            no_echo: None,
        }
    }
}

/// A stack output, optionally exported for `Fn::ImportValue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub description: Option<Value>,
    pub value: Value,
    pub export_name: Option<Value>,
    pub condition: Option<String>,
}

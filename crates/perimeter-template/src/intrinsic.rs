//! CloudFormation intrinsic functions and pseudo parameters.

use std::collections::BTreeMap;

use super::value::Value;

/// One intrinsic function call, with its arguments already checked for arity and shape.
///
/// `Fn::GetAtt` is held in one form whether it was written `!GetAtt A.B` or
/// `{"Fn::GetAtt": ["A", "B"]}`: the two mean the same and compare equal.
#[derive(Debug, Clone, PartialEq)]
pub enum Intrinsic {
    /// `Ref`: a parameter, a resource or a pseudo parameter such as `AWS::Region`.
    Ref(String),
    /// `Fn::GetAtt`: the attribute is a string, or (list form only) an intrinsic.
    GetAtt {
        resource: String,
        attribute: Value,
    },
    /// `Fn::Sub`: the string form (`variables: None`) or the two-element form.
    Sub {
        template: String,
        variables: Option<BTreeMap<String, Value>>,
    },
    Join {
        delimiter: String,
        values: Value,
    },
    Select {
        index: Value,
        list: Value,
    },
    Split {
        delimiter: String,
        source: Value,
    },
    GetAZs(Value),
    If {
        condition: String,
        then: Value,
        otherwise: Value,
    },
    Equals(Value, Value),
    And(Vec<Value>),
    Or(Vec<Value>),
    Not(Value),
    /// `{"Condition": name}` inside a condition function.
    Condition(String),
    ImportValue(Value),
    Base64(Value),
    Cidr {
        ip_block: Value,
        count: Value,
        cidr_bits: Value,
    },
    FindInMap {
        map: Value,
        top_key: Value,
        second_key: Value,
        default: Option<Value>,
    },
    /// `Fn::Transform` (macros such as AWS::Include).
    Transform(Value),
    /// `Fn::Length` (AWS::LanguageExtensions).
    Length(Value),
    /// `Fn::ToJsonString` (AWS::LanguageExtensions).
    ToJsonString(Value),
    /// A function kept as written: the `Rules` section's own functions (`Fn::Contains`,
    /// `Fn::ValueOf`, ...), `Fn::GetStackOutput`, or an `Fn::Sub` whose argument is a
    /// macro call (`Fn::Transform`).
    Other {
        name: String,
        args: Value,
    },
}

/// Every function name the parser accepts, long form, for error messages.
pub const FUNCTION_NAMES: &[&str] = &[
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Condition",
    "Fn::ImportValue",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::FindInMap",
    "Fn::Transform",
    "Fn::Length",
    "Fn::ToJsonString",
    "Fn::GetStackOutput",
];

impl Intrinsic {
    /// The long-form name, e.g. `Fn::Join`.
    pub fn name(&self) -> &str {
        match self {
            Intrinsic::Ref(_) => "Ref",
            Intrinsic::GetAtt { .. } => "Fn::GetAtt",
            Intrinsic::Sub { .. } => "Fn::Sub",
            Intrinsic::Join { .. } => "Fn::Join",
            Intrinsic::Select { .. } => "Fn::Select",
            Intrinsic::Split { .. } => "Fn::Split",
            Intrinsic::GetAZs(_) => "Fn::GetAZs",
            Intrinsic::If { .. } => "Fn::If",
            Intrinsic::Equals(..) => "Fn::Equals",
            Intrinsic::And(_) => "Fn::And",
            Intrinsic::Or(_) => "Fn::Or",
            Intrinsic::Not(_) => "Fn::Not",
            Intrinsic::Condition(_) => "Condition",
            Intrinsic::ImportValue(_) => "Fn::ImportValue",
            Intrinsic::Base64(_) => "Fn::Base64",
            Intrinsic::Cidr { .. } => "Fn::Cidr",
            Intrinsic::FindInMap { .. } => "Fn::FindInMap",
            Intrinsic::Transform(_) => "Fn::Transform",
            Intrinsic::Length(_) => "Fn::Length",
            Intrinsic::ToJsonString(_) => "Fn::ToJsonString",
            Intrinsic::Other { name, .. } => name,
        }
    }

    /// The YAML short-form tag without `!`, e.g. `Join` for `Fn::Join`.
    pub fn short_tag(&self) -> &str {
        let n = self.name();
        n.strip_prefix("Fn::").unwrap_or(n)
    }

    /// The argument as the long form writes it (`{"Fn::Join": <this>}`).
    pub fn long_args(&self) -> Value {
        let s = |x: &String| Value::String(x.clone());
        match self {
            Intrinsic::Ref(r) | Intrinsic::Condition(r) => s(r),
            Intrinsic::GetAtt {
                resource,
                attribute,
            } => Value::List(vec![s(resource), attribute.clone()]),
            Intrinsic::Sub {
                template,
                variables: None,
            } => s(template),
            Intrinsic::Sub {
                template,
                variables: Some(v),
            } => Value::List(vec![s(template), Value::Map(v.clone())]),
            Intrinsic::Join { delimiter, values } => {
                Value::List(vec![s(delimiter), values.clone()])
            }
            Intrinsic::Select { index, list } => Value::List(vec![index.clone(), list.clone()]),
            Intrinsic::Split { delimiter, source } => {
                Value::List(vec![s(delimiter), source.clone()])
            }
            Intrinsic::If {
                condition,
                then,
                otherwise,
            } => Value::List(vec![s(condition), then.clone(), otherwise.clone()]),
            Intrinsic::Equals(a, b) => Value::List(vec![a.clone(), b.clone()]),
            Intrinsic::And(v) | Intrinsic::Or(v) => Value::List(v.clone()),
            Intrinsic::Not(v) => Value::List(vec![v.clone()]),
            Intrinsic::GetAZs(v)
            | Intrinsic::ImportValue(v)
            | Intrinsic::Base64(v)
            | Intrinsic::Transform(v)
            | Intrinsic::Length(v)
            | Intrinsic::ToJsonString(v)
            | Intrinsic::Other { args: v, .. } => v.clone(),
            Intrinsic::Cidr {
                ip_block,
                count,
                cidr_bits,
            } => Value::List(vec![ip_block.clone(), count.clone(), cidr_bits.clone()]),
            Intrinsic::FindInMap {
                map,
                top_key,
                second_key,
                default,
            } => {
                let mut v = vec![map.clone(), top_key.clone(), second_key.clone()];
                if let Some(d) = default {
                    v.push(Value::map([("DefaultValue", d.clone())]));
                }
                Value::List(v)
            }
        }
    }

    /// The nested values this call holds, for walking the tree.
    pub fn args(&self) -> Vec<&Value> {
        match self {
            Intrinsic::Ref(_) | Intrinsic::Condition(_) => vec![],
            Intrinsic::GetAtt { attribute, .. } => vec![attribute],
            Intrinsic::Sub { variables, .. } => variables.iter().flat_map(|m| m.values()).collect(),
            Intrinsic::Join { values, .. } => vec![values],
            Intrinsic::Select { index, list } => vec![index, list],
            Intrinsic::Split { source, .. } => vec![source],
            Intrinsic::If {
                then, otherwise, ..
            } => vec![then, otherwise],
            Intrinsic::Equals(a, b) => vec![a, b],
            Intrinsic::And(v) | Intrinsic::Or(v) => v.iter().collect(),
            Intrinsic::GetAZs(v)
            | Intrinsic::Not(v)
            | Intrinsic::ImportValue(v)
            | Intrinsic::Base64(v)
            | Intrinsic::Transform(v)
            | Intrinsic::Length(v)
            | Intrinsic::ToJsonString(v)
            | Intrinsic::Other { args: v, .. } => vec![v],
            Intrinsic::Cidr {
                ip_block,
                count,
                cidr_bits,
            } => vec![ip_block, count, cidr_bits],
            Intrinsic::FindInMap {
                map,
                top_key,
                second_key,
                default,
            } => {
                let mut v = vec![map, top_key, second_key];
                v.extend(default.iter());
                v
            }
        }
    }
}

/// The pseudo parameters CloudFormation resolves at deploy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pseudo {
    AccountId,
    NotificationArns,
    NoValue,
    Partition,
    Region,
    StackId,
    StackName,
    UrlSuffix,
}

impl Pseudo {
    pub const ALL: [Pseudo; 8] = [
        Pseudo::AccountId,
        Pseudo::NotificationArns,
        Pseudo::NoValue,
        Pseudo::Partition,
        Pseudo::Region,
        Pseudo::StackId,
        Pseudo::StackName,
        Pseudo::UrlSuffix,
    ];

    /// The name `Ref` takes, e.g. `AWS::Region`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
        }
    }

    /// The pseudo parameter a `Ref` target names, if it is one.
    pub fn from_name(name: &str) -> Option<Pseudo> {
        Pseudo::ALL.into_iter().find(|p| p.name() == name)
    }
}

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

/// The argument of an intrinsic's long form, borrowed from the call
/// ([`Intrinsic::long_arg`]).
#[derive(Debug, Clone, PartialEq)]
pub enum LongArg<'a> {
    /// A value of the call as it is.
    Value(&'a Value),
    /// A name or string of the call, as a string value.
    Str(&'a str),
    /// A list of the call's values (`Fn::And`, `Fn::Or`).
    Values(&'a [Value]),
    /// A map of the call's values (`Fn::Sub`'s variables).
    Map(&'a BTreeMap<String, Value>),
    /// A one-key map (`Fn::FindInMap`'s `{"DefaultValue": ...}`).
    Entry(&'static str, &'a Value),
    /// A list of parts.
    List(Vec<LongArg<'a>>),
}

impl LongArg<'_> {
    /// The argument as a value of its own.
    pub fn to_value(&self) -> Value {
        match self {
            LongArg::Value(v) => (*v).clone(),
            LongArg::Str(s) => Value::String(s.to_string()),
            LongArg::Values(v) => Value::List(v.to_vec()),
            LongArg::Map(m) => Value::Map((*m).clone()),
            LongArg::Entry(k, v) => Value::map([(*k, (*v).clone())]),
            LongArg::List(parts) => Value::List(parts.iter().map(LongArg::to_value).collect()),
        }
    }
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
        self.long_arg().to_value()
    }

    /// The argument of the long form, borrowed from the call: what [`Intrinsic::long_args`]
    /// copies into a value (a writer reads it without copying the call's tree).
    pub fn long_arg(&self) -> LongArg<'_> {
        use LongArg::{List, Str, Value as V};
        match self {
            Intrinsic::Ref(r) | Intrinsic::Condition(r) => Str(r),
            Intrinsic::GetAtt {
                resource,
                attribute,
            } => List(vec![Str(resource), V(attribute)]),
            Intrinsic::Sub {
                template,
                variables: None,
            } => Str(template),
            Intrinsic::Sub {
                template,
                variables: Some(v),
            } => List(vec![Str(template), LongArg::Map(v)]),
            Intrinsic::Join { delimiter, values } => List(vec![Str(delimiter), V(values)]),
            Intrinsic::Select { index, list } => List(vec![V(index), V(list)]),
            Intrinsic::Split { delimiter, source } => List(vec![Str(delimiter), V(source)]),
            Intrinsic::If {
                condition,
                then,
                otherwise,
            } => List(vec![Str(condition), V(then), V(otherwise)]),
            Intrinsic::Equals(a, b) => List(vec![V(a), V(b)]),
            Intrinsic::And(v) | Intrinsic::Or(v) => LongArg::Values(v),
            Intrinsic::Not(v) => List(vec![V(v)]),
            Intrinsic::GetAZs(v)
            | Intrinsic::ImportValue(v)
            | Intrinsic::Base64(v)
            | Intrinsic::Transform(v)
            | Intrinsic::Length(v)
            | Intrinsic::ToJsonString(v)
            | Intrinsic::Other { args: v, .. } => V(v),
            Intrinsic::Cidr {
                ip_block,
                count,
                cidr_bits,
            } => List(vec![V(ip_block), V(count), V(cidr_bits)]),
            Intrinsic::FindInMap {
                map,
                top_key,
                second_key,
                default,
            } => {
                let mut v = vec![V(map), V(top_key), V(second_key)];
                if let Some(d) = default {
                    v.push(LongArg::Entry("DefaultValue", d));
                }
                List(v)
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

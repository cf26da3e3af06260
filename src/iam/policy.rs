//! Policy documents as types: statements with effect, principal, action, resource and
//! condition, built in Rust or read from a template value.

use std::collections::BTreeMap;
use std::fmt;

use super::{Action, Arn, ConditionOperator};
use crate::template::Value;
use crate::template::typed::{Json, Str, ToValue};

/// `Allow` or `Deny`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// A statement element that may be negated: `Action`/`NotAction` and the like.
#[derive(Debug, Clone, PartialEq)]
pub enum Negatable<T> {
    Is(T),
    Not(T),
}

impl<T> Negatable<T> {
    pub fn inner(&self) -> &T {
        match self {
            Negatable::Is(t) | Negatable::Not(t) => t,
        }
    }
    pub fn is_negated(&self) -> bool {
        matches!(self, Negatable::Not(_))
    }
}

/// The kinds of principal a policy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalKind {
    pub fn key(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
    fn from_key(k: &str) -> Option<Self> {
        [
            PrincipalKind::Aws,
            PrincipalKind::Service,
            PrincipalKind::Federated,
            PrincipalKind::CanonicalUser,
        ]
        .into_iter()
        .find(|p| p.key() == k)
    }
}

/// `"*"` or principals by kind; values are literals or intrinsics (`!GetAtt Role.Arn`).
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Any,
    Ids(BTreeMap<PrincipalKind, Vec<Value>>),
}

impl Principal {
    /// An AWS principal (role ARN, account id or root ARN).
    pub fn aws(id: impl Into<Str>) -> Principal {
        Principal::Ids(BTreeMap::from([(
            PrincipalKind::Aws,
            vec![id.into().to_value()],
        )]))
    }
    /// A service principal such as `lambda.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        Principal::Ids(BTreeMap::from([(
            PrincipalKind::Service,
            vec![Value::from(name)],
        )]))
    }
    /// Whether this is `"*"` or `{"AWS": "*"}` in any form.
    pub fn is_anyone(&self) -> bool {
        match self {
            Principal::Any => true,
            Principal::Ids(m) => m
                .get(&PrincipalKind::Aws)
                .is_some_and(|v| v.iter().any(|x| x.as_str() == Some("*"))),
        }
    }
}

/// A `Resource` entry: an ARN (pattern) or an intrinsic that yields one.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceEntry {
    Arn(Arn),
    Expr(Value),
}

impl From<Arn> for ResourceEntry {
    fn from(a: Arn) -> Self {
        ResourceEntry::Arn(a)
    }
}
impl From<Str> for ResourceEntry {
    fn from(s: Str) -> Self {
        match s.literal().and_then(|l| l.parse::<Arn>().ok()) {
            Some(a) => ResourceEntry::Arn(a),
            None => ResourceEntry::Expr(s.to_value()),
        }
    }
}

impl ResourceEntry {
    /// Whether this is `"*"`: every resource.
    pub fn is_any(&self) -> bool {
        matches!(self, ResourceEntry::Arn(a) if a.as_str() == "*")
    }

    fn to_value(&self) -> Value {
        match self {
            ResourceEntry::Arn(a) => Value::String(a.to_string()),
            ResourceEntry::Expr(v) => v.clone(),
        }
    }
}

/// Condition block: operator, then key, then values (literal or intrinsic).
pub type ConditionBlock = BTreeMap<ConditionOperator, BTreeMap<String, Vec<Value>>>;

/// One policy statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Negatable<Principal>>,
    pub action: Negatable<Vec<Action>>,
    pub resource: Option<Negatable<Vec<ResourceEntry>>>,
    pub condition: ConditionBlock,
}

impl Statement {
    /// A statement with the given effect and actions; add the rest with the builders.
    ///
    /// ```
    /// use perimeter::iam::{Effect, Statement, Op, ConditionOperator};
    /// let s = Statement::new(Effect::Allow, ["bedrock:InvokeModel"]).unwrap()
    ///     .resource("*".parse::<perimeter::iam::Arn>().unwrap())
    ///     .condition(ConditionOperator::for_any_value(Op::StringEquals), "aws:sourceVpce", vec!["vpce-1".into()]);
    /// assert_eq!(s.condition.len(), 1);
    /// ```
    pub fn new<'a>(
        effect: Effect,
        actions: impl IntoIterator<Item = &'a str>,
    ) -> Result<Statement, crate::error::Invalid> {
        let action = actions
            .into_iter()
            .map(str::parse)
            .collect::<Result<Vec<Action>, _>>()?;
        Ok(Statement {
            sid: None,
            effect,
            principal: None,
            action: Negatable::Is(action),
            resource: None,
            condition: BTreeMap::new(),
        })
    }

    /// Whether `Action` (not `NotAction`) lists this action, directly or by wildcard.
    pub fn names_action(&self, action: &str) -> bool {
        !self.action.is_negated() && self.action.inner().iter().any(|a| a.matches(action))
    }

    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    pub fn principal(mut self, p: Principal) -> Self {
        self.principal = Some(Negatable::Is(p));
        self
    }

    /// Adds a resource to `Resource`.
    pub fn resource(mut self, r: impl Into<ResourceEntry>) -> Self {
        match &mut self.resource {
            Some(Negatable::Is(v)) => v.push(r.into()),
            _ => self.resource = Some(Negatable::Is(vec![r.into()])),
        }
        self
    }

    /// Adds a condition `operator: { key: values }`.
    pub fn condition(mut self, op: ConditionOperator, key: &str, values: Vec<Str>) -> Self {
        self.condition.entry(op).or_default().insert(
            key.to_string(),
            values.into_iter().map(|v| v.to_value()).collect(),
        );
        self
    }

    fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Value::from(sid.as_str()));
        }
        m.insert("Effect".into(), Value::from(self.effect.to_string()));
        if let Some(p) = &self.principal {
            let v = match p.inner() {
                Principal::Any => Value::from("*"),
                Principal::Ids(ids) => Value::Map(
                    ids.iter()
                        .map(|(k, v)| (k.key().to_string(), one_or_many(v.clone())))
                        .collect(),
                ),
            };
            m.insert(
                if p.is_negated() {
                    "NotPrincipal"
                } else {
                    "Principal"
                }
                .into(),
                v,
            );
        }
        let actions = self
            .action
            .inner()
            .iter()
            .map(|a| Value::from(a.as_str()))
            .collect();
        m.insert(
            if self.action.is_negated() {
                "NotAction"
            } else {
                "Action"
            }
            .into(),
            one_or_many(actions),
        );
        if let Some(r) = &self.resource {
            let v = r.inner().iter().map(ResourceEntry::to_value).collect();
            m.insert(
                if r.is_negated() {
                    "NotResource"
                } else {
                    "Resource"
                }
                .into(),
                one_or_many(v),
            );
        }
        if !self.condition.is_empty() {
            let c = self
                .condition
                .iter()
                .map(|(op, keys)| {
                    (
                        op.to_string(),
                        Value::Map(
                            keys.iter()
                                .map(|(k, v)| (k.clone(), one_or_many(v.clone())))
                                .collect(),
                        ),
                    )
                })
                .collect();
            m.insert("Condition".into(), Value::Map(c));
        }
        Value::Map(m)
    }
}

fn one_or_many(mut v: Vec<Value>) -> Value {
    if v.len() == 1 {
        v.remove(0)
    } else {
        Value::List(v)
    }
}

/// A policy document, `Version: 2012-10-17`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: String,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statements: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17".into(),
            id: None,
            statements,
        }
    }

    /// Reads a policy from a template value: a map, or a string holding JSON. Errors name
    /// the path (`Statement[0].Action[1]`).
    pub fn from_value(v: &Value) -> Result<PolicyDocument, crate::error::Invalid> {
        document(v).map_err(crate::error::Invalid::from)
    }
}

/// [`PolicyDocument::from_value`], its message a string.
fn document(v: &Value) -> Result<PolicyDocument, String> {
    {
        if let Value::String(s) = v {
            let parsed = crate::template::parse_value(s)
                .map_err(|e| format!("policy string is not JSON: {e}"))?;
            // One level only: a string that holds a string is no policy (and would
            // otherwise be unwrapped without end).
            if !matches!(parsed, Value::Map(_)) {
                return Err("a policy string must hold a JSON object".into());
            }
            return document(&parsed);
        }
        let m = v.as_map().ok_or("a policy document must be a map")?;
        for k in m.keys() {
            if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
                return Err(format!(
                    "{k}: unknown policy element; expected Version, Id or Statement"
                ));
            }
        }
        let version = match m.get("Version") {
            None => "2008-10-17".to_string(),
            Some(Value::String(s)) if s == "2012-10-17" || s == "2008-10-17" => s.clone(),
            Some(other) => {
                return Err(format!(
                    "Version: expected \"2012-10-17\", found {}",
                    crate::template::value_to_json(other)
                ));
            }
        };
        let id = m.get("Id").and_then(|v| v.as_str()).map(str::to_string);
        let stmts: Vec<&Value> = match m.get("Statement") {
            Some(Value::List(l)) => l.iter().collect(),
            Some(s @ Value::Map(_)) => vec![s],
            _ => return Err("Statement: expected a statement or a list of statements".into()),
        };
        let statements = stmts
            .iter()
            .enumerate()
            .map(|(i, s)| statement(s).map_err(|e| format!("Statement[{i}].{e}")))
            .collect::<Result<_, _>>()?;
        Ok(PolicyDocument {
            version,
            id,
            statements,
        })
    }
}

fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::List(l) => l.iter().collect(),
        other => vec![other],
    }
}

fn neg<T>(negated: bool, x: T) -> Negatable<T> {
    if negated {
        Negatable::Not(x)
    } else {
        Negatable::Is(x)
    }
}

fn statement(v: &Value) -> Result<Statement, String> {
    let m = v.as_map().ok_or("a statement must be a map")?;
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(format!("{k}: unknown statement element"));
        }
    }
    let effect = match m.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err("Effect: expected \"Allow\" or \"Deny\"".into()),
    };
    let one_of = |a: &str, b: &str| -> Result<Option<(bool, &Value)>, String> {
        match (m.get(a), m.get(b)) {
            (Some(_), Some(_)) => Err(format!("{a}: a statement has {a} or {b}, not both")),
            (Some(v), None) => Ok(Some((false, v))),
            (None, Some(v)) => Ok(Some((true, v))),
            (None, None) => Ok(None),
        }
    };
    let action = match one_of("Action", "NotAction")? {
        None => return Err("Action: a statement needs Action or NotAction".into()),
        Some((n, v)) => {
            let acts = list(v)
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    a.as_str()
                        .ok_or_else(|| "expected a string".to_string())
                        .and_then(|t| Action::lenient(t).map_err(|e| e.to_string()))
                        .map_err(|e| format!("Action[{i}]: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            neg(n, acts)
        }
    };
    let resource = match one_of("Resource", "NotResource")? {
        None => None,
        Some((n, v)) => {
            let rs = list(v)
                .iter()
                .enumerate()
                .map(|(i, r)| match r {
                    Value::String(s) => s
                        .parse::<Arn>()
                        .map(ResourceEntry::Arn)
                        .map_err(|e| format!("Resource[{i}]: {e}")),
                    Value::Fn(_) => Ok(ResourceEntry::Expr((*r).clone())),
                    _ => Err(format!("Resource[{i}]: expected an ARN")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(neg(n, rs))
        }
    };
    let principal = match one_of("Principal", "NotPrincipal")? {
        None => None,
        Some((n, Value::String(s))) if s == "*" => Some(neg(n, Principal::Any)),
        Some((n, Value::Map(pm))) => {
            let mut ids = BTreeMap::new();
            for (k, v) in pm {
                let kind = PrincipalKind::from_key(k).ok_or_else(|| {
                    format!("Principal.{k}: expected AWS, Service, Federated or CanonicalUser")
                })?;
                ids.insert(kind, list(v).into_iter().cloned().collect());
            }
            Some(neg(n, Principal::Ids(ids)))
        }
        // A lone ARN or account id is read as an AWS principal, as IAM tools accept it.
        Some((n, v @ Value::String(_))) => Some(neg(
            n,
            Principal::Ids(BTreeMap::from([(PrincipalKind::Aws, vec![v.clone()])])),
        )),
        Some((n, f @ Value::Fn(_))) => Some(neg(
            n,
            Principal::Ids(BTreeMap::from([(PrincipalKind::Aws, vec![f.clone()])])),
        )),
        Some(_) => return Err("Principal: expected \"*\" or a map of principal kinds".into()),
    };
    let mut condition = ConditionBlock::new();
    if let Some(c) = m.get("Condition") {
        let cm = c.as_map().ok_or("Condition: expected a map")?;
        for (op, keys) in cm {
            let operator: ConditionOperator = op.parse().map_err(|e| format!("Condition.{e}"))?;
            let km = keys
                .as_map()
                .ok_or_else(|| format!("Condition.{op}: expected a map of keys"))?;
            let entry: &mut BTreeMap<String, Vec<Value>> = condition.entry(operator).or_default();
            for (k, v) in km {
                entry.insert(k.clone(), list(v).into_iter().cloned().collect());
            }
        }
    }
    Ok(Statement {
        sid: m.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        principal,
        action,
        resource,
        condition,
    })
}

impl ToValue for PolicyDocument {
    fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Version".to_string(), Value::from(self.version.as_str()));
        if let Some(id) = &self.id {
            m.insert("Id".into(), Value::from(id.as_str()));
        }
        m.insert(
            "Statement".into(),
            Value::List(self.statements.iter().map(Statement::to_value).collect()),
        );
        Value::Map(m)
    }
}

impl From<PolicyDocument> for Json {
    fn from(p: PolicyDocument) -> Json {
        Json::from(p.to_value())
    }
}

//! `perimeter simulate`'s request files: one request and the policies around it, read
//! with field paths in every error, evaluated, and reported for people or as JSON
//! (docs/simulate-json.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Bindings, Caller, Decider, Decision, PolicyDocument, PolicySet, Request, Verdict};
use crate::template::Value;

/// A request file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    resource_account: Option<String>,
    #[serde(default)]
    management_account: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, ContextValue>,
    #[serde(default)]
    identity_policies: Vec<serde_json::Value>,
    #[serde(default)]
    resource_policy: Option<serde_json::Value>,
    #[serde(default)]
    permission_boundary: Option<serde_json::Value>,
    #[serde(default)]
    session_policy: Option<serde_json::Value>,
    #[serde(default)]
    vpc_endpoint_policies: Vec<serde_json::Value>,
    #[serde(default)]
    scps: Vec<Vec<serde_json::Value>>,
    #[serde(default)]
    rcps: Vec<Vec<serde_json::Value>>,
    /// The decision a test expects; not used by the evaluation.
    #[serde(default)]
    expect: Option<Expected>,
    /// Free text for people (what the case shows, which page it comes from).
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
}

/// A context value: a string, or a list of them (numbers and booleans read as text).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ContextValue {
    One(Scalar),
    Many(Vec<Scalar>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    S(String),
    B(bool),
    N(serde_json::Number),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::S(s) => s,
            Scalar::B(b) => b.to_string(),
            Scalar::N(n) => n.to_string(),
        }
    }
}

/// The decision a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Expected {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl From<Expected> for Decision {
    fn from(e: Expected) -> Decision {
        match e {
            Expected::Allow => Decision::Allow,
            Expected::ExplicitDeny => Decision::ExplicitDeny,
            Expected::ImplicitDeny => Decision::ImplicitDeny,
        }
    }
}

/// A request read from a file, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub request: Request,
    pub policies: PolicySet,
    /// The `expect` field, when the file has one.
    pub expect: Option<Decision>,
}

impl Simulation {
    /// Reads a request file's text; errors name the field (`identity_policies[0].
    /// Statement[1].Effect`) and, for JSON errors, the line and column.
    pub fn parse(text: &str) -> Result<Simulation, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let f: RequestFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path.is_empty() || path == "." {
                inner.to_string()
            } else {
                format!("{path}: {inner}")
            }
        })?;
        if Caller::parse(&f.principal).is_none() {
            return Err(format!(
                "principal: {:?} is not a principal: expected an IAM user, role, assumed-role session, federated user or root ARN, a service principal (lambda.amazonaws.com) or \"*\"",
                f.principal
            ));
        }
        if !f.action.contains(':') {
            return Err(format!(
                "action: {:?} is not an action: expected service:ActionName",
                f.action
            ));
        }
        if f.resource.is_empty() {
            return Err("resource: expected an ARN or *".into());
        }
        for (field, a) in [
            ("resource_account", &f.resource_account),
            ("management_account", &f.management_account),
        ] {
            if let Some(a) = a
                && (a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(format!("{field}: {a:?} is not a 12-digit account id"));
            }
        }
        let mut req = Request::new(&f.principal, &f.action, &f.resource);
        req.resource_account = f.resource_account;
        req.management_account = f.management_account;
        for (k, v) in f.context {
            let vals = match v {
                ContextValue::One(s) => vec![s.text()],
                ContextValue::Many(l) => l.into_iter().map(Scalar::text).collect(),
            };
            req.context.insert(k.to_ascii_lowercase(), vals);
        }
        let doc =
            |field: String, v: &serde_json::Value| -> Result<(String, PolicyDocument), String> {
                PolicyDocument::from_value(&to_value(v))
                    .map(|d| (field.clone(), d))
                    .map_err(|e| format!("{field}.{e}"))
            };
        let mut set = PolicySet::default();
        for (i, p) in f.identity_policies.iter().enumerate() {
            set.identity
                .push(doc(format!("identity_policies[{i}]"), p)?);
        }
        if let Some(p) = &f.resource_policy {
            set.resource = Some(doc("resource_policy".into(), p)?);
        }
        if let Some(p) = &f.permission_boundary {
            set.boundary = Some(doc("permission_boundary".into(), p)?);
        }
        if let Some(p) = &f.session_policy {
            set.session = Some(doc("session_policy".into(), p)?);
        }
        for (i, p) in f.vpc_endpoint_policies.iter().enumerate() {
            set.vpc_endpoint
                .push(doc(format!("vpc_endpoint_policies[{i}]"), p)?);
        }
        for (field, levels, out) in [
            ("scps", &f.scps, &mut set.scps),
            ("rcps", &f.rcps, &mut set.rcps),
        ] {
            for (i, level) in levels.iter().enumerate() {
                let l = level
                    .iter()
                    .enumerate()
                    .map(|(j, p)| doc(format!("{field}[{i}][{j}]"), p))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(l);
            }
        }
        Ok(Simulation {
            request: req,
            policies: set,
            expect: f.expect.map(Decision::from),
        })
    }

    /// Reads a request file; errors begin with the file's name.
    pub fn load(path: &Path) -> Result<Simulation, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Simulation::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn evaluate(&self) -> Verdict {
        self.policies.evaluate(&self.request, &Bindings::new())
    }
}

/// A JSON value as a template value (request files hold plain JSON: no intrinsics).
fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.clone()),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(to_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        }
    }
}

/// One result of `perimeter simulate`.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationResult {
    /// The request file (or the template, with `--template`).
    pub file: String,
    /// `allow`, `explicit-deny` or `implicit-deny`.
    pub decision: Decision,
    /// The statements that decided.
    pub decisive: Vec<Decider>,
    /// Each policy's part, in words, then the conclusion.
    pub explanation: Vec<String>,
}

impl SimulationResult {
    pub fn new(file: &str, v: Verdict) -> Self {
        let mut explanation = v.explanation;
        explanation.push(format!("decision: {}: {}", v.decision, v.reason));
        SimulationResult {
            file: file.to_string(),
            decision: v.decision,
            decisive: v.decisive,
            explanation,
        }
    }
}

/// The JSON report: `{"results": [...]}`.
pub fn to_json(results: &[SimulationResult]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        results: &'a [SimulationResult],
    }
    serde_json::to_string_pretty(&Out { results }).expect("results serialize")
}

/// The report for people.
pub fn to_text(results: &[SimulationResult]) -> String {
    let mut out = String::new();
    for r in results {
        let _ = writeln!(out, "{}: {}", r.file, r.decision.key());
        for d in &r.decisive {
            let _ = writeln!(out, "  decided by the {} {}", d.kind.words(), d);
        }
        for e in &r.explanation {
            let _ = writeln!(out, "  - {e}");
        }
    }
    out
}

//! `perimeter check`: schema validation, reference integrity, CloudFormation quotas,
//! data-perimeter rules and an access simulation, on any template.
//!
//! Every finding names its rule, the resource, the field path, the reason and the fix.
//!
//! ```
//! use perimeter::check::{check, Context};
//! use perimeter::template::Template;
//! let text = r#"{"Resources": {"Gw": {"Type": "AWS::EC2::InternetGateway"}}}"#;
//! let t = Template::parse_any(text).unwrap();
//! let report = check(&t, text, &Context::default());
//! assert_eq!(report.findings[0].rule.id, "N401");
//! assert_eq!(report.findings[0].resource.as_deref(), Some("Gw"));
//! ```

pub mod access;
mod across;
mod alternatives;
pub mod broadening;
mod conditions;
mod data;
mod elasticache;
mod functions;
mod groups;
mod iam;
mod identifiers;
mod interface;
pub mod inventory;
mod nested;
mod network;
pub mod perimeters;
mod physical;
pub mod quotas;
mod references;
pub mod render;
mod resolved;
mod returns;
pub mod rules;
mod runtime;
pub use runtime::today;
pub mod schedule;
mod schema;
pub mod select;
pub mod service_rules;
pub mod simulate;
mod structure;
pub mod suppress;
mod template_suppress;
mod text;
mod validation;

use std::sync::OnceLock;

use serde::Serialize;

pub use access::{AccessRow, Expectation, Outcome, Scenario, ScenarioCaller, Via};
pub use rules::{Rule, Severity};
pub use suppress::Suppression;
pub use text::{check_text, partition};

use crate::iam::Effect;
use crate::template::{Pos, Template};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "rule_id")]
    pub rule: &'static Rule,
    pub severity: Severity,
    /// The logical id of the resource, when the finding is about one.
    pub resource: Option<String>,
    /// Dotted path from the template's root (`Resources.Vpc.Properties.CidrBlock`).
    pub path: String,
    /// What is wrong, specifically.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// Other resources the finding concerns (the rest of a dependency cycle).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Where in the file, when the text is at hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// A request that shows the finding (a refuted perimeter's), in `perimeter
    /// simulate`'s request format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<serde_json::Value>,
}

fn rule_id<S: serde::Serializer>(r: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.id)
}

impl Finding {
    /// A finding with the rule's severity and fix.
    pub fn new(rule: &'static Rule, resource: Option<&str>, path: String, message: String) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            resource: resource.map(String::from),
            path,
            message,
            fix: rule.fix.to_string(),
            related: vec![],
            line: None,
            column: None,
            witness: None,
        }
    }

    /// A finding on a resource; `path` is relative to it (`Properties.X`).
    pub fn on(rule: &'static Rule, resource: &str, path: &str, message: String) -> Self {
        let full = if path.is_empty() {
            format!("Resources.{resource}")
        } else {
            format!("Resources.{resource}.{path}")
        };
        Finding::new(rule, Some(resource), full, message)
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// The finding with the request that shows it.
    pub fn witness(mut self, w: serde_json::Value) -> Self {
        self.witness = Some(w);
        self
    }

    pub fn at(mut self, pos: Option<Pos>) -> Self {
        self.line = pos.map(|p| p.line);
        self.column = pos.map(|p| p.column);
        self
    }
}

/// What check knows of where a template is deployed, and what the blueprint expects.
#[derive(Debug, Clone)]
pub struct Context {
    pub partition: String,
    pub account: String,
    pub region: String,
    /// The endpoint policy's intended effect, when the blueprint says it.
    pub intended_effect: Option<Effect>,
    /// Outcomes the blueprint declares for access scenarios.
    pub expectations: Vec<Expectation>,
    /// Networks the blueprint declares (the corporate network): an endpoint may admit
    /// them even when their addresses are public.
    pub known_cidrs: Vec<ipnet::IpNet>,
    /// Corporate callers the blueprint admits through the endpoint (role ARNs or
    /// organization ids), for the access simulation's corporate rows.
    pub corporate_principals: Vec<String>,
    /// More accounts (`arn:aws:iam::ID:root`) and organizations (`o-...`) the identity
    /// perimeter trusts, beyond the account and the corporate callers (`check --trust`).
    pub trusted: Vec<String>,
    /// Access scenarios of the target's solution, run beside the Bedrock rows.
    pub scenarios: Vec<Scenario>,
    /// The date rules that depend on it (Lambda runtime deprecation) judge at,
    /// `YYYY-MM-DD`: today, unless a test fixes it.
    pub today: String,
    /// What the target's solution says of it beyond findings (a legacy model), printed as
    /// the file's notes.
    pub notes: Vec<String>,
    /// What the target's solution claims of its perimeter, proven beside the three
    /// perimeters (see [`perimeters::Claim`]).
    pub claims: Vec<perimeters::Claim>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            intended_effect: None,
            expectations: vec![],
            known_cidrs: vec![],
            corporate_principals: vec![],
            trusted: vec![],
            scenarios: vec![],
            today: runtime::today(),
            notes: vec![],
            claims: vec![],
        }
    }
}

/// What check found on one template.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The access simulation, when the template grants Bedrock through an endpoint.
    pub access: Vec<AccessRow>,
}

/// Checks a template; `body` is its text as deployed (for the size quotas).
pub fn check(t: &Template, body: &str, ctx: &Context) -> Report {
    let mut findings = Vec::new();
    let inv = inventory::Inventory::of(t);
    // The prover (A703, the most of a check with policies) runs beside the other rules
    // on another core, started before them all; its findings join after them, and the
    // sort below puts them where they go (only it makes A703 findings, which keep their
    // order).
    // Without a spare thread (a blueprint's targets already on every core) or when the
    // system refuses one, it runs after them on this thread.
    let proving = !inv.policies.is_empty() || !ctx.claims.is_empty();
    let spare = crate::iam::prove::par::Spare::take(usize::from(proving));
    // The made-up values of the template's resources, made once for the prover (which
    // starts first and makes them) and the access simulation (at the end of the rules).
    let bound: OnceLock<crate::iam::Bindings> = OnceLock::new();
    let bindings = || bound.get_or_init(|| access::bindings(t, ctx));
    let access = std::thread::scope(|s| {
        let prove = || {
            let mut out = Vec::new();
            perimeters::check(t, ctx, &inv, bindings(), &mut out);
            out
        };
        // Its questions are open to this thread once the rules below are done.
        let proofs = (spare.count() > 0)
            .then(|| {
                let (scope, helper) = crate::iam::prove::par::helpable();
                crate::iam::prove::par::spawn_beside(s, move || scope.run(prove))
                    .ok()
                    .map(|p| (p, helper))
            })
            .flatten();
        schema::check(t, &mut findings);
        groups::check(t, &mut findings);
        alternatives::check(t, &mut findings);
        structure::check(t, &mut findings);
        references::check(t, &mut findings);
        functions::check(t, &mut findings);
        returns::check(t, &mut findings);
        quotas::check(t, body, &mut findings);
        network::check(t, ctx, &inv, &mut findings);
        iam::check(t, &inv, &mut findings);
        validation::check(t, &inv, &mut findings);
        data::check(t, &mut findings);
        runtime::check(t, &ctx.today, &mut findings);
        service_rules::check(t, &mut findings);
        resolved::check(t, &mut findings);
        elasticache::check(t, &mut findings);
        schedule::check(t, &mut findings);
        interface::check(t, &mut findings);
        identifiers::check(t, &mut findings);
        across::check(t, &mut findings);
        let access = access::simulate(t, ctx, &inv, bindings(), &mut findings);
        match proofs {
            Some((p, helper)) => {
                helper.help();
                findings.extend(p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            None if proving => findings.extend(prove()),
            None => {}
        }
        access
    });
    drop(spare);
    sort(&mut findings);
    Report { findings, access }
}

/// Findings in a stable order: by path, then rule, then message.
pub fn sort(findings: &mut [Finding]) {
    findings
        .sort_by(|a, b| (&a.path, a.rule.id, &a.message).cmp(&(&b.path, b.rule.id, &b.message)));
}

/// Fills in line and column of each finding from the template's text.
pub fn locate(findings: &mut [Finding], text: &str) {
    if findings.iter().all(|f| f.line.is_some()) {
        return;
    }
    if let Some(l) = crate::template::Locator::new(text) {
        place(findings, &l);
    }
}

/// Fills in line and column of each finding that has none.
pub fn place(findings: &mut [Finding], l: &crate::template::Locator) {
    for f in findings.iter_mut().filter(|f| f.line.is_none()) {
        let pos = l.find(&f.path);
        f.line = Some(pos.line);
        f.column = Some(pos.column);
    }
}

/// The finding for a file that does not parse as a template.
pub fn syntax_error(e: &crate::template::ParseError) -> Finding {
    read_error(rules::SYNTAX, e)
}

/// The finding for what a recovering read found wrong and read past.
pub fn read_issue(issue: &crate::template::Issue) -> Finding {
    let rule = match issue.kind {
        crate::template::IssueKind::Function => rules::FUNCTION_ARGUMENTS,
        crate::template::IssueKind::Structure => rules::TEMPLATE_STRUCTURE,
    };
    read_error(rule, &issue.error)
}

fn read_error(rule: &'static rules::Rule, e: &crate::template::ParseError) -> Finding {
    let resource = e
        .path
        .strip_prefix("Resources.")
        .map(|r| r.split(['.', '[']).next().unwrap_or(r));
    Finding::new(rule, resource, e.path.clone(), e.message.clone()).at(e.pos)
}

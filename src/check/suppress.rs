//! Suppressions: findings a blueprint accepts, each with its reason.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Finding, rules};

/// A finding the blueprint accepts.
///
/// ```yaml
/// suppress:
///   - rule: D603
///     resources: [AuditLogGroup]
///     reason: kept forever by the audit policy (ticket SEC-42)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// The rule's id (`N401`) or name (`internet-path`).
    pub rule: String,
    /// Only findings on these resources (logical ids); default: any resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Only for these targets; default: every target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Why the finding is accepted (required).
    pub reason: String,
}

impl Suppression {
    /// Problems with the suppression itself (unknown rule, empty reason).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if rules::find(&self.rule).is_none() {
            out.push((
                "rule",
                format!(
                    "unknown rule {:?}; `{} check --rules` lists them",
                    self.rule,
                    crate::program::name()
                ),
            ));
        }
        if self.reason.trim().is_empty() {
            out.push((
                "reason",
                "a suppression needs a reason: why is the finding accepted?".into(),
            ));
        }
        out
    }

    /// Whether it applies to this finding of this target.
    pub fn matches(&self, f: &Finding, target: &str) -> bool {
        (f.rule.id == self.rule || f.rule.name == self.rule)
            && (self.targets.is_empty() || self.targets.iter().any(|t| t == target))
            && (self.resources.is_empty()
                || f.resource
                    .as_ref()
                    .is_some_and(|r| self.resources.contains(r)))
    }
}

/// A finding that a suppression accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    pub finding: Finding,
    pub reason: String,
}

/// Splits findings into those that stand and those suppressed; `used[i]` is set when
/// suppression `i` accepted something.
pub fn apply(
    findings: Vec<Finding>,
    suppressions: &[Suppression],
    target: &str,
    used: &mut [bool],
) -> (Vec<Finding>, Vec<Suppressed>) {
    split(findings, used, |f| {
        suppressions
            .iter()
            .position(|s| s.matches(f, target))
            .map(|i| (i, suppressions[i].reason.clone()))
    })
}

/// Splits findings by which suppression (index, reason) `accepts` each, if any, setting
/// `used` for those that accepted something: one loop for blueprints' suppressions and
/// templates' own.
pub fn split(
    findings: Vec<Finding>,
    used: &mut [bool],
    accepts: impl Fn(&Finding) -> Option<(usize, String)>,
) -> (Vec<Finding>, Vec<Suppressed>) {
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for f in findings {
        match accepts(&f) {
            Some((i, reason)) => {
                used[i] = true;
                suppressed.push(Suppressed { reason, finding: f });
            }
            None => kept.push(f),
        }
    }
    (kept, suppressed)
}

//! Access scenarios a blueprint declares (`scenarios:`), for any solution: a caller, one
//! call, how it reaches the service, and the outcome expected. `check` runs them on every
//! target they are for, beside the solution's own and its grants'.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::check::{Outcome, Scenario, ScenarioCaller, Via};
use crate::iam::Action;

/// One declared call.
///
/// ```yaml
/// scenarios:
///   - name: the function reads another team's table
///     principal: FunctionRole
///     action: dynamodb:GetItem
///     resource: arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/billing
///     expected: deny
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Shown in the access table; default: the principal, action and outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who calls: a role of the template by logical id (`FunctionRole`, with its
    /// policies), `another-role` (a role of the account allowed everything by its own
    /// policies), or a principal's ARN outside the template (likewise allowed everything
    /// by its own).
    pub principal: String,
    /// One action, `service:Name`, without wildcards.
    pub action: String,
    /// The resource's ARN; `${Id}` and `${Id.Attr}` name what a template resource's Ref
    /// and GetAtt yield, `${AWS::Region}` and the other pseudo parameters the target's.
    pub resource: String,
    /// How the call reaches the service (default: through the endpoint).
    #[serde(default)]
    pub via: Via,
    /// The endpoint (logical id) for `via: endpoint`; default: the template's endpoint
    /// of the action's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// More keys of the request's context: global keys (`aws:SourceIp`,
    /// `aws:PrincipalOrgID`) or the action's service's; one the caller or the endpoint
    /// already gives (`aws:PrincipalAccount`) is replaced.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    pub expected: Outcome,
    /// Only for these targets (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
}

/// The value of `principal` that names another role of the account.
const ANOTHER_ROLE: &str = "another-role";

fn is_logical_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl ScenarioSpec {
    /// What is wrong with it, each as (field, message); target names aside.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut bad = |field: &str, m: String| out.push((field.to_string(), m));
        let p = &self.principal;
        if p != ANOTHER_ROLE && !is_logical_id(p) && !p.starts_with("arn:") {
            bad(
                "principal",
                format!(
                    "{p:?}: expected a role's logical id (letters and digits), `{ANOTHER_ROLE}`, or a principal's ARN"
                ),
            );
        }
        if p.starts_with("arn:")
            && p.split(':').nth(2) != Some("iam")
            && p.split(':').nth(2) != Some("sts")
        {
            bad(
                "principal",
                format!("{p:?} is not an IAM or STS principal's ARN"),
            );
        }
        match self.action.parse::<Action>() {
            Err(m) => bad("action", m.to_string()),
            Ok(_) if self.action.contains(['*', '?']) => bad(
                "action",
                format!(
                    "{:?}: a simulated call names one action, without wildcards",
                    self.action
                ),
            ),
            Ok(_) => {}
        }
        let r = &self.resource;
        if r != "*" && !r.starts_with("arn:") && !r.starts_with("${") {
            bad(
                "resource",
                format!(
                    "{r:?} is not an ARN: expected arn:partition:service:region:account:resource, `*`, or ${{Id}} / ${{Id.Attr}} of a template resource"
                ),
            );
        }
        if let Some(e) = &self.endpoint {
            if self.via != Via::Endpoint {
                bad(
                    "endpoint",
                    "an endpoint is named only with `via: endpoint`".into(),
                );
            } else if !is_logical_id(e) {
                bad(
                    "endpoint",
                    format!("{e:?} is not a logical id (letters and digits)"),
                );
            }
        }
        let catalog = crate::iam::catalog::catalog();
        let service = self.action.split(':').next().unwrap_or_default();
        for k in self.context.keys() {
            let known = catalog.global_key(k).is_some()
                || catalog.action(&self.action).is_some_and(|a| a.takes_key(k));
            if !known {
                bad(
                    &format!("context.{k}"),
                    format!(
                        "{k:?} is neither a global condition key nor one {service} takes for {}",
                        self.action
                    ),
                );
            }
        }
        out
    }

    /// Whether it is for `target`.
    pub fn is_for(&self, target: &str) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| t == target)
    }

    /// As check runs it.
    pub fn scenario(&self) -> Scenario {
        let caller = if self.principal == ANOTHER_ROLE {
            ScenarioCaller::OtherRole
        } else if self.principal.starts_with("arn:") {
            ScenarioCaller::Principal(self.principal.clone())
        } else {
            ScenarioCaller::Role(self.principal.clone())
        };
        Scenario {
            name: self.name.clone().unwrap_or_else(|| {
                format!(
                    "{} {} expected {}",
                    self.principal, self.action, self.expected
                )
            }),
            caller,
            action: self.action.clone(),
            resource: self.resource.clone(),
            via: self.via,
            endpoint: self.endpoint.clone(),
            context: self
                .context
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            expected: self.expected,
        }
    }
}

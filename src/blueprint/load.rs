//! Reading a blueprint file: YAML into types (unknown keys are errors), then the checks
//! that span fields, each error naming the file, line, column and field path.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::merge::merge;
use super::scenario::ScenarioSpec;
use super::types::{AccountId, ExternalId, Name, Region, RoleArn, SessionName, StackName};
use crate::check::{Expectation, Suppression};
use crate::constructs::ModelId;
use crate::iam::Action;
use crate::solution::{Resolved, Solutions, TargetInfo};
use crate::template::{Pos, locate};

/// One deployment of the solution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Unique within the blueprint; names the output file.
    pub name: Name,
    pub account: AccountId,
    pub region: Region,
    /// e.g. dev, staging, prod.
    pub stage: Name,
    /// Settings that differ for this target, merged into the shared ones field by field
    /// (a mapping merges key by key at any depth; any other value, a list included,
    /// replaces; `null` takes a field back to its default).
    #[serde(default, skip_serializing_if = "serde_yaml::Value::is_null")]
    #[schemars(with = "serde_json::Value")]
    pub overrides: serde_yaml::Value,
    /// Tags for every resource of this target's stack that takes tags (beside the
    /// blueprint's `tags`; these win on the same key).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Deploy: the stack's name; default `<blueprint>-<target>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_name: Option<StackName>,
    /// Deploy: the AWS profile (of ~/.aws/config) whose credentials deploy this target;
    /// default the standard chain (environment, profile, instance role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Deploy: a role in the target's account to assume (with the profile's or the
    /// default credentials) for this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<RoleArn>,
    /// Deploy: the session name of the assumed `role_arn`, as CloudTrail shows who
    /// deployed; default `perimeter-<user>` (the local user name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<SessionName>,
    /// Deploy: the external id the trust policy of `role_arn` asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalId>,
    /// Deploy: a CloudFormation service role (in the target's account) that
    /// CloudFormation assumes to change the stack's resources; the deploying identity
    /// then needs only `iam:PassRole` on it beside CloudFormation and the asset bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudformation_role_arn: Option<RoleArn>,
}

impl Target {
    /// The tags of this target's resources: the blueprint's, then its own.
    ///
    /// A value may name the target's `{target}`, `{stage}`, `{account}` and `{region}`,
    /// so one line in the blueprint tags every target with its own stage.
    pub fn all_tags(&self, blueprint: &BlueprintFile) -> BTreeMap<String, String> {
        let mut t = blueprint.tags.clone();
        t.extend(self.tags.clone());
        t.into_iter()
            .map(|(k, v)| {
                let v = v
                    .replace("{target}", self.name.as_str())
                    .replace("{stage}", self.stage.as_str())
                    .replace("{account}", self.account.as_str())
                    .replace("{region}", self.region.as_str());
                (k, v)
            })
            .collect()
    }

    /// The stack this target deploys to.
    pub fn stack(&self, blueprint: &str) -> String {
        match &self.stack_name {
            Some(s) => s.to_string(),
            None => format!("{blueprint}-{}", self.name),
        }
    }
}

/// A blueprint file: a solution, its settings, and the targets it is deployed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlueprintFile {
    /// The solution instantiated: one the program knows (`perimeter list --solutions`).
    pub solution: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags for every resource of every target that takes tags (a target's `tags` add
    /// to them); values may name `{target}`, `{stage}`, `{account}`, `{region}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The solution's settings, shared by every target.
    #[serde(default, skip_serializing_if = "serde_yaml::Value::is_null")]
    #[schemars(with = "serde_json::Value")]
    pub settings: serde_yaml::Value,
    /// Accounts deployed to one by one, a stack each.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Organizational units deployed to through a StackSet: one template for every
    /// account of the units in the listed Regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub org_targets: Vec<super::org::OrgTarget>,
    /// What `perimeter check` accepts (suppressions) and expects (access outcomes).
    #[serde(default, skip_serializing_if = "CheckSettings::is_empty")]
    pub check: CheckSettings,
    /// Access scenarios check runs on every target they are for, whatever the solution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<ScenarioSpec>,
}

/// The blueprint's part in `perimeter check`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckSettings {
    /// Findings accepted, each with a reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppress: Vec<Suppression>,
    /// Outcomes the access simulation must produce.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<Expectation>,
}

impl CheckSettings {
    fn is_empty(&self) -> bool {
        self.suppress.is_empty() && self.expect.is_empty()
    }
}

/// An error in a blueprint: where it is and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueprintError {
    pub file: String,
    pub pos: Option<Pos>,
    /// The field path, e.g. `targets[1].account`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl fmt::Display for BlueprintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(p) = self.pos {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for BlueprintError {}

/// A loaded, validated blueprint, with every target resolved to construct properties.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// The file stem, e.g. `bedrock-private-access`.
    pub name: Name,
    pub file: String,
    pub spec: BlueprintFile,
    /// Per target, in file order: the target and its settings resolved by the solution.
    pub resolved: Vec<(Target, Arc<dyn Resolved>)>,
    /// The organizational-unit targets, in file order, resolved.
    pub org: Vec<super::org::OrgResolved>,
}

impl Blueprint {
    /// Reads and validates a blueprint file of one of `solutions`.
    pub fn load(path: &Path, solutions: &Solutions) -> Result<Blueprint, Vec<BlueprintError>> {
        let file = path.display().to_string();
        let err = |m: String| {
            vec![BlueprintError {
                file: file.clone(),
                pos: None,
                path: String::new(),
                message: m,
            }]
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            let e = crate::io_error::IoError::new("read", path, e);
            err(match e.cause() {
                Some(cause) => format!("cannot read: {} ({cause})", e.source),
                None => format!("cannot read: {}", e.source),
            })
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let name: Name = stem
            .parse()
            .map_err(|e| err(format!("the file name is the blueprint's name: {e}")))?;
        Blueprint::parse(name, &file, &text, solutions)
    }

    /// Parses and validates blueprint text; `file` labels errors, and files the settings
    /// name are relative to its folder.
    pub fn parse(
        name: Name,
        file: &str,
        text: &str,
        solutions: &Solutions,
    ) -> Result<Blueprint, Vec<BlueprintError>> {
        let at = |path: &str, message: String| BlueprintError {
            file: file.to_string(),
            pos: locate(text, path),
            path: path.to_string(),
            message,
        };
        let spec: BlueprintFile =
            match serde_path_to_error::deserialize(serde_yaml::Deserializer::from_str(text)) {
                Ok(s) => s,
                Err(e) => {
                    let path = e.path().to_string();
                    let path = if path == "." { String::new() } else { path };
                    let inner = e.into_inner();
                    let serde_pos = inner.location().map(|l| Pos {
                        line: l.line(),
                        column: l.column(),
                    });
                    let message = clean_message(&inner.to_string());
                    // A syntax error has only serde's position; a field error is located by path.
                    let pos = if path.is_empty() {
                        serde_pos
                    } else {
                        locate(text, &path).or(serde_pos)
                    };
                    return Err(vec![BlueprintError {
                        file: file.to_string(),
                        pos,
                        path,
                        message,
                    }]);
                }
            };
        let mut errors = Vec::new();
        let Some(solution) = solutions.get(&spec.solution) else {
            return Err(vec![at(
                "solution",
                format!(
                    "unknown solution {:?}; this program knows: {}",
                    spec.solution,
                    solutions.names().join(", ")
                ),
            )]);
        };
        if spec.targets.is_empty() && spec.org_targets.is_empty() {
            errors.push(at(
                "targets",
                "a blueprint needs at least one target (targets or org_targets)".into(),
            ));
        }
        let mut names = BTreeSet::new();
        for (i, t) in spec.org_targets.iter().enumerate() {
            if !names.insert(t.name.as_str()) {
                errors.push(at(
                    &format!("org_targets[{i}].name"),
                    format!("target name {} is used twice", t.name),
                ));
            }
        }
        let mut stacks = BTreeSet::new();
        for (i, t) in spec.targets.iter().enumerate() {
            if !names.insert(t.name.as_str()) {
                errors.push(at(
                    &format!("targets[{i}].name"),
                    format!("target name {} is used twice", t.name),
                ));
            }
            let stack = t.stack(name.as_str());
            if !stacks.insert((t.account.to_string(), t.region.to_string(), stack.clone())) {
                errors.push(at(
                    &format!("targets[{i}].stack_name"),
                    format!(
                        "stack {stack} in {} {} is deployed by two targets",
                        t.account, t.region
                    ),
                ));
            }
            if let Some(role) = &t.cloudformation_role_arn
                && role.account() != t.account.as_str()
            {
                errors.push(at(
                    &format!("targets[{i}].cloudformation_role_arn"),
                    format!(
                        "the service role is in account {}, the target in {}: CloudFormation assumes a role of the stack's account",
                        role.account(),
                        t.account
                    ),
                ));
            }
            if t.role_arn.is_none() {
                for (field, set) in [
                    ("role_session_name", t.role_session_name.is_some()),
                    ("external_id", t.external_id.is_some()),
                ] {
                    if set {
                        errors.push(at(
                            &format!("targets[{i}].{field}"),
                            format!("{field} applies to the role assumed: set role_arn too"),
                        ));
                    }
                }
            }
            if let Some(role) = &t.role_arn
                && role.account() != t.account.as_str()
            {
                errors.push(at(
                    &format!("targets[{i}].role_arn"),
                    format!(
                        "the role is in account {}, the target in {}: a target is deployed by a role of its own account",
                        role.account(),
                        t.account
                    ),
                ));
            }
        }
        check_settings(&spec, &mut |path, m| errors.push(at(&path, m)));
        let mut resolved = Vec::new();
        // Files a blueprint names are relative to its folder.
        let base = Path::new(file).parent().unwrap_or(Path::new(""));
        let shared_settings = serde_json::to_value(&spec.settings).unwrap_or_default();
        let shared_settings = if shared_settings.is_null() {
            serde_json::Value::Object(Default::default())
        } else {
            shared_settings
        };
        // A shared setting that fails for several targets is one error naming them all.
        let mut shared: Vec<((String, String), Vec<String>)> = Vec::new();
        for (i, t) in spec.targets.iter().enumerate() {
            let settings = merge(spec.settings.clone(), t.overrides.clone());
            let overridden = serde_json::to_value(&t.overrides).unwrap_or_default();
            let info = TargetInfo {
                blueprint: name.to_string(),
                target: t.name.to_string(),
                account: t.account.to_string(),
                region: t.region.to_string(),
                stage: t.stage.to_string(),
                base: base.to_path_buf(),
            };
            match solution.resolve(settings, &info) {
                Ok(r) => resolved.push((t.clone(), r)),
                Err(problems) => {
                    for crate::solution::Problem { path: rel, message } in problems {
                        let msg = clean_message(&message);
                        // Point at the override when the target set the field, else at the shared setting.
                        let mut parts = rel.split(['.', '[']);
                        let (section, field) =
                            (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                        // A field the target's section lacks is the target's when the
                        // shared settings lack the section (a database only prod has).
                        let from_override = overridden.get(section).is_some_and(|s| {
                            field.is_empty()
                                || s.get(field).is_some()
                                || shared_settings.get(section).is_none()
                        });
                        if from_override {
                            errors.push(at(&format!("targets[{i}].overrides.{rel}"), msg));
                            continue;
                        }
                        let path = if rel.is_empty() {
                            "settings".to_string()
                        } else {
                            format!("settings.{rel}")
                        };
                        let key = (path, msg);
                        match shared.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, targets)) => targets.push(t.name.to_string()),
                            None => shared.push((key, vec![t.name.to_string()])),
                        }
                    }
                }
            }
        }
        for ((path, msg), targets) in shared {
            let which = if targets.len() == 1 {
                "target"
            } else {
                "targets"
            };
            // The first few by name: an error shared by thousands of targets stays one line.
            const SHOWN: usize = 8;
            let named = if targets.len() > SHOWN {
                format!(
                    "{} and {} more",
                    targets[..SHOWN].join(", "),
                    targets.len() - SHOWN
                )
            } else {
                targets.join(", ")
            };
            errors.push(at(&path, format!("{msg} ({which} {named})")));
        }
        let org = super::org::resolve_all(
            &spec,
            name.as_str(),
            base,
            solution.as_ref(),
            &mut |p, m| {
                if !errors.iter().any(|e| e.path == p && e.message == m) {
                    errors.push(at(&p, m));
                }
            },
        );
        if errors.is_empty() {
            Ok(Blueprint {
                name,
                file: file.to_string(),
                spec,
                resolved,
                org,
            })
        } else {
            Err(errors)
        }
    }
}

/// Suppressions need a known rule and a reason; expectations a valid action, model and
/// resource;
/// both may name only targets of this blueprint.
fn check_settings(spec: &BlueprintFile, bad: &mut dyn FnMut(String, String)) {
    let known = |t: &str| {
        spec.targets.iter().any(|x| x.name.as_str() == t)
            || spec.org_targets.iter().any(|x| x.name.as_str() == t)
    };
    let targets = |path: &str, names: &[String], bad: &mut dyn FnMut(String, String)| {
        for (j, t) in names.iter().enumerate() {
            if !known(t) {
                bad(
                    format!("{path}.targets[{j}]"),
                    format!("no target is named {t:?}"),
                );
            }
        }
    };
    for (i, s) in spec.check.suppress.iter().enumerate() {
        let path = format!("check.suppress[{i}]");
        for (field, m) in s.problems() {
            bad(format!("{path}.{field}"), m);
        }
        targets(&path, &s.targets, bad);
    }
    for (i, e) in spec.check.expect.iter().enumerate() {
        let path = format!("check.expect[{i}]");
        if let Err(m) = e.action.parse::<Action>() {
            bad(format!("{path}.action"), m.to_string());
        } else if e.action.contains(['*', '?']) {
            bad(
                format!("{path}.action"),
                format!(
                    "{:?}: a simulated call names one action, without wildcards",
                    e.action
                ),
            );
        }
        if let Some(m) = &e.model
            && let Err(msg) = m.parse::<ModelId>()
        {
            bad(format!("{path}.model"), msg.to_string());
        }
        if e.model.is_some() && e.resource.is_some() {
            bad(
                format!("{path}.resource"),
                "name the resource or a model, not both".into(),
            );
        }
        if let Some(r) = &e.resource
            && r != "*"
            && !r.starts_with("arn:")
            && !r.starts_with("${")
        {
            bad(
                format!("{path}.resource"),
                format!(
                    "{r:?} is not an ARN: expected arn:partition:service:region:account:resource, `*`, or ${{Id}} / ${{Id.Attr}} of a template resource"
                ),
            );
        }
        targets(&path, &e.targets, bad);
    }
    for (i, s) in spec.scenarios.iter().enumerate() {
        let path = format!("scenarios[{i}]");
        for (field, m) in s.problems() {
            bad(format!("{path}.{field}"), m);
        }
        targets(&path, &s.targets, bad);
    }
}

/// serde_yaml prefixes its own path and writes positions into the text; both are
/// reported apart, so they are taken out.
pub(super) fn clean(m: &str) -> String {
    clean_message(m)
}

fn clean_message(m: &str) -> String {
    let mut s = m.to_string();
    while let Some(i) = s.find(" at line ") {
        let rest = &s[i + " at line ".len()..];
        let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
        let n = digits(rest);
        let Some(after) = rest[n..].strip_prefix(" column ") else {
            break;
        };
        let end = i + " at line ".len() + n + " column ".len() + digits(after);
        s.replace_range(i..end, "");
    }
    let m = s.as_str();
    match m.split_once(": ") {
        Some((prefix, rest)) if !prefix.contains(' ') => rest.to_string(),
        _ => m.to_string(),
    }
}

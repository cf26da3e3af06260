//! Reading a blueprint file: YAML into types (unknown keys are errors), then the checks
//! that span fields, each error naming the file, line, column and field path.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::settings::{Settings, SettingsPatch};
use super::types::{AccountId, AzSetting, Name, Region, RoleArn, StackName};
use crate::check::{Expectation, Suppression};
use crate::constructs::ModelId;
use crate::constructs::{AssetCode, CorporatePrincipal};
use crate::constructs::{
    Azs, BedrockPrivateAccessProps, Cidr, CorporateAccess, DatabaseProps, FunctionSettings,
    PrefixListId, SCHEMA_SQL_LIMIT, SchemaSql,
};
use crate::iam::Action;
use crate::template::{Pos, locate};

/// The solutions a blueprint can instantiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Solution {
    /// Private access to Amazon Bedrock over AWS PrivateLink.
    BedrockPrivateAccess,
}

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
    /// Settings that differ for this target.
    #[serde(default, skip_serializing_if = "is_default")]
    pub overrides: SettingsPatch,
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
}

impl Target {
    /// The stack this target deploys to.
    pub fn stack(&self, blueprint: &str) -> String {
        match &self.stack_name {
            Some(s) => s.to_string(),
            None => format!("{blueprint}-{}", self.name),
        }
    }
}

fn is_default(p: &SettingsPatch) -> bool {
    *p == SettingsPatch::default()
}

/// A blueprint file: a solution, its settings, and the targets it is deployed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlueprintFile {
    pub solution: Solution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub settings: Settings,
    pub targets: Vec<Target>,
    /// What `perimeter check` accepts (suppressions) and expects (access outcomes).
    #[serde(default, skip_serializing_if = "CheckSettings::is_empty")]
    pub check: CheckSettings,
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
    /// Per target, in file order: the target and what the solution is built from.
    pub resolved: Vec<(Target, BedrockPrivateAccessProps)>,
}

impl Blueprint {
    /// Reads and validates a blueprint file.
    pub fn load(path: &Path) -> Result<Blueprint, Vec<BlueprintError>> {
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
        Blueprint::parse(name, &file, &text)
    }

    /// Parses and validates blueprint text; `file` labels errors.
    pub fn parse(name: Name, file: &str, text: &str) -> Result<Blueprint, Vec<BlueprintError>> {
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
        if spec.targets.is_empty() {
            errors.push(at(
                "targets",
                "a blueprint needs at least one target".into(),
            ));
        }
        let mut names = BTreeSet::new();
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
        // A shared setting that fails for several targets is one error naming them all.
        let mut shared: Vec<((String, String), Vec<String>)> = Vec::new();
        for (i, t) in spec.targets.iter().enumerate() {
            let settings = spec.settings.with(&t.overrides);
            let overridden = serde_json::to_value(&t.overrides).unwrap_or_default();
            match resolve(&name, base, t, &settings) {
                Ok(p) => resolved.push((t.clone(), p)),
                Err(problems) => {
                    for (rel, msg) in problems {
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
                        let key = (format!("settings.{rel}"), msg);
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
            errors.push(at(&path, format!("{msg} ({which} {})", targets.join(", "))));
        }
        if errors.is_empty() {
            Ok(Blueprint {
                name,
                file: file.to_string(),
                spec,
                resolved,
            })
        } else {
            Err(errors)
        }
    }
}

/// Suppressions need a known rule and a reason; expectations a valid action and model;
/// both may name only targets of this blueprint.
fn check_settings(spec: &BlueprintFile, bad: &mut dyn FnMut(String, String)) {
    let known = |t: &str| spec.targets.iter().any(|x| x.name.as_str() == t);
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
            bad(format!("{path}.action"), m);
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
            bad(format!("{path}.model"), msg);
        }
        targets(&path, &e.targets, bad);
    }
}

/// serde_yaml prefixes its own path and writes positions into the text; both are
/// reported apart, so they are taken out.
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

type Problems = Vec<(String, String)>;

/// `8-4-4-4-12` lowercase hex digits, as Direct Connect writes gateway ids.
fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Checks a target's settings and turns them into the solution's properties. Problems
/// carry paths relative to the settings (`network.subnets[1]`).
fn resolve(
    blueprint: &Name,
    base: &Path,
    t: &Target,
    s: &Settings,
) -> Result<BedrockPrivateAccessProps, Problems> {
    let mut p: Problems = Vec::new();
    let mut bad = |path: &str, m: String| p.push((path.to_string(), m));
    if s.function.code.is_some() && s.function.asset.is_some() {
        bad(
            "function.asset",
            "the function's code comes from code (S3) or from asset (a folder), not both".into(),
        );
    }
    let n = &s.network;
    if !(16..=28).contains(&n.vpc_cidr.prefix_len()) {
        bad(
            "network.vpc_cidr",
            format!("VPC block {} must be /16 to /28", n.vpc_cidr),
        );
    }
    let azs = match &n.availability_zones {
        AzSetting::Count(c) => {
            if *c < 2 {
                bad(
                    "network.availability_zones",
                    format!(
                        "at least 2 Availability Zones are needed for a highly available endpoint, found {c}"
                    ),
                );
            } else if *c > 6 {
                bad(
                    "network.availability_zones",
                    format!("{c} zones: no region has more than 6"),
                );
            }
            Azs::Count(*c as usize)
        }
        AzSetting::Names(names) => {
            if names.len() < 2 {
                bad(
                    "network.availability_zones",
                    format!(
                        "at least 2 Availability Zones are needed, found {}",
                        names.len()
                    ),
                );
            }
            for (i, z) in names.iter().enumerate() {
                let ok = z.strip_prefix(t.region.as_str()).is_some_and(|rest| {
                    rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_lowercase())
                });
                if !ok {
                    bad(
                        &format!("network.availability_zones[{i}]"),
                        format!("{z:?} is not a zone of {} (e.g. {}a)", t.region, t.region),
                    );
                }
                if names[..i].contains(z) {
                    bad(
                        &format!("network.availability_zones[{i}]"),
                        format!("zone {z} is listed twice"),
                    );
                }
            }
            Azs::Named(names.clone())
        }
    };
    let zones = azs.len();
    let subnets: Vec<Cidr> = match &n.subnets {
        Some(list) => {
            if list.len() != zones {
                bad(
                    "network.subnets",
                    format!(
                        "{} subnets for {zones} Availability Zones: give one subnet per zone",
                        list.len()
                    ),
                );
            }
            for (i, c) in list.iter().enumerate() {
                let path = format!("network.subnets[{i}]");
                if !n.vpc_cidr.contains(c) {
                    bad(
                        &path,
                        format!("subnet {c} is outside the VPC block {}", n.vpc_cidr),
                    );
                } else if c.prefix_len() > 28 {
                    bad(
                        &path,
                        format!("subnet {c} is smaller than /28, the smallest AWS allows"),
                    );
                }
                if let Some(o) = list[..i].iter().find(|o| o.overlaps(c)) {
                    bad(&path, format!("subnet {c} overlaps subnet {o}"));
                }
            }
            list.clone()
        }
        None => {
            let len = n.subnet_prefix_length;
            if len > 28 || len < n.vpc_cidr.prefix_len() {
                bad(
                    "network.subnet_prefix_length",
                    format!(
                        "/{len} subnets do not fit: between /{} (the VPC) and /28",
                        n.vpc_cidr.prefix_len()
                    ),
                );
                vec![]
            } else {
                n.vpc_cidr.carve(zones, len).unwrap_or_else(|e| {
                    bad("network.subnet_prefix_length", e);
                    vec![]
                })
            }
        }
    };
    if s.bedrock.models.is_empty() {
        bad(
            "bedrock.models",
            "at least one model is needed, e.g. [anthropic.claude-instant-v1]".into(),
        );
    }
    for (i, m) in s.bedrock.models.iter().enumerate() {
        if s.bedrock.models[..i].contains(m) {
            bad(
                &format!("bedrock.models[{i}]"),
                format!("model {m} is listed twice"),
            );
        }
    }
    let f = &s.function;
    if !(128..=10240).contains(&f.memory_mb) {
        bad(
            "function.memory_mb",
            format!("{} MB: Lambda takes 128 to 10240", f.memory_mb),
        );
    }
    if !(1..=900).contains(&f.timeout_seconds) {
        bad(
            "function.timeout_seconds",
            format!("{} s: Lambda takes 1 to 900", f.timeout_seconds),
        );
    }
    let corporate = match &s.corporate_access {
        None => None,
        Some(c) => match c.cidr {
            None => {
                bad(
                    "corporate_access.cidr",
                    "the corporate CIDR block is required".into(),
                );
                None
            }
            Some(cidr) => {
                if cidr.overlaps(&n.vpc_cidr) {
                    bad(
                        "corporate_access.cidr",
                        format!(
                            "corporate block {cidr} overlaps the VPC block {}",
                            n.vpc_cidr
                        ),
                    );
                }
                if let Some(id) = &c.direct_connect_gateway_id
                    && !is_uuid(id)
                {
                    bad(
                        "corporate_access.direct_connect_gateway_id",
                        format!(
                            "{id:?} is not a Direct Connect gateway id (a UUID such as 5f1a0c4e-9d3b-4a57-8e2f-0b6c1d2e3f40)"
                        ),
                    );
                }
                let mut principals = Vec::new();
                for (i, who) in c.principals.iter().enumerate() {
                    match who.parse::<CorporatePrincipal>() {
                        Ok(p) => principals.push(p),
                        Err(m) => bad(&format!("corporate_access.principals[{i}]"), m),
                    }
                }
                Some(CorporateAccess {
                    cidr,
                    amazon_side_asn: c.amazon_side_asn,
                    direct_connect_gateway_id: c.direct_connect_gateway_id.clone(),
                    dns: c.dns,
                    principals,
                })
            }
        },
    };
    let name_tag = format!("{blueprint}-{}", t.name);
    let database = s.database.as_ref().and_then(|d| {
        if !d.instance_class.starts_with("db.") {
            bad("database.instance_class", format!("{:?} is not an RDS instance class such as db.t4g.micro", d.instance_class));
        }
        if !(20..=65536).contains(&d.allocated_storage_gb) {
            bad("database.allocated_storage_gb", format!("{} GB: gp3 storage takes 20 to 65536", d.allocated_storage_gb));
        }
        let dn = &d.database_name;
        if dn.len() > 63 || !dn.starts_with(|c: char| c.is_ascii_alphabetic()) || !dn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            bad("database.database_name", format!("{dn:?} must start with a letter and hold only letters, digits and _ (at most 63)"));
        }
        if d.backup_retention_days > 35 {
            bad("database.backup_retention_days", format!("{} days: RDS keeps backups 0 to 35 days", d.backup_retention_days));
        }
        let mut read = |field: &str, file: &Option<String>, required: bool| match file {
            None if required => {
                bad(&format!("database.{field}"), "a file of SQL that makes the products table is required, relative to the blueprint (e.g. sql/products.sql)".into());
                String::new()
            }
            None => String::new(),
            Some(f) => match std::fs::read_to_string(base.join(f)) {
                Ok(text) => text,
                Err(e) => {
                    bad(&format!("database.{field}"), format!("cannot read {} (relative to the blueprint's folder): {e}", base.join(f).display()));
                    String::new()
                }
            },
        };
        let schema = SchemaSql {
            schema: read("schema", &d.schema, true),
            seed: read("seed", &d.seed, false),
        };
        if schema.schema.len() + schema.seed.len() > SCHEMA_SQL_LIMIT {
            bad("database.schema", format!("the schema and seed SQL are {} bytes; the template carries at most {SCHEMA_SQL_LIMIT}: load bulk data another way", schema.schema.len() + schema.seed.len()));
        }
        let s3_prefix_list = match &d.s3_prefix_list_id {
            None => {
                bad("database.s3_prefix_list_id", format!("S3's prefix list id in {} is required (aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.{}.s3)", t.region, t.region));
                None
            }
            Some(id) => id.parse::<PrefixListId>().map_err(|m| bad("database.s3_prefix_list_id", m)).ok(),
        };
        s3_prefix_list.map(|s3_prefix_list| DatabaseProps {
            name_tag: name_tag.clone(),
            instance_class: d.instance_class.clone(),
            engine_version: d.engine_version.clone(),
            allocated_storage_gb: d.allocated_storage_gb,
            database_name: d.database_name.clone(),
            multi_az: d.multi_az,
            backup_retention_days: d.backup_retention_days,
            deletion_protection: d.deletion_protection,
            schema,
            s3_prefix_list,
        })
    });
    if !p.is_empty() {
        return Err(p);
    }
    Ok(BedrockPrivateAccessProps {
        name: name_tag,
        vpc_cidr: n.vpc_cidr,
        azs,
        subnets,
        models: s.bedrock.models.clone(),
        endpoint_policy_effect: s.bedrock.endpoint_policy_effect,
        list_foundation_models: s.bedrock.list_foundation_models,
        corporate_access: corporate,
        function: FunctionSettings {
            runtime: f.runtime.as_str().to_string(),
            memory_mb: f.memory_mb,
            timeout_seconds: f.timeout_seconds,
            log_retention_days: f.log_retention_days.0,
            s3_code: f.code.as_ref().map(|c| (c.bucket.clone(), c.key.clone())),
            asset: f.asset.as_ref().map(|dir| AssetCode {
                label: dir.clone(),
                dir: base.join(dir),
            }),
        },
        flow_log_retention_days: n.flow_logs.retention_days.map(|d| d.0),
        database,
    })
}

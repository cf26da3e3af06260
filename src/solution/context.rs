//! Context: the values of an account and Region that a template cannot look up (service
//! prefix-list ids, Availability Zone ids, the organization id, the endpoint services
//! each zone offers), kept in the project's committed `perimeter.context.json` as the
//! CDK keeps `cdk.context.json`. `perimeter context refresh` writes it with the AWS SDK;
//! synth only reads it, so a synthesis never calls AWS and is the same on every machine.
//! A value that is not there is an error naming the command that fetches it.
//!
//! A solution reads the file through its [`TargetInfo`]:
//!
//! ```no_run
//! # fn f(t: &perimeter::solution::TargetInfo) -> Result<(), String> {
//! let s3 = t.prefix_list("s3")?; // pl-63a5400a in us-east-1
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TargetInfo;

/// Whether `v` is `prefix` then `min..=max` bytes that all pass `ok`.
fn shaped(v: &str, prefix: &str, min: usize, max: usize, ok: impl Fn(u8) -> bool) -> bool {
    v.strip_prefix(prefix)
        .is_some_and(|rest| (min..=max).contains(&rest.len()) && rest.bytes().all(ok))
}

/// Whether `v` reads as a Region name: lowercase words joined by `-`, the last a number.
fn region_shaped(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The file's name, in the project's folder (the blueprint folder's parent).
pub const FILE: &str = "perimeter.context.json";

/// The keyword a setting takes to have its value read from the context file.
pub const LOOKUP: &str = "lookup";

/// The endpoint services `context refresh` records unless told others: those the
/// built-in solutions and the usual data perimeters put behind endpoints.
pub const SERVICES: &[&str] = &[
    "bedrock",
    "bedrock-runtime",
    "dynamodb",
    "kms",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
];

/// The services whose managed prefix lists `context refresh` records (those with
/// gateway endpoints).
pub const PREFIX_LIST_SERVICES: &[&str] = &["dynamodb", "s3"];

/// The whole file: per account, its organization and its Regions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextFile {
    pub accounts: BTreeMap<String, AccountContext>,
}

/// What was looked up in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountContext {
    /// The organization the account is in (`o-...`); `null` when it is in none.
    pub organization_id: Option<String>,
    pub regions: BTreeMap<String, RegionContext>,
}

/// What was looked up in one Region of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionContext {
    /// AWS-managed prefix lists by service (`s3` → `pl-63a5400a`).
    pub prefix_lists: BTreeMap<String, String>,
    /// The account's Availability Zones (opted in, not Local Zones), by name.
    pub availability_zones: Vec<Zone>,
    /// Endpoint services by service (`bedrock-runtime`): their endpoint types and the
    /// zones that offer them.
    pub endpoint_services: BTreeMap<String, EndpointService>,
}

/// An Availability Zone: its name in this account and its id, the same physical zone
/// in every account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub name: String,
    pub id: String,
}

/// An endpoint service of a Region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointService {
    /// `Gateway`, `Interface`, ... sorted.
    pub types: Vec<String>,
    /// The zones (names) that offer it, sorted.
    pub zones: Vec<String>,
}

impl ContextFile {
    /// Reads a context file; `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<ContextFile>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let file: ContextFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: {e} (the file `{} context refresh` writes)",
                path.display(),
                e.line(),
                e.column(),
                crate::program::name()
            )
        })?;
        // The values go into templates (a prefix list into a security group rule, an
        // organization into a policy): a hand edit must not put anything else there.
        file.validate().map_err(|e| {
            format!(
                "{}: {e} (the file `{} context refresh` writes)",
                path.display(),
                crate::program::name()
            )
        })?;
        Ok(Some(file))
    }

    /// Each value in the shape AWS gives it; `Err` names the first that is not, by its
    /// path in the file.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |at: String, v: &str, what: &str| Err(format!("{at}: {v:?} is not {what}"));
        for (account, a) in &self.accounts {
            let at = format!("accounts.{account}");
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return bad(at, account, "an account id (12 digits)");
            }
            if let Some(o) = &a.organization_id
                && !shaped(o, "o-", 10, 32, |b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit()
                })
            {
                return bad(
                    format!("{at}.organization_id"),
                    o,
                    "an organization id (o- and 10 to 32 lowercase letters or digits)",
                );
            }
            for (region, r) in &a.regions {
                let at = format!("{at}.regions.{region}");
                if !region_shaped(region) {
                    return bad(at, region, "a Region name (like us-east-1)");
                }
                for (service, pl) in &r.prefix_lists {
                    if !shaped(pl, "pl-", 8, 17, |b| {
                        b.is_ascii_hexdigit() && !b.is_ascii_uppercase()
                    }) {
                        return bad(
                            format!("{at}.prefix_lists.{service}"),
                            pl,
                            "a prefix list id (pl- and 8 to 17 lowercase hex digits)",
                        );
                    }
                }
                for (i, z) in r.availability_zones.iter().enumerate() {
                    let zone_at = format!("{at}.availability_zones[{i}]");
                    let letter = z.name.strip_prefix(region.as_str());
                    if !matches!(letter, Some(l) if l.len() == 1 && l.bytes().all(|b| b.is_ascii_lowercase()))
                    {
                        return bad(
                            format!("{zone_at}.name"),
                            &z.name,
                            "a zone of the Region (like us-east-1a)",
                        );
                    }
                    let id_ok = z.id.split_once("-az").is_some_and(|(p, n)| {
                        (3..=8).contains(&p.len())
                            && p.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                            && !n.is_empty()
                            && n.bytes().all(|b| b.is_ascii_digit())
                    });
                    if !id_ok {
                        return bad(format!("{zone_at}.id"), &z.id, "a zone id (like use1-az1)");
                    }
                }
            }
        }
        Ok(())
    }

    /// The file's text: sorted keys, two-space indents, a final newline (byte-identical
    /// for the same values).
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("plain data serializes");
        s.push('\n');
        s
    }

    /// One account's Region.
    pub fn region(&self, account: &str, region: &str) -> Option<&RegionContext> {
        self.accounts.get(account)?.regions.get(region)
    }
}

impl TargetInfo {
    /// Where the target's context file is: in the project's folder (the blueprint
    /// folder's parent), as `perimeter context refresh` writes it.
    pub fn context_file(&self) -> PathBuf {
        context_file_of(&self.base)
    }

    /// The command that fills this target's context.
    pub fn refresh_command(&self) -> String {
        format!(
            "{} context refresh --target {}",
            crate::program::name(),
            self.target
        )
    }

    fn region_context(&self) -> Result<RegionContext, String> {
        let path = self.context_file();
        let file = ContextFile::read(&path)?.ok_or_else(|| {
            format!(
                "a lookup needs {}, which is not there: run `{}` (it asks AWS; synth never does), then commit the file",
                path.display(),
                self.refresh_command()
            )
        })?;
        file.region(&self.account, &self.region)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{} has nothing for account {} in {}: run `{}`",
                    path.display(),
                    self.account,
                    self.region,
                    self.refresh_command()
                )
            })
    }

    /// The AWS-managed prefix list of a service (`s3`, `dynamodb`) in the target's
    /// account and Region, from the context file.
    pub fn prefix_list(&self, service: &str) -> Result<String, String> {
        let r = self.region_context()?;
        r.prefix_lists.get(service).cloned().ok_or_else(|| {
            format!(
                "{} has no prefix list of com.amazonaws.{}.{service} for account {}: run `{}`",
                self.context_file().display(),
                self.region,
                self.account,
                self.refresh_command()
            )
        })
    }

    /// The target account's Availability Zones in its Region, from the context file.
    pub fn availability_zones(&self) -> Result<Vec<Zone>, String> {
        let zones = self.region_context()?.availability_zones;
        if zones.is_empty() {
            return Err(format!(
                "{} lists no Availability Zone for account {} in {}: run `{}`",
                self.context_file().display(),
                self.account,
                self.region,
                self.refresh_command()
            ));
        }
        Ok(zones)
    }

    /// An endpoint service of the target's Region (`bedrock-runtime`), from the
    /// context file; `Ok(None)` when the Region does not offer it.
    pub fn endpoint_service(&self, service: &str) -> Result<Option<EndpointService>, String> {
        Ok(self
            .region_context()?
            .endpoint_services
            .get(service)
            .cloned())
    }

    /// The organization of the target's account, from the context file.
    pub fn organization_id(&self) -> Result<String, String> {
        let path = self.context_file();
        let file = ContextFile::read(&path)?.ok_or_else(|| {
            format!(
                "a lookup needs {}, which is not there: run `{}`, then commit the file",
                path.display(),
                self.refresh_command()
            )
        })?;
        let account = file.accounts.get(&self.account).ok_or_else(|| {
            format!(
                "{} has nothing for account {}: run `{}`",
                path.display(),
                self.account,
                self.refresh_command()
            )
        })?;
        account.organization_id.clone().ok_or_else(|| {
            format!(
                "account {} is in no organization (as {} records)",
                self.account,
                path.display()
            )
        })
    }
}

/// The context file of blueprints in `base`: in the project's folder, its parent.
pub fn context_file_of(base: &Path) -> PathBuf {
    base.parent().unwrap_or(base).join(FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(base: &Path) -> TargetInfo {
        TargetInfo {
            blueprint: "app".into(),
            target: "dev".into(),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            stage: "dev".into(),
            base: base.join("blueprints"),
        }
    }

    #[test]
    fn a_hand_edited_value_of_another_shape_is_refused_with_its_path() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let good = r#"{"accounts": {"111111111111": {"organization_id": "o-a1b2c3d4e5",
            "regions": {"eu-west-1": {"prefix_lists": {"s3": "pl-6da54004"},
            "availability_zones": [{"name": "eu-west-1a", "id": "euw1-az1"}],
            "endpoint_services": {}}}}}}"#;
        std::fs::write(d.path().join(FILE), good).unwrap();
        assert_eq!(t.prefix_list("s3").unwrap(), "pl-6da54004");
        for (from, to, path) in [
            ("pl-6da54004", "sg-6da54004", "prefix_lists.s3"),
            ("pl-6da54004", "pl-6da54004 or 0.0.0.0/0", "prefix_lists.s3"),
            ("o-a1b2c3d4e5", "o-*", "organization_id"),
            (
                "euw1-az1",
                "euw1-az1 or anything",
                "availability_zones[0].id",
            ),
            (
                "\"eu-west-1a\"",
                "\"us-east-1a\"",
                "availability_zones[0].name",
            ),
        ] {
            std::fs::write(d.path().join(FILE), good.replace(from, to)).unwrap();
            let e = t.prefix_list("s3").unwrap_err();
            assert!(e.contains(path) && e.contains("is not"), "{to}: {e}");
        }
    }

    #[test]
    fn lookups_read_the_file_and_name_the_command_when_a_value_is_missing() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let e = t.prefix_list("s3").unwrap_err();
        assert!(
            e.contains("perimeter.context.json, which is not there")
                && e.contains("context refresh --target dev"),
            "{e}"
        );
        let mut file = ContextFile::default();
        let mut region = RegionContext::default();
        region
            .prefix_lists
            .insert("s3".into(), "pl-6ea54007".into());
        region.availability_zones = vec![Zone {
            name: "eu-west-1a".into(),
            id: "euw1-az3".into(),
        }];
        file.accounts.insert(
            "111111111111".into(),
            AccountContext {
                organization_id: None,
                regions: [("eu-west-1".to_string(), region)].into(),
            },
        );
        std::fs::write(d.path().join(FILE), file.to_text()).unwrap();
        assert_eq!(t.prefix_list("s3").unwrap(), "pl-6ea54007");
        assert_eq!(t.availability_zones().unwrap()[0].id, "euw1-az3");
        let e = t.prefix_list("dynamodb").unwrap_err();
        assert!(
            e.contains("no prefix list of com.amazonaws.eu-west-1.dynamodb"),
            "{e}"
        );
        assert!(t.organization_id().unwrap_err().contains("no organization"));
        let other = TargetInfo {
            region: "us-east-1".into(),
            ..t.clone()
        };
        let e = other.prefix_list("s3").unwrap_err();
        assert!(
            e.contains("nothing for account 111111111111 in us-east-1"),
            "{e}"
        );
        // Read back, the file is what was written, byte for byte.
        let back = ContextFile::read(&d.path().join(FILE)).unwrap().unwrap();
        assert_eq!(back.to_text(), file.to_text());
        // A damaged file is an error with its position.
        std::fs::write(d.path().join(FILE), "{\"accounts\": {\"1\": 3}}").unwrap();
        let e = t.prefix_list("s3").unwrap_err();
        assert!(e.contains("perimeter.context.json:1:"), "{e}");
    }
}

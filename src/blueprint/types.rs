//! Validated scalar types of a blueprint: names, account ids, regions, retention, zones.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::constructs::RETENTION_DAYS;

pub use crate::resources::regions;

macro_rules! string_type {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(StrVisitor::<$name>(std::marker::PhantomData))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

/// Accepts only YAML strings; a number gets a message telling to quote it (YAML reads
/// unquoted digits as a number and drops leading zeros).
struct StrVisitor<T>(std::marker::PhantomData<T>);

impl<T: FromStr<Err = crate::error::Invalid>> Visitor<'_> for StrVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Err(E::custom(format!(
            "{v} must be a quoted string (\"{v}\"): YAML reads unquoted digits as a number and drops leading zeros"
        )))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Err(E::custom(format!("{v} must be a quoted string")))
    }
}

string_type!(
    /// A lowercase name used in file names and tags: `dev`, `prod-eu`.
    Name,
    json_schema!({"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$"})
);

impl FromStr for Name {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        let r: Result<Self, String> = {
            let ok = (1..=63).contains(&s.len())
                && s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if ok {
                Ok(Name(s.to_string()))
            } else {
                Err(format!(
                    "{s:?} must be 1-63 lowercase letters, digits or '-', starting with a letter"
                ))
            }
        };
        r.map_err(crate::error::Invalid::from)
    }
}

string_type!(
    /// A 12-digit AWS account id.
    AccountId,
    json_schema!({"type": "string", "pattern": "^[0-9]{12}$", "description": "A 12-digit AWS account id, quoted"})
);

impl FromStr for AccountId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        {
            let r: Result<Self, String> = {
                if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(AccountId(s.to_string()))
                } else {
                    Err(format!(
                        "expected a 12-digit AWS account id, found {s:?} ({} characters)",
                        s.chars().count()
                    ))
                }
            };
            r
        }
        .map_err(crate::error::Invalid::from)
    }
}

string_type!(
    /// An AWS region the CloudFormation schemas know, e.g. `us-east-1`.
    Region,
    json_schema!({"type": "string", "enum": regions().collect::<Vec<_>>()})
);

impl FromStr for Region {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
            if regions().any(|r| r == s) {
                return Ok(Region(s.to_string()));
            }
            // Suggest the closest known names by shared prefix.
            let stem = s.rsplit_once('-').map_or(s, |(a, _)| a);
            let near: Vec<&str> = regions().filter(|r| r.starts_with(stem)).take(4).collect();
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(", "))
            };
            Err(format!("unknown AWS region {s:?}{hint}"))
        })()
        .map_err(crate::error::Invalid::from)
    }
}

/// Log retention in days, one of the values CloudWatch Logs accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetentionDays(pub u32);

impl<'de> Deserialize<'de> for RetentionDays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        if RETENTION_DAYS.contains(&n) {
            Ok(RetentionDays(n))
        } else {
            Err(de::Error::custom(format!(
                "{n} days is not a CloudWatch Logs retention; expected one of {RETENTION_DAYS:?}"
            )))
        }
    }
}

impl JsonSchema for RetentionDays {
    fn schema_name() -> Cow<'static, str> {
        "RetentionDays".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "enum": RETENTION_DAYS})
    }
}

/// Availability Zones: a count (the region's first N zones) or zone names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzSetting {
    Count(u32),
    Names(Vec<String>),
}

impl Serialize for AzSetting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AzSetting::Count(n) => s.serialize_u32(*n),
            AzSetting::Names(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for AzSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AzSetting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of zones (2) or a list of zone names ([us-east-1a, us-east-1b])",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AzSetting, E> {
                u32::try_from(v)
                    .map(AzSetting::Count)
                    .map_err(|_| E::custom("too many zones"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AzSetting, E> {
                Err(E::custom(format!("{v} is not a number of zones")))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<AzSetting, A::Error> {
                let mut names = Vec::new();
                while let Some(n) = seq.next_element::<String>()? {
                    names.push(n);
                }
                Ok(AzSetting::Names(names))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for AzSetting {
    fn schema_name() -> Cow<'static, str> {
        "AzSetting".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number of zones (the region's first N) or zone names",
            "oneOf": [
                {"type": "integer", "minimum": 2},
                {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$"}, "minItems": 2}
            ]
        })
    }
}

/// VPC flow logs: `false` (off), `true` (on, kept 365 days) or `{retention_days: N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLogsSetting {
    /// Days the flow logs are kept; `None`: off.
    pub retention_days: Option<RetentionDays>,
}

impl Default for FlowLogsSetting {
    fn default() -> Self {
        FlowLogsSetting {
            retention_days: Some(RetentionDays(365)),
        }
    }
}

impl Serialize for FlowLogsSetting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.retention_days {
            None => s.serialize_bool(false),
            Some(d) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("retention_days", &d)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for FlowLogsSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FlowLogsSetting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("false, true, or {retention_days: N}")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<FlowLogsSetting, E> {
                Ok(if on {
                    FlowLogsSetting::default()
                } else {
                    FlowLogsSetting {
                        retention_days: None,
                    }
                })
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FlowLogsSetting, A::Error> {
                let mut days = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "retention_days" => days = Some(map.next_value::<RetentionDays>()?),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown field `{other}`, expected `retention_days`"
                            )));
                        }
                    }
                }
                Ok(FlowLogsSetting {
                    retention_days: Some(days.unwrap_or(RetentionDays(365))),
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for FlowLogsSetting {
    fn schema_name() -> Cow<'static, str> {
        "FlowLogsSetting".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "VPC flow logs to CloudWatch Logs: false (off), true (kept 365 days) or {retention_days: N}",
            "oneOf": [
                {"type": "boolean"},
                {"type": "object", "additionalProperties": false, "properties": {"retention_days": {"type": "integer", "enum": RETENTION_DAYS}}}
            ]
        })
    }
}

string_type!(
    /// A CloudFormation stack name: a letter, then letters, digits and '-', up to 128.
    StackName,
    json_schema!({"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9-]{0,127}$"})
);

impl FromStr for StackName {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        {
            let r: Result<Self, String> = {
                let ok = (1..=128).contains(&s.len())
                    && s.starts_with(|c: char| c.is_ascii_alphabetic())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if ok {
                    Ok(StackName(s.to_string()))
                } else {
                    Err(format!(
                        "{s:?} is not a stack name: a letter, then up to 127 letters, digits or '-'"
                    ))
                }
            };
            r
        }
        .map_err(crate::error::Invalid::from)
    }
}

string_type!(
    /// An IAM role to assume for a target: `arn:<partition>:iam::<account>:role/<name>`.
    RoleArn,
    json_schema!({"type": "string", "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"})
);

impl FromStr for RoleArn {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        let r: Result<Self, String> = {
            let parts: Vec<&str> = s.splitn(6, ':').collect();
            let ok = parts.len() == 6
                && parts[0] == "arn"
                && parts[1].starts_with("aws")
                && parts[2] == "iam"
                && parts[3].is_empty()
                && parts[4].len() == 12
                && parts[4].bytes().all(|b| b.is_ascii_digit())
                && parts[5]
                    .strip_prefix("role/")
                    .is_some_and(|n| !n.is_empty());
            if ok {
                Ok(RoleArn(s.to_string()))
            } else {
                Err(format!(
                    "{s:?} is not a role ARN: expected arn:aws:iam::<12-digit account>:role/<name>"
                ))
            }
        };
        r.map_err(crate::error::Invalid::from)
    }
}

impl RoleArn {
    /// The account the role is in.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }
}

/// Whether every character of `s` is a letter, a digit or one of `extra`.
fn word_or(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

string_type!(
    /// The session name of an assumed role, as CloudTrail shows who deployed: 2 to 64
    /// letters, digits or `_+=,.@-`.
    SessionName,
    json_schema!({"type": "string", "pattern": "^[A-Za-z0-9_+=,.@-]{2,64}$"})
);

impl FromStr for SessionName {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        if (2..=64).contains(&s.len()) && word_or(s, "+=,.@-") {
            Ok(SessionName(s.to_string()))
        } else {
            Err(crate::error::Invalid::from(format!(
                "{s:?} is not a role session name: 2 to 64 letters, digits or _+=,.@-"
            )))
        }
    }
}

string_type!(
    /// The external id a role's trust policy asks of whoever assumes it: 2 to 1224
    /// letters, digits or `_+=,.@:/-`.
    ExternalId,
    json_schema!({"type": "string", "pattern": "^[A-Za-z0-9_+=,.@:/-]{2,1224}$"})
);

impl FromStr for ExternalId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        if (2..=1224).contains(&s.len()) && word_or(s, "+=,.@:/-") {
            Ok(ExternalId(s.to_string()))
        } else {
            Err(crate::error::Invalid::from(format!(
                "{s:?} is not an external id: 2 to 1224 letters, digits or _+=,.@:/-"
            )))
        }
    }
}

string_type!(
    /// An organizational unit id (`ou-ab12-cd34ef56`) or an organization's root id
    /// (`r-ab12`), as AWS Organizations writes them.
    OuId,
    json_schema!({"type": "string", "pattern": "^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$"})
);

impl FromStr for OuId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        let alnum = |t: &str, lo: usize| {
            (lo..=32).contains(&t.len())
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        let ok = match s.split('-').collect::<Vec<_>>().as_slice() {
            ["ou", root, unit] => alnum(root, 4) && alnum(unit, 8),
            ["r", root] => alnum(root, 4),
            _ => false,
        };
        if ok {
            Ok(OuId(s.to_string()))
        } else {
            Err(crate::error::Invalid::from(format!(
                "{s:?} is not an organizational unit id (ou-ab12-cd34ef56) nor a root id (r-ab12)"
            )))
        }
    }
}

string_type!(
    /// An IPAM pool id, `ipam-pool-` and hex digits.
    IpamPoolId,
    json_schema!({"type": "string", "pattern": "^ipam-pool-[0-9a-f]{1,32}$"})
);

impl FromStr for IpamPoolId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        match s.strip_prefix("ipam-pool-") {
            Some(h)
                if (1..=32).contains(&h.len())
                    && h.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) =>
            {
                Ok(IpamPoolId(s.to_string()))
            }
            _ => Err(crate::error::Invalid::from(format!(
                "{s:?} is not an IPAM pool id (ipam-pool- and lowercase hex digits)"
            ))),
        }
    }
}

//! What a Bedrock caller names as its model, validated where it is written: a foundation
//! model id, a system (cross-Region) inference profile id, or an application inference
//! profile's ARN; and the resources IAM must admit for each (AWS's inference-profile
//! prerequisites: the profile and its model in every destination Region).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::template::typed::{Str, fns};

/// The geographies of system inference profiles, the prefix of their ids.
pub const PROFILE_GEOGRAPHIES: &[&str] =
    &["us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"];

/// What a model id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// `provider.model[:version]`, invoked in the caller's Region.
    Foundation,
    /// `<geography>.provider.model[:version]`, routed to the geography's Regions.
    SystemProfile,
    /// `arn:<partition>:bedrock:<region>:<account>:application-inference-profile/<id>`.
    ApplicationProfile,
}

/// A Bedrock model as a caller names it: a foundation model id, a system inference
/// profile id or an application inference profile ARN.
///
/// ```
/// use perimeter::constructs::{ModelId, ModelKind};
/// assert!("anthropic.claude-instant-v1".parse::<ModelId>().is_ok());
/// let p: ModelId = "us.anthropic.claude-haiku-4-5-20251001-v1:0".parse().unwrap();
/// assert_eq!(p.kind(), ModelKind::SystemProfile);
/// assert_eq!(p.foundation_model(), Some("anthropic.claude-haiku-4-5-20251001-v1:0"));
/// let a: ModelId = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6".parse().unwrap();
/// assert_eq!(a.kind(), ModelKind::ApplicationProfile);
/// assert!("claude".parse::<ModelId>().is_err());
/// assert!("arn:aws:bedrock:us-east-1:123456789012:foundation-model/x".parse::<ModelId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelId(String);

fn is_foundation(s: &str) -> bool {
    s.len() <= 128
        && s.split_once('.').is_some_and(|(provider, model)| {
            !provider.is_empty()
                && provider
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && model
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
                && model
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'))
        })
}

/// The geography prefix of a system profile id, when `s` is one.
fn geography(s: &str) -> Option<&'static str> {
    let (geo, rest) = s.split_once('.')?;
    let g = PROFILE_GEOGRAPHIES.iter().find(|g| **g == geo)?;
    is_foundation(rest).then_some(*g)
}

fn is_application_profile(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "bedrock"
        && !parts[3].is_empty()
        && parts[3]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("application-inference-profile/")
            .is_some_and(|id| {
                !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
            })
}

impl ModelId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the id names.
    pub fn kind(&self) -> ModelKind {
        if self.0.starts_with("arn:") {
            ModelKind::ApplicationProfile
        } else if geography(&self.0).is_some() {
            ModelKind::SystemProfile
        } else {
            ModelKind::Foundation
        }
    }

    /// A system profile's geography (`us`, `eu`, `global`, ...).
    pub fn geography(&self) -> Option<&'static str> {
        geography(&self.0)
    }

    /// The foundation model a foundation id or a system profile invokes.
    pub fn foundation_model(&self) -> Option<&str> {
        match self.kind() {
            ModelKind::Foundation => Some(&self.0),
            ModelKind::SystemProfile => self.0.split_once('.').map(|(_, m)| m),
            ModelKind::ApplicationProfile => None,
        }
    }

    /// The ARN a caller invokes: the foundation model in the stack's Region, the system
    /// profile in the stack's Region and account, or the application profile's ARN.
    pub fn arn(&self) -> Str {
        match self.kind() {
            ModelKind::Foundation => fns::sub(&format!(
                "arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{}",
                self.0
            )),
            ModelKind::SystemProfile => fns::sub(&format!(
                "arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:inference-profile/{}",
                self.0
            )),
            ModelKind::ApplicationProfile => Str::from(self.0.as_str()),
        }
    }

    /// Every ARN IAM must admit to invoke this id, given the Regions a profile routes to
    /// (`destinations`; ignored for a foundation model): the id's own ARN and, for a
    /// profile, its foundation model in each destination Region (for a global profile
    /// also the Region-less model ARN AWS documents for global cross-Region inference).
    pub fn resources(&self, destinations: &[String]) -> Vec<Str> {
        let mut out = vec![self.arn()];
        if let (ModelKind::SystemProfile, Some(model)) = (self.kind(), self.foundation_model()) {
            for r in destinations {
                out.push(fns::sub(&format!(
                    "arn:${{AWS::Partition}}:bedrock:{r}::foundation-model/{model}"
                )));
            }
            if self.geography() == Some("global") {
                out.push(fns::sub(&format!(
                    "arn:${{AWS::Partition}}:bedrock:::foundation-model/{model}"
                )));
            }
        }
        out
    }
}

impl FromStr for ModelId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        let ok = if s.starts_with("arn:") {
            is_application_profile(s)
        } else {
            is_foundation(s)
        };
        if ok {
            Ok(ModelId(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a Bedrock model: a foundation model id (anthropic.claude-haiku-4-5-20251001-v1:0), a system inference profile id (us.anthropic.claude-haiku-4-5-20251001-v1:0) or an application inference profile ARN (arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>)"
            )
            .into())
        }
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for ModelId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ModelId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for ModelId {
    fn schema_name() -> Cow<'static, str> {
        "ModelId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A Bedrock foundation model id (provider.model[:version]), a system inference profile id (us., eu., apac., jp., au., ca., us-gov., global. and a model id) or an application inference profile ARN",
            "pattern": r"^([a-z0-9-]+\.[A-Za-z0-9][A-Za-z0-9.:-]*|arn:aws[a-z-]*:bedrock:[a-z0-9-]+:[0-9]{12}:application-inference-profile/[A-Za-z0-9]+)$",
            "examples": ["us.anthropic.claude-haiku-4-5-20251001-v1:0"]
        })
    }
}

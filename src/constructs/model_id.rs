//! Bedrock foundation model ids, validated where they are written.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::template::typed::{Str, fns};

/// A Bedrock foundation model id, `provider.model[:version]`.
///
/// ```
/// use perimeter::constructs::ModelId;
/// assert!("anthropic.claude-instant-v1".parse::<ModelId>().is_ok());
/// assert!("anthropic.claude-3-5-sonnet-20240620-v1:0".parse::<ModelId>().is_ok());
/// assert!("claude".parse::<ModelId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelId(String);

impl ModelId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The foundation-model ARN in any region of the stack's partition.
    pub fn arn(&self) -> Str {
        fns::sub(&format!(
            "arn:${{AWS::Partition}}:bedrock:*::foundation-model/{}",
            self.0
        ))
    }
}

impl FromStr for ModelId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        let ok = s.len() <= 128
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
            });
        if ok {
            Ok(ModelId(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is not a Bedrock model id such as anthropic.claude-instant-v1 (provider.model[:version])"
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
            "description": "A Bedrock foundation model id, provider.model[:version]",
            "pattern": r"^[a-z0-9-]+\.[A-Za-z0-9][A-Za-z0-9.:-]*$",
            "examples": ["anthropic.claude-instant-v1"]
        })
    }
}

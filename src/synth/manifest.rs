//! `out/manifest.json`: what was synthesized, for which account and region, and its hash.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SynthError;

pub const MANIFEST_FILE: &str = "manifest.json";

/// One synthesized template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub blueprint: String,
    pub target: String,
    pub account: String,
    pub region: String,
    pub stage: String,
    /// Relative to the out folder.
    pub path: String,
    /// Of the file's bytes, hex.
    pub sha256: String,
    /// What the template is for; a stack's when absent.
    #[serde(default, skip_serializing_if = "Kind::is_stack")]
    pub kind: Kind,
    /// The function code assets the template names (deploy uploads them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<AssetEntry>,
}

/// What a synthesized template is deployed as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A stack of the target's account and Region (`account`, `region`).
    #[default]
    Stack,
    /// The template of an organizational-unit target's StackSet, deployed to every
    /// account of its units; `account` and `region` are the StackSet's administrator's.
    StackSet,
    /// A template for the administrator account declaring the StackSet as an
    /// `AWS::CloudFormation::StackSet` resource (for pipelines).
    StackSetResource,
}

impl Kind {
    fn is_stack(&self) -> bool {
        *self == Kind::Stack
    }
}

/// An asset a template names: its key in the bootstrap bucket (the hash of its
/// inputs) and the packages it pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetEntry {
    /// The folder it is made from, as the blueprint names it, or a built-in name.
    pub source: String,
    /// `assets/<hash>.zip`.
    pub key: String,
    /// Its requirements.txt, `name==version` each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
}

/// The manifest: entries sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub artifacts: Vec<Entry>,
}

impl Manifest {
    /// The manifest in `dir`, or an empty one when there is none.
    pub fn read(dir: &Path) -> Result<Manifest, SynthError> {
        let path = dir.join(MANIFEST_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                SynthError::Manifest(format!(
                    "{}: {e}; remove it and synthesize every blueprint",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(SynthError::Io(crate::io_error::IoError::new(
                "read", path, e,
            ))),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

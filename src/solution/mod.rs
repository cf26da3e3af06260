//! Solutions: what a blueprint instantiates. A solution is a settings type (serde +
//! schemars), the checks that span its fields, and a build of one target's stack from
//! the settings; optionally what `perimeter check` should expect of the result. The
//! built-in ones are in [`crate::solutions`]; a user's crate implements [`Solution`] for
//! its own and registers it with an [`crate::app::App`], which runs the same command line.
//!
//! ```
//! use perimeter::constructs::{ConstructError, Stack};
//! use perimeter::solution::{Problem, Solution, TargetInfo};
//!
//! /// A stack with one log group, kept as long as a target says.
//! struct Logs;
//!
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
//! #[serde(deny_unknown_fields, default)]
//! struct LogsSettings { retention_days: u32 }
//! impl Default for LogsSettings { fn default() -> Self { LogsSettings { retention_days: 30 } } }
//!
//! impl Solution for Logs {
//!     type Settings = LogsSettings;
//!     type Props = u32;
//!     const NAME: &'static str = "logs";
//!     const ABOUT: &'static str = "One log group";
//!     fn resolve(&self, s: &LogsSettings, _: &TargetInfo) -> Result<u32, Vec<Problem>> {
//!         if s.retention_days == 0 {
//!             return Err(vec![Problem::new("retention_days", "must be at least 1")]);
//!         }
//!         Ok(s.retention_days)
//!     }
//!     fn build(&self, days: &u32, t: &TargetInfo) -> Result<Stack, ConstructError> {
//!         let mut stack = Stack::new(&format!("Logs of {}", t.target));
//!         stack.add("Logs", perimeter::resources::logs::LogGroup::new().retention_in_days(*days))?;
//!         Ok(stack)
//!     }
//! }
//! ```

pub mod context;
mod erased;
mod partial;
mod registry;

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::check::Context;
use crate::check::perimeters::Claim;
use crate::constructs::{ConstructError, Stack};

pub use erased::{AnySolution, Resolved};
pub use partial::partial as partial_schema;
pub use registry::Solutions;

/// The target a solution builds for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The blueprint's name (its file stem).
    pub blueprint: String,
    pub target: String,
    pub account: String,
    pub region: String,
    pub stage: String,
    /// The blueprint's folder: files a blueprint names are relative to it.
    pub base: PathBuf,
}

impl TargetInfo {
    /// `<blueprint>-<target>`, a name prefix for tags.
    pub fn name(&self) -> String {
        format!("{}-{}", self.blueprint, self.target)
    }
}

/// A problem with a target's settings: the field path relative to the settings
/// (`network.subnets[1]`) and what was expected. The blueprint loader turns it into a
/// located error (file:line:column, at the target's override or the shared setting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A solution a blueprint can instantiate (`solution: <NAME>`).
pub trait Solution: Send + Sync + 'static {
    /// What a blueprint's `settings:` holds; a target's `overrides` change only the fields
    /// they name (merged field by field, at any depth, before this type is read), so no
    /// second "patch" type is needed. Unknown keys should be errors
    /// (`#[serde(deny_unknown_fields)]`), and `#[serde(default)]` lets a blueprint leave
    /// fields out.
    type Settings: Serialize + DeserializeOwned + JsonSchema + Default;
    /// What the settings resolve to for one target: what [`Solution::build`] takes.
    type Props: Send + Sync + 'static;
    /// The `solution:` value, kebab-case.
    const NAME: &'static str;
    /// One line for `perimeter list`, `init` and the JSON Schema.
    const ABOUT: &'static str;

    /// Checks that span fields, and anything read from files (relative to
    /// `target.base`); every problem at once, each with its field path.
    fn resolve(
        &self,
        settings: &Self::Settings,
        target: &TargetInfo,
    ) -> Result<Self::Props, Vec<Problem>>;

    /// One target's stack: its template and the assets it names.
    fn build(&self, props: &Self::Props, target: &TargetInfo) -> Result<Stack, ConstructError>;

    /// What `perimeter check` should know of a target: the intended endpoint effect,
    /// declared networks and callers, and access scenarios of the solution's own
    /// (see [`crate::check::Scenario`]).
    fn check_context(&self, _props: &Self::Props, _target: &TargetInfo, _ctx: &mut Context) {}

    /// Settings that cannot be the same in every account of an organizational-unit
    /// target (one template, deployed by a StackSet to every account of its units in
    /// `regions`): each a problem at its field path saying which setting and why. The
    /// default finds none; the blueprint checks the built template itself as well (it
    /// names no account, carries no assets, and is one template for every Region).
    fn org_problems(&self, _settings: &Self::Settings, _regions: &[String]) -> Vec<Problem> {
        Vec::new()
    }

    /// What the solution claims of a target's template beyond the three data perimeters
    /// (only these principals, only these resources, only through this endpoint):
    /// `perimeter check` (profile `private`) and `perimeter prove` decide each for every
    /// request. None by default.
    fn claims(&self, _props: &Self::Props, _target: &TargetInfo) -> Vec<Claim> {
        Vec::new()
    }

    /// The starter blueprint `perimeter init` writes; `{ACCOUNT}` and `{REGION}` are
    /// filled in. The default shows the settings' defaults.
    fn starter(&self) -> String {
        starter_from_defaults::<Self::Settings>(Self::NAME, Self::ABOUT)
    }
}

/// A starter blueprint showing a settings type's defaults.
pub fn starter_from_defaults<S: Serialize + Default>(name: &str, about: &str) -> String {
    let settings = serde_yaml::to_string(&S::default()).unwrap_or_default();
    let indented: String = settings.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "# yaml-language-server: $schema=../schema/blueprint.schema.json\n#\n# {about}\nsolution: {name}\n\n# Shared by every target; a target's `overrides` change only what they name.\nsettings:\n{indented}\ntargets:\n  - name: dev\n    account: \"{{ACCOUNT}}\"\n    region: {{REGION}}\n    stage: dev\n"
    )
}

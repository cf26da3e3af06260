//! `.perimeter.yaml`: a project's defaults for the command line (flags win).
//!
//! ```yaml
//! check:
//!   profile: baseline        # or private (the default)
//!   only: [schema, references]
//!   ignore: [N401, open-ingress]
//! ```

use std::path::Path;

use serde::Deserialize;

/// The file looked for in the current folder.
pub const FILE: &str = ".perimeter.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub check: CheckConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    pub profile: Option<String>,
    #[serde(default)]
    pub only: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// The configuration in `path`, or the default when there is none; an error names the
/// file, the line and column, and what was expected.
pub fn load(path: &Path) -> Result<Config, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(crate::io_error::IoError::new("read", path, e).to_string()),
    };
    serde_yaml::from_str(&text).map_err(|e| match e.location() {
        Some(l) => format!("{}:{}:{}: {e}", path.display(), l.line(), l.column()),
        None => format!("{}: {e}", path.display()),
    })
}

//! Blueprints: YAML files in `blueprints/` that instantiate a solution for targets
//! (account, region, stage) with their own values. The file's shape is the same for
//! every solution; its `settings` (and each target's `overrides`, merged in field by
//! field) are read into the solution's own settings type, and `perimeter schema` prints
//! the JSON Schema of all of it for the solutions a program knows.

mod load;
mod merge;
mod org;
mod scenario;
mod schema;
mod types;

pub use load::{Blueprint, BlueprintError, BlueprintFile, CheckSettings, Target};
pub use merge::merge;
pub use org::{
    Administrator, NO_ACCOUNT, OperationPreferences, OrgResolved, OrgTarget, ParameterOverride,
    RegionConcurrency,
};
pub use scenario::ScenarioSpec;
pub use schema::json_schema;
pub use types::{
    AccountId, AzSetting, ExternalId, FlowLogsSetting, IpamPoolId, Name, OuId, Region,
    RetentionDays, RoleArn, SessionName, StackName, regions,
};
/// The blueprint files (`*.yaml`, `*.yml`) directly in `dir`, sorted by name.
pub fn discover(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, crate::error::Invalid> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| crate::io_error::IoError::new("list", dir, e).to_string())?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    let mut stems = std::collections::BTreeSet::new();
    for f in &files {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if !stems.insert(stem.to_string()) {
            return Err(format!(
                "{}: two blueprint files are named {stem}; names must be unique",
                dir.display()
            )
            .into());
        }
    }
    Ok(files)
}

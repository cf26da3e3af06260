//! Blueprints: YAML files in `blueprints/` that instantiate a solution for targets
//! (account, region, stage) with their own values, validated against types whose JSON
//! Schema `perimeter schema` prints.

mod load;
mod settings;
mod types;

pub use load::{Blueprint, BlueprintError, BlueprintFile, CheckSettings, Solution, Target};
pub use settings::*;
pub use types::{AccountId, AzSetting, Name, Region, RetentionDays, regions};

/// The JSON Schema of blueprint files, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(BlueprintFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The blueprint files (`*.yaml`, `*.yml`) directly in `dir`, sorted by name.
pub fn discover(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, String> {
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
            ));
        }
    }
    Ok(files)
}

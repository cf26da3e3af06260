//! `perimeter list`.

use super::output::outln;
use super::{EXIT_OK, Sources};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sources: Sources,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    let blueprints = match a.sources.load(app) {
        Ok(b) => b,
        Err(code) => return code,
    };
    if a.json {
        let v: Vec<serde_json::Value> = blueprints
            .iter()
            .map(|b| serde_json::json!({"blueprint": b.name.as_str(), "file": b.file, "targets": b.spec.targets, "org_targets": b.spec.org_targets}))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return EXIT_OK;
    }
    for b in &blueprints {
        outln!("{} ({})", b.name, b.file);
        for t in &b.spec.targets {
            outln!(
                "  {:<16} {}  {:<16} {}",
                t.name.as_str(),
                t.account,
                t.region.as_str(),
                t.stage
            );
        }
        for t in &b.spec.org_targets {
            let units: Vec<&str> = t.organizational_units.iter().map(|u| u.as_str()).collect();
            let regions: Vec<&str> = t.regions.iter().map(|r| r.as_str()).collect();
            outln!(
                "  {:<16} {} (StackSet from {} {}) in {}  {}",
                t.name.as_str(),
                units.join(", "),
                t.administrator.account,
                t.administrator.region.as_str(),
                regions.join(", "),
                t.stage
            );
        }
    }
    EXIT_OK
}

//! Lambda runtimes past their deprecation, as cfn-lint judges them (E2531, E2533,
//! W2531), from the lifecycle dates distilled from the pinned cfn-lint
//! (data/lambda-runtimes.json): for functions and SAM functions, and the runtime SAM's
//! Globals give them.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{Finding, Severity, rules};
use crate::template::{Template, Value};

static DATA: &str = include_str!("../../data/lambda-runtimes.json");

#[derive(Deserialize)]
struct Lifecycle {
    deprecated: String,
    #[serde(rename = "create-block")]
    create_block: String,
    #[serde(rename = "update-block")]
    update_block: String,
    /// None for the newest of a family.
    successor: Option<String>,
}

fn lifecycles() -> &'static BTreeMap<String, Lifecycle> {
    static L: OnceLock<BTreeMap<String, Lifecycle>> = OnceLock::new();
    L.get_or_init(|| serde_json::from_str(DATA).expect("data/lambda-runtimes.json is valid"))
}

/// Today's date, `YYYY-MM-DD`, from the system clock (UTC).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// The date of a day counted from 1970-01-01 (Howard Hinnant's civil-from-days).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// What a runtime's lifecycle says today, if anything.
fn verdict(runtime: &str, today: &str) -> Option<(Severity, String)> {
    let l = lifecycles().get(runtime)?;
    let (severity, state) = if l.update_block.as_str() <= today {
        (
            Severity::Error,
            format!(
                "updating functions with it is blocked since {}",
                l.update_block
            ),
        )
    } else if l.create_block.as_str() <= today {
        (
            Severity::Error,
            format!(
                "creating functions with it is blocked since {}, updating from {}",
                l.create_block, l.update_block
            ),
        )
    } else if l.deprecated.as_str() <= today {
        (
            Severity::Warning,
            format!(
                "creation is blocked from {}, updates from {}",
                l.create_block, l.update_block
            ),
        )
    } else {
        return None;
    };
    let to = match &l.successor {
        Some(s) => format!(": move to {s}"),
        None => String::new(),
    };
    Some((
        severity,
        format!(
            "runtime {runtime} was deprecated on {}; {state}{to}",
            l.deprecated
        ),
    ))
}

/// The runtimes the Lambda schema admits.
fn lambda_runtimes() -> Option<Vec<String>> {
    let f = crate::resources::facts::lookup("AWS::Lambda::Function")?;
    let e = f.property("Runtime")?.e.as_ref()?;
    Some(
        e.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

pub fn check(t: &Template, today: &str, out: &mut Vec<Finding>) {
    let global = t
        .globals
        .get("Function")
        .and_then(Value::as_map)
        .and_then(|m| m.get("Runtime"))
        .and_then(Value::as_str);
    let known = lambda_runtimes().unwrap_or_default();
    for (id, r) in &t.resources {
        let sam = match r.resource_type.as_str() {
            "AWS::Lambda::Function" => false,
            "AWS::Serverless::Function" => true,
            _ => continue,
        };
        let (runtime, path) = match r.properties.get("Runtime").and_then(Value::as_str) {
            Some(rt) => (rt, "Properties.Runtime".to_string()),
            None => match (sam, global) {
                (true, Some(rt)) => (rt, "Globals.Function.Runtime".to_string()),
                _ => continue,
            },
        };
        // A Lambda function's runtime is judged against the schema with its other
        // properties; SAM passes its own functions' runtimes through unchecked.
        let at = |rule, message| {
            if path.starts_with("Globals") {
                Finding::new(rule, Some(id.as_str()), path.clone(), message)
            } else {
                Finding::on(rule, id.as_str(), &path, message)
            }
        };
        if sam && !known.is_empty() && !known.iter().any(|k| k == runtime) {
            let message = format!(
                "runtime {runtime:?} is not one Lambda knows: {}",
                known.join(", ")
            );
            out.push(at(rules::NOT_ALLOWED, message));
            continue;
        }
        if let Some((severity, message)) = verdict(runtime, today) {
            out.push(at(rules::DEPRECATED_RUNTIME, message).severity(severity));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(19_782), "2024-02-29");
        assert_eq!(civil(20_782), "2026-11-25");
        assert!(today().as_str() >= "2026-01-01");
    }
}

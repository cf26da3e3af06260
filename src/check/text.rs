//! Checking a template file's text as it is: its read issues, template suppressions and
//! the notes on what macros and modules leave unjudged. (Blueprints' targets are checked
//! by [`crate::project::check_blueprints`].)

use super::render::FileReport;
use super::{Context, check, place, syntax_error};
use crate::template::{self, Template};

/// Checks one template's text; `file` names it in the report.
pub fn check_text(file: &str, text: &str, ctx: &Context) -> FileReport {
    let mut report = FileReport {
        file: file.to_string(),
        ..Default::default()
    };
    // Positions come from the parsed tree. A large text's locator is made from the one
    // reading that the template is decoded from (most templates worth checking have
    // findings, and a second reading of the 500-resource template cost 11.7 M instructions); a
    // small one is read again only when there are findings.
    let large = text.len() >= 64 * 1024;
    let read = if large {
        Template::parse_recovering_located(text)
    } else {
        Template::parse_recovering(text).map(|(t, issues)| (t, issues, None))
    };
    match read {
        Ok((t, issues, located)) => {
            report.notes = unjudged(&t);
            let mut r = check(&t, text, ctx);
            // A nested stack's child, as a file beside this one.
            let dir = std::path::Path::new(file)
                .parent()
                .unwrap_or(std::path::Path::new(""));
            report
                .notes
                .extend(super::nested::check(&t, dir, &mut r.findings));
            super::sort(&mut r.findings);
            r.findings
                .splice(0..0, issues.iter().map(super::read_issue));
            let (findings, suppressed) = super::template_suppress::apply(&t, r.findings);
            report.findings = findings;
            report.suppressed = suppressed;
            report.access = r.access;
            if report.findings.is_empty() {
                return report;
            }
            let l = if large {
                located
            } else {
                template::Locator::new(text)
            };
            if let Some(l) = l {
                place(&mut report.findings, &l);
            }
        }
        Err(e) => report.findings.push(syntax_error(&e)),
    }
    report
}

/// What a template's macros and modules leave unjudged, in words.
fn unjudged(t: &Template) -> Vec<String> {
    let mut notes = Vec::new();
    if t.transforms() == crate::template::Transforms::Macros {
        let names: Vec<String> = match &t.transform {
            Some(template::Value::List(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map_or_else(|| "a macro call".to_string(), str::to_string)
                })
                .collect(),
            Some(template::Value::String(s)) => vec![s.clone()],
            _ => vec!["a macro call".to_string()],
        };
        notes.push(format!(
            "the template calls {}: what a macro adds, changes or removes is not judged, and references to names it may create are accepted",
            names.join(", ")
        ));
    }
    let modules: Vec<&str> = t
        .resources
        .iter()
        .filter(|(_, r)| r.resource_type.as_str().ends_with("::MODULE"))
        .map(|(id, _)| id.as_str())
        .collect();
    if !modules.is_empty() {
        notes.push(format!(
            "modules ({}) expand into resources this check does not see; references to them are accepted",
            modules.join(", ")
        ));
    }
    notes
}

/// The partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

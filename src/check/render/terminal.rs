//! The terminal view: findings the way compilers print them, then the access table.

use std::fmt::Write;

use super::{FileReport, summary};
use crate::check::{Finding, Severity};

/// Colors on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn finding(out: &mut String, f: &Finding, file: &str, style: Style, note: Option<&str>) {
    let (word, code) = match f.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let head = format!("{word}[{} {}]", f.rule.id, f.rule.name);
    let _ = writeln!(out, "{}: {}", style.paint(code, &head), f.message);
    let at = match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        _ => file.to_string(),
    };
    let path = if f.path.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.path)
    };
    let _ = writeln!(out, "  --> {at}{path}");
    let _ = writeln!(out, "  = fix: {}", f.fix);
    if let Some(w) = &f.witness {
        let _ = writeln!(out, "  = witness (a request for perimeter simulate): {w}");
    }
    if let Some(reason) = note {
        let _ = writeln!(out, "  = suppressed: {reason}");
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn table(out: &mut String, rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let mut line = String::from("  ");
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// The run for a terminal; `verbose` also lists suppressed findings.
pub fn to_terminal(files: &[FileReport], style: Style, verbose: bool) -> String {
    let mut out = String::new();
    for f in files {
        let mut title = f.file.clone();
        if let (Some(t), Some(d)) = (&f.target, &f.deployment) {
            let _ = write!(title, " (target {t}, {d})");
        }
        let _ = writeln!(out, "{}", style.paint("1", &title));
        for n in &f.notes {
            let _ = writeln!(out, "  {}: {n}", style.paint("36", "note"));
        }
        for x in &f.findings {
            finding(&mut out, x, &f.file, style, None);
        }
        if verbose {
            for s in &f.suppressed {
                finding(&mut out, &s.finding, &f.file, style, Some(&s.reason));
            }
        }
        if !f.access.is_empty() {
            let _ = writeln!(
                out,
                "  access simulation (IAM evaluator, before deployment):"
            );
            let mut rows = vec![vec![
                "scenario".to_string(),
                "caller".into(),
                "via".into(),
                "expected".into(),
                "result".into(),
                String::new(),
            ]];
            for r in &f.access {
                let mark = if r.holds {
                    style.paint("32", "ok")
                } else {
                    style.paint("1;31", "FAILS")
                };
                rows.push(vec![
                    r.scenario.clone(),
                    r.caller.clone(),
                    r.via.clone(),
                    r.expected.to_string(),
                    if r.undecided.is_some() {
                        "cannot decide".to_string()
                    } else {
                        r.decision.to_string()
                    },
                    mark,
                ]);
            }
            table(&mut out, &rows);
        }
        let errors = f
            .findings
            .iter()
            .filter(|x| x.severity == Severity::Error)
            .count();
        let warnings = f.findings.len() - errors;
        let mut line = format!(
            "  {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
        if !f.suppressed.is_empty() {
            let _ = write!(line, ", {} suppressed", f.suppressed.len());
        }
        let _ = writeln!(out, "{line}");
    }
    let s = summary(files);
    let _ = writeln!(
        out,
        "checked {}: {}, {}, {} suppressed",
        plural(s.templates, "template"),
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        s.suppressed
    );
    out
}

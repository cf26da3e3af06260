//! The terminal view: resources with their impact and changed paths, long strings as
//! line diffs, then IAM and security group tables; colored when asked.

use std::fmt::Write as _;

use super::text::{line_diff, resource_kind, show, sign, value_lines};
use super::{FileStatus, Report};
use crate::diff::model::ChangeKind;

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn kind(&self, k: ChangeKind, s: &str) -> String {
        self.wrap(
            match k {
                ChangeKind::Added => "32",
                ChangeKind::Removed => "31",
                ChangeKind::Modified => "33",
            },
            s,
        )
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn warn(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
}

/// Pads cells (each a list of lines) into aligned columns.
pub(super) fn table(headers: &[&str], rows: &[Vec<Vec<String>>]) -> Vec<String> {
    let n = headers.len();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate().take(n) {
            for l in cell {
                width[i] = width[i].max(l.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = width[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    for r in rows {
        let height = r.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for k in 0..height {
            out.push(line(
                r.iter()
                    .map(|c| c.get(k).map_or("", String::as_str))
                    .collect(),
            ));
        }
    }
    out
}

pub fn terminal(report: &Report, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    if report.is_empty() {
        return "no changes\n".into();
    }
    for f in &report.files {
        let status = match f.status {
            FileStatus::Added => " (new template)",
            FileStatus::Removed => " (template removed)",
            FileStatus::Modified => "",
        };
        let _ = writeln!(out, "{}{status}", p.bold(&f.path));
        let d = &f.diff;
        if !d.resources.is_empty() {
            let _ = writeln!(out, "{}", p.bold("Resources"));
        }
        for r in &d.resources {
            let k = resource_kind(r);
            let mut head = format!(
                "[{}] {} {}: {}",
                sign(k),
                r.resource_type,
                r.logical_id,
                r.impact.label()
            );
            if let Some(t) = &r.old_type {
                head.push_str(&format!(" (type was {t})"));
            }
            let _ = write!(out, "{}", p.kind(k, &head));
            if r.data_loss {
                let _ = write!(
                    out,
                    "  {}",
                    p.warn("⚠ data-loss risk: stateful, and no Retain/Snapshot policy")
                );
            }
            out.push('\n');
            for why in &r.reasons {
                let _ = writeln!(out, "    ↳ {why}");
            }
            for c in &r.changes {
                let s = sign(c.kind);
                match (&c.old, &c.new) {
                    (Some(a), Some(b)) => match line_diff(a, b) {
                        Some(lines) => {
                            let _ = writeln!(out, "    {} {}:", p.kind(c.kind, s), c.path);
                            for l in lines {
                                let k = if l.starts_with('-') {
                                    ChangeKind::Removed
                                } else if l.starts_with('+') {
                                    ChangeKind::Added
                                } else {
                                    ChangeKind::Modified
                                };
                                let _ = writeln!(
                                    out,
                                    "        {}",
                                    if l.starts_with(' ') { l } else { p.kind(k, &l) }
                                );
                            }
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "    {} {}: {} → {}",
                                p.kind(c.kind, s),
                                c.path,
                                show(a),
                                show(b)
                            );
                        }
                    },
                    (a, b) => {
                        let v = a.as_ref().or(b.as_ref()).expect("a change has a value");
                        let lines = value_lines(v);
                        if lines.len() == 1 {
                            let _ =
                                writeln!(out, "    {} {}: {}", p.kind(c.kind, s), c.path, lines[0]);
                        } else {
                            let _ = writeln!(out, "    {} {}:", p.kind(c.kind, s), c.path);
                            for l in lines {
                                let _ = writeln!(out, "        {l}");
                            }
                        }
                    }
                }
            }
        }
        if !d.sections.is_empty() {
            let _ = writeln!(out, "{}", p.bold("Other changes"));
            for sc in &d.sections {
                let _ = writeln!(
                    out,
                    "{}",
                    p.kind(
                        sc.kind,
                        &format!("[{}] {} {}", sign(sc.kind), sc.section, sc.name)
                    )
                );
                for c in &sc.changes {
                    let v = |x: &Option<crate::template::Value>| {
                        x.as_ref().map(show).unwrap_or_default()
                    };
                    let path = if c.path.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", c.path)
                    };
                    let text = match c.kind {
                        ChangeKind::Modified => format!("{} → {}", v(&c.old), v(&c.new)),
                        ChangeKind::Added => v(&c.new),
                        ChangeKind::Removed => v(&c.old),
                    };
                    let _ = writeln!(out, "    {} {path}{text}", sign(c.kind));
                }
            }
        }
        if !d.iam.is_empty() {
            let title = if d.iam.iter().any(|c| c.broadens) {
                "IAM statement changes (⚠ broadens permissions)"
            } else {
                "IAM statement changes"
            };
            let _ = writeln!(out, "{}", p.bold(title));
            let rows: Vec<Vec<Vec<String>>> = d
                .iam
                .iter()
                .map(|c| {
                    let mark = format!("{}{}", sign(c.kind), if c.broadens { " ⚠" } else { "" });
                    vec![
                        vec![mark],
                        vec![c.effect.clone()],
                        c.actions.clone(),
                        c.resources.clone(),
                        c.principals.clone(),
                        c.conditions.clone(),
                        vec![c.location.clone()],
                    ]
                })
                .collect();
            for l in table(
                &[
                    "",
                    "Effect",
                    "Action",
                    "Resource",
                    "Principal",
                    "Condition",
                    "Where",
                ],
                &rows,
            ) {
                let _ = writeln!(out, "  {l}");
            }
            for n in super::iam_notes(d) {
                let _ = writeln!(out, "  {n}");
            }
        }
        if !d.security_groups.is_empty() {
            let title = if d.security_groups.iter().any(|c| c.broadens) {
                "Security group rule changes (⚠ opens traffic)"
            } else {
                "Security group rule changes"
            };
            let _ = writeln!(out, "{}", p.bold(title));
            let rows: Vec<Vec<Vec<String>>> = d
                .security_groups
                .iter()
                .map(|c| {
                    let mark = format!(
                        "{}{}",
                        sign(c.kind),
                        if c.anywhere {
                            " ⚠ anywhere"
                        } else if c.broadens {
                            " ⚠"
                        } else {
                            ""
                        }
                    );
                    vec![
                        vec![mark],
                        vec![c.group.clone()],
                        vec![c.direction.clone()],
                        vec![c.protocol.clone()],
                        vec![c.ports.clone()],
                        vec![c.peer.clone()],
                        vec![c.description.clone()],
                    ]
                })
                .collect();
            for l in table(
                &[
                    "",
                    "Group",
                    "Dir",
                    "Protocol",
                    "Ports",
                    "Peer",
                    "Description",
                ],
                &rows,
            ) {
                let _ = writeln!(out, "  {l}");
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{} {}", p.bold("Summary:"), report.summary());
    out
}

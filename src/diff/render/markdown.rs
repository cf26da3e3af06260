//! Markdown for a pull-request comment: a summary line, a resource table, details folded
//! in `<details>`, IAM and security group tables.

use std::fmt::Write as _;

use super::text::{line_diff, resource_kind, show, sign, value_lines};
use super::{FileStatus, Report};
use crate::diff::model::ChangeKind;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

fn cells(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("`{}`", s.replace('`', "'").replace('|', "\\|")))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The most a GitHub pull-request comment may hold, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// Markdown for a pull-request comment, within [`COMMENT_LIMIT`] characters: when the
/// whole report is longer, the folded property details go first, then the tail of the
/// tables, each cut said in a note at the end. [`markdown_full`] has everything.
pub fn markdown(report: &Report) -> String {
    markdown_within(report, COMMENT_LIMIT)
}

/// The whole Markdown report, however long.
pub fn markdown_full(report: &Report) -> String {
    render(report, true)
}

/// Markdown within `limit` characters (see [`markdown`]).
pub fn markdown_within(report: &Report, limit: usize) -> String {
    let full = render(report, true);
    let full_len = full.chars().count();
    if full_len <= limit {
        return full;
    }
    let note = |left: usize, tables_cut: bool| {
        format!(
            "\n> **Cut to fit a comment**: {left} of {full_len} characters left out (the property details{}). `{} diff --format markdown --output FILE` writes the whole report.\n",
            if tables_cut {
                " and the end of the tables"
            } else {
                ""
            },
            crate::program::name()
        )
    };
    let lean = render(report, false);
    let lean_len = lean.chars().count();
    // The note's length depends on its numbers; leave room for the longest.
    let room = limit.saturating_sub(note(full_len, true).chars().count());
    if lean_len <= room {
        return lean + &note(full_len - lean_len, false);
    }
    // Still too long: keep whole lines up to the room left.
    let mut kept = String::new();
    let mut used = 0;
    for line in lean.split_inclusive('\n') {
        let n = line.chars().count();
        if used + n > room {
            break;
        }
        kept.push_str(line);
        used += n;
    }
    let left = full_len - used;
    kept + &note(left, true)
}

/// The report; `details` adds the folded property and section changes.
fn render(report: &Report, details: bool) -> String {
    let mut out = String::new();
    let flags = match (report.broadens(), report.destructive()) {
        (true, true) => " ⚠️ **broadens permissions** ⚠️ **data-loss risk**",
        (true, false) => " ⚠️ **broadens permissions**",
        (false, true) => " ⚠️ **data-loss risk**",
        (false, false) => "",
    };
    let _ = writeln!(
        out,
        "### perimeter diff: {}{flags}\n",
        report.summary().split(';').next().unwrap_or("")
    );
    for f in &report.files {
        let status = match f.status {
            FileStatus::Added => " (new template)",
            FileStatus::Removed => " (template removed)",
            FileStatus::Modified => "",
        };
        let _ = writeln!(out, "#### `{}`{status}\n", f.path);
        let d = &f.diff;
        if !d.resources.is_empty() {
            let _ = writeln!(
                out,
                "| | Resource | Type | Impact | Why |\n|---|---|---|---|---|"
            );
            for r in &d.resources {
                let mark = sign(resource_kind(r));
                let loss = if r.data_loss { " ⚠️ data loss" } else { "" };
                let _ = writeln!(
                    out,
                    "| {mark} | `{}` | {} | **{}**{loss} | {} |",
                    r.logical_id,
                    r.resource_type,
                    r.impact.label(),
                    cell(&r.reasons.join("; "))
                );
            }
            out.push('\n');
            let mut detail = String::new();
            for r in d.resources.iter().filter(|r| !r.changes.is_empty()) {
                let _ = writeln!(
                    detail,
                    "{} {} ({})",
                    sign(resource_kind(r)),
                    r.logical_id,
                    r.impact.label()
                );
                for c in &r.changes {
                    match (&c.old, &c.new) {
                        (Some(a), Some(b)) => match line_diff(a, b) {
                            Some(lines) => {
                                let _ = writeln!(detail, "~   {}:", c.path);
                                for l in lines {
                                    // The first character is the sign (or `…` between hunks).
                                    let (sign, rest) =
                                        l.split_at(l.chars().next().map_or(0, char::len_utf8));
                                    let _ = writeln!(detail, "{sign}    {rest}");
                                }
                            }
                            None => {
                                let _ = writeln!(detail, "-   {}: {}", c.path, show(a));
                                let _ = writeln!(detail, "+   {}: {}", c.path, show(b));
                            }
                        },
                        (a, b) => {
                            let v = a.as_ref().or(b.as_ref()).expect("a change has a value");
                            let s = sign(c.kind);
                            let lines = value_lines(v);
                            let _ = writeln!(
                                detail,
                                "{s}   {}: {}",
                                c.path,
                                if lines.len() == 1 {
                                    lines[0].as_str()
                                } else {
                                    ""
                                }
                            );
                            if lines.len() > 1 {
                                for l in lines {
                                    let _ = writeln!(detail, "{s}       {l}");
                                }
                            }
                        }
                    }
                }
            }
            if details && !detail.is_empty() {
                let _ = writeln!(
                    out,
                    "<details><summary>Property changes</summary>\n\n```diff\n{detail}```\n\n</details>\n"
                );
            }
        }
        if details && !d.sections.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>Other changes ({})</summary>\n\n```diff",
                d.sections.len()
            );
            for sc in &d.sections {
                for c in &sc.changes {
                    let path = if c.path.is_empty() {
                        String::new()
                    } else {
                        format!(".{}", c.path)
                    };
                    if let Some(o) = &c.old {
                        let _ = writeln!(out, "- {}.{}{path}: {}", sc.section, sc.name, show(o));
                    }
                    if let Some(n) = &c.new {
                        let _ = writeln!(out, "+ {}.{}{path}: {}", sc.section, sc.name, show(n));
                    }
                }
            }
            let _ = writeln!(out, "```\n\n</details>\n");
        }
        if !d.iam.is_empty() {
            let _ = writeln!(
                out,
                "**IAM statement changes**\n\n| | Effect | Action | Resource | Principal | Condition | Where |\n|---|---|---|---|---|---|---|"
            );
            for c in &d.iam {
                let mark = format!(
                    "{}{}",
                    if c.kind == ChangeKind::Added {
                        "+"
                    } else {
                        "-"
                    },
                    if c.broadens { " ⚠️" } else { "" }
                );
                let _ = writeln!(
                    out,
                    "| {mark} | {} | {} | {} | {} | {} | {} |",
                    c.effect,
                    cells(&c.actions),
                    cells(&c.resources),
                    cells(&c.principals),
                    cells(&c.conditions),
                    cell(&c.location)
                );
            }
            out.push('\n');
            for n in super::iam_notes(d) {
                let _ = writeln!(out, "- {}", n.replace('|', "\\|"));
            }
            if !super::iam_notes(d).is_empty() {
                out.push('\n');
            }
        }
        if !d.security_groups.is_empty() {
            let _ = writeln!(
                out,
                "**Security group rule changes**\n\n| | Group | Direction | Protocol | Ports | Peer | Description |\n|---|---|---|---|---|---|---|"
            );
            for c in &d.security_groups {
                let mark = format!(
                    "{}{}",
                    if c.kind == ChangeKind::Added {
                        "+"
                    } else {
                        "-"
                    },
                    if c.anywhere {
                        " ⚠️ anywhere"
                    } else if c.broadens {
                        " ⚠️"
                    } else {
                        ""
                    }
                );
                let _ = writeln!(
                    out,
                    "| {mark} | `{}` | {} | {} | {} | `{}` | {} |",
                    c.group,
                    c.direction,
                    c.protocol,
                    c.ports,
                    c.peer,
                    cell(&c.description)
                );
            }
            out.push('\n');
        }
    }
    out
}

//! `perimeter check`: blueprints' templates (synthesized in memory) or template files.

use std::path::PathBuf;

use crate::blueprint::{Blueprint, Region};
use crate::check::render::{self, FileReport, Style};
use crate::check::{Context, check_text, partition, rules};
use crate::project::check_blueprints;
use crate::synth::Options;
use crate::template::Format as TemplateFormat;
use clap::ValueEnum;

use crate::check::select::{Profile, Selection};

use super::config;
use super::diff::Color;
use super::inputs;
use super::output::{out, outln};
use super::{EXIT_DIFFERENT, EXIT_OK, Sources, fail};

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Output {
    Terminal,
    Json,
    Sarif,
    /// With --rules: the rule table as Markdown.
    Markdown,
}

#[derive(clap::Args)]
pub struct Args {
    /// Template files (JSON or YAML, from any tool), folders (every template under them)
    /// or `-` for standard input; blueprint files too (a file with a top-level
    /// `solution:` is a blueprint). Default: every blueprint in --blueprints.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The folder searched when no file is named.
    #[arg(long, value_name = "DIR", default_value = "blueprints")]
    blueprints: PathBuf,
    /// Only this target of the blueprints (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Where synth writes templates; names the files in the report.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "terminal")]
    format: Output,
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Also list suppressed findings (terminal).
    #[arg(long, short)]
    verbose: bool,
    /// Region assumed for template files (the access simulation's ARNs).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    region: String,
    /// Account assumed for template files.
    #[arg(long, value_name = "ID", default_value = "123456789012")]
    account: String,
    /// For template files: another account (12 digits) or organization (`o-...`) the
    /// identity perimeter trusts, as a blueprint's declared callers are (repeatable).
    #[arg(long, value_name = "ACCOUNT|ORG")]
    trust: Vec<String>,
    /// Print the rules and exit.
    #[arg(long)]
    rules: bool,
    /// The rules to run: baseline (template, schema, references, quotas, IAM hygiene)
    /// or private (everything, the data perimeter and the access simulation). Default:
    /// `.perimeter.yaml`'s, else private.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Only these families (template, schema, references, quotas, network, iam, data,
    /// access, configuration; or their letters), comma-separated or repeated.
    #[arg(long, value_name = "FAMILY", value_delimiter = ',')]
    only: Vec<String>,
    /// Leave out these rules (id or name), comma-separated or repeated.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    ignore: Vec<String>,
    /// The project configuration.
    #[arg(long, value_name = "FILE", default_value = config::FILE)]
    config: PathBuf,
}

/// The rules to report: flags over `.perimeter.yaml` over the default.
fn selection(a: &Args) -> Result<Selection, String> {
    let c = config::load(&a.config)?.check;
    let profile = match a.profile.as_ref().or(c.profile.as_ref()) {
        Some(p) => p.parse::<Profile>().map_err(|e| format!("profile: {e}"))?,
        None => Profile::default(),
    };
    let only = if a.only.is_empty() { &c.only } else { &a.only };
    let ignore: Vec<String> = c.ignore.iter().chain(&a.ignore).cloned().collect();
    Selection::new(profile, only, &ignore).map_err(String::from)
}

/// A blueprint has a top-level `solution:` key, which no template section is named (a
/// JSON text is a template).
fn is_blueprint(text: &str) -> bool {
    TemplateFormat::detect(text) == TemplateFormat::Yaml
        && text.lines().any(|l| l.starts_with("solution:"))
}

fn print_rules(format: Output) -> i32 {
    if format == Output::Markdown {
        out!("{}", rules::markdown_table());
        return EXIT_OK;
    }
    for r in rules::ALL {
        outln!("{} {:<26} {:<7} {}", r.id, r.name, r.severity, r.summary);
        outln!("     fix: {}", r.fix);
        let theirs = rules::cfn_lint_of(r.id);
        if !theirs.is_empty() {
            outln!("     cfn-lint: {}", theirs.join(", "));
        }
    }
    EXIT_OK
}

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    if a.rules {
        return print_rules(a.format);
    }
    let selection = match selection(a) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let region: Region = match a.region.parse() {
        Ok(r) => r,
        Err(e) => return fail(&format!("--region: {e}")),
    };
    if a.account.len() != 12 || !a.account.bytes().all(|b| b.is_ascii_digit()) {
        return fail(&format!(
            "--account: expected a 12-digit account id, found {:?}",
            a.account
        ));
    }
    let mut trusted = Vec::new();
    for t in &a.trust {
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            trusted.push(format!("arn:aws:iam::{t}:root"));
        } else if t.starts_with("o-") && t.len() > 2 {
            trusted.push(t.clone());
        } else {
            return fail(&format!(
                "--trust: expected a 12-digit account id or an organization id (o-...), found {t:?}"
            ));
        }
    }
    let mut templates = Vec::new();
    let mut blueprint_files = Vec::new();
    let inputs = match inputs::expand(&a.files) {
        Ok(i) => i,
        Err(code) => return code,
    };
    for input in inputs {
        match (is_blueprint(&input.text), input.path) {
            (true, Some(path)) => blueprint_files.push(path),
            (true, None) => {
                return fail(
                    "standard input holds a blueprint; name its file instead (its name is the blueprint's)",
                );
            }
            (false, _) => templates.push((input.label, input.text)),
        }
    }
    let mut reports: Vec<FileReport> = Vec::new();
    if a.files.is_empty() || !blueprint_files.is_empty() {
        let sources = Sources {
            files: blueprint_files,
            blueprints: a.blueprints.clone(),
        };
        let blueprints: Vec<Blueprint> = match sources.load(app) {
            Ok(b) => b,
            Err(code) => return code,
        };
        let opts = Options {
            out_dir: a.out.clone(),
            format: TemplateFormat::Json,
            targets: a.targets.clone(),
            complete: false,
        };
        match check_blueprints(&blueprints, &opts) {
            Ok(r) => reports.extend(r),
            Err(e) => return fail(&e.to_string()),
        }
    } else if !a.targets.is_empty() {
        return fail("--target selects blueprint targets; no blueprint was named");
    }
    let ctx = Context {
        partition: partition(region.as_str()).to_string(),
        account: a.account.clone(),
        region: region.to_string(),
        trusted,
        ..Context::default()
    };
    // Many files: one a core, each on one thread (the prover's own threads would only
    // contend with them); the reports in the files' order.
    if templates.len() > 1 {
        crate::iam::prove::par::serial();
    }
    reports.extend(crate::synth::par_map(&templates, |(file, text)| {
        check_text(file, text, &ctx)
    }));
    for r in &mut reports {
        r.findings.retain(|f| selection.allows(f.rule));
        r.suppressed.retain(|s| selection.allows(s.finding.rule));
        if !selection.allows_access() {
            r.access.clear();
        }
    }
    let color = a.color.enabled();
    let text = match a.format {
        Output::Terminal => render::to_terminal(&reports, Style { color }, a.verbose),
        Output::Json => render::to_json(&reports),
        Output::Sarif => render::to_sarif(&reports),
        Output::Markdown => {
            return fail("--format markdown prints the rule table: use it with --rules");
        }
    };
    out!("{text}");
    let s = render::summary(&reports);
    if s.errors > 0 || (a.deny_warnings && s.warnings > 0) {
        EXIT_DIFFERENT
    } else {
        EXIT_OK
    }
}

//! `perimeter deploy`, `bootstrap` and `destroy`: the library's deploy phases, with a
//! terminal for progress and questions.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;

use crate::deploy::{self, Approval, Event, Options, Outcome, TargetResult, Ui};
use clap::ValueEnum;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::output::outln;
use super::{EXIT_DIFFERENT, EXIT_OK, Sources, fail};

#[derive(Clone, Copy, ValueEnum)]
pub enum RequireApproval {
    /// Never ask.
    Never,
    /// Ask when perimeter's diff finds an IAM grant added or widened, a Deny removed or
    /// a security group rule added.
    Broadening,
    /// Ask for any change.
    Any,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sources: Sources,
    /// Only these targets (repeatable); default: every target.
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Approve every plan that asks for approval.
    #[arg(long)]
    yes: bool,
    #[arg(long, value_enum, default_value = "broadening")]
    require_approval: RequireApproval,
    /// Targets prepared and deployed at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// Create the change sets and stop: they stay for review.
    #[arg(long)]
    no_execute: bool,
}

#[derive(clap::Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    sources: Sources,
    /// Only the accounts and regions of these targets (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Print the bootstrap template and deploy nothing.
    #[arg(long)]
    show_template: bool,
}

#[derive(clap::Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    sources: Sources,
    /// The target whose stack is removed.
    #[arg(long = "target", value_name = "NAME")]
    target: String,
    /// Remove without asking.
    #[arg(long)]
    yes: bool,
}

/// Progress on the terminal: a spinner per target showing its latest stack event, and
/// plain lines when standard error is not a terminal.
struct Terminal {
    bars: MultiProgress,
    spinners: Mutex<HashMap<String, ProgressBar>>,
    live: bool,
}

impl Terminal {
    fn new() -> Self {
        Terminal {
            bars: MultiProgress::new(),
            spinners: Mutex::new(HashMap::new()),
            live: std::io::stderr().is_terminal(),
        }
    }

    fn line(&self, text: &str) {
        if self.live {
            let _ = self.bars.println(text);
        } else {
            outln!("{text}");
        }
    }

    fn finish(&self) {
        if let Ok(s) = self.spinners.lock() {
            for bar in s.values() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Ui for Terminal {
    fn say(&self, target: &str, line: &str) {
        self.line(&format!("{target}: {line}"));
    }

    fn event(&self, target: &str, e: &Event) {
        let text = match &e.reason {
            Some(r) if e.status.ends_with("_FAILED") => {
                format!("{} {} {}: {r}", e.logical_id, e.resource_type, e.status)
            }
            _ => format!("{} {} {}", e.logical_id, e.resource_type, e.status),
        };
        if !self.live {
            outln!("{target}: {text}");
            return;
        }
        let mut spinners = self
            .spinners
            .lock()
            .expect("the spinner table is not poisoned");
        let bar = spinners.entry(target.to_string()).or_insert_with(|| {
            let bar = self.bars.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix}: {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(target.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        if e.status.ends_with("_FAILED") {
            bar.println(format!("{target}: {text}"));
        }
        bar.set_message(text);
    }

    fn approve(&self, target: &str, question: &str) -> bool {
        if !std::io::stdin().is_terminal() {
            self.line(&format!(
                "{target}: {question} needs approval, and there is no terminal to ask: rerun with --yes (or --require-approval never)"
            ));
            return false;
        }
        let _ = self.bars.suspend(|| {
            eprint!("{target}: {question} [y/N] ");
            std::io::stderr().flush()
        });
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
    }
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Refused(why) => format!("refused: {why}"),
        Outcome::NoChanges => "no changes".to_string(),
        Outcome::Planned { change_set } => format!("change set ready, not executed: {change_set}"),
        Outcome::PlannedOperations(plan) => format!("planned, nothing started: {plan}"),
        Outcome::Declined => "not approved: nothing changed".to_string(),
        Outcome::Deployed { status } => status.clone(),
        Outcome::Failed { status, failures } => {
            let mut s = format!("FAILED, stack now {status}");
            for f in failures {
                s.push_str(&format!(
                    "\n      {} ({}): {}",
                    f.logical_id,
                    f.resource_type,
                    f.reason.as_deref().unwrap_or("no reason given")
                ));
            }
            s
        }
        Outcome::Error(e) => format!("error: {e}"),
    }
}

/// The summary table, and the exit code: 0 when every target ended as it should.
fn summary(ui: &Terminal, results: &[TargetResult]) -> i32 {
    ui.finish();
    outln!("summary:");
    for r in results {
        outln!(
            "  {:<16} {:<40} {} {}  {}",
            r.target,
            r.stack,
            r.account,
            r.region,
            describe(&r.outcome)
        );
    }
    if results.iter().all(|r| r.outcome.ok()) {
        EXIT_OK
    } else {
        EXIT_DIFFERENT
    }
}

pub fn run(a: &Args, app: &crate::app::App) -> i32 {
    let blueprints = match a.sources.load(app) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let opts = Options {
        targets: a.targets.clone(),
        approval: match a.require_approval {
            RequireApproval::Never => Approval::Never,
            RequireApproval::Broadening => Approval::Broadening,
            RequireApproval::Any => Approval::Any,
        },
        yes: a.yes,
        concurrency: a.concurrency,
        execute: !a.no_execute,
    };
    let ui = Terminal::new();
    match deploy::deploy(&blueprints, &opts, &ui) {
        Ok(results) => summary(&ui, &results),
        Err(e) => fail(&e.to_string()),
    }
}

pub fn bootstrap(a: &BootstrapArgs, app: &crate::app::App) -> i32 {
    if a.show_template {
        outln!("{}", deploy::bootstrap::template().0.trim_end());
        return EXIT_OK;
    }
    let blueprints = match a.sources.load(app) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let opts = Options {
        targets: a.targets.clone(),
        approval: Approval::Never,
        yes: true,
        concurrency: 4,
        execute: true,
    };
    let ui = Terminal::new();
    match deploy::bootstrap(&blueprints, &opts, &ui) {
        Ok(results) => summary(&ui, &results),
        Err(e) => fail(&e.to_string()),
    }
}

pub fn destroy(a: &DestroyArgs, app: &crate::app::App) -> i32 {
    let blueprints = match a.sources.load(app) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let ui = Terminal::new();
    match deploy::destroy(&blueprints, &a.target, a.yes, &ui) {
        Ok(r) => summary(&ui, &[r]),
        Err(e) => fail(&e.to_string()),
    }
}

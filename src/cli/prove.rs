//! `perimeter prove`: properties of IAM policies decided for every request, with a
//! witness request when one fails (see `iam::prove`).
//!
//! Exit codes: 0 the property holds; 1 it does not, or the prover cannot decide it
//! (`unknown`: not proven); 2 bad input.

use std::path::Path;

use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::output::out;
use super::{EXIT_DIFFERENT, EXIT_OK, fail};
use crate::app::App;
use crate::blueprint::Blueprint;
use crate::check::Context;
use crate::check::access::bindings;
use crate::check::inventory::{Inventory, PolicyUse, policies};
use crate::check::perimeters::{Inside, Proof};
use crate::iam::prove::{
    self, InternalError, Outcome, Policies, RESOURCE_TYPES, Trusted, resource_shape,
};
use crate::iam::{Action, Arn, Bindings, PolicyDocument, PolicyKind, PolicySet};
use crate::project::prove::prove_blueprints;
use crate::synth::Options;
use crate::template::{Format as TemplateFormat, Template};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Terminal,
    Json,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    check: Option<Check>,
    /// A template, or a blueprint: every data perimeter of it (identity, resource,
    /// network) and, for a blueprint, each target's solution's claims.
    #[arg(value_name = "TEMPLATE|BLUEPRINT")]
    file: Option<String>,
    /// A trusted account besides the template's own (resolved as 123456789012, or the
    /// target's account).
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// A trusted organization (aws:PrincipalOrgID).
    #[arg(long = "org", value_name = "ID")]
    orgs: Vec<String>,
    /// Only these targets of a blueprint (default: all).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// How to print the answer.
    #[arg(long, value_enum, default_value = "terminal", global = true)]
    format: Format,
}

#[derive(Subcommand)]
enum Check {
    /// Does NEW allow any request OLD does not? Passes when it allows nothing new.
    NoNewAccess {
        /// The policy before: an IAM policy JSON file, or TEMPLATE#LogicalId.
        old: String,
        /// The policy after.
        new: String,
    },
    /// Does the policy grant any of the actions (on the resources)? Passes when not.
    AccessNotGranted {
        /// An IAM policy JSON file, or TEMPLATE#LogicalId.
        policy: String,
        /// Actions (wildcards allowed), e.g. s3:PutObject or iam:*.
        #[arg(long = "action", value_name = "ACTION", required = true, num_args = 1..)]
        actions: Vec<String>,
        /// Resource ARN patterns; default: every resource.
        #[arg(long = "resource", value_name = "ARN", num_args = 1..)]
        resources: Vec<String>,
    },
    /// Does a resource or endpoint policy admit a principal outside the trusted accounts,
    /// organizations and endpoints? Passes when it admits none.
    NoPublicAccess {
        /// A resource policy JSON file, or TEMPLATE#LogicalId.
        policy: String,
        /// The type of the resource the policy is on (AWS::S3::Bucket, AWS::KMS::Key,
        /// AWS::EC2::VPCEndpoint, ...).
        #[arg(long, value_name = "TYPE")]
        resource_type: String,
        /// A trusted account.
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// A trusted organization (aws:PrincipalOrgID).
        #[arg(long = "org", value_name = "ID")]
        orgs: Vec<String>,
        /// A trusted VPC endpoint (aws:SourceVpce).
        #[arg(long = "vpce", value_name = "ID")]
        vpces: Vec<String>,
    },
    /// The data perimeters of a template (the same as `perimeter prove TEMPLATE`).
    Perimeters {
        /// A CloudFormation template (JSON or YAML).
        template: String,
        /// A trusted account besides the template's own (resolved as 123456789012).
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// A trusted organization (aws:PrincipalOrgID).
        #[arg(long = "org", value_name = "ID")]
        orgs: Vec<String>,
    },
    /// Many questions in one process (for the oracle, scripts/prove-oracle.py): FILE
    /// holds one JSON array of `prove` arguments per line; each answer is printed as
    /// one line of JSON, in order.
    #[command(hide = true)]
    Batch {
        /// The questions, one JSON array of arguments per line.
        file: String,
    },
}

/// One line of a batch: `prove`'s arguments.
#[derive(clap::Parser)]
#[command(name = "prove", no_binary_name = true)]
struct Line {
    #[command(subcommand)]
    check: Check,
}

/// A policy argument read: the policies and the bindings its intrinsics resolve with.
struct Loaded {
    policies: Policies,
    bindings: Bindings,
}

/// Reads `FILE` (an IAM policy document; one with a Principal element is a resource
/// policy) or `TEMPLATE#LogicalId`.
fn load(arg: &str) -> Result<Loaded, String> {
    if let Some((file, id)) = arg.rsplit_once('#')
        && !Path::new(arg).exists()
    {
        return from_template(Path::new(file), id);
    }
    let text = std::fs::read_to_string(arg).map_err(|e| format!("{arg}: cannot read: {e}"))?;
    let value = crate::template::parse_value(&text).map_err(|e| format!("{arg}: {e}"))?;
    let doc = PolicyDocument::from_value(&value).map_err(|e| format!("{arg}: {e}"))?;
    let resource = doc.statements.iter().any(|s| s.principal.is_some());
    Ok(Loaded {
        policies: if resource {
            Policies::Resource(PolicyKind::Resource, arg.to_string(), doc)
        } else {
            Policies::Set(Box::new(PolicySet::default().identity(arg, doc)))
        },
        bindings: Bindings::new(),
    })
}

/// A template's policy: a role's identity policies together, or the policy document of
/// a managed policy, a bucket, queue, topic or key policy, or an endpoint.
fn from_template(path: &Path, id: &str) -> Result<Loaded, String> {
    let label = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{label}: cannot read: {e}"))?;
    let t = Template::parse_any(&text).map_err(|e| format!("{label}: {e}"))?;
    if !t.resources.keys().any(|k| k.as_str() == id) {
        return Err(format!("{label}: no resource {id:?} in the template"));
    }
    let all = policies(&t);
    let parsed = |p: &crate::check::inventory::PolicyAt<'_>| {
        p.parsed
            .clone()
            .map_err(|e| format!("{label}: {id} {}: {e}", p.path))
    };
    let mine: Vec<_> = all
        .iter()
        .filter(|p| p.usage == PolicyUse::Identity && p.roles.contains(&id))
        .collect();
    let policies = if !mine.is_empty() {
        let mut set = PolicySet::default();
        for p in mine {
            set = set.identity(&p.name, parsed(p)?);
        }
        Policies::Set(Box::new(set))
    } else {
        let own: Vec<_> = all
            .iter()
            .filter(|p| p.resource == id && p.usage != PolicyUse::Trust)
            .collect();
        match own.as_slice() {
            [p] => match p.usage {
                PolicyUse::Identity => {
                    Policies::Set(Box::new(PolicySet::default().identity(&p.name, parsed(p)?)))
                }
                PolicyUse::Endpoint => {
                    Policies::Resource(PolicyKind::VpcEndpoint, p.name.clone(), parsed(p)?)
                }
                _ => Policies::Resource(PolicyKind::Resource, p.name.clone(), parsed(p)?),
            },
            [] => {
                return Err(format!(
                    "{label}: {id} holds no policy (expected a role, a managed policy, a bucket, queue, topic or key policy, or a VPC endpoint)"
                ));
            }
            _ => return Err(format!("{label}: {id} holds more than one policy")),
        }
    };
    Ok(Loaded {
        policies,
        bindings: bindings(&t, &Context::default()),
    })
}

/// Answers every line of a batch file, one JSON line each.
fn batch(file: &str) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return fail(&format!("{file}: cannot read: {e}")),
    };
    for (n, line) in text.lines().enumerate() {
        let args: Vec<String> = match serde_json::from_str(line) {
            Ok(a) => a,
            Err(e) => {
                return fail(&format!(
                    "{file}:{}: expected a JSON array of strings: {e}",
                    n + 1
                ));
            }
        };
        let v = match <Line as clap::Parser>::try_parse_from(&args) {
            Err(e) => json!({"result": "error", "explanation": e.to_string()}),
            Ok(Line {
                check: Check::Perimeters { .. } | Check::Batch { .. },
            }) => {
                json!({"result": "error", "explanation": "not a question a batch holds"})
            }
            Ok(l) => match answer(&l.check) {
                Err(msg) => json!({"result": "error", "explanation": msg}),
                Ok(Err(internal)) => {
                    json!({"result": "error", "explanation": internal.to_string()})
                }
                Ok(Ok((o, claim))) => json!({
                    "result": o.result(),
                    "witness": match &o { Outcome::Fails(w) => w.file.clone(), _ => serde_json::Value::Null },
                    "explanation": explain(&o, &claim),
                }),
            },
        };
        out!("{v}\n");
    }
    EXIT_OK
}

pub fn run(a: &Args, app: &App) -> i32 {
    let check = match (&a.check, &a.file) {
        (Some(Check::Batch { file }), _) => return batch(file),
        (
            Some(Check::Perimeters {
                template,
                accounts,
                orgs,
            }),
            _,
        ) => return perimeters(a.format, template, accounts, orgs, &[], app),
        (Some(c), _) => c,
        (None, Some(file)) => {
            return perimeters(a.format, file, &a.accounts, &a.orgs, &a.targets, app);
        }
        (None, None) => {
            return fail(
                "name a template or blueprint, or a property: no-new-access, access-not-granted, no-public-access (perimeter prove --help)",
            );
        }
    };
    match answer(check) {
        Err(msg) => fail(&msg),
        Ok(Err(internal)) => fail(&internal.to_string()),
        Ok(Ok((outcome, claim))) => {
            print(a.format, &outcome, &claim);
            match outcome {
                Outcome::Holds { .. } => EXIT_OK,
                _ => EXIT_DIFFERENT,
            }
        }
    }
}

type Answer = Result<Result<(Outcome, String), InternalError>, String>;

/// The outcome and the property in words; `Err` for bad input.
fn answer(c: &Check) -> Answer {
    match c {
        Check::NoNewAccess { old, new } => {
            let (o, n) = (load(old)?, load(new)?);
            if std::mem::discriminant(&o.policies) != std::mem::discriminant(&n.policies) {
                return Err(format!(
                    "{old} and {new}: one is an identity policy, the other a resource policy"
                ));
            }
            // A template's bindings resolve both sides' intrinsics (the same names).
            let b = if new.rsplit_once('#').is_some() {
                n.bindings
            } else {
                o.bindings
            };
            let claim = format!("{new} allows no request that {old} does not");
            Ok(prove::no_new_access(&o.policies, &n.policies, &b).map(|x| (x, claim)))
        }
        Check::AccessNotGranted {
            policy,
            actions,
            resources,
        } => {
            let p = load(policy)?;
            let acts = actions
                .iter()
                .map(|x| x.parse::<Action>().map_err(|e| format!("--action: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let res = resources
                .iter()
                .map(|x| x.parse::<Arn>().map_err(|e| format!("--resource: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let on = if resources.is_empty() {
                String::new()
            } else {
                format!(" on {}", resources.join(", "))
            };
            let claim = format!("{policy} grants none of {}{on}", actions.join(", "));
            Ok(
                prove::access_not_granted(&p.policies, &acts, &res, &p.bindings)
                    .map(|x| (x, claim)),
            )
        }
        Check::Perimeters { .. } | Check::Batch { .. } => {
            unreachable!("answered by perimeters() and batch()")
        }
        Check::NoPublicAccess {
            policy,
            resource_type,
            accounts,
            orgs,
            vpces,
        } => {
            let shape = resource_shape(resource_type).ok_or_else(|| {
                format!(
                    "--resource-type {resource_type:?}: expected one of {}",
                    RESOURCE_TYPES.join(", ")
                )
            })?;
            for a in accounts {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("--account {a:?}: expected a 12-digit account id"));
                }
            }
            let p = load(policy)?;
            let p_policies = match p.policies {
                Policies::Resource(..) => p.policies,
                Policies::Set(_) => {
                    return Err(format!(
                        "{policy}: an identity policy (no Principal element): no-public-access reads a resource or endpoint policy"
                    ));
                }
            };
            let trusted = Trusted {
                accounts: accounts.clone(),
                orgs: orgs.clone(),
                vpces: vpces.clone(),
            };
            let mut inside: Vec<String> = Vec::new();
            inside.extend(accounts.iter().map(|a| format!("account {a}")));
            inside.extend(orgs.iter().map(|o| format!("organization {o}")));
            inside.extend(vpces.iter().map(|v| format!("endpoint {v}")));
            let claim = if inside.is_empty() {
                format!("{policy} admits no principal of any account ({resource_type})")
            } else {
                format!(
                    "{policy} admits no principal outside {} ({resource_type})",
                    inside.join(", ")
                )
            };
            Ok(
                prove::no_public_access(&p_policies, shape, &trusted, &p.bindings)
                    .map(|x| (x, claim)),
            )
        }
    }
}

/// The answer in words.
fn explain(o: &Outcome, claim: &str) -> String {
    match o {
        Outcome::Holds { requests } => {
            format!("proven: {claim} (every request; {requests} classes of request examined)")
        }
        Outcome::Fails(w) => {
            let mut s = format!(
                "refuted: it is not so that {claim}: the witness is a request that shows it"
            );
            if let Some(note) = w.action_note() {
                s.push_str(" (");
                s.push_str(&note);
                s.push(')');
            }
            s
        }
        Outcome::Unknown(why) => format!("not decided: {claim}: {why}"),
    }
}

fn print(format: Format, o: &Outcome, claim: &str) {
    let explanation = explain(o, claim);
    let witness = match o {
        Outcome::Fails(w) => w.file.clone(),
        _ => serde_json::Value::Null,
    };
    match format {
        Format::Json => {
            let v = json!({"result": o.result(), "witness": witness, "explanation": explanation});
            out!("{}\n", serde_json::to_string_pretty(&v).expect("JSON"));
        }
        Format::Terminal => {
            out!("{}: {explanation}\n", o.result());
            if let Outcome::Fails(w) = o {
                out!(
                    "witness (a request for perimeter simulate):\n{}\n",
                    serde_json::to_string_pretty(&w.file).expect("JSON")
                );
            }
        }
    }
}

/// Every perimeter of a template, or of each target of a blueprint with its solution's
/// claims: one row per question, exit 0 when all are proven.
fn perimeters(
    format: Format,
    path: &str,
    accounts: &[String],
    orgs: &[String],
    targets: &[String],
    app: &App,
) -> i32 {
    for a in accounts {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return fail(&format!("--account {a:?}: expected a 12-digit account id"));
        }
    }
    let extra = Inside {
        accounts: accounts.to_vec(),
        orgs: orgs.to_vec(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return fail(&format!("{path}: cannot read: {e}")),
    };
    let files: Vec<(String, Option<String>, Vec<Proof>)> = if is_blueprint(&text) {
        let blueprint = match Blueprint::load(Path::new(path), &app.solutions) {
            Ok(b) => b,
            Err(errors) => {
                errors.iter().for_each(|e| eprintln!("error: {e}"));
                return super::EXIT_ERROR;
            }
        };
        let opts = Options {
            out_dir: "out".into(),
            format: TemplateFormat::Json,
            targets: targets.to_vec(),
            complete: false,
        };
        match prove_blueprints(std::slice::from_ref(&blueprint), &opts, &extra) {
            Ok(ts) => ts
                .into_iter()
                .map(|t| (t.file, Some(t.target), t.proofs))
                .collect(),
            Err(e) => return fail(&e.to_string()),
        }
    } else {
        if !targets.is_empty() {
            return fail("--target selects blueprint targets; a template was named");
        }
        let t = match Template::parse_any(&text) {
            Ok(t) => t,
            Err(e) => return fail(&format!("{path}: {e}")),
        };
        let ctx = Context::default();
        let inv = Inventory::of(&t);
        match crate::check::perimeters::prove(&t, &ctx, &inv, &extra) {
            Ok(p) => vec![(path.to_string(), None, p)],
            Err(e) => return fail(&e.to_string()),
        }
    };
    let all = || files.iter().flat_map(|(_, _, ps)| ps);
    let result = if all().any(|p| matches!(p.outcome, Outcome::Fails(_))) {
        "fail"
    } else if all().any(|p| matches!(p.outcome, Outcome::Unknown(_))) {
        "unknown"
    } else {
        "pass"
    };
    match format {
        Format::Json => {
            let checks: Vec<serde_json::Value> = files
                .iter()
                .flat_map(|(file, target, ps)| {
                    ps.iter().map(move |p| {
                        json!({
                            "file": file,
                            "target": target,
                            "perimeter": p.perimeter,
                            "resource": p.resource,
                            "path": p.path,
                            "result": p.outcome.result(),
                            "witness": match &p.outcome { Outcome::Fails(w) => w.file.clone(), _ => serde_json::Value::Null },
                            "explanation": p.explanation(),
                        })
                    })
                })
                .collect();
            let v = json!({"result": result, "checks": checks});
            out!("{}\n", serde_json::to_string_pretty(&v).expect("JSON"));
        }
        Format::Terminal => {
            for (file, target, ps) in &files {
                match target {
                    Some(t) => out!("{file} (target {t})\n"),
                    None => out!("{file}\n"),
                }
                for p in ps {
                    out!(
                        "  {} perimeter, {}: {}: {}\n",
                        p.perimeter,
                        p.resource,
                        p.outcome.result(),
                        p.explanation()
                    );
                    if let Outcome::Fails(w) = &p.outcome {
                        out!("{}\n", serde_json::to_string_pretty(&w.file).expect("JSON"));
                    }
                }
            }
            out!("{result}\n");
        }
    }
    if result == "pass" {
        EXIT_OK
    } else {
        EXIT_DIFFERENT
    }
}

/// Whether a file is a blueprint (a `solution:` at the top, no `Resources`), not a
/// template.
fn is_blueprint(text: &str) -> bool {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Mapping(m)) => {
            m.contains_key("solution") && !m.contains_key("Resources")
        }
        _ => false,
    }
}

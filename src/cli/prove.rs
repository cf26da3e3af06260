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
use crate::check::Context;
use crate::check::access::bindings;
use crate::check::inventory::{PolicyUse, policies};
use crate::iam::prove::{
    self, InternalError, Outcome, Policies, RESOURCE_TYPES, Trusted, resource_shape,
};
use crate::iam::{Action, Arn, Bindings, PolicyDocument, PolicyKind, PolicySet};
use crate::template::Template;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Terminal,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    check: Check,
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
    /// The identity and resource perimeters of a template: its resource and endpoint
    /// policies admit no principal outside the trusted accounts, and its endpoint policies
    /// allow no resource outside them (or AWS-owned resources they name exactly).
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

pub fn run(a: &Args) -> i32 {
    if let Check::Batch { file } = &a.check {
        return batch(file);
    }
    if let Check::Perimeters {
        template,
        accounts,
        orgs,
    } = &a.check
    {
        return perimeters(a.format, template, accounts, orgs);
    }
    match answer(&a.check) {
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
        Outcome::Fails(_) => {
            format!("refuted: it is not so that {claim}: the witness is a request that shows it")
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

/// Every resource and endpoint policy of a template against the identity perimeter, and
/// every endpoint policy against the resource perimeter.
fn perimeters(format: Format, path: &str, accounts: &[String], orgs: &[String]) -> i32 {
    let file = Path::new(path);
    let t = match std::fs::read_to_string(file)
        .map_err(|e| format!("{path}: cannot read: {e}"))
        .and_then(|text| Template::parse_any(&text).map_err(|e| format!("{path}: {e}")))
    {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    for a in accounts {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return fail(&format!("--account {a:?}: expected a 12-digit account id"));
        }
    }
    let ctx = Context::default();
    let b = bindings(&t, &ctx);
    let mut trusted_accounts = vec![ctx.account.clone()];
    trusted_accounts.extend(accounts.iter().cloned());
    let trusted = Trusted {
        accounts: trusted_accounts.clone(),
        orgs: orgs.to_vec(),
        vpces: Vec::new(),
    };
    let mut rows: Vec<(String, String, Outcome)> = Vec::new();
    for p in policies(&t) {
        let kind = match p.usage {
            PolicyUse::Resource => PolicyKind::Resource,
            PolicyUse::Endpoint => PolicyKind::VpcEndpoint,
            _ => continue,
        };
        let doc = match &p.parsed {
            Ok(d) => d.clone(),
            Err(e) => return fail(&format!("{path}: {} {}: {e}", p.resource, p.path)),
        };
        let named = prove::named_exactly(&doc, &b);
        let policy = Policies::Resource(kind, p.name.clone(), doc);
        let identity = match prove::no_public_access(&policy, "*", &trusted, &b) {
            Ok(o) => o,
            Err(e) => return fail(&e.to_string()),
        };
        rows.push(("identity".into(), p.resource.to_string(), identity));
        if kind == PolicyKind::VpcEndpoint {
            match prove::resource_perimeter(&policy, &trusted_accounts, &named, &b) {
                Ok(o) => rows.push(("resource".into(), p.resource.to_string(), o)),
                Err(e) => return fail(&e.to_string()),
            }
        }
    }
    let holds = rows
        .iter()
        .all(|(_, _, o)| matches!(o, Outcome::Holds { .. }));
    let inside = trusted_accounts.join(", ");
    let claim = |perimeter: &str, id: &str| match perimeter {
        "identity" => format!("{id} admits no principal outside accounts {inside}"),
        _ => format!(
            "{id} allows no resource outside accounts {inside} but AWS-owned ones it names exactly"
        ),
    };
    match format {
        Format::Json => {
            let checks: Vec<serde_json::Value> = rows
                .iter()
                .map(|(perimeter, id, o)| {
                    json!({
                        "perimeter": perimeter,
                        "resource": id,
                        "result": o.result(),
                        "witness": match o { Outcome::Fails(w) => w.file.clone(), _ => serde_json::Value::Null },
                        "explanation": explain(o, &claim(perimeter, id)),
                    })
                })
                .collect();
            let v = json!({"result": if holds { "pass" } else { "fail" }, "checks": checks});
            out!("{}\n", serde_json::to_string_pretty(&v).expect("JSON"));
        }
        Format::Terminal => {
            for (perimeter, id, o) in &rows {
                out!(
                    "{perimeter} perimeter, {id}: {}: {}\n",
                    o.result(),
                    explain(o, &claim(perimeter, id))
                );
                if let Outcome::Fails(w) = o {
                    out!("{}\n", serde_json::to_string_pretty(&w.file).expect("JSON"));
                }
            }
        }
    }
    if holds { EXIT_OK } else { EXIT_DIFFERENT }
}

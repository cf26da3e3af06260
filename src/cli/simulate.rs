//! `perimeter simulate`: the IAM evaluator for people. Request files (a principal, an
//! action, a resource, context and the policies around it), or one call of a
//! template's role with the policies the template gives it.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::check::simulate::{TemplateRequest, TemplateSimError, parse_context, simulate_template};
use crate::check::{Context, partition};
use crate::iam::simulate::{Simulation, SimulationResult, to_json, to_text};
use crate::template::Template;

use super::output::out;
use super::{EXIT_ERROR, EXIT_OK, fail};

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Output {
    Terminal,
    Json,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["files", "template"])))]
pub struct Args {
    /// Request files (JSON): principal, action, resource, resource_account, context,
    /// identity_policies, resource_policy, permission_boundary, session_policy,
    /// vpc_endpoint_policies, scps, rcps (docs/simulate-json.md).
    #[arg(value_name = "REQUEST.json")]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "terminal")]
    format: Output,
    /// A template: simulate one call of its role with the template's policies.
    #[arg(long, value_name = "FILE", requires_all = ["principal", "action", "resource"], conflicts_with = "files")]
    template: Option<PathBuf>,
    /// With --template: the calling role's logical id.
    #[arg(long, value_name = "LOGICAL_ID", requires = "template")]
    principal: Option<String>,
    /// With --template: the action, e.g. s3:GetObject.
    #[arg(long, value_name = "ACTION", requires = "template")]
    action: Option<String>,
    /// With --template: the resource ARN; ${Id} and ${Id.Attr} name a template resource's
    /// Ref and GetAtt values.
    #[arg(long, value_name = "ARN", requires = "template")]
    resource: Option<String>,
    /// With --template: a request context key (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE", requires = "template")]
    context: Vec<String>,
    /// With --template: the VPC endpoint the call goes through (logical id).
    #[arg(long, value_name = "ENDPOINT_LOGICAL_ID", requires = "template")]
    via: Option<String>,
    /// With --template: the region the template is deployed to.
    #[arg(
        long,
        value_name = "REGION",
        default_value = "us-east-1",
        requires = "template"
    )]
    region: String,
    /// With --template: the account the template is deployed to.
    #[arg(
        long,
        value_name = "ID",
        default_value = "123456789012",
        requires = "template"
    )]
    account: String,
}

pub fn run(args: &Args, _app: &crate::app::App) -> i32 {
    let results = match &args.template {
        Some(t) => match from_template(args, t) {
            Ok(r) => vec![r],
            Err(code) => return code,
        },
        None => {
            // Every file is read before anything is printed: a bad one stops the run.
            let mut sims = Vec::new();
            for f in &args.files {
                match Simulation::load(f) {
                    Ok(s) => sims.push((f.display().to_string(), s)),
                    Err(e) => return fail(&e),
                }
            }
            sims.iter()
                .map(|(f, s)| SimulationResult::new(f, s.evaluate()))
                .collect()
        }
    };
    match args.format {
        Output::Json => out!("{}\n", to_json(&results)),
        Output::Terminal => out!("{}", to_text(&results)),
    }
    EXIT_OK
}

fn from_template(args: &Args, path: &PathBuf) -> Result<SimulationResult, i32> {
    let label = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| fail(&format!("{label}: cannot read: {e}")))?;
    let t = Template::parse_any(&text).map_err(|e| fail(&format!("{label}: {e}")))?;
    let ctx = Context {
        partition: partition(&args.region).to_string(),
        account: args.account.clone(),
        region: args.region.clone(),
        ..Context::default()
    };
    let q = TemplateRequest {
        principal: args.principal.clone().unwrap_or_default(),
        action: args.action.clone().unwrap_or_default(),
        resource: args.resource.clone().unwrap_or_default(),
        context: parse_context(&args.context).map_err(|e| fail(&e))?,
        via: args.via.clone(),
    };
    match simulate_template(&t, &ctx, &q) {
        Ok(v) => Ok(SimulationResult::new(&label, v)),
        Err(e @ (TemplateSimError::Invalid(_) | TemplateSimError::CannotDecide(_))) => {
            fail(&format!("{label}: {e}"));
            Err(EXIT_ERROR)
        }
    }
}

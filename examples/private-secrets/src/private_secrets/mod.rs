//! The solution `private-secrets`, one folder: its settings ([`settings`]), their checks
//! (here), the stack ([`construct`]), the handler (`handler.py`) and the access
//! scenarios `check` runs on every target.

pub mod construct;
pub mod settings;

pub use construct::Props;

use perimeter::check::{Context, Outcome, Scenario, ScenarioCaller, Via};
use perimeter::constructs::{
    ConstructError, PrefixListId, RETENTION_DAYS, Stack, function_memory, function_timeout,
};
use perimeter::solution::{Problem, Solution, TargetInfo};

/// The solution.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrivateSecrets;

impl Solution for PrivateSecrets {
    type Settings = settings::Settings;
    type Props = Props;
    const NAME: &'static str = "private-secrets";
    const ABOUT: &'static str = "A VPC function reading its secret, parameters and bucket through endpoints that admit only it.";

    fn resolve(&self, s: &settings::Settings, t: &TargetInfo) -> Result<Props, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut bad = |path: &str, m: String| problems.push(Problem::new(path, m));
        let n = &s.network;
        if !(16..=28).contains(&n.vpc_cidr.prefix_len()) {
            bad(
                "network.vpc_cidr",
                format!("{} must be /16 to /28", n.vpc_cidr),
            );
        }
        if !(2..=6).contains(&n.availability_zones) {
            bad(
                "network.availability_zones",
                format!("{} zones: 2 to 6", n.availability_zones),
            );
        }
        let subnets = n
            .vpc_cidr
            .carve(n.availability_zones as usize, n.subnet_prefix_length)
            .unwrap_or_else(|e| {
                bad("network.subnet_prefix_length", e.to_string());
                Vec::new()
            });
        let s3_prefix_list = match &n.s3_prefix_list_id {
            None => {
                bad(
                    "network.s3_prefix_list_id",
                    format!("S3's prefix list id in {} is required", t.region),
                );
                None
            }
            Some(id) => id
                .parse::<PrefixListId>()
                .map_err(|m| bad("network.s3_prefix_list_id", m.into()))
                .ok(),
        };
        if !(8..=4096).contains(&s.secret.length) {
            bad(
                "secret.length",
                format!(
                    "{}: Secrets Manager generates 8 to 4096 characters",
                    s.secret.length
                ),
            );
        }
        let path = &s.parameters.path;
        let path_ok = path.starts_with('/')
            && !path.ends_with('/')
            && path[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_.-".contains(&b));
        if !path_ok {
            bad(
                "parameters.path",
                format!("{path:?} must start with / and hold letters, digits, _ . - and /"),
            );
        }
        for k in s.parameters.values.keys() {
            if k.is_empty()
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            {
                bad(
                    &format!("parameters.values.{k}"),
                    format!("{k:?} is not a parameter name (letters, digits, _ . -)"),
                );
            }
        }
        let f = &s.function;
        if let Err(e) = function_memory(f.memory_mb) {
            bad("function.memory_mb", e.into());
        }
        if let Err(e) = function_timeout(f.timeout_seconds) {
            bad("function.timeout_seconds", e.into());
        }
        debug_assert!(RETENTION_DAYS.contains(&f.log_retention_days.0));
        match s3_prefix_list {
            Some(s3_prefix_list) if problems.is_empty() => Ok(Props {
                name: t.name(),
                vpc_cidr: n.vpc_cidr,
                subnets,
                s3_prefix_list,
                secret_description: s.secret.description.clone(),
                secret_length: s.secret.length,
                parameter_path: path.clone(),
                parameters: s.parameters.values.clone(),
                memory_mb: f.memory_mb,
                timeout_seconds: f.timeout_seconds,
                log_retention_days: f.log_retention_days.0,
                versioned: s.bucket.versioned,
            }),
            _ => Err(problems),
        }
    }

    /// What `private-secrets init` writes: every setting, one target.
    fn starter(&self) -> String {
        include_str!("starter.yaml").to_string()
    }

    fn build(&self, p: &Props, _: &TargetInfo) -> Result<Stack, ConstructError> {
        construct::build(p)
    }

    /// What must hold of every target: the function reads its own data through its
    /// endpoints and nothing else; no one else reads its secret.
    fn check_context(&self, p: &Props, _: &TargetInfo, ctx: &mut Context) {
        let function = || ScenarioCaller::Role("FunctionRole".into());
        let parameter = |name: &str| {
            format!(
                "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}/{name}",
                p.parameter_path
            )
        };
        let first = p
            .parameters
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "any".into());
        let row =
            |name: &str, caller, action: &str, resource: String, via, endpoint: &str, expected| {
                Scenario {
                    name: name.into(),
                    caller,
                    action: action.into(),
                    resource,
                    via,
                    endpoint: (via == Via::Endpoint).then(|| endpoint.to_string()),
                    context: vec![],
                    expected,
                }
            };
        const SECRET: &str = "secretsmanager:GetSecretValue";
        ctx.scenarios.extend([
            row("its secret through the endpoint", function(), SECRET, Scenario::reference("AppSecret"), Via::Endpoint, "SecretsManagerEndpoint", Outcome::Allow),
            row("its secret without the endpoint", function(), SECRET, Scenario::reference("AppSecret"), Via::NoEndpoint, "", Outcome::Deny),
            row("its secret by another role", ScenarioCaller::OtherRole, SECRET, Scenario::reference("AppSecret"), Via::Endpoint, "SecretsManagerEndpoint", Outcome::Deny),
            row("its parameters through the endpoint", function(), "ssm:GetParameter", parameter(&first), Via::Endpoint, "SsmEndpoint", Outcome::Allow),
            row("another path's parameter through the endpoint", function(), "ssm:GetParameter", "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/other-team/key".into(), Via::Endpoint, "SsmEndpoint", Outcome::Deny),
            row("its bucket through the S3 endpoint", function(), "s3:GetObject", "${AppBucket.Arn}/config.json".into(), Via::Endpoint, "S3Endpoint", Outcome::Allow),
            row("another bucket through the S3 endpoint", function(), "s3:GetObject", "arn:${AWS::Partition}:s3:::someone-elses-bucket/data.csv".into(), Via::Endpoint, "S3Endpoint", Outcome::Deny),
        ]);
    }
}

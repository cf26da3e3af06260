//! VpcFunction: a Lambda function in private subnets behind a security group, with its
//! execution role (ENI permissions, logging to its own log group) and a log group with
//! retention.

use std::collections::BTreeMap;

use super::network::PrivateVpc;
use super::security_group::Group;
use super::stack::{Attributes, ConstructError, Stack};
use crate::error::Invalid;
use crate::iam::{Arn, Effect, PolicyDocument, Principal, Statement};
use crate::resources::Handle;
use crate::resources::iam::{Role, role};
use crate::resources::lambda::{Function, function};
use crate::resources::logs::LogGroup;
use crate::template::typed::{List, Str};

/// CloudFormation's limit on inline (`ZipFile`) code.
pub const INLINE_CODE_LIMIT: usize = 4096;

/// The values CloudWatch Logs accepts for retention.
pub const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Lambda's memory: 128 to 10240 MB.
///
/// ```
/// assert!(perimeter::constructs::function_memory(256).is_ok());
/// assert_eq!(perimeter::constructs::function_memory(64).unwrap_err().to_string(), "64 MB: Lambda takes 128 to 10240");
/// ```
pub fn function_memory(mb: u32) -> Result<(), Invalid> {
    if (128..=10240).contains(&mb) {
        Ok(())
    } else {
        Err(format!("{mb} MB: Lambda takes 128 to 10240").into())
    }
}

/// Lambda's timeout: 1 to 900 seconds.
pub fn function_timeout(seconds: u32) -> Result<(), Invalid> {
    if (1..=900).contains(&seconds) {
        Ok(())
    } else {
        Err(format!("{seconds} s: Lambda takes 1 to 900").into())
    }
}

/// `DeletionPolicy` and `UpdateReplacePolicy: Retain` when `keep`, else none.
pub fn retain(keep: bool) -> Attributes {
    if keep {
        Attributes {
            deletion_policy: Some("Retain"),
            update_replace_policy: Some("Retain"),
            ..Attributes::default()
        }
    } else {
        Attributes::default()
    }
}

/// Where the code comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Code {
    /// Source inline in the template (at most 4096 characters).
    Inline(String),
    /// A zip in S3.
    S3 { bucket: String, key: String },
    /// An asset in the account's and region's bootstrap bucket (`perimeter bootstrap`).
    Asset { key: String },
}

/// The bootstrap bucket of the stack's account and region, as a template names it.
pub const ASSET_BUCKET: &str = "perimeter-assets-${AWS::AccountId}-${AWS::Region}";

/// What a VpcFunction needs.
#[derive(Debug, Clone, PartialEq)]
pub struct VpcFunctionProps {
    pub description: String,
    pub runtime: String,
    pub handler: String,
    pub code: Code,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    pub log_retention_days: u32,
    /// Keep the log group when the stack or the group goes (`DeletionPolicy: Retain`):
    /// a production stage's logs outlive it.
    pub retain_logs: bool,
    pub environment: BTreeMap<String, Str>,
}

impl VpcFunctionProps {
    /// A Python 3.12 function of inline code (`index.handler`): 256 MB, 30 s, logs kept
    /// 30 days and deleted with the stack, no environment; change what differs with
    /// `..VpcFunctionProps::inline_python(...)`.
    pub fn inline_python(description: &str, code: &str) -> VpcFunctionProps {
        VpcFunctionProps {
            description: description.into(),
            runtime: "python3.12".into(),
            handler: "index.handler".into(),
            code: Code::Inline(code.into()),
            memory_mb: 256,
            timeout_seconds: 30,
            log_retention_days: 30,
            retain_logs: false,
            environment: BTreeMap::new(),
        }
    }
}

/// The built function.
#[derive(Debug, Clone)]
pub struct VpcFunction {
    pub function: Handle<Function>,
    pub role: Handle<Role>,
    pub log_group: Handle<LogGroup>,
}

impl VpcFunction {
    /// Adds `<id>`, `<id>Role` and `<id>LogGroup`.
    pub fn build(
        stack: &mut Stack,
        id: &str,
        p: &VpcFunctionProps,
        vpc: &PrivateVpc,
        group: &Group,
    ) -> Result<VpcFunction, ConstructError> {
        let bad = |m: String| Err(ConstructError::Invalid(m));
        if let Code::Inline(src) = &p.code
            && src.len() > INLINE_CODE_LIMIT
        {
            return bad(format!(
                "inline code is {} characters; CloudFormation allows {INLINE_CODE_LIMIT}",
                src.len()
            ));
        }
        if !RETENTION_DAYS.contains(&p.log_retention_days) {
            return bad(format!(
                "log retention {} days is not one CloudWatch Logs accepts",
                p.log_retention_days
            ));
        }
        function_memory(p.memory_mb)?;
        function_timeout(p.timeout_seconds)?;
        let log_group = stack.add_with(
            &format!("{id}LogGroup"),
            LogGroup::new().retention_in_days(p.log_retention_days),
            retain(p.retain_logs),
        )?;

        let trust = PolicyDocument::new(vec![
            Statement::new(Effect::Allow, ["sts:AssumeRole"])
                .map_err(ConstructError::from)?
                .principal(Principal::service("lambda.amazonaws.com")),
        ]);
        let any: Arn = "*".parse().map_err(ConstructError::from)?;
        let eni = PolicyDocument::new(vec![
            // What AWS's AWSLambdaVPCAccessExecutionRole grants for the function's
            // network interfaces; the Describe and Create actions take no resource-level
            // permissions, so Resource is "*" as in the managed policy.
            Statement::new(
                Effect::Allow,
                [
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
            )
            .map_err(ConstructError::from)?
            .sid("VpcNetworkInterfaces")
            .resource(any),
        ]);
        let logs = PolicyDocument::new(vec![
            Statement::new(Effect::Allow, ["logs:CreateLogStream", "logs:PutLogEvents"])
                .map_err(ConstructError::from)?
                .sid("WriteOwnLogGroup")
                .resource(log_group.arn()),
        ]);
        let role = stack.add(
            &format!("{id}Role"),
            Role::new(trust)
                .description(format!("Execution role of {id}"))
                .policies(vec![
                    role::Policy::new(eni, "VpcNetworkInterfaces"),
                    role::Policy::new(logs, "Logging"),
                ]),
        )?;

        let code = match &p.code {
            Code::Inline(src) => function::Code::new().zip_file(src.as_str()),
            Code::S3 { bucket, key } => function::Code::new()
                .s3_bucket(bucket.as_str())
                .s3_key(key.as_str()),
            Code::Asset { key } => function::Code::new()
                .s3_bucket(crate::template::typed::fns::sub(ASSET_BUCKET))
                .s3_key(key.as_str()),
        };
        let mut f = Function::new(code, role.arn())
            .description(p.description.as_str())
            .runtime(p.runtime.as_str())
            .handler(p.handler.as_str())
            .memory_size(p.memory_mb)
            .timeout(p.timeout_seconds)
            .vpc_config(
                function::VpcConfig::new()
                    .subnet_ids(vpc.subnet_ids())
                    .security_group_ids(List::Items(vec![group.group_id()])),
            )
            .logging_config(function::LoggingConfig::new().log_group(log_group.reference()));
        if !p.environment.is_empty() {
            f = f.environment(function::Environment::new().variables(p.environment.clone()));
        }
        let function = stack.add(id, f)?;
        Ok(VpcFunction {
            function,
            role,
            log_group,
        })
    }
}

//! The stack: a private VPC, the function behind its security group, its secret,
//! parameters and bucket, and an endpoint for each service whose policy admits only the
//! function, for only what it reads.

use std::collections::BTreeMap;

use perimeter::constructs::{
    Azs, Cidr, Code, ConstructError, Grant, Group, GroupProps, InterfaceEndpoint, Port,
    PrefixListId, PrivateVpc, PrivateVpcProps, Stack, VpcFunction, VpcFunctionProps, admit,
    admit_through_gateway, gateway_endpoint, grant, interface_endpoint,
};
use perimeter::iam::{PolicyDocument, ResourceEntry};
use perimeter::resources::s3::Bucket;
use perimeter::resources::s3::bucket;
use perimeter::resources::secretsmanager::{Secret, secret};
use perimeter::resources::ssm::Parameter;
use perimeter::template::typed::{Str, fns};

/// The handler, inline.
pub const HANDLER: &str = include_str!("handler.py");

/// What the stack is built from (the settings, checked).
#[derive(Debug, Clone, PartialEq)]
pub struct Props {
    /// Name prefix for tags, `<blueprint>-<target>`.
    pub name: String,
    pub vpc_cidr: Cidr,
    pub subnets: Vec<Cidr>,
    pub s3_prefix_list: PrefixListId,
    pub secret_description: String,
    pub secret_length: u32,
    /// `/orders`: parameters are `<path>/<name>`.
    pub parameter_path: String,
    pub parameters: BTreeMap<String, String>,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    pub log_retention_days: u32,
    pub versioned: bool,
}

impl Props {
    /// The parameters' ARN pattern, for the grant and the endpoint policy.
    pub fn parameters_arn(&self) -> Str {
        fns::sub(&format!(
            "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}/*",
            self.parameter_path
        ))
    }
}

/// `log_level` -> `LogLevel`, for logical ids.
fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The whole stack.
pub fn build(p: &Props) -> Result<Stack, ConstructError> {
    let mut stack = Stack::new(&format!(
        "Private Secrets Manager, SSM and S3 access from a VPC function ({})",
        p.name
    ));
    let vpc = PrivateVpc::build(
        &mut stack,
        "Vpc",
        &PrivateVpcProps {
            name: p.name.clone(),
            cidr: p.vpc_cidr,
            azs: Azs::Count(p.subnets.len()),
            subnets: p.subnets.clone(),
        },
    )?;
    let app = Group::build(
        &mut stack,
        "App",
        GroupProps {
            vpc_id: vpc.vpc.reference(),
            description: "The application (Lambda function)",
            name_tag: &format!("{}-app", p.name),
            ingress: vec![],
        },
    )?;
    let endpoints = Group::build(
        &mut stack,
        "Endpoint",
        GroupProps {
            vpc_id: vpc.vpc.reference(),
            description: "TLS to the VPC endpoints from the application",
            name_tag: &format!("{}-endpoints", p.name),
            ingress: vec![],
        },
    )?;
    app.connect(
        &mut stack,
        &endpoints,
        Port::tcp(443),
        "HTTPS to the VPC endpoints",
    )?;
    app.egress_to_prefix_list(
        &mut stack,
        "S3",
        &p.s3_prefix_list,
        Port::tcp(443),
        "HTTPS to S3 through the gateway endpoint",
    )?;

    let secret = stack.add(
        "AppSecret",
        Secret::new()
            .description(p.secret_description.as_str())
            .generate_secret_string(
                secret::GenerateSecretString::new()
                    .password_length(p.secret_length as i64)
                    .exclude_punctuation(true),
            ),
    )?;
    for (key, value) in &p.parameters {
        stack.add(
            &format!("Parameter{}", pascal(key)),
            Parameter::new("String", value.as_str())
                .name(format!("{}/{key}", p.parameter_path))
                .description(format!("{key} of {}", p.name)),
        )?;
    }
    let versioning = if p.versioned { "Enabled" } else { "Suspended" };
    let bucket = stack.add(
        "AppBucket",
        Bucket::new()
            .bucket_encryption(bucket::BucketEncryption::new(vec![
                bucket::ServerSideEncryptionRule::new().server_side_encryption_by_default(
                    bucket::ServerSideEncryptionByDefault::new("AES256"),
                ),
            ]))
            .public_access_block_configuration(
                bucket::PublicAccessBlockConfiguration::new()
                    .block_public_acls(true)
                    .block_public_policy(true)
                    .ignore_public_acls(true)
                    .restrict_public_buckets(true),
            )
            .ownership_controls(bucket::OwnershipControls::new(vec![
                bucket::OwnershipControlsRule::new().object_ownership("BucketOwnerEnforced"),
            ]))
            .versioning_configuration(bucket::VersioningConfiguration::new(versioning)),
    )?;
    let objects = ResourceEntry::from(fns::sub("${AppBucket.Arn}/*"));

    let function = VpcFunction::build(
        &mut stack,
        "Function",
        &VpcFunctionProps {
            description: "Reads its secret, configuration and bucket through VPC endpoints".into(),
            runtime: "python3.12".into(),
            handler: "index.handler".into(),
            code: Code::Inline(HANDLER.into()),
            memory_mb: p.memory_mb,
            timeout_seconds: p.timeout_seconds,
            log_retention_days: p.log_retention_days,
            retain_logs: false,
            environment: BTreeMap::from([
                ("SECRET_ARN".to_string(), secret.reference()),
                (
                    "PARAMETER_PATH".to_string(),
                    Str::from(p.parameter_path.as_str()),
                ),
                ("BUCKET".to_string(), bucket.reference()),
            ]),
        },
        &vpc,
        &app,
    )?;
    let role = function.role.arn();

    // Each endpoint admits only the function's role, for what it reads.
    let endpoint = |stack: &mut Stack, id: &str, service: &str, policy| {
        interface_endpoint(
            stack,
            id,
            &vpc,
            InterfaceEndpoint {
                service,
                group: &endpoints,
                policy: Some(policy),
                name_tag: &format!("{}-{service}", p.name),
            },
        )
    };
    let sm = endpoint(
        &mut stack,
        "SecretsManagerEndpoint",
        "secretsmanager",
        PolicyDocument::new(vec![admit(
            "ReadTheSecretOnly",
            role.clone(),
            &["secretsmanager:GetSecretValue"],
            vec![secret.reference().into()],
        )?]),
    )?;
    let ssm = endpoint(
        &mut stack,
        "SsmEndpoint",
        "ssm",
        PolicyDocument::new(vec![admit(
            "ReadTheParametersOnly",
            role.clone(),
            &["ssm:GetParametersByPath", "ssm:GetParameter"],
            vec![p.parameters_arn().into()],
        )?]),
    )?;
    let s3 = gateway_endpoint(
        &mut stack,
        "S3Endpoint",
        "s3",
        &vpc,
        PolicyDocument::new(vec![admit_through_gateway(
            "ReadTheBucketOnly",
            role,
            &["s3:GetObject"],
            vec![objects.clone()],
        )?]),
    )?;
    // The role's grants hold only through those endpoints.
    grant(
        &mut stack,
        "FunctionAccess",
        &function.role,
        &[
            Grant {
                sid: "ReadSecretThroughEndpoint",
                actions: &["secretsmanager:GetSecretValue"],
                resources: vec![secret.reference().into()],
                through: Some(&sm),
            },
            Grant {
                sid: "ReadParametersThroughEndpoint",
                actions: &["ssm:GetParametersByPath", "ssm:GetParameter"],
                resources: vec![p.parameters_arn().into()],
                through: Some(&ssm),
            },
            Grant {
                sid: "ReadBucketThroughEndpoint",
                actions: &["s3:GetObject"],
                resources: vec![objects],
                through: Some(&s3),
            },
        ],
    )?;
    stack.output("VpcId", "The VPC", vpc.vpc.reference(), true)?;
    stack.output(
        "FunctionName",
        "The function",
        function.function.reference(),
        true,
    )?;
    stack.output(
        "BucketName",
        "The function's bucket",
        bucket.reference(),
        true,
    )?;
    Ok(stack)
}

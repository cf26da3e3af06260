//! BedrockPrivateAccess (L3): the AWS reference architecture for private access to
//! Amazon Bedrock over PrivateLink, composed from the L2 constructs.
//!
//! The Lambda function's role may call Bedrock only through the endpoint
//! (`aws:sourceVpce`), and the endpoint lets only that role invoke only the listed models.
//! The endpoint policy's effect is a switch: `Deny` proves calls are refused.

use std::collections::BTreeMap;

use crate::assets::Source;
use crate::constructs::database::PORT;
use crate::constructs::{
    Attributes, Azs, Cidr, Code, ConstructError, CorporateNetwork, CorporateNetworkProps, Database,
    DatabaseProps, FlowLogs, Group, GroupProps, InterfaceEndpoint, ModelId, Port, PrivateVpc,
    PrivateVpcProps, Stack, VpcFunction, VpcFunctionProps, gateway_endpoint, interface_endpoint,
};
use crate::iam::{
    ConditionOperator, Effect, Op, PolicyDocument, Principal, PrincipalKind, ResourceEntry,
    Statement,
};
use crate::resources::Handle;
use crate::resources::ec2::{
    VpcEndpoint, VpcGatewayAttachment, VpnGateway, VpnGatewayRoutePropagation, vpn_gateway,
};
use crate::resources::iam::Policy;
use crate::template::typed::{List, Str, fns};
use crate::template::{LogicalId, Template, Value};

/// The handler the function runs inline when there is no database (`index.py` alone).
pub const HANDLER_SOURCE: &str = include_str!("handler/index.py");

/// The handler's files as an asset, with the PostgreSQL driver pinned and the RDS
/// roots it verifies the database against: the function's code when there is a
/// database.
pub const HANDLER_FILES: &[(&str, &[u8])] = &[
    ("index.py", HANDLER_SOURCE.as_bytes()),
    ("database.py", include_bytes!("handler/database.py")),
    ("rds-ca.pem", include_bytes!("handler/rds-ca.pem")),
    (
        "requirements.txt",
        include_bytes!("handler/requirements.txt"),
    ),
];

/// What the built-in handler's asset is called in messages and the manifest.
pub const HANDLER_ASSET: &str = "bedrock-private-access handler";

/// Corporate network access over AWS Direct Connect / VPN through a virtual private gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct CorporateAccess {
    pub cidr: Cidr,
    pub amazon_side_asn: Option<u32>,
    /// An existing Direct Connect gateway to associate; `None`: one is created.
    pub direct_connect_gateway_id: Option<String>,
    /// A Route 53 Resolver inbound endpoint for on-premises DNS.
    pub dns: bool,
    /// Corporate callers the runtime endpoint admits (InvokeModel on the listed models).
    pub principals: Vec<CorporatePrincipal>,
}

/// A corporate caller the endpoint policy admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorporatePrincipal {
    /// A role, `arn:aws:iam::<account>:role/<name>`.
    Role(String),
    /// Every principal of an organization, `o-...` (aws:PrincipalOrgID).
    Organization(String),
}

impl std::str::FromStr for CorporatePrincipal {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
        if let Some(id) = s.strip_prefix("o-") {
            let ok = (10..=32).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            return if ok {
                Ok(CorporatePrincipal::Organization(s.to_string()))
            } else {
                Err(format!(
                    "{s:?} is not an organization id (o- and 10 to 32 lowercase letters or digits)"
                ))
            };
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "iam"
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && parts[5]
                .strip_prefix("role/")
                .is_some_and(|n| !n.is_empty() && !n.contains('*'));
        if ok {
            Ok(CorporatePrincipal::Role(s.to_string()))
        } else {
            Err(format!(
                "{s:?} is neither a role ARN (arn:aws:iam::<account>:role/<name>) nor an organization id (o-...)"
            ))
        }
    })().map_err(crate::error::Invalid::from)
    }
}

/// The function's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSettings {
    pub runtime: String,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    pub log_retention_days: u32,
    /// Code in S3 instead of the inline handler.
    pub s3_code: Option<(String, String)>,
    /// Code packaged from a folder into the bootstrap bucket (see [`crate::assets`]).
    pub asset: Option<AssetCode>,
}

/// A function's code from a folder, packaged as an asset (see [`crate::assets`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetCode {
    /// What messages and the manifest call it: the folder as the blueprint names it.
    pub label: String,
    /// The folder.
    pub dir: std::path::PathBuf,
}

/// Everything the solution is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct BedrockPrivateAccessProps {
    /// Name prefix for tags, e.g. `bedrock-dev`.
    pub name: String,
    pub vpc_cidr: Cidr,
    pub azs: Azs,
    pub subnets: Vec<Cidr>,
    pub models: Vec<ModelId>,
    pub endpoint_policy_effect: Effect,
    /// Grant bedrock:ListFoundationModels too (adds the `bedrock` control-plane endpoint).
    pub list_foundation_models: bool,
    pub corporate_access: Option<CorporateAccess>,
    pub function: FunctionSettings,
    pub database: Option<DatabaseProps>,
    /// VPC flow logs to CloudWatch Logs, kept this many days; `None`: off.
    pub flow_log_retention_days: Option<u32>,
}

/// Handles to what the solution built, for composing further.
#[derive(Debug, Clone)]
pub struct BedrockPrivateAccess {
    pub vpc: PrivateVpc,
    pub function: VpcFunction,
    /// The VPC's flow logs, when they are on.
    pub flow_logs: Option<FlowLogs>,
}

fn stmt<'a>(
    effect: Effect,
    actions: impl IntoIterator<Item = &'a str>,
) -> Result<Statement, ConstructError> {
    Statement::new(effect, actions).map_err(ConstructError::from)
}

/// `ForAnyValue:StringEquals aws:sourceVpce = <endpoint>`.
fn through(s: Statement, endpoint: &Handle<VpcEndpoint>) -> Statement {
    s.condition(
        ConditionOperator::new(Op::StringEquals),
        "aws:sourceVpce",
        vec![endpoint.reference()],
    )
}

impl BedrockPrivateAccess {
    /// Builds the whole solution into a template.
    ///
    /// ```
    /// use perimeter::constructs::*;
    /// use perimeter::iam::Effect;
    /// use perimeter::solutions::bedrock_private_access::*;
    /// let cidr: Cidr = "10.0.0.0/16".parse().unwrap();
    /// let props = BedrockPrivateAccessProps {
    ///     name: "bedrock-dev".into(),
    ///     vpc_cidr: cidr,
    ///     azs: Azs::Count(2),
    ///     subnets: cidr.carve(2, 24).unwrap(),
    ///     models: vec!["anthropic.claude-instant-v1".parse().unwrap()],
    ///     endpoint_policy_effect: Effect::Allow,
    ///     list_foundation_models: true,
    ///     corporate_access: None,
    ///     function: FunctionSettings { runtime: "python3.12".into(), memory_mb: 256, timeout_seconds: 30, log_retention_days: 30, s3_code: None, asset: None },
    ///     flow_log_retention_days: None,
    ///     database: None,
    /// };
    /// let template = BedrockPrivateAccess::template(&props).unwrap();
    /// assert!(template.resources.contains_key("BedrockRuntimeEndpoint"));
    /// ```
    pub fn template(p: &BedrockPrivateAccessProps) -> Result<Template, ConstructError> {
        Ok(Self::stack(p)?.into_template())
    }

    /// The whole solution as a stack: its template and the assets it names.
    pub fn stack(p: &BedrockPrivateAccessProps) -> Result<Stack, ConstructError> {
        let mut stack = Stack::new(&format!(
            "Private access to Amazon Bedrock over AWS PrivateLink ({})",
            p.name
        ));
        Self::build(&mut stack, p)?;
        Ok(stack)
    }

    /// Adds the solution to a stack.
    pub fn build(
        stack: &mut Stack,
        p: &BedrockPrivateAccessProps,
    ) -> Result<BedrockPrivateAccess, ConstructError> {
        if p.models.is_empty() {
            return Err(ConstructError::Invalid(
                "at least one model is needed".into(),
            ));
        }
        if let Some(c) = &p.corporate_access
            && c.cidr.overlaps(&p.vpc_cidr)
        {
            return Err(ConstructError::Invalid(format!(
                "corporate CIDR {} overlaps the VPC CIDR {}",
                c.cidr, p.vpc_cidr
            )));
        }
        let vpc = PrivateVpc::build(
            stack,
            "Vpc",
            &PrivateVpcProps {
                name: p.name.clone(),
                cidr: p.vpc_cidr,
                azs: p.azs.clone(),
                subnets: p.subnets.clone(),
            },
        )?;
        let flow_logs = match p.flow_log_retention_days {
            Some(days) => Some(FlowLogs::build(stack, "VpcFlowLogs", &vpc, days, &p.name)?),
            None => None,
        };

        // Security groups: the workload reaches the endpoints on 443 and nothing else.
        let workload = Group::build(
            stack,
            "Workload",
            GroupProps {
                vpc_id: vpc.vpc.reference(),
                description: "Workload (Lambda function)",
                name_tag: &format!("{}-workload", p.name),
                ingress: vec![],
            },
        )?;
        let corporate: Vec<(Cidr, Port, String)> = p
            .corporate_access
            .iter()
            .map(|c| {
                (
                    c.cidr,
                    Port::tcp(443),
                    "HTTPS from the corporate network".to_string(),
                )
            })
            .collect();
        let endpoint_sg = Group::build(
            stack,
            "Endpoint",
            GroupProps {
                vpc_id: vpc.vpc.reference(),
                description: "Allow TLS for VPC Endpoint",
                name_tag: &format!("{}-endpoints", p.name),
                ingress: corporate,
            },
        )?;
        workload.connect(
            stack,
            &endpoint_sg,
            Port::tcp(443),
            "HTTPS to the VPC endpoints",
        )?;

        let database = match &p.database {
            Some(d) => Some(Database::build(stack, "Database", d, &vpc, &workload)?),
            None => None,
        };

        let mut env = BTreeMap::from([("MODEL_ID".to_string(), Str::from(p.models[0].as_str()))]);
        if let (Some(db), Some(d)) = (&database, &p.database) {
            env.insert("DB_SECRET_ARN".into(), db.secret_arn());
            env.insert("DB_HOST".into(), db.instance.endpoint_address());
            env.insert("DB_PORT".into(), Str::from(PORT.to_string()));
            env.insert("DB_NAME".into(), Str::from(d.database_name.as_str()));
        }
        let asset = |stack: &mut Stack, src: Result<Source, crate::assets::AssetError>| {
            let src = src.map_err(|e| ConstructError::Invalid(e.to_string()))?;
            Ok::<_, ConstructError>(Code::Asset {
                key: stack.asset(&src)?,
            })
        };
        let platform = crate::assets::platform("x86_64");
        let code = match (&p.function.asset, &p.function.s3_code, &p.database) {
            (Some(a), _, _) => asset(
                stack,
                Source::from_dir(&a.label, &a.dir, &p.function.runtime, platform, "index.py"),
            )?,
            (None, Some((bucket, key)), _) => Code::S3 {
                bucket: bucket.clone(),
                key: key.clone(),
            },
            // The database path needs the driver: the handler's files as an asset.
            (None, None, Some(_)) => asset(
                stack,
                Ok(Source::from_files(
                    HANDLER_ASSET,
                    HANDLER_FILES,
                    &p.function.runtime,
                    platform,
                    "index.py",
                )),
            )?,
            (None, None, None) => Code::Inline(HANDLER_SOURCE.to_string()),
        };
        let function = VpcFunction::build(
            stack,
            "Function",
            &VpcFunctionProps {
                description: "Answers product questions with Amazon Bedrock over PrivateLink"
                    .into(),
                runtime: p.function.runtime.clone(),
                handler: "index.handler".into(),
                code,
                memory_mb: p.function.memory_mb,
                timeout_seconds: p.function.timeout_seconds,
                log_retention_days: p.function.log_retention_days,
                environment: env,
            },
            &vpc,
            &workload,
        )?;
        // Each endpoint admits only the role, for one action on named resources; the
        // role's matching grant holds only through that endpoint. The runtime endpoint's
        // effect is the blueprint's switch.
        let ctx = GrantContext {
            vpc: &vpc,
            group: &endpoint_sg,
            role_arn: function.role.arn(),
            name: &p.name,
        };
        let (runtime_endpoint, invoke) = ctx.grant(
            stack,
            &Grant {
                endpoint_id: "BedrockRuntimeEndpoint",
                service: "bedrock-runtime",
                action: "bedrock:InvokeModel",
                resources: p
                    .models
                    .iter()
                    .map(|m| ResourceEntry::from(m.arn()))
                    .collect(),
                endpoint_effect: p.endpoint_policy_effect,
                endpoint_sid: "InvokeListedModelsOnly",
                identity_sid: "InvokeModelThroughEndpoint",
                corporate: p
                    .corporate_access
                    .as_ref()
                    .map_or(&[][..], |c| c.principals.as_slice()),
            },
        )?;
        // The role's grants are a separate policy resource: the endpoint policy names
        // the role, so an inline role policy naming the endpoint would be a cycle.
        let mut identity = vec![invoke];
        if p.list_foundation_models {
            // ListFoundationModels takes no resource-level permissions.
            let (_, list) = ctx.grant(
                stack,
                &Grant {
                    endpoint_id: "BedrockEndpoint",
                    service: "bedrock",
                    action: "bedrock:ListFoundationModels",
                    resources: vec![any()?],
                    endpoint_effect: Effect::Allow,
                    endpoint_sid: "ListModelsThroughEndpoint",
                    identity_sid: "ListModelsThroughEndpoint",
                    corporate: &[],
                },
            )?;
            identity.push(list);
        }
        if let Some(db) = &database {
            let (_, read) = ctx.grant(
                stack,
                &Grant {
                    endpoint_id: "SecretsManagerEndpoint",
                    service: "secretsmanager",
                    action: "secretsmanager:GetSecretValue",
                    resources: vec![ResourceEntry::from(db.secret_arn())],
                    endpoint_effect: Effect::Allow,
                    endpoint_sid: "ReadDatabaseSecret",
                    identity_sid: "ReadDatabaseSecretThroughEndpoint",
                    corporate: &[],
                },
            )?;
            identity.push(read);
        }
        let access = stack.add(
            "FunctionBedrockAccess",
            Policy::new(PolicyDocument::new(identity), "BedrockThroughPrivateLink")
                .roles(List::Items(vec![function.role.reference()])),
        )?;
        if let (Some(db), Some(d)) = (&database, &p.database) {
            schema_path(stack, &vpc, &workload, db, d, &function, &access, p)?;
        }

        if let Some(c) = &p.corporate_access {
            let mut gw = VpnGateway::new("ipsec.1").tags(vec![vpn_gateway::Tag::new(
                "Name",
                format!("{}-vgw", p.name),
            )]);
            if let Some(asn) = c.amazon_side_asn {
                gw = gw.amazon_side_asn(asn as i64);
            }
            let gw = stack.add("VpnGateway", gw)?;
            let attachment = stack.add(
                "VpnGatewayAttachment",
                VpcGatewayAttachment::new(vpc.vpc.reference()).vpn_gateway_id(gw.reference()),
            )?;
            stack.add_with(
                "VpnGatewayRoutePropagation",
                VpnGatewayRoutePropagation::new(
                    List::Items(vpc.route_tables.iter().map(Handle::reference).collect()),
                    gw.reference(),
                ),
                // Propagation needs the gateway attached first.
                Attributes {
                    depends_on: vec![attachment.logical_id().clone()],
                    ..Attributes::default()
                },
            )?;
            let net = CorporateNetwork::build(
                stack,
                &vpc,
                &gw,
                &CorporateNetworkProps {
                    vpc_cidr: p.vpc_cidr,
                    subnets: &p.subnets,
                    corporate: c.cidr,
                    existing_gateway: c.direct_connect_gateway_id.as_deref(),
                    dns: c.dns,
                    name: &p.name,
                },
            )?;
            if let Some((_, addresses)) = &net.resolver {
                let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                stack.output(
                    "ResolverInboundAddresses",
                    "Forward the endpoints' names from the corporate resolvers to these addresses",
                    Str::from(list.join(",")),
                    false,
                )?;
            }
            stack.output(
                "BedrockRuntimeDnsNames",
                "The bedrock-runtime endpoint's private DNS names (hosted zone id:name)",
                fns::join(",", runtime_endpoint.dns_entries()),
                false,
            )?;
        }

        stack.output("VpcId", "The VPC", vpc.vpc.reference(), true)?;
        stack.output(
            "PrivateSubnetIds",
            "The private subnets, comma-separated",
            fns::join(",", vpc.subnet_ids()),
            true,
        )?;
        stack.output(
            "BedrockRuntimeEndpointId",
            "The bedrock-runtime interface endpoint",
            runtime_endpoint.reference(),
            true,
        )?;
        stack.output(
            "FunctionName",
            "The Lambda function",
            function.function.reference(),
            true,
        )?;
        stack.output(
            "FunctionArn",
            "The Lambda function's ARN",
            function.function.arn(),
            true,
        )?;
        if let Some(db) = &database {
            stack.output(
                "DatabaseEndpoint",
                "The database host",
                db.instance.endpoint_address(),
                true,
            )?;
        }
        Ok(BedrockPrivateAccess {
            vpc,
            function,
            flow_logs,
        })
    }
}

/// The database's schema, applied by the function answering CloudFormation's
/// custom-resource events: its answer leaves the VPC through an S3 gateway endpoint
/// whose policy admits only writes to CloudFormation's response buckets.
#[allow(clippy::too_many_arguments)]
fn schema_path(
    stack: &mut Stack,
    vpc: &PrivateVpc,
    workload: &Group,
    db: &Database,
    d: &DatabaseProps,
    function: &VpcFunction,
    access: &Handle<Policy>,
    p: &BedrockPrivateAccessProps,
) -> Result<(), ConstructError> {
    let responses = ResourceEntry::from(fns::sub(
        "arn:${AWS::Partition}:s3:::cloudformation-custom-resource-response-*/*",
    ));
    let reply = PolicyDocument::new(vec![
        stmt(Effect::Allow, ["s3:PutObject"])?
            .sid("CloudFormationResponsesOnly")
            // The pre-signed URL is CloudFormation's, signed by it: no principal of this
            // account to name; the buckets are what is limited.
            .principal(Principal::Any)
            .resource(responses),
    ]);
    let s3 = gateway_endpoint(stack, "S3Endpoint", "s3", vpc, reply)?;
    workload.egress_to_prefix_list(
        stack,
        "S3",
        &d.s3_prefix_list,
        Port::tcp(443),
        "HTTPS to S3 through the gateway endpoint (CloudFormation's responses)",
    )?;
    // Everything the function needs to reach the database and answer, in place first.
    let needs = [
        access.logical_id().as_str(),
        s3.logical_id().as_str(),
        "WorkloadEgressToS3Tcp443",
        "WorkloadEgressToEndpointTcp443",
        "WorkloadEgressToDatabaseTcp5432",
        "DatabaseIngressFromWorkloadTcp5432",
    ];
    let depends_on = needs
        .iter()
        .map(|id| {
            id.parse()
                .map_err(|e: crate::error::Invalid| ConstructError::InvalidId(e.into()))
        })
        .collect::<Result<Vec<LogicalId>, _>>()?;
    db.schema(
        stack,
        "DatabaseSchema",
        function.function.arn(),
        &d.schema,
        p.function.timeout_seconds + 60,
        depends_on,
    )?;
    Ok(())
}

/// One action on named resources, granted to the function's role through an endpoint.
struct Grant<'a> {
    endpoint_id: &'a str,
    service: &'a str,
    action: &'a str,
    resources: Vec<ResourceEntry>,
    endpoint_effect: Effect,
    endpoint_sid: &'a str,
    identity_sid: &'a str,
    /// Corporate callers the endpoint admits too, for the same action and resources.
    corporate: &'a [CorporatePrincipal],
}

/// What every grant shares: the VPC, the endpoints' group, the role, the name prefix.
struct GrantContext<'a> {
    vpc: &'a PrivateVpc,
    group: &'a Group,
    role_arn: Str,
    name: &'a str,
}

impl GrantContext<'_> {
    /// Adds the endpoint, its policy admitting only the role for `g.action` on
    /// `g.resources`, and returns it with the role's statement conditioned on it.
    fn grant(
        &self,
        stack: &mut Stack,
        g: &Grant,
    ) -> Result<(Handle<VpcEndpoint>, Statement), ConstructError> {
        let mut endpoint_stmt = stmt(g.endpoint_effect, [g.action])?
            .sid(g.endpoint_sid)
            .principal(Principal::aws(self.role_arn.clone()));
        let mut identity_stmt = stmt(Effect::Allow, [g.action])?.sid(g.identity_sid);
        for r in &g.resources {
            endpoint_stmt = endpoint_stmt.resource(r.clone());
            identity_stmt = identity_stmt.resource(r.clone());
        }
        let mut statements = vec![endpoint_stmt];
        let roles: Vec<Value> = g
            .corporate
            .iter()
            .filter_map(|c| match c {
                CorporatePrincipal::Role(arn) => Some(Value::from(arn.as_str())),
                CorporatePrincipal::Organization(_) => None,
            })
            .collect();
        let with_resources = |mut st: Statement| {
            for r in &g.resources {
                st = st.resource(r.clone());
            }
            st
        };
        if !roles.is_empty() {
            statements.push(with_resources(
                stmt(g.endpoint_effect, [g.action])?
                    .sid("CorporateRoles")
                    .principal(Principal::Ids(BTreeMap::from([(
                        PrincipalKind::Aws,
                        roles,
                    )]))),
            ));
        }
        for c in g.corporate {
            if let CorporatePrincipal::Organization(org) = c {
                // Anyone of the organization, and no one else (I501 accepts "*" so limited).
                statements.push(with_resources(
                    stmt(g.endpoint_effect, [g.action])?
                        .sid("CorporateOrganization")
                        .principal(Principal::Any)
                        .condition(
                            ConditionOperator::new(Op::StringEquals),
                            "aws:PrincipalOrgID",
                            vec![Str::from(org.as_str())],
                        ),
                ));
            }
        }
        let endpoint = interface_endpoint(
            stack,
            g.endpoint_id,
            self.vpc,
            InterfaceEndpoint {
                service: g.service,
                group: self.group,
                policy: Some(PolicyDocument::new(statements)),
                name_tag: &format!("{}-{}", self.name, g.service),
            },
        )?;
        let identity_stmt = through(identity_stmt, &endpoint);
        Ok((endpoint, identity_stmt))
    }
}

fn any() -> Result<ResourceEntry, ConstructError> {
    Ok(ResourceEntry::Arn(
        "*".parse().map_err(ConstructError::from)?,
    ))
}

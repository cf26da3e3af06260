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
    DatabaseProps, FlowLogs, Group, GroupProps, InterfaceEndpoint, IpamAllocation, ModelId,
    ModelKind, Port, PrivateVpc, PrivateVpcProps, Stack, VirtualInterfaceProps, VpcFunction,
    VpcFunctionProps, gateway_endpoint, interface_endpoint,
};
use crate::iam::{
    ConditionOperator, Effect, Op, PolicyDocument, Principal, PrincipalKind, ResourceEntry,
    Statement,
};
use crate::resources::ec2::{
    VpcEndpoint, VpcGatewayAttachment, VpnGateway, VpnGatewayRoutePropagation, vpn_gateway,
};
use crate::resources::iam::Policy;
use crate::resources::{Handle, Raw, RawResource};
use crate::template::typed::{List, Str, ToValue, fns};
use crate::template::{LogicalId, Parameter, ParameterType, Pseudo, Template, Value};

/// The handler the function runs inline when there is no database (`index.py` alone).
pub const HANDLER_SOURCE: &str = include_str!("handler/index.py");

/// The handler's files as an asset, with the PostgreSQL driver pinned and the RDS
/// roots it verifies the database against: the function's code when there is a
/// database.
pub const HANDLER_FILES: &[(&str, &[u8])] = &[
    ("index.py", HANDLER_SOURCE.as_bytes()),
    ("database.py", include_bytes!("handler/database.py")),
    ("schema.py", include_bytes!("handler/schema.py")),
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
    /// The created Direct Connect gateway's Amazon-side ASN.
    pub amazon_side_asn: Option<u32>,
    /// The virtual private gateway's own Amazon-side ASN.
    pub vgw_amazon_side_asn: Option<u32>,
    /// An existing Direct Connect gateway to associate; `None`: one is created.
    pub direct_connect_gateway_id: Option<String>,
    /// A private virtual interface on an existing connection to the created gateway.
    pub virtual_interface: Option<VirtualInterfaceProps>,
    /// A Route 53 Resolver inbound endpoint for on-premises DNS.
    pub dns: bool,
    /// Corporate callers the runtime endpoint admits (InvokeModel and
    /// InvokeModelWithResponseStream on the listed models).
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
    /// Keep the log groups when the stack goes (a production stage).
    pub retain_logs: bool,
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
    /// The VPC's block from an IPAM pool instead of `vpc_cidr` and `subnets`: the pool
    /// id is the template's `IpamPoolId` parameter (its default this pool).
    pub ipam: Option<VpcPool>,
    /// What the function may invoke; the first is what it calls.
    pub models: Vec<ModelId>,
    /// What each application inference profile ARN in `models` copies.
    pub sources: BTreeMap<ModelId, ModelId>,
    /// The Regions each system inference profile in `models` (or `sources`) routes to.
    pub destinations: BTreeMap<ModelId, Vec<String>>,
    /// Create an application inference profile copying the first model; the function
    /// calls it.
    pub application_inference_profile: bool,
    pub endpoint_policy_effect: Effect,
    /// Grant bedrock:ListFoundationModels too (adds the `bedrock` control-plane endpoint).
    pub list_foundation_models: bool,
    pub corporate_access: Option<CorporateAccess>,
    pub function: FunctionSettings,
    pub database: Option<DatabaseProps>,
    /// VPC flow logs to CloudWatch Logs, kept this many days; `None`: off.
    pub flow_log_retention_days: Option<u32>,
}

/// A VPC block from an IPAM pool, with the subnets carved from it.
#[derive(Debug, Clone, PartialEq)]
pub struct VpcPool {
    /// The pool in the Region deployed to; the `IpamPoolId` parameter's default.
    pub pool_id: String,
    pub netmask_length: u8,
    pub subnet_prefix_length: u8,
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

/// `StringEquals aws:sourceVpce = <endpoint>`: the key is single-valued, so the plain
/// operator (a ForAnyValue set operator on it is what AWS's policy validation flags).
fn through(s: Statement, endpoint: &Handle<VpcEndpoint>) -> Statement {
    s.condition(
        ConditionOperator::new(Op::StringEquals),
        "aws:sourceVpce",
        vec![endpoint.reference()],
    )
}

/// The actions that invoke a model: Converse is authorized as InvokeModel, ConverseStream
/// as InvokeModelWithResponseStream.
pub(crate) const INVOKE: &str = "bedrock:InvokeModel";
pub(crate) const INVOKE_STREAM: &str = "bedrock:InvokeModelWithResponseStream";
/// Logical ids the solution's claims name (see `claims` in the solution).
pub(crate) const RUNTIME_ENDPOINT: &str = "BedrockRuntimeEndpoint";
pub(crate) const FUNCTION: &str = "Function";
/// The function's role: the function construct names it `<id>Role`.
pub(crate) const FUNCTION_ROLE: &str = "FunctionRole";
pub(crate) const APPLICATION_PROFILE: &str = "ApplicationInferenceProfile";

/// The user the application reads the database as (SELECT on what it reads only).
pub const APP_DB_USER: &str = "app_reader";

/// The SHA-256 of what the schema function may apply: the template's schema, seed and
/// read tables; the function refuses an event carrying anything else.
pub fn schema_digest(schema: &str, seed: &str, read_tables: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let text = format!("{schema}\0{seed}\0{}", read_tables.join(","));
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl BedrockPrivateAccessProps {
    /// Every ARN the function's role and the runtime endpoint admit for `m`: its own and,
    /// for a profile, its models in every destination Region (an application profile's
    /// through what it copies).
    pub(crate) fn model_resources(&self, m: &ModelId) -> Vec<Str> {
        let dest = |id: &ModelId| self.destinations.get(id).cloned().unwrap_or_default();
        match m.kind() {
            ModelKind::ApplicationProfile => {
                let mut out = vec![m.arn()];
                if let Some(src) = self.sources.get(m) {
                    out.extend(src.resources(&dest(src)));
                }
                out
            }
            _ => m.resources(&dest(m)),
        }
    }
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
    ///     ipam: None,
    ///     models: vec!["anthropic.claude-haiku-4-5-20251001-v1:0".parse().unwrap()],
    ///     sources: Default::default(),
    ///     destinations: Default::default(),
    ///     application_inference_profile: false,
    ///     endpoint_policy_effect: Effect::Allow,
    ///     list_foundation_models: false,
    ///     corporate_access: None,
    ///     function: FunctionSettings { runtime: "python3.12".into(), memory_mb: 256, timeout_seconds: 30, log_retention_days: 30, retain_logs: false, s3_code: None, asset: None },
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
        for m in &p.models {
            if m.kind() == ModelKind::ApplicationProfile && !p.sources.contains_key(m) {
                return Err(ConstructError::Invalid(format!(
                    "application inference profile {m}: say which model or system profile it copies"
                )));
            }
        }
        if let Some(c) = &p.corporate_access
            && c.cidr.overlaps(&p.vpc_cidr)
        {
            return Err(ConstructError::Invalid(format!(
                "corporate CIDR {} overlaps the VPC CIDR {}",
                c.cidr, p.vpc_cidr
            )));
        }
        let vpc = match &p.ipam {
            None => PrivateVpc::build(
                stack,
                "Vpc",
                &PrivateVpcProps {
                    name: p.name.clone(),
                    cidr: p.vpc_cidr,
                    azs: p.azs.clone(),
                    subnets: p.subnets.clone(),
                },
            )?,
            Some(pool) => {
                if p.corporate_access.is_some() {
                    return Err(ConstructError::Invalid(
                        "corporate access needs the VPC's literal block (its routes and resolver addresses); a block from an IPAM pool is known only when deployed".into(),
                    ));
                }
                let mut param = Parameter::new(ParameterType::String);
                param.description = Some(
                    "The IPAM pool the VPC's block is allocated from (pools are regional)".into(),
                );
                param.default = Some(pool.pool_id.as_str().into());
                param.allowed_pattern = Some("^ipam-pool-[0-9a-f]+$".into());
                let pool_id = stack.parameter("IpamPoolId", param)?;
                PrivateVpc::build_from_pool(
                    stack,
                    "Vpc",
                    &p.name,
                    &p.azs,
                    &IpamAllocation {
                        pool_id,
                        netmask_length: pool.netmask_length,
                        subnet_prefix_length: pool.subnet_prefix_length,
                    },
                )?
            }
        };
        let flow_logs = match p.flow_log_retention_days {
            Some(days) => Some(FlowLogs::build(
                stack,
                "VpcFlowLogs",
                &vpc,
                days,
                &p.name,
                p.function.retain_logs,
            )?),
            None => None,
        };

        // Security groups, one per endpoint role: the workload reaches the endpoints on
        // 443 and nothing else; the corporate network reaches the bedrock-runtime
        // endpoint only (its group keeps the blog's name), never Secrets Manager's.
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
        let runtime_sg = Group::build(
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
            &runtime_sg,
            Port::tcp(443),
            "HTTPS to the bedrock-runtime endpoint",
        )?;
        let service_sg = if p.database.is_some() || p.list_foundation_models {
            let g = Group::build(
                stack,
                "ServiceEndpoint",
                GroupProps {
                    vpc_id: vpc.vpc.reference(),
                    description: "TLS from the workload only to the service endpoints",
                    name_tag: &format!("{}-service-endpoints", p.name),
                    ingress: vec![],
                },
            )?;
            workload.connect(stack, &g, Port::tcp(443), "HTTPS to the service endpoints")?;
            Some(g)
        } else {
            None
        };

        let database = match &p.database {
            Some(d) => Some(Database::build(stack, "Database", d, &vpc, &workload)?),
            None => None,
        };
        // The application's own database user: a secret of its own, generated here,
        // its role set by the schema step; the master secret stays with that step.
        let app_secret = match &database {
            Some(_) => Some(app_secret(stack, &p.name)?),
            None => None,
        };

        // An application inference profile copying the first model, for cost tracking.
        let profile = if p.application_inference_profile {
            let raw = RawResource::new("AWS::Bedrock::ApplicationInferenceProfile")
                .map_err(ConstructError::from)?
                .set("InferenceProfileName", Value::from(p.name.as_str()))
                .set(
                    "Description",
                    Value::from(format!("Calls of {} to {}", p.name, p.models[0])),
                )
                .set(
                    "ModelSource",
                    Value::map([("CopyFrom", p.models[0].arn().to_value())]),
                );
            let h = stack.add_raw(APPLICATION_PROFILE, raw)?;
            let arn = h
                .attribute(
                    "AWS::Bedrock::ApplicationInferenceProfile",
                    "InferenceProfileArn",
                )
                .map_err(ConstructError::from)?;
            Some((h, arn))
        } else {
            None
        };
        let model_id = match &profile {
            Some((_, arn)) => arn.clone(),
            None => Str::from(p.models[0].as_str()),
        };
        let mut env = BTreeMap::from([("MODEL_ID".to_string(), model_id)]);
        if let (Some(db), Some(d), Some(secret)) = (&database, &p.database, &app_secret) {
            env.insert("DB_SECRET_ARN".into(), secret.reference());
            env.insert("DB_HOST".into(), db.instance.endpoint_address());
            env.insert("DB_PORT".into(), Str::from(PORT.to_string()));
            env.insert("DB_NAME".into(), Str::from(d.database_name.as_str()));
        }
        let platform = crate::assets::platform("x86_64");
        let handler_asset = |stack: &mut Stack| -> Result<Code, ConstructError> {
            let src = Source::from_static(
                HANDLER_ASSET,
                HANDLER_FILES,
                &p.function.runtime,
                platform,
                "index.py",
            );
            Ok(Code::Asset {
                key: stack.asset(&src)?,
            })
        };
        let code = match (&p.function.asset, &p.function.s3_code, &p.database) {
            (Some(a), _, _) => {
                let src =
                    Source::from_dir(&a.label, &a.dir, &p.function.runtime, platform, "index.py")
                        .map_err(|e| ConstructError::Invalid(e.to_string()))?;
                Code::Asset {
                    key: stack.asset(&src)?,
                }
            }
            (None, Some((bucket, key)), _) => Code::S3 {
                bucket: bucket.clone(),
                key: key.clone(),
            },
            // The database path needs the driver: the handler's files as an asset.
            (None, None, Some(_)) => handler_asset(stack)?,
            (None, None, None) => Code::Inline(HANDLER_SOURCE.to_string()),
        };
        let function = VpcFunction::build(
            stack,
            FUNCTION,
            &VpcFunctionProps {
                description: "Answers product questions with Amazon Bedrock over PrivateLink"
                    .into(),
                runtime: p.function.runtime.clone(),
                handler: "index.handler".into(),
                code,
                memory_mb: p.function.memory_mb,
                timeout_seconds: p.function.timeout_seconds,
                log_retention_days: p.function.log_retention_days,
                retain_logs: p.function.retain_logs,
                environment: env,
            },
            &vpc,
            &workload,
        )?;
        // Each endpoint admits only its callers, for named actions on named resources;
        // the role's matching grant holds only through that endpoint. The runtime
        // endpoint's effect is the blueprint's switch.
        let ctx = GrantContext {
            vpc: &vpc,
            role_arn: function.role.arn(),
            name: &p.name,
        };
        let mut models: Vec<Str> = Vec::new();
        if let Some((_, arn)) = &profile {
            models.push(arn.clone());
        }
        for m in &p.models {
            for r in p.model_resources(m) {
                if !models.contains(&r) {
                    models.push(r);
                }
            }
        }
        let (runtime_endpoint, invoke) = ctx.grant(
            stack,
            &Grant {
                endpoint_id: RUNTIME_ENDPOINT,
                service: "bedrock-runtime",
                group: &runtime_sg,
                actions: &[INVOKE],
                corporate_actions: &[INVOKE, INVOKE_STREAM],
                resources: models.into_iter().map(ResourceEntry::from).collect(),
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
        if let (true, Some(group)) = (p.list_foundation_models, &service_sg) {
            // ListFoundationModels takes no resource-level permissions.
            let (_, list) = ctx.grant(
                stack,
                &Grant {
                    endpoint_id: "BedrockEndpoint",
                    service: "bedrock",
                    group,
                    actions: &["bedrock:ListFoundationModels"],
                    corporate_actions: &[],
                    resources: vec![any()?],
                    endpoint_effect: Effect::Allow,
                    endpoint_sid: "ListModelsThroughEndpoint",
                    identity_sid: "ListModelsThroughEndpoint",
                    corporate: &[],
                },
            )?;
            identity.push(list);
        }
        let secrets = match (&database, &p.database, &app_secret, &service_sg) {
            (Some(db), Some(d), Some(secret), Some(group)) => {
                let schema = SchemaFunction::build(stack, &vpc, &workload, db, d, secret, p)?;
                // One Secrets Manager endpoint, two callers: the application reads its
                // own secret; the schema step reads the master secret and the
                // application's (to set its user's password).
                let read = |sid: &str, role: Str, resources: Vec<Str>| {
                    let mut st = stmt(Effect::Allow, ["secretsmanager:GetSecretValue"])?
                        .sid(sid)
                        .principal(Principal::aws(role));
                    for r in resources {
                        st = st.resource(ResourceEntry::from(r));
                    }
                    Ok::<_, ConstructError>(st)
                };
                let endpoint = interface_endpoint(
                    stack,
                    "SecretsManagerEndpoint",
                    &vpc,
                    InterfaceEndpoint {
                        service: "secretsmanager",
                        group,
                        policy: Some(PolicyDocument::new(vec![
                            read(
                                "ApplicationReadsItsSecret",
                                function.role.arn(),
                                vec![secret.reference()],
                            )?,
                            read(
                                "SchemaStepReadsBothSecrets",
                                schema.function.role.arn(),
                                vec![db.secret_arn(), secret.reference()],
                            )?,
                        ])),
                        name_tag: &format!("{}-secretsmanager", p.name),
                    },
                )?;
                identity.push(through(
                    stmt(Effect::Allow, ["secretsmanager:GetSecretValue"])?
                        .sid("ReadOwnDatabaseSecretThroughEndpoint")
                        .resource(ResourceEntry::from(secret.reference())),
                    &endpoint,
                ));
                Some((schema, endpoint))
            }
            _ => None,
        };
        let access = stack.add(
            "FunctionBedrockAccess",
            Policy::new(PolicyDocument::new(identity), "BedrockThroughPrivateLink")
                .roles(List::Items(vec![function.role.reference()])),
        )?;
        if let (Some((schema, sm)), Some(db), Some(d), Some(secret)) =
            (&secrets, &database, &p.database, &app_secret)
        {
            schema.wire(stack, &vpc, &workload, db, d, secret, sm, &access)?;
        }

        if let Some(c) = &p.corporate_access {
            let mut gw = VpnGateway::new("ipsec.1").tags(vec![vpn_gateway::Tag::new(
                "Name",
                format!("{}-vgw", p.name),
            )]);
            if let Some(asn) = c.vgw_amazon_side_asn {
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
                    gateway_asn: c.amazon_side_asn,
                    virtual_interface: c.virtual_interface.as_ref(),
                    attachment: attachment.logical_id(),
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
        if let Some((_, arn)) = &profile {
            stack.output(
                "ApplicationInferenceProfileArn",
                "The application inference profile the function calls",
                arn.clone(),
                true,
            )?;
        }
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

/// The application's database credentials: a generated password for [`APP_DB_USER`].
fn app_secret(stack: &mut Stack, name: &str) -> Result<Handle<Raw>, ConstructError> {
    let raw = RawResource::new("AWS::SecretsManager::Secret")
        .map_err(ConstructError::from)?
        .set(
            "Description",
            Value::from(format!(
                "{name}: the application's read-only database user ({APP_DB_USER})"
            )),
        )
        .set(
            "GenerateSecretString",
            Value::map([
                (
                    "SecretStringTemplate",
                    Value::from(format!("{{\"username\": \"{APP_DB_USER}\"}}")),
                ),
                ("GenerateStringKey", Value::from("password")),
                ("PasswordLength", Value::from(32)),
                ("ExcludePunctuation", Value::from(true)),
            ]),
        );
    stack.add_raw("DatabaseAppSecret", raw)
}

/// The schema step: its own function and role, the only holder of the master secret,
/// answering CloudFormation's custom-resource events only.
struct SchemaFunction {
    function: VpcFunction,
}

impl SchemaFunction {
    /// Adds `SchemaFunction` (with its role and log group).
    fn build(
        stack: &mut Stack,
        vpc: &PrivateVpc,
        workload: &Group,
        db: &Database,
        d: &DatabaseProps,
        app_secret: &Handle<Raw>,
        p: &BedrockPrivateAccessProps,
    ) -> Result<SchemaFunction, ConstructError> {
        let src = Source::from_static(
            HANDLER_ASSET,
            HANDLER_FILES,
            &p.function.runtime,
            crate::assets::platform("x86_64"),
            "index.py",
        );
        let code = Code::Asset {
            key: stack.asset(&src)?,
        };
        let env = BTreeMap::from([
            ("MASTER_SECRET_ARN".to_string(), db.secret_arn()),
            ("APP_SECRET_ARN".to_string(), app_secret.reference()),
            ("DB_HOST".to_string(), db.instance.endpoint_address()),
            ("DB_PORT".to_string(), Str::from(PORT.to_string())),
            ("DB_NAME".to_string(), Str::from(d.database_name.as_str())),
            // Only this stack's events, only this template's SQL.
            ("STACK_ID".to_string(), Str::from(Pseudo::StackId)),
            (
                "SCHEMA_SHA256".to_string(),
                Str::from(schema_digest(
                    &d.schema.schema,
                    &d.schema.seed,
                    &d.read_tables,
                )),
            ),
        ]);
        let function = VpcFunction::build(
            stack,
            "SchemaFunction",
            &VpcFunctionProps {
                description:
                    "Applies the database schema for CloudFormation (custom resource only)".into(),
                runtime: p.function.runtime.clone(),
                handler: "schema.handler".into(),
                code,
                memory_mb: 256,
                // Room for the bounded retries while a new role's grants propagate.
                timeout_seconds: SCHEMA_TIMEOUT_SECONDS,
                log_retention_days: p.function.log_retention_days,
                retain_logs: p.function.retain_logs,
                environment: env,
            },
            vpc,
            workload,
        )?;
        Ok(SchemaFunction { function })
    }

    /// Its grants, the S3 path for its answer, and the custom resource.
    #[allow(clippy::too_many_arguments)]
    fn wire(
        &self,
        stack: &mut Stack,
        vpc: &PrivateVpc,
        workload: &Group,
        db: &Database,
        d: &DatabaseProps,
        app_secret: &Handle<Raw>,
        secrets_endpoint: &Handle<VpcEndpoint>,
        app_access: &Handle<Policy>,
    ) -> Result<(), ConstructError> {
        let read = through(
            stmt(Effect::Allow, ["secretsmanager:GetSecretValue"])?
                .sid("ReadDatabaseSecretsThroughEndpoint")
                .resource(ResourceEntry::from(db.secret_arn()))
                .resource(ResourceEntry::from(app_secret.reference())),
            secrets_endpoint,
        );
        let access = stack.add(
            "SchemaFunctionAccess",
            Policy::new(PolicyDocument::new(vec![read]), "DatabaseSecrets")
                .roles(List::Items(vec![self.function.role.reference()])),
        )?;
        // CloudFormation's response bucket in this Region, named exactly: the Region
        // without its dashes (AWS CloudFormation User Guide, "Access CloudFormation
        // using an interface endpoint": cloudformation-custom-resource-response-uswest2).
        let bucket = fns::sub_with(
            "arn:${AWS::Partition}:s3:::cloudformation-custom-resource-response-${Region}/*",
            [(
                "Region",
                fns::join("", fns::split("-", Str::from(Pseudo::Region))),
            )],
        );
        let reply = PolicyDocument::new(vec![
            stmt(Effect::Allow, ["s3:PutObject"])?
                .sid("CloudFormationResponsesOnly")
                // The pre-signed URL is CloudFormation's, signed by it: no principal of
                // this account to name; the one bucket is what is limited.
                .principal(Principal::Any)
                .resource(ResourceEntry::from(bucket)),
        ]);
        let s3 = gateway_endpoint(stack, "S3Endpoint", "s3", vpc, reply)?;
        workload.egress_to_prefix_list(
            stack,
            "S3",
            &d.s3_prefix_list,
            Port::tcp(443),
            "HTTPS to S3 through the gateway endpoint (CloudFormation's responses)",
        )?;
        // Everything the schema step needs to reach the database and answer, in place
        // first (and the application's grants, so it works once the stack is up).
        let needs = [
            access.logical_id().as_str(),
            app_access.logical_id().as_str(),
            s3.logical_id().as_str(),
            "WorkloadEgressToS3Tcp443",
            "WorkloadEgressToServiceEndpointTcp443",
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
        let tables: Vec<Value> = d
            .read_tables
            .iter()
            .map(|t| Value::from(t.as_str()))
            .collect();
        // A new logical id, not the blog's DatabaseSchema: CloudFormation refuses to
        // change a custom resource's ServiceToken, and the step moved to its own function.
        db.schema(
            stack,
            "DatabaseSchemaStep",
            self.function.function.arn(),
            &d.schema,
            &[("ReadTables", Value::List(tables))],
            SCHEMA_TIMEOUT_SECONDS + 60,
            depends_on,
        )?;
        Ok(())
    }
}

/// The schema function's timeout.
const SCHEMA_TIMEOUT_SECONDS: u32 = 120;

/// Actions on named resources, granted to the function's role through an endpoint.
struct Grant<'a> {
    endpoint_id: &'a str,
    service: &'a str,
    /// The endpoint's security group.
    group: &'a Group,
    /// What the function's role may do.
    actions: &'a [&'a str],
    /// What the corporate callers may do.
    corporate_actions: &'a [&'a str],
    resources: Vec<ResourceEntry>,
    endpoint_effect: Effect,
    endpoint_sid: &'a str,
    identity_sid: &'a str,
    /// Corporate callers the endpoint admits too, for the same resources.
    corporate: &'a [CorporatePrincipal],
}

/// What every grant shares: the VPC, the role, the name prefix.
struct GrantContext<'a> {
    vpc: &'a PrivateVpc,
    role_arn: Str,
    name: &'a str,
}

impl GrantContext<'_> {
    /// Adds the endpoint, its policy admitting only the role for `g.actions` on
    /// `g.resources`, and returns it with the role's statement conditioned on it.
    fn grant(
        &self,
        stack: &mut Stack,
        g: &Grant,
    ) -> Result<(Handle<VpcEndpoint>, Statement), ConstructError> {
        let with_resources = |mut st: Statement| {
            for r in &g.resources {
                st = st.resource(r.clone());
            }
            st
        };
        let endpoint_stmt = with_resources(
            stmt(g.endpoint_effect, g.actions.iter().copied())?
                .sid(g.endpoint_sid)
                .principal(Principal::aws(self.role_arn.clone())),
        );
        let identity_stmt =
            with_resources(stmt(Effect::Allow, g.actions.iter().copied())?.sid(g.identity_sid));
        let mut statements = vec![endpoint_stmt];
        let roles: Vec<Value> = g
            .corporate
            .iter()
            .filter_map(|c| match c {
                CorporatePrincipal::Role(arn) => Some(Value::from(arn.as_str())),
                CorporatePrincipal::Organization(_) => None,
            })
            .collect();
        if !roles.is_empty() {
            statements.push(with_resources(
                stmt(g.endpoint_effect, g.corporate_actions.iter().copied())?
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
                    stmt(g.endpoint_effect, g.corporate_actions.iter().copied())?
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
                group: g.group,
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

//! Private access to Amazon Bedrock over AWS PrivateLink (the AWS reference
//! architecture), as one solution: its construct ([`construct`]), its settings
//! ([`settings`]) and their checks ([`resolve`]), the Lambda handler (`handler/`), and
//! what `perimeter check` expects of every target (the endpoint policy's intended effect,
//! the corporate network and callers, for the access simulation's rows).

mod construct;
pub mod models;
mod resolve;
pub mod settings;

pub use construct::*;

use crate::check::Context;
use crate::check::perimeters::Claim;
use crate::constructs::{ConstructError, Stack};
use crate::solution::{Problem, Solution, TargetInfo};
use crate::template::typed::ToValue;

/// The solution `bedrock-private-access`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BedrockPrivateAccessSolution;

impl Solution for BedrockPrivateAccessSolution {
    type Settings = settings::Settings;
    type Props = BedrockPrivateAccessProps;
    const NAME: &'static str = "bedrock-private-access";
    const ABOUT: &'static str = "Private access to Amazon Bedrock over AWS PrivateLink.";

    fn resolve(
        &self,
        settings: &settings::Settings,
        target: &TargetInfo,
    ) -> Result<BedrockPrivateAccessProps, Vec<Problem>> {
        resolve::resolve(settings, target)
    }

    fn build(
        &self,
        props: &BedrockPrivateAccessProps,
        _target: &TargetInfo,
    ) -> Result<Stack, ConstructError> {
        BedrockPrivateAccess::stack(props)
    }

    fn check_context(&self, props: &BedrockPrivateAccessProps, t: &TargetInfo, ctx: &mut Context) {
        ctx.intended_effect = Some(props.endpoint_policy_effect);
        // A legacy model still works: said, not refused (resolve refuses the rest).
        for m in &props.models {
            let judged = props.sources.get(m).unwrap_or(m);
            if let models::Verdict::Legacy(why) = models::judge(judged, &t.region, &ctx.today) {
                ctx.notes.push(format!(
                    "warning: {why}; move to a current model before then"
                ));
            }
        }
        if let Some(c) = &props.corporate_access {
            ctx.known_cidrs.push(ipnet::IpNet::V4(c.cidr.net()));
            ctx.corporate_principals
                .extend(c.principals.iter().map(|p| match p {
                    CorporatePrincipal::Role(s) | CorporatePrincipal::Organization(s) => s.clone(),
                }));
        }
    }

    fn org_problems(&self, s: &settings::Settings, regions: &[String]) -> Vec<Problem> {
        let mut p = Vec::new();
        if s.network.ipam.is_none() {
            p.push(Problem::new(
                "network.vpc_cidr",
                format!(
                    "a literal block ({}) gives every account of the units the same addresses, which overlap once two of them are connected (transit gateway, peering, Direct Connect): allocate each account's block from an IPAM pool (network.ipam: {{pool_id, netmask_length}})",
                    s.network.vpc_cidr
                ),
            ));
        }
        if s.corporate_access.is_some() {
            p.push(Problem::new(
                "corporate_access",
                "corporate access is one network's: its Direct Connect gateway, virtual interface (one VLAN on one connection) and routes to a literal VPC block cannot be made again in every account of the units; give it an account target",
            ));
        }
        if s.function.asset.is_some() {
            p.push(Problem::new(
                "function.asset",
                "an asset is uploaded by perimeter deploy into each account's bootstrap bucket; a StackSet deploys to accounts perimeter does not reach: use the inline handler or function.code in a bucket the organization may read",
            ));
        }
        if let Some(d) = &s.database
            && d.s3_prefix_list_id.is_some()
            && regions.len() > 1
        {
            p.push(Problem::new(
                "database.s3_prefix_list_id",
                format!(
                    "S3's prefix list id is one Region's, and this target deploys one template to {} Regions ({}): give the database a target per Region",
                    regions.len(),
                    regions.join(", ")
                ),
            ));
        }
        p
    }

    /// Only the function's role and the listed corporate callers pass the runtime
    /// endpoint; only the listed models (their inference profiles and the foundation
    /// models they route to, and the application inference profile) are invoked; the
    /// template's roles invoke only through the endpoint.
    fn claims(&self, props: &BedrockPrivateAccessProps, _t: &TargetInfo) -> Vec<Claim> {
        let actions = vec![INVOKE.to_string(), INVOKE_STREAM.to_string()];
        let endpoint = RUNTIME_ENDPOINT.to_string();
        let mut principals = vec![format!("${{{FUNCTION_ROLE}.Arn}}")];
        if let Some(c) = &props.corporate_access {
            principals.extend(c.principals.iter().map(|p| match p {
                CorporatePrincipal::Role(s) | CorporatePrincipal::Organization(s) => s.clone(),
            }));
        }
        let mut resources: Vec<String> = Vec::new();
        if props.application_inference_profile {
            resources.push(format!("${{{APPLICATION_PROFILE}.InferenceProfileArn}}"));
        }
        for m in &props.models {
            for r in props.model_resources(m) {
                let text = crate::check::inventory::text(&r.to_value()).unwrap_or_default();
                if !resources.contains(&text) {
                    resources.push(text);
                }
            }
        }
        vec![
            Claim::OnlyPrincipals {
                actions: actions.clone(),
                endpoint: endpoint.clone(),
                principals,
            },
            Claim::OnlyResources {
                actions: actions.clone(),
                endpoint: endpoint.clone(),
                resources,
            },
            Claim::OnlyThroughEndpoint { actions, endpoint },
        ]
    }

    fn starter(&self) -> String {
        STARTER.to_string()
    }
}

/// The starter blueprint: every setting shown with its default and what it does.
const STARTER: &str = r#"# yaml-language-server: $schema=../schema/blueprint.schema.json
#
# Private access to Amazon Bedrock over AWS PrivateLink: a Lambda function in isolated
# subnets calls bedrock-runtime through an interface endpoint. Its role may call Bedrock
# only through that endpoint, and the endpoint admits only that role and the listed models.
# Before deploying, request access to the models in the Bedrock console of each region.
solution: bedrock-private-access
description: Private Bedrock access

# Shared by every target; a target's `overrides` change only what they name.
settings:
  network:
    vpc_cidr: 10.0.0.0/16          # the VPC's block, /16 to /28
    availability_zones: 2          # at least 2: a count, or names such as [us-east-1a, us-east-1b]
    # availability_zone_ids: [use1-az1, use1-az2]  # or zone ids: the same zones in every account; `lookup`: from perimeter.context.json
    subnet_prefix_length: 24       # one subnet per zone carved from the block (10.0.0.0/24, ...)
    # subnets: [10.0.0.0/24, 10.0.1.0/24]   # or give them yourself
    flow_logs: {retention_days: 365} # every flow to CloudWatch Logs; false turns them off
  bedrock:
    models:                        # what the function may invoke; the first is what it calls
      - global.anthropic.claude-haiku-5-5  # or us./eu./apac. to keep requests in one geography
    endpoint_policy_effect: Allow  # Deny proves that calls through the endpoint are refused
    # application_inference_profile: true  # an application inference profile for cost tracking
  function:
    runtime: python3.12            # python3.12, python3.13 or python3.14
    memory_mb: 256                 # 128 to 10240
    timeout_seconds: 30            # 1 to 900
    log_retention_days: 30         # a CloudWatch Logs retention value
    # asset: ../functions/app      # code from a folder inside the project (index.py, requirements.txt) instead of the inline handler
  # corporate_access:              # Direct Connect / VPN through a virtual private gateway
  #   cidr: 172.16.0.0/12          # admitted on 443 to the endpoints; must not overlap the VPC
  #   principals: [arn:aws:iam::123456789012:role/analysts]  # or an organization id, o-...
  #   direct_connect_gateway_id: 5f1a0c4e-...  # an existing Direct Connect gateway, or:
  #   virtual_interface: {connection_id: dxcon-..., vlan: 101, customer_asn: 65001}  # on a new gateway
  #   amazon_side_asn: 64512       # the new Direct Connect gateway's ASN
  #   dns: true                    # a Route 53 Resolver inbound endpoint for on-premises DNS
  # database:                      # product data in PostgreSQL, in the private subnets
  #   instance_class: db.t4g.micro
  #   allocated_storage_gb: 20
  #   multi_az: false
  #   deletion_protection: true
  #   schema: sql/products.sql     # SQL that makes the products table, applied on deploy by the schema function
  #   read_tables: [products]      # the application's own user may SELECT these, nothing else
  #   seed: sql/products-seed.sql  # optional starting rows
  #   s3_prefix_list_id: lookup  # S3's prefix list in the region, from perimeter.context.json (`perimeter context refresh`), or its id

targets:
  - name: dev                      # names the template: out/<blueprint>/dev.template.json
    account: "{ACCOUNT}"          # quoted: YAML would read the digits as a number
    region: {REGION}
    stage: dev
    # overrides:                   # only what differs for this target
    #   function: {memory_mb: 512}

# check:
#   suppress:                      # accept a finding of `perimeter check`, with a reason
#     - rule: D603
#       reason: kept forever by the audit policy
"#;

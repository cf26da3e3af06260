//! VPC endpoints: interface endpoints for any AWS service, with private DNS and a policy;
//! gateway endpoints (S3, DynamoDB) on the private route tables.

use super::grant::{admit, admit_through_gateway};
use super::network::PrivateVpc;
use super::security_group::{Group, Port, PrefixListId};
use super::stack::{ConstructError, Stack};
use crate::iam::{PolicyDocument, ResourceEntry, Statement};
use crate::resources::Handle;
use crate::resources::ec2::{VpcEndpoint, vpc_endpoint};
use crate::template::typed::{List, Str, fns};

fn check_service(service: &str) -> Result<(), ConstructError> {
    if service.is_empty()
        || !service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(ConstructError::Invalid(format!(
            "{service:?} is not an AWS service name such as bedrock-runtime"
        )));
    }
    Ok(())
}

/// An interface endpoint's service, group, policy and Name tag.
#[derive(Debug, Clone)]
pub struct InterfaceEndpoint<'a> {
    /// The service's short name: `bedrock-runtime`, `secretsmanager`, `ssm`...
    pub service: &'a str,
    /// The security group in front of the endpoint.
    pub group: &'a Group,
    /// Who may do what through it; `None`: the default full-access policy.
    pub policy: Option<PolicyDocument>,
    pub name_tag: &'a str,
}

/// Adds an interface endpoint for `service` (`bedrock-runtime`, `secretsmanager`, ...)
/// in every subnet of the VPC, behind `group`, with private DNS on.
///
/// The service name is built from the stack's region, so one template serves every
/// region it is deployed to.
pub fn interface_endpoint(
    stack: &mut Stack,
    id: &str,
    vpc: &PrivateVpc,
    e: InterfaceEndpoint<'_>,
) -> Result<Handle<VpcEndpoint>, ConstructError> {
    let InterfaceEndpoint {
        service,
        group,
        policy,
        name_tag,
    } = e;
    check_service(service)?;
    let mut endpoint = VpcEndpoint::new(vpc.vpc.reference())
        .service_name(fns::sub(&format!(
            "com.amazonaws.${{AWS::Region}}.{service}"
        )))
        .vpc_endpoint_type("Interface")
        .private_dns_enabled(true)
        .subnet_ids(vpc.subnet_ids())
        .security_group_ids(List::Items(vec![group.group_id()]))
        .tags(vec![vpc_endpoint::Tag::new("Name", name_tag)]);
    if let Some(p) = policy {
        endpoint = endpoint.policy_document(p);
    }
    stack.add(id, endpoint)
}

/// Adds a gateway endpoint for `service` (`s3` or `dynamodb`) on every private route
/// table, with a policy. Traffic reaches it by route, so a security group that limits
/// egress must admit the service's prefix list ([`super::Group::egress_to_prefix_list`]).
pub fn gateway_endpoint(
    stack: &mut Stack,
    id: &str,
    service: &str,
    vpc: &PrivateVpc,
    policy: PolicyDocument,
) -> Result<Handle<VpcEndpoint>, ConstructError> {
    if !matches!(service, "s3" | "dynamodb") {
        return Err(ConstructError::Invalid(format!(
            "{service:?} has no gateway endpoint: only s3 and dynamodb do"
        )));
    }
    stack.add(
        id,
        VpcEndpoint::new(vpc.vpc.reference())
            .service_name(fns::sub(&format!(
                "com.amazonaws.${{AWS::Region}}.{service}"
            )))
            .vpc_endpoint_type("Gateway")
            .route_table_ids(List::Items(
                vpc.route_tables.iter().map(Handle::reference).collect(),
            ))
            .policy_document(policy),
    )
}

/// Services with gateway endpoints (AWS offers no others; a new one is added here).
const GATEWAY_SERVICES: &[&str] = &["s3", "dynamodb", "s3express"];

/// How an endpoint is reached: by route (gateway) or by network interface.
#[derive(Debug, Clone)]
pub enum EndpointKind {
    /// On the route tables; a security group reaches it through the service's prefix
    /// list in the Region (a setting: a template cannot look it up).
    Gateway { prefix_list: PrefixListId },
    /// Network interfaces in the subnets behind this security group.
    Interface { group: Group },
}

/// An endpoint grants go through ([`super::Access::through`]): it starts admitting no one
/// (its policy only refuses principals of other accounts, `DenyOtherAccounts`), and each grant through it adds
/// the statement admitting its role to the grant's actions on the grant's resources.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub handle: Handle<VpcEndpoint>,
    /// The endpoint service's short name: `dynamodb`, `secretsmanager`, `ecr.api`.
    pub service: String,
    pub kind: EndpointKind,
    /// Its VPC's id.
    pub vpc: Str,
}

/// What a gateway endpoint needs.
#[derive(Debug, Clone)]
pub struct GatewayEndpointProps<'a> {
    /// `s3` or `dynamodb` (or `s3express`).
    pub service: &'a str,
    pub vpc: &'a PrivateVpc,
    /// The service's managed prefix list in the target's Region (`pl-...`).
    pub prefix_list: PrefixListId,
}

/// What an interface endpoint needs.
#[derive(Debug, Clone)]
pub struct InterfaceEndpointProps<'a> {
    /// Any service's short name: `sqs`, `kms`, `secretsmanager`, `bedrock-runtime`.
    pub service: &'a str,
    pub vpc: &'a PrivateVpc,
    /// The security group in front of the endpoint.
    pub group: &'a Group,
    pub name_tag: &'a str,
}

impl Endpoint {
    /// Adds a gateway endpoint on every route table of the VPC.
    pub fn gateway(
        stack: &mut Stack,
        id: &str,
        p: GatewayEndpointProps<'_>,
    ) -> Result<Endpoint, ConstructError> {
        if !GATEWAY_SERVICES.contains(&p.service) {
            return Err(ConstructError::Invalid(format!(
                "{:?} has no gateway endpoint: only {} do; use an interface endpoint",
                p.service,
                GATEWAY_SERVICES.join(", ")
            )));
        }
        let handle = gateway_endpoint(
            stack,
            id,
            p.service,
            p.vpc,
            PolicyDocument::new(vec![super::resource_policy::own_account_only("*")?]),
        )?;
        Ok(Endpoint {
            handle,
            service: p.service.to_string(),
            vpc: p.vpc.vpc.reference(),
            kind: EndpointKind::Gateway {
                prefix_list: p.prefix_list,
            },
        })
    }

    /// Adds an interface endpoint for any service, in every subnet, private DNS on.
    pub fn interface(
        stack: &mut Stack,
        id: &str,
        p: InterfaceEndpointProps<'_>,
    ) -> Result<Endpoint, ConstructError> {
        let handle = interface_endpoint(
            stack,
            id,
            p.vpc,
            InterfaceEndpoint {
                service: p.service,
                group: p.group,
                policy: Some(PolicyDocument::new(vec![
                    super::resource_policy::own_account_only("*")?,
                ])),
                name_tag: p.name_tag,
            },
        )?;
        Ok(Endpoint {
            handle,
            service: p.service.to_string(),
            vpc: p.vpc.vpc.reference(),
            kind: EndpointKind::Interface {
                group: p.group.clone(),
            },
        })
    }

    /// The logical id.
    pub fn id(&self) -> &str {
        self.handle.logical_id().as_str()
    }

    /// The IAM prefix of the actions it serves: `bedrock-runtime` serves `bedrock`,
    /// `ecr.api` serves `ecr`.
    pub fn iam_prefix(&self) -> String {
        served_prefix(&self.service)
    }

    /// Lets `from` reach the endpoint on HTTPS: egress to the prefix list (gateway), or
    /// egress to and ingress into the endpoint's group (interface).
    pub fn admit(&self, stack: &mut Stack, from: &Group) -> Result<(), ConstructError> {
        let label = pascal(&self.service);
        match &self.kind {
            EndpointKind::Gateway { prefix_list } => from.egress_to_prefix_list(
                stack,
                &label,
                prefix_list,
                Port::tcp(443),
                &format!("HTTPS to {} through the gateway endpoint", self.service),
            ),
            EndpointKind::Interface { group } => from.connect(
                stack,
                group,
                Port::tcp(443),
                &format!("HTTPS to the {} endpoint", self.service),
            ),
        }
    }

    /// The endpoint policy's statement admitting `role` (an ARN): by `Principal` on an
    /// interface endpoint, by `aws:PrincipalArn` on a gateway one (which takes only
    /// `Principal: "*"`).
    pub(super) fn admit_statement(
        &self,
        sid: &str,
        role: Str,
        actions: &[&str],
        resources: Vec<ResourceEntry>,
    ) -> Result<Statement, ConstructError> {
        match self.kind {
            EndpointKind::Gateway { .. } => admit_through_gateway(sid, role, actions, resources),
            EndpointKind::Interface { .. } => admit(sid, role, actions, resources),
        }
    }
}

/// `ecr.api` -> `EcrApi`, for logical ids.
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

/// The IAM prefix of the service an endpoint serves: the name's head (before `.`),
/// shortened at `-` until the IAM catalog knows it (`bedrock-agent-runtime` ->
/// `bedrock`); the head itself when it never does.
pub fn served_prefix(endpoint_service: &str) -> String {
    let head = endpoint_service
        .split('.')
        .next()
        .unwrap_or(endpoint_service);
    let catalog = crate::iam::catalog::catalog();
    let mut name = head;
    loop {
        if catalog.service(name).is_some() {
            return name.to_string();
        }
        match name.rsplit_once('-') {
            Some((shorter, _)) => name = shorter,
            None => return head.to_string(),
        }
    }
}

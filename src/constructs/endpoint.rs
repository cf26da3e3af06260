//! VPC endpoints: interface endpoints for any AWS service, with private DNS and a policy;
//! gateway endpoints (S3, DynamoDB) on the private route tables.

use super::network::PrivateVpc;
use super::security_group::Group;
use super::stack::{ConstructError, Stack};
use crate::iam::PolicyDocument;
use crate::resources::Handle;
use crate::resources::ec2::{VpcEndpoint, vpc_endpoint};
use crate::template::typed::{List, fns};

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

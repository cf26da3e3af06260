//! What a template holds, as the perimeter rules and the access simulation need it:
//! VPC endpoints and the service each serves, security-group ingress rules wherever
//! they are written, the policy documents and whom they bind, and functions' VPCs.

use std::collections::{BTreeMap, BTreeSet};

use crate::iam::PolicyDocument;
use crate::template::{Intrinsic, Template, Value};

/// The logical id a value points at: `Ref X`, `Fn::GetAtt X.Attr` or `${X}` alone.
pub fn target(v: &Value) -> Option<&str> {
    match v.as_fn()? {
        Intrinsic::Ref(t) => Some(t),
        Intrinsic::GetAtt { resource, .. } => Some(resource),
        Intrinsic::Sub {
            template,
            variables: None,
        } => {
            let name = template.strip_prefix("${")?.strip_suffix('}')?;
            (!name.contains("${")).then(|| name.split('.').next().unwrap_or(name))
        }
        _ => None,
    }
}

/// A value as text with intrinsics written `${...}`: enough to read names like
/// `com.amazonaws.${AWS::Region}.bedrock-runtime` whichever way they were built.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Fn(i) => match &**i {
            Intrinsic::Ref(n) => Some(format!("${{{n}}}")),
            Intrinsic::GetAtt {
                resource,
                attribute: Value::String(a),
            } => Some(format!("${{{resource}.{a}}}")),
            Intrinsic::Sub { template, .. } => Some(template.clone()),
            Intrinsic::Join {
                delimiter,
                values: Value::List(items),
            } => {
                let parts: Option<Vec<String>> = items.iter().map(text).collect();
                parts.map(|p| p.join(delimiter))
            }
            _ => None,
        },
        _ => None,
    }
}

/// A literal `true` (or `"true"`).
pub fn is_true(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A value or each element of a list.
pub fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None => vec![],
        Some(Value::List(l)) => l.iter().collect(),
        Some(x) => vec![x],
    }
}

/// Whether `v` holds an `Fn::If` anywhere: its meaning depends on a condition.
pub fn has_if(v: &Value) -> bool {
    let mut found = false;
    v.walk(&mut |x| {
        if let Value::Fn(i) = x
            && matches!(&**i, Intrinsic::If { .. })
        {
            found = true;
        }
    });
    found
}

/// The EC2 actions Lambda itself uses to attach a function to a VPC
/// (AWSLambdaVPCAccessExecutionRole); they need `Resource: "*"` and no endpoint.
pub const ENI_ACTIONS: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
];

/// Whether an action is one of [`ENI_ACTIONS`] (IAM compares actions without case).
pub fn is_eni_action(action: &str) -> bool {
    ENI_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// How an endpoint connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Interface,
    Gateway,
    /// GatewayLoadBalancer, service networks, or a type decided at deploy time.
    Other,
}

/// A VPC endpoint of the template.
#[derive(Debug, Clone)]
pub struct Endpoint<'a> {
    pub id: &'a str,
    /// The service part of the name: `bedrock-runtime`, `s3`, `ecr.api`.
    pub service: Option<String>,
    /// The logical id of its VPC, when the template creates it.
    pub vpc: Option<&'a str>,
    pub kind: EndpointKind,
    /// Logical ids of its security groups that the template creates.
    pub security_groups: Vec<&'a str>,
    pub props: &'a BTreeMap<String, Value>,
}

/// The service of `com.amazonaws.<region>.<service>` (or `aws.api.<region>.<service>`
/// and `cn.com.amazonaws...` forms): everything after the region part.
pub fn service_of(name: &str) -> Option<String> {
    let rest = name
        .strip_prefix("cn.com.amazonaws.")
        .or_else(|| name.strip_prefix("com.amazonaws."))
        .or_else(|| name.strip_prefix("aws.api."))?;
    // The region is one part, literal or `${AWS::Region}` (which holds no dot).
    let (_, service) = rest.split_once('.')?;
    (!service.is_empty()).then(|| service.to_string())
}

/// Every VPC endpoint, in logical-id order.
pub fn endpoints(t: &Template) -> Vec<Endpoint<'_>> {
    t.resources
        .iter()
        .filter(|(_, r)| r.resource_type.as_str() == "AWS::EC2::VPCEndpoint")
        .map(|(id, r)| {
            let p = &r.properties;
            let kind = match p.get("VpcEndpointType") {
                None => EndpointKind::Gateway,
                Some(Value::String(s)) if s == "Interface" => EndpointKind::Interface,
                Some(Value::String(s)) if s == "Gateway" => EndpointKind::Gateway,
                Some(_) => EndpointKind::Other,
            };
            Endpoint {
                id: id.as_str(),
                service: p
                    .get("ServiceName")
                    .and_then(text)
                    .and_then(|n| service_of(&n)),
                vpc: p
                    .get("VpcId")
                    .and_then(target)
                    .filter(|v| resource_is(t, v)),
                kind,
                security_groups: items(p.get("SecurityGroupIds"))
                    .into_iter()
                    .filter_map(target)
                    .filter(|g| resource_is(t, g))
                    .collect(),
                props: p,
            }
        })
        .collect()
}

/// Whether the template has a resource with this logical id.
pub fn resource_is(t: &Template, id: &str) -> bool {
    t.resources.contains_key(id)
}

/// The type of the resource with this logical id.
pub fn type_of<'a>(t: &'a Template, id: &str) -> Option<&'a str> {
    t.resources.get(id).map(|r| r.resource_type.as_str())
}

/// One ingress rule, inline in a group or standalone.
#[derive(Debug, Clone)]
pub struct Ingress<'a> {
    /// The group it admits traffic into: a logical id when the template creates it.
    pub group: Option<&'a str>,
    /// The resource holding the rule (the group for inline rules).
    pub resource: &'a str,
    /// Path of the rule from the resource (`Properties.SecurityGroupIngress[0]`).
    pub path: String,
    pub rule: &'a BTreeMap<String, Value>,
}

/// Every ingress rule of every security group.
pub fn ingress_rules(t: &Template) -> Vec<Ingress<'_>> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        match r.resource_type.as_str() {
            "AWS::EC2::SecurityGroup" => {
                for (i, rule) in items(r.properties.get("SecurityGroupIngress"))
                    .into_iter()
                    .enumerate()
                {
                    if let Some(m) = rule.as_map() {
                        out.push(Ingress {
                            group: Some(id.as_str()),
                            resource: id.as_str(),
                            path: format!("Properties.SecurityGroupIngress[{i}]"),
                            rule: m,
                        });
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" => out.push(Ingress {
                group: r
                    .properties
                    .get("GroupId")
                    .and_then(target)
                    .filter(|g| resource_is(t, g)),
                resource: id.as_str(),
                path: "Properties".into(),
                rule: &r.properties,
            }),
            _ => {}
        }
    }
    out
}

/// What a policy document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyUse {
    /// Attached to roles, users or groups.
    Identity,
    /// Who may assume a role.
    Trust,
    /// On a resource (bucket, queue, topic, key, secret).
    Resource,
    /// A VPC endpoint's policy.
    Endpoint,
}

/// A policy document in the template.
#[derive(Debug, Clone)]
pub struct PolicyAt<'a> {
    pub resource: &'a str,
    /// Path from the resource (`Properties.Policies[0].PolicyDocument`).
    pub path: String,
    /// A readable name: `FunctionRole inline policy Logs`.
    pub name: String,
    pub usage: PolicyUse,
    /// For identity policies: the logical ids of the roles they apply to.
    pub roles: Vec<&'a str>,
    pub doc: &'a Value,
    /// The document read as a policy, or why it is none.
    pub parsed: Result<PolicyDocument, crate::error::Invalid>,
}

/// What the rules and the simulation read, collected once per check.
pub struct Inventory<'a> {
    pub endpoints: Vec<Endpoint<'a>>,
    pub policies: Vec<PolicyAt<'a>>,
}

impl<'a> Inventory<'a> {
    pub fn of(t: &'a Template) -> Self {
        Inventory {
            endpoints: endpoints(t),
            policies: policies(t),
        }
    }

    /// The parsed policy of an endpoint.
    pub fn endpoint_policy(&self, endpoint: &str) -> Option<&PolicyDocument> {
        self.policies
            .iter()
            .find(|p| p.usage == PolicyUse::Endpoint && p.resource == endpoint)
            .and_then(|p| p.parsed.as_ref().ok())
    }
}

/// Every policy document of the template, in resource order.
pub fn policies<'a>(t: &'a Template) -> Vec<PolicyAt<'a>> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        let id = id.as_str();
        let p = &r.properties;
        let mut add = |path: String, name: String, usage, roles: Vec<&'a str>, doc: &'a Value| {
            out.push(PolicyAt {
                resource: id,
                path,
                name,
                usage,
                roles,
                doc,
                parsed: PolicyDocument::from_value(doc),
            })
        };
        match r.resource_type.as_str() {
            ty @ ("AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group") => {
                let roles = if ty == "AWS::IAM::Role" {
                    vec![id]
                } else {
                    vec![]
                };
                if let Some(doc) = p.get("AssumeRolePolicyDocument") {
                    add(
                        "Properties.AssumeRolePolicyDocument".into(),
                        format!("{id} trust policy"),
                        PolicyUse::Trust,
                        vec![],
                        doc,
                    );
                }
                for (i, pol) in items(p.get("Policies")).into_iter().enumerate() {
                    if let Some(doc) = pol.as_map().and_then(|m| m.get("PolicyDocument")) {
                        let name = pol
                            .as_map()
                            .and_then(|m| m.get("PolicyName"))
                            .and_then(text)
                            .unwrap_or_default();
                        add(
                            format!("Properties.Policies[{i}].PolicyDocument"),
                            format!("{id} inline policy {name}"),
                            PolicyUse::Identity,
                            roles.clone(),
                            doc,
                        );
                    }
                }
            }
            "AWS::IAM::Policy"
            | "AWS::IAM::ManagedPolicy"
            | "AWS::IAM::RolePolicy"
            | "AWS::IAM::UserPolicy"
            | "AWS::IAM::GroupPolicy" => {
                let roles: Vec<&str> = items(p.get("Roles"))
                    .into_iter()
                    .chain(items(p.get("RoleName")))
                    .filter_map(target)
                    .filter(|r| type_of(t, r) == Some("AWS::IAM::Role"))
                    .collect();
                if let Some(doc) = p.get("PolicyDocument") {
                    add(
                        "Properties.PolicyDocument".into(),
                        format!("{id} policy"),
                        PolicyUse::Identity,
                        roles,
                        doc,
                    );
                }
            }
            // SAM's inline policy documents (its other entries name managed policies or
            // SAM policy templates); SAM gives the function a role of its own.
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                let docs: Vec<(String, &Value)> = match p.get("Policies") {
                    Some(Value::List(list)) => list
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("Properties.Policies[{i}]"), v))
                        .collect(),
                    Some(v) => vec![("Properties.Policies".to_string(), v)],
                    None => vec![],
                };
                for (path, doc) in docs {
                    if doc.as_map().is_some_and(|m| m.contains_key("Statement")) {
                        add(
                            path,
                            format!("{id} inline policy"),
                            PolicyUse::Identity,
                            vec![],
                            doc,
                        );
                    }
                }
            }
            other => {
                let found = match other {
                    "AWS::EC2::VPCEndpoint" => Some(("PolicyDocument", PolicyUse::Endpoint)),
                    "AWS::S3::BucketPolicy" | "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" => {
                        Some(("PolicyDocument", PolicyUse::Resource))
                    }
                    "AWS::KMS::Key" => Some(("KeyPolicy", PolicyUse::Resource)),
                    "AWS::SecretsManager::ResourcePolicy" => {
                        Some(("ResourcePolicy", PolicyUse::Resource))
                    }
                    _ => None,
                };
                if let Some((key, usage)) = found
                    && let Some(doc) = p.get(key)
                {
                    let what = if usage == PolicyUse::Endpoint {
                        "endpoint policy"
                    } else {
                        "resource policy"
                    };
                    add(
                        format!("Properties.{key}"),
                        format!("{id} {what}"),
                        usage,
                        vec![],
                        doc,
                    );
                }
            }
        }
    }
    out
}

/// The VPCs (logical ids) of the subnets a value lists, when the template creates them.
pub fn vpcs_of_subnets<'a>(t: &'a Template, subnets: Option<&'a Value>) -> BTreeSet<&'a str> {
    items(subnets)
        .into_iter()
        .filter_map(target)
        .filter_map(|s| t.resources.get(s))
        .filter(|r| r.resource_type.as_str() == "AWS::EC2::Subnet")
        .filter_map(|r| r.properties.get("VpcId").and_then(target))
        .filter(|v| resource_is(t, v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_in_every_form() {
        assert_eq!(
            service_of("com.amazonaws.${AWS::Region}.bedrock-runtime").as_deref(),
            Some("bedrock-runtime")
        );
        assert_eq!(
            service_of("com.amazonaws.us-east-1.ecr.api").as_deref(),
            Some("ecr.api")
        );
        assert_eq!(
            service_of("cn.com.amazonaws.cn-north-1.s3").as_deref(),
            Some("s3")
        );
        assert_eq!(
            service_of("com.amazonaws.vpce.us-east-1.vpce-svc-1").as_deref(),
            Some("us-east-1.vpce-svc-1")
        );
        assert_eq!(service_of("s3"), None);
    }
}

//! Network rules of a private solution: no path to the internet, no open ingress,
//! endpoints private and locked down, and an endpoint for every service a function in a
//! VPC calls.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use super::inventory::{
    self, Endpoint, EndpointKind, Inventory, PolicyUse, ingress_rules, is_true, items, target,
    type_of, vpcs_of_subnets,
};
use super::{Context, Finding, rules};
use crate::iam::Effect;
use crate::template::{Template, Value};

pub fn check(t: &Template, ctx: &Context, inv: &Inventory<'_>, out: &mut Vec<Finding>) {
    internet_paths(t, out);
    ingress(t, ctx, &inv.endpoints, out);
    for e in &inv.endpoints {
        if e.kind != EndpointKind::Interface {
            continue;
        }
        let service = e.service.as_deref().unwrap_or("its service");
        if !is_true(e.props.get("PrivateDnsEnabled"))
            && !is_intrinsic(e.props.get("PrivateDnsEnabled"))
        {
            out.push(Finding::on(
                rules::PRIVATE_DNS,
                e.id,
                "Properties.PrivateDnsEnabled",
                format!("the interface endpoint for {service} does not enable private DNS: clients resolve the public {service} name and leave the VPC path"),
            ));
        }
        if !e.props.contains_key("PolicyDocument") {
            out.push(Finding::on(
                rules::ENDPOINT_POLICY,
                e.id,
                "Properties",
                format!("the interface endpoint for {service} has no PolicyDocument: the default policy allows every action by any principal"),
            ));
        }
    }
    missing_endpoints(t, inv, out);
}

fn is_intrinsic(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Fn(_)))
}

fn internet_paths(t: &Template, out: &mut Vec<Finding>) {
    for (id, r) in &t.resources {
        let what = match r.resource_type.as_str() {
            "AWS::EC2::InternetGateway" => "an internet gateway",
            "AWS::EC2::EgressOnlyInternetGateway" => "an egress-only internet gateway",
            "AWS::EC2::CarrierGateway" => "a carrier gateway",
            "AWS::EC2::EIP" => "an Elastic IP address",
            "AWS::EC2::NatGateway" => {
                // A private NAT gateway translates between private networks only.
                if r.properties.get("ConnectivityType").and_then(Value::as_str) == Some("private") {
                    continue;
                }
                "a public NAT gateway"
            }
            _ => continue,
        };
        out.push(Finding::on(
            rules::INTERNET_PATH,
            id.as_str(),
            "Type",
            format!(
                "{id} is {what} ({}): a path to or from the internet in a private solution",
                r.resource_type
            ),
        ));
    }
    for (id, r) in &t.resources {
        if r.resource_type.as_str() == "AWS::EC2::Subnet"
            && is_true(r.properties.get("MapPublicIpOnLaunch"))
        {
            out.push(Finding::on(
                rules::PUBLIC_SUBNET,
                id.as_str(),
                "Properties.MapPublicIpOnLaunch",
                format!("subnet {id} gives every instance launched in it a public IP address"),
            ));
        }
    }
}

/// A CIDR written as a literal, parsed.
fn cidr(v: Option<&Value>) -> Option<IpNet> {
    v.and_then(Value::as_str)
        .and_then(|s| s.trim().parse().ok())
}

/// A CIDR written as a literal, or the default of the parameter a `Ref` names (the
/// commonest way templates open SSH to the world: `CidrIp: !Ref SSHLocation`, default
/// 0.0.0.0/0), with that parameter's name.
fn cidr_or_default<'t>(t: &'t Template, v: Option<&Value>) -> Option<(IpNet, Option<&'t str>)> {
    if let Some(n) = cidr(v) {
        return Some((n, None));
    }
    let Some(Value::Fn(f)) = v else { return None };
    let crate::template::Intrinsic::Ref(name) = &**f else {
        return None;
    };
    let (key, p) = t.parameters.get_key_value(name.as_str())?;
    cidr(p.default.as_ref()).map(|n| (n, Some(key.as_str())))
}

/// Private address space: RFC 1918, shared CGN space, IPv6 unique-local.
fn is_private(n: &IpNet) -> bool {
    const PRIVATE: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
    ];
    PRIVATE
        .iter()
        .filter_map(|p| p.parse::<IpNet>().ok())
        .any(|p| p.contains(n))
}

fn ingress(t: &Template, ctx: &Context, eps: &[Endpoint<'_>], out: &mut Vec<Finding>) {
    let endpoint_groups: BTreeMap<&str, Vec<&str>> = {
        let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in eps {
            for g in &e.security_groups {
                m.entry(*g).or_default().push(e.id);
            }
        }
        m
    };
    for rule in ingress_rules(t) {
        let r = rule.rule;
        let open = [("CidrIp", r.get("CidrIp")), ("CidrIpv6", r.get("CidrIpv6"))]
            .into_iter()
            .find_map(|(k, v)| {
                cidr_or_default(t, v)
                    .filter(|(n, _)| n.prefix_len() == 0)
                    .map(|(n, p)| (k, n, p))
            });
        if let Some((key, net, param)) = open {
            let via = match param {
                Some(p) => {
                    format!(" (the default of parameter {p}; a deployment may pass another value)")
                }
                None => String::new(),
            };
            out.push(Finding::on(
                rules::OPEN_INGRESS,
                rule.resource,
                &format!("{}.{key}", rule.path),
                format!(
                    "ingress from {net} (anywhere){} into {}{via}",
                    ports(r),
                    rule.group.unwrap_or("a security group")
                ),
            ));
            continue;
        }
        let Some(group) = rule.group else { continue };
        let Some(eps) = endpoint_groups.get(group) else {
            continue;
        };
        let mut wrong = Vec::new();
        let proto = r
            .get("IpProtocol")
            .and_then(inventory::text)
            .unwrap_or_default();
        let port = |k: &str| r.get(k).and_then(inventory::text);
        if !matches!(proto.as_str(), "tcp" | "6")
            || port("FromPort").as_deref() != Some("443")
            || port("ToPort").as_deref() != Some("443")
        {
            wrong.push(format!("it admits{} rather than TCP 443", ports(r)));
        }
        if let Some(s) = r.get("SourceSecurityGroupId") {
            if let Some(g) = target(s)
                && type_of(t, g).is_none()
                && !t.parameters.contains_key(g)
            {
                wrong.push(format!("its source group {g} is not in the template"));
            }
        } else if let Some(n) = cidr(r.get("CidrIp")).or_else(|| cidr(r.get("CidrIpv6"))) {
            if !is_private(&n) && !ctx.known_cidrs.iter().any(|k| k.contains(&n)) {
                wrong.push(format!("its source {n} is not a private network"));
            }
        } else if ![
            "CidrIp",
            "CidrIpv6",
            "SourcePrefixListId",
            "SourceSecurityGroupName",
        ]
        .iter()
        .any(|k| r.contains_key(*k))
        {
            wrong.push("it names no source".into());
        }
        if !wrong.is_empty() {
            out.push(Finding::on(
                rules::ENDPOINT_INGRESS,
                rule.resource,
                &rule.path,
                format!(
                    "{group} guards endpoint {}: {}",
                    eps.join(", "),
                    wrong.join("; ")
                ),
            ));
        }
    }
}

fn ports(r: &BTreeMap<String, Value>) -> String {
    let proto = r
        .get("IpProtocol")
        .and_then(inventory::text)
        .unwrap_or_default();
    let from = r.get("FromPort").and_then(inventory::text);
    let to = r.get("ToPort").and_then(inventory::text);
    match (proto.as_str(), from, to) {
        ("-1", _, _) => " all traffic".into(),
        (p, Some(f), Some(t)) if f == t => format!(" {p} {f}"),
        (p, Some(f), Some(t)) => format!(" {p} {f}-{t}"),
        (p, _, _) => format!(" {p}"),
    }
}

/// Services a function's code reaches through AWS APIs, by the actions its role is
/// granted. Lambda itself, not the code, uses the ENI and log actions.
fn endpoint_service(action: &str) -> Option<String> {
    let (service, name) = action.split_once(':')?;
    let service = service.to_ascii_lowercase();
    let name_lc = name.to_ascii_lowercase();
    if service == "logs" || service == "rds-db" || service == "iam" {
        return None;
    }
    if inventory::is_eni_action(action) {
        return None;
    }
    if service.contains('*') {
        return None;
    }
    Some(match service.as_str() {
        "bedrock" => {
            let runtime = ["invokemodel", "converse", "applyguardrail", "counttokens"];
            let agent = [
                "invokeagent",
                "retrieve",
                "invokeflow",
                "invokeinlineagent",
                "rerank",
            ];
            if runtime.iter().any(|p| name_lc.starts_with(p)) {
                "bedrock-runtime".into()
            } else if agent.iter().any(|p| name_lc.starts_with(p)) {
                "bedrock-agent-runtime".into()
            } else {
                "bedrock".into()
            }
        }
        "ecr" => "ecr.api".into(),
        "execute-api" => "execute-api".into(),
        other => other.to_string(),
    })
}

fn missing_endpoints(t: &Template, inv: &Inventory<'_>, out: &mut Vec<Finding>) {
    let eps = &inv.endpoints;
    // Actions each role is granted (Allow statements of its identity policies).
    let mut granted: BTreeMap<&str, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for p in &inv.policies {
        if p.usage != PolicyUse::Identity {
            continue;
        }
        let Ok(doc) = &p.parsed else {
            continue;
        };
        for s in doc
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && !s.action.is_negated())
        {
            for a in s.action.inner() {
                if let Some(svc) = endpoint_service(a.as_str()) {
                    for role in &p.roles {
                        granted
                            .entry(role)
                            .or_default()
                            .entry(svc.clone())
                            .or_default()
                            .insert(a.to_string());
                    }
                }
            }
        }
    }
    for (id, r) in &t.resources {
        if r.resource_type.as_str() != "AWS::Lambda::Function" {
            continue;
        }
        let Some(vpc) = r.properties.get("VpcConfig").and_then(Value::as_map) else {
            continue;
        };
        if items(vpc.get("SubnetIds")).is_empty() {
            continue;
        }
        let Some(role) = r.properties.get("Role").and_then(target) else {
            continue;
        };
        let Some(services) = granted.get(role) else {
            continue;
        };
        let vpcs = vpcs_of_subnets(t, vpc.get("SubnetIds"));
        for (svc, actions) in services {
            let served = eps.iter().any(|e| {
                let same_vpc = vpcs.is_empty() || e.vpc.is_none_or(|v| vpcs.contains(v));
                let kind_ok = e.kind == EndpointKind::Interface
                    || (e.kind == EndpointKind::Gateway
                        && matches!(svc.as_str(), "s3" | "dynamodb"))
                    || e.kind == EndpointKind::Other;
                same_vpc && kind_ok && e.service.as_deref() == Some(svc.as_str())
            });
            if !served {
                let where_ = if vpcs.is_empty() {
                    "the template".to_string()
                } else {
                    format!(
                        "its VPC {}",
                        vpcs.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                };
                out.push(Finding::on(
                    rules::NO_ENDPOINT,
                    id.as_str(),
                    "Properties.VpcConfig",
                    format!(
                        "function {id} runs in a VPC and its role {role} is granted {}, but {where_} has no endpoint for {svc}: the calls fail (or leave through a NAT)",
                        actions.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ).fix(format!("Add an interface endpoint for com.amazonaws.<region>.{svc} to the function's VPC, or drop the grant.")));
            }
        }
    }
}

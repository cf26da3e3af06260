//! Security group rule changes, inline (SecurityGroupIngress/Egress of a group) and
//! standalone (AWS::EC2::SecurityGroupIngress/Egress), compared as sets.

use std::collections::BTreeSet;

use super::branches::{elements, join, labelled, property_sets};
use super::canon::display;
use super::model::{ChangeKind, RuleChange};
use crate::template::{Template, Value};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rule {
    /// The group, with the `Fn::If` conditions that choose the rule (`Web [if IsProd]`).
    group: String,
    /// The group alone, and those conditions: a rule that always applied covers the same
    /// rule behind a condition.
    base: String,
    when: String,
    direction: String,
    protocol: String,
    ports: String,
    peer: String,
    description: String,
}

fn protocol(v: Option<&Value>) -> String {
    match v.map(display).as_deref() {
        Some("-1") | Some("all") => "all".into(),
        Some("6") => "tcp".into(),
        Some("17") => "udp".into(),
        Some("1") => "icmp".into(),
        Some(p) => p.to_lowercase(),
        None => "?".into(),
    }
}

fn rule(
    base: &str,
    when: &str,
    direction: &str,
    m: &std::collections::BTreeMap<String, Value>,
) -> Rule {
    let protocol = protocol(m.get("IpProtocol"));
    let from = m.get("FromPort").map(display);
    let to = m.get("ToPort").map(display);
    let ports = match (protocol.as_str(), from, to) {
        ("all", _, _) => "all".to_string(),
        (_, Some(f), Some(t)) if f == t => f,
        (_, Some(f), Some(t)) if (f == "-1" || f == "0") && (t == "-1" || t == "65535") => {
            "all".into()
        }
        (_, Some(f), Some(t)) => format!("{f}-{t}"),
        (_, Some(f), None) => f,
        _ => "all".into(),
    };
    let peer_keys = [
        ("CidrIp", ""),
        ("CidrIpv6", ""),
        ("SourceSecurityGroupId", "sg "),
        ("DestinationSecurityGroupId", "sg "),
        ("SourceSecurityGroupName", "sg "),
        ("SourcePrefixListId", "prefix list "),
        ("DestinationPrefixListId", "prefix list "),
    ];
    let peer = peer_keys
        .iter()
        .find_map(|(k, p)| m.get(*k).map(|v| format!("{p}{}", display(v))))
        .unwrap_or_else(|| "?".into());
    Rule {
        group: labelled(base, when),
        base: base.to_string(),
        when: when.to_string(),
        direction: direction.into(),
        protocol,
        ports,
        peer,
        description: m.get("Description").map(display).unwrap_or_default(),
    }
}

/// Every rule, in each branch of any `Fn::If` around the properties, the rule list or a
/// rule; a rule behind a condition names it after its group (`Web [if IsProd]`).
fn rules(t: &Template) -> Vec<Rule> {
    let mut out = Vec::new();
    for (id, r) in &t.resources {
        for (outer, p) in property_sets(&r.properties) {
            match r.resource_type.as_str() {
                "AWS::EC2::SecurityGroup" => {
                    for (key, dir) in [
                        ("SecurityGroupIngress", "ingress"),
                        ("SecurityGroupEgress", "egress"),
                    ] {
                        for (inner, m) in elements(p.get(key)) {
                            if let Some(m) = m.as_map() {
                                out.push(rule(id.as_str(), &join(&outer, &inner), dir, m));
                            }
                        }
                    }
                }
                "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                    let dir = if r.resource_type.as_str().ends_with("Ingress") {
                        "ingress"
                    } else {
                        "egress"
                    };
                    // A standalone rule belongs to the group it names.
                    let group = match p.get("GroupId").or_else(|| p.get("GroupName")) {
                        Some(Value::Fn(f)) => match &**f {
                            crate::template::Intrinsic::GetAtt { resource, .. }
                            | crate::template::Intrinsic::Ref(resource) => resource.clone(),
                            _ => display(&Value::Fn(f.clone())),
                        },
                        Some(v) => display(v),
                        None => id.to_string(),
                    };
                    out.push(rule(&group, &outer, dir, p));
                }
                _ => {}
            }
        }
    }
    out
}

pub fn diff_rules(old: &Template, new: &Template) -> Vec<RuleChange> {
    let (a, b) = (rules(old), rules(new));
    // What traffic a rule lets through: everything but its description and conditions.
    let traffic = |r: &Rule| {
        (
            r.base.clone(),
            r.direction.clone(),
            r.protocol.clone(),
            r.ports.clone(),
            r.peer.clone(),
        )
    };
    let mut out = Vec::new();
    for (kind, from, other) in [(ChangeKind::Removed, &a, &b), (ChangeKind::Added, &b, &a)] {
        let present: BTreeSet<&Rule> = other.iter().collect();
        for r in from.iter().filter(|r| !present.contains(r)) {
            let anywhere = matches!(r.peer.as_str(), "0.0.0.0/0" | "::/0");
            // A rule that only rewords its description, or that always applied before
            // and now only under a condition, opens nothing.
            let reworded = other
                .iter()
                .any(|o| traffic(o) == traffic(r) && (o.when.is_empty() || o.when == r.when));
            out.push(RuleChange {
                kind,
                group: r.group.clone(),
                direction: r.direction.clone(),
                protocol: r.protocol.clone(),
                ports: r.ports.clone(),
                peer: r.peer.clone(),
                description: r.description.clone(),
                broadens: kind == ChangeKind::Added && !reworded,
                anywhere,
            });
        }
    }
    out.sort_by(|x, y| {
        (&x.group, &x.direction, x.kind == ChangeKind::Added).cmp(&(
            &y.group,
            &y.direction,
            y.kind == ChangeKind::Added,
        ))
    });
    out
}

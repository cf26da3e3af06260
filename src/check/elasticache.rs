//! ElastiCache's cluster mode (a parameter group with `cluster-enabled: yes`) needs
//! automatic failover, and without NumNodeGroups more than one cache cluster (cfn-lint
//! E3026): a service rule that spans two resources, so it is code, not distilled data.
//! Each is judged under every combination of conditions that can occur together.

use super::conditions::{alternatives, compatible, describe};
use super::{Finding, rules};
use crate::template::{Intrinsic, Template, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    for (id, r) in &t.resources {
        if r.resource_type.as_str() != "AWS::ElastiCache::ReplicationGroup" {
            continue;
        }
        let Some(Intrinsic::Ref(group)) = r
            .properties
            .get("CacheParameterGroupName")
            .and_then(Value::as_fn)
        else {
            continue;
        };
        let Some(pg) = t
            .resources
            .iter()
            .find(|(gid, g)| {
                gid.as_str() == group
                    && g.resource_type.as_str() == "AWS::ElastiCache::ParameterGroup"
            })
            .map(|(_, g)| g)
        else {
            continue;
        };
        let Some(params) = pg.properties.get("Properties") else {
            continue;
        };
        for (when_cluster, p) in alternatives(params) {
            let cluster = p
                .as_map()
                .and_then(|m| m.get("cluster-enabled"))
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
            if !cluster {
                continue;
            }
            if let Some(failover) = r.properties.get("AutomaticFailoverEnabled") {
                for (when, v) in alternatives(failover) {
                    if is_false(v) && compatible(t, &when_cluster, &when) == Some(true) {
                        let mut all = when_cluster.clone();
                        all.extend(when.iter().filter(|w| !when_cluster.contains(w)));
                        out.push(Finding::on(
                            rules::SERVICE_RULE,
                            id.as_str(),
                            "Properties.AutomaticFailoverEnabled",
                            format!(
                                "AutomaticFailoverEnabled is false while parameter group {group} enables cluster mode{}: cluster mode needs automatic failover (cfn-lint E3026)",
                                describe(&all)
                            ),
                        ));
                        break;
                    }
                }
            }
            if !r.properties.contains_key("NumNodeGroups") {
                let clusters = r.properties.get("NumCacheClusters");
                let count = match clusters {
                    None => Some(0.0),
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(Value::String(s)) => s.parse().ok(),
                    Some(_) => None,
                };
                if count.is_some_and(|c| c <= 1.0) {
                    out.push(Finding::on(
                        rules::SERVICE_RULE,
                        id.as_str(),
                        if clusters.is_some() { "Properties.NumCacheClusters" } else { "Properties" },
                        format!(
                            "parameter group {group} enables cluster mode{}: without NumNodeGroups it needs NumCacheClusters above 1 (cfn-lint E3026)",
                            describe(&when_cluster)
                        ),
                    ));
                }
            }
            break;
        }
    }
}

fn is_false(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::String(s) => s.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(failover: &str, shards: &str) -> Vec<String> {
        let t = Template::parse_any(&format!(
            "Parameters:\n  Shards:\n    Type: Number\n  Replicas:\n    Type: Number\nConditions:\n  Cluster: !Not [!Equals [!Ref Shards, 1]]\n  Failover: !Not [!Equals [!Ref Replicas, 0]]\nResources:\n  Params:\n    Type: AWS::ElastiCache::ParameterGroup\n    Properties:\n      CacheParameterGroupFamily: redis7\n      Description: p\n      Properties: !If [Cluster, {{cluster-enabled: 'yes'}}, {{}}]\n  Group:\n    Type: AWS::ElastiCache::ReplicationGroup\n    Properties:\n      ReplicationGroupDescription: g\n      CacheParameterGroupName: !Ref Params\n      AutomaticFailoverEnabled: {failover}\n{shards}"
        ))
        .unwrap();
        let mut out = Vec::new();
        check(&t, &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn cluster_mode_needs_failover_under_every_reachable_combination() {
        let f = findings(
            "!If [Failover, true, false]",
            "      NumNodeGroups: !Ref Shards\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].contains("when Cluster is true and Failover is false"),
            "{}",
            f[0]
        );
        assert!(findings("true", "      NumNodeGroups: !Ref Shards\n").is_empty());
        // Cluster mode without node groups needs more than one cache cluster.
        let f = findings("true", "      NumCacheClusters: 1\n");
        assert!(
            f.len() == 1 && f[0].contains("NumCacheClusters above 1"),
            "{f:?}"
        );
    }
}

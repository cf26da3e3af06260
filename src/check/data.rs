//! Data rules: databases private and encrypted, logs with a retention.

use super::inventory::{is_true, text};
use super::{Finding, rules};
use crate::template::{Template, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    for (id, r) in &t.resources {
        let id = id.as_str();
        let p = &r.properties;
        match r.resource_type.as_str() {
            "AWS::RDS::DBInstance" => {
                if is_true(p.get("PubliclyAccessible")) {
                    out.push(Finding::on(
                        rules::RDS_PUBLIC,
                        id,
                        "Properties.PubliclyAccessible",
                        format!("database {id} is publicly accessible: it gets a public address"),
                    ));
                }
                // An Aurora instance takes its encryption from its cluster.
                let aurora = p.contains_key("DBClusterIdentifier")
                    || p.get("Engine")
                        .and_then(Value::as_str)
                        .is_some_and(|e| e.starts_with("aurora"));
                let restored = p.contains_key("DBSnapshotIdentifier")
                    || p.contains_key("SourceDBInstanceIdentifier");
                if !aurora && !restored && !encrypted(p.get("StorageEncrypted")) {
                    out.push(Finding::on(
                        rules::RDS_UNENCRYPTED,
                        id,
                        "Properties.StorageEncrypted",
                        format!("database {id} does not set StorageEncrypted: true"),
                    ));
                }
            }
            "AWS::RDS::DBCluster" => {
                let serverless_v1 =
                    p.get("EngineMode").and_then(Value::as_str) == Some("serverless");
                let restored = p.contains_key("SnapshotIdentifier")
                    || p.contains_key("SourceDBClusterIdentifier");
                if !serverless_v1 && !restored && !encrypted(p.get("StorageEncrypted")) {
                    out.push(Finding::on(
                        rules::RDS_UNENCRYPTED,
                        id,
                        "Properties.StorageEncrypted",
                        format!("database cluster {id} does not set StorageEncrypted: true"),
                    ));
                }
                if is_true(p.get("PubliclyAccessible")) {
                    out.push(Finding::on(
                        rules::RDS_PUBLIC,
                        id,
                        "Properties.PubliclyAccessible",
                        format!("database cluster {id} is publicly accessible"),
                    ));
                }
            }
            "AWS::Logs::LogGroup" if !p.contains_key("RetentionInDays") => {
                out.push(Finding::on(
                    rules::LOG_RETENTION,
                    id,
                    "Properties",
                    format!("log group {id} has no RetentionInDays: its logs are kept (and billed) forever"),
                ));
            }
            "AWS::Lambda::Function" => {
                let own_group = p
                    .get("LoggingConfig")
                    .and_then(Value::as_map)
                    .is_some_and(|m| m.contains_key("LogGroup"));
                if !own_group && !default_group_declared(t, id, p) {
                    out.push(Finding::on(
                        rules::LOG_RETENTION,
                        id,
                        "Properties",
                        format!("function {id} logs to /aws/lambda/<name>, which Lambda creates without a retention"),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// An intrinsic may well yield true; only a literal false or absence is judged.
fn encrypted(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Fn(_))) || is_true(v)
}

/// Whether the template declares the function's default log group itself
/// (`LogGroupName: !Sub /aws/lambda/${Function}` or the literal function name).
fn default_group_declared(
    t: &Template,
    id: &str,
    p: &std::collections::BTreeMap<String, Value>,
) -> bool {
    let mut names = vec![format!("/aws/lambda/${{{id}}}")];
    if let Some(n) = p.get("FunctionName").and_then(text) {
        names.push(format!("/aws/lambda/{n}"));
    }
    t.resources.values().any(|r| {
        r.resource_type.as_str() == "AWS::Logs::LogGroup"
            && r.properties
                .get("LogGroupName")
                .and_then(text)
                .is_some_and(|n| names.contains(&n))
    })
}

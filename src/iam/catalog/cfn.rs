//! CloudFormation resource types and the catalog's resource types: which IAM resource
//! type (and so which ARN format) a template resource is.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{ResourceType, catalog};

/// CloudFormation service names whose IAM prefix is not the name in lower case.
const PREFIXES: &[(&str, &str)] = &[
    ("StepFunctions", "states"),
    ("KinesisFirehose", "firehose"),
    ("OpenSearchService", "es"),
    ("Elasticsearch", "es"),
    ("ElasticLoadBalancingV2", "elasticloadbalancing"),
    ("CertificateManager", "acm"),
    ("EFS", "elasticfilesystem"),
    ("MSK", "kafka"),
    ("Cognito", "cognito-idp"),
    ("OpenSearchServerless", "aoss"),
    ("ApplicationAutoScaling", "application-autoscaling"),
    ("AutoScaling", "autoscaling"),
    ("CloudWatch", "cloudwatch"),
    ("ServiceDiscovery", "servicediscovery"),
    ("AppConfig", "appconfig"),
];

/// Resource names whose IAM resource type is spelled otherwise (after case and `-` are
/// set aside).
const NAMES: &[(&str, &str)] = &[
    ("AWS::RDS::DBInstance", "db"),
    ("AWS::RDS::DBCluster", "cluster"),
    ("AWS::EC2::VPCEndpoint", "vpc-endpoint"),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "loadbalancer/app/",
    ),
    ("AWS::EFS::FileSystem", "file-system"),
    ("AWS::ECS::TaskDefinition", "task-definition"),
    ("AWS::Events::EventBus", "event-bus"),
    ("AWS::Logs::LogGroup", "log-group"),
    ("AWS::Cognito::UserPool", "userpool"),
];

/// The IAM prefix of a CloudFormation type's service (`AWS::StepFunctions::...` →
/// `states`).
pub fn prefix_of(cfn_type: &str) -> Option<String> {
    let mut parts = cfn_type.split("::");
    if parts.next()? != "AWS" {
        return None;
    }
    let service = parts.next()?;
    Some(
        PREFIXES
            .iter()
            .find(|(s, _)| *s == service)
            .map_or_else(|| service.to_ascii_lowercase(), |(_, p)| p.to_string()),
    )
}

fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The catalog's resource type of a CloudFormation type (`AWS::DynamoDB::Table` → DynamoDB's
/// `table`), when the names match.
///
/// ```
/// use perimeter::iam::catalog::resource_type_of;
/// assert_eq!(resource_type_of("AWS::DynamoDB::Table").unwrap().arn,
///     "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}");
/// assert!(resource_type_of("AWS::StepFunctions::StateMachine").unwrap().arn.contains(":states:"));
/// assert!(resource_type_of("AWS::CloudFormation::WaitConditionHandle").is_none());
/// ```
pub fn resource_type_of(cfn_type: &str) -> Option<&'static ResourceType> {
    // Asked once per resource of a template: each type is looked up once.
    static CACHE: OnceLock<Mutex<HashMap<String, Option<&'static ResourceType>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().expect("not poisoned").get(cfn_type) {
        return *hit;
    }
    let found = look_up(cfn_type);
    cache
        .lock()
        .expect("not poisoned")
        .insert(cfn_type.to_string(), found);
    found
}

fn look_up(cfn_type: &str) -> Option<&'static ResourceType> {
    let service = catalog().service(&prefix_of(cfn_type)?)?;
    let wanted = match NAMES.iter().find(|(t, _)| *t == cfn_type) {
        Some((_, n)) => normal(n),
        None => normal(cfn_type.rsplit("::").next()?),
    };
    service
        .resource_types()
        .iter()
        .find(|r| normal(&r.name) == wanted)
}

//! What a deployed stack's `Ref` and `Fn::GetAtt` would yield, made up but consistent,
//! for every resource type: the access simulation evaluates policies with these values.
//!
//! `Ref` returns a resource's name for most types, its ARN, URL or id for some (the
//! CloudFormation resource reference's "Return values"); `Fn::GetAtt X.Arn` is the ARN
//! the IAM catalog's format for the type gives, with the target's partition, region and
//! account. A value no format or rule here yields stays unbound, and what meets it
//! cannot be decided before deployment.

use crate::iam::Bindings;
use crate::iam::catalog::resource_type_of;
use crate::template::{Resource, Value};

/// Types whose `Ref` returns the ARN.
const REF_IS_ARN: &[&str] = &[
    "AWS::SNS::Topic",
    "AWS::StepFunctions::StateMachine",
    "AWS::StepFunctions::Activity",
    "AWS::IAM::ManagedPolicy",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::CertificateManager::Certificate",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Version",
    "AWS::ACMPCA::CertificateAuthority",
];

/// Types whose `Ref` returns an id AWS makes up (`Ref` of a key is its key id).
const REF_IS_ID: &[(&str, &str)] = &[
    ("AWS::KMS::Key", "key"),
    ("AWS::EC2::Subnet", "subnet"),
    ("AWS::EC2::SecurityGroup", "sg"),
    ("AWS::EC2::RouteTable", "rtb"),
    ("AWS::EC2::InternetGateway", "igw"),
    ("AWS::EC2::NatGateway", "nat"),
    ("AWS::EC2::Instance", "i"),
    ("AWS::EC2::NetworkInterface", "eni"),
];

/// The name CloudFormation would give: the template's own when it sets the name
/// property (the ARN format's variable, `TableName` for a table), else a generated one
/// (`<stack>-<LogicalId>-<suffix>`, lower case where the service wants it).
fn name_of(id: &str, r: &Resource, variable: Option<&str>) -> String {
    let set = variable
        .into_iter()
        .chain(["Name"])
        .find_map(|p| match r.properties.get(p) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        });
    set.unwrap_or_else(|| {
        let generated = format!("perimeter-check-{id}-1A2B3C4D5E6F");
        if r.resource_type.as_str() == "AWS::S3::Bucket" {
            generated.to_ascii_lowercase()
        } else {
            generated
        }
    })
}

/// A made-up id in a UUID's shape that AWS would generate for resource `id` (a key's id,
/// the uuid in a managed secret's name): the logical id whole, case kept and unpadded,
/// as its last group, so two resources never share one (a prefix of the id, as this
/// once took, made `EncryptionKeyOne` and `EncryptionKeyTwo` one key to the simulation;
/// zeros padded before it would make `Key` and `0Key` one), and nothing else of the id
/// in it (copies of a resource under longer ids differ only in the id, which the
/// prover's memo renames, so they share one answer).
fn made_up_uuid(id: &str) -> String {
    let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("00000000-1a2b-4c3d-8e4f-{id}")
}

/// The variables of an ARN format other than partition, region and account.
fn variables(format: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let v = &rest[start + 2..start + end];
        if !matches!(v, "Partition" | "Region" | "Account") {
            out.push(v);
        }
        rest = &rest[start + end + 1..];
    }
    out
}

/// Binds `Ref id` and `id.Arn` (and a queue's URL and name) for a resource the
/// simulation has no rule of its own for.
pub fn bind(
    b: Bindings,
    id: &str,
    r: &Resource,
    partition: &str,
    region: &str,
    account: &str,
) -> Bindings {
    let ty = r.resource_type.as_str();
    // The catalog only for types that have an ARN to make (a GetAtt Arn, or a Ref that
    // is the ARN): a template's many EC2 pieces need none.
    let has_arn = REF_IS_ARN.contains(&ty)
        || crate::resources::facts::lookup(ty)
            .is_some_and(|f| f.get_att.iter().any(|a| a == "Arn"));
    let format = if has_arn { resource_type_of(ty) } else { None };
    // One variable: the name. More (a table's index, an object's key) are not a resource's
    // own ARN; none: a singleton.
    let vars = format.map(|f| variables(&f.arn)).unwrap_or_default();
    let variable = (vars.len() == 1).then(|| vars[0]);
    let name = match REF_IS_ID.iter().find(|(t, _)| *t == ty) {
        Some(("AWS::KMS::Key", _)) => made_up_uuid(id),
        Some((_, prefix)) => format!("{prefix}-0{}", id.to_ascii_lowercase()),
        None => name_of(id, r, variable),
    };
    let arn = format.filter(|_| variable.is_some()).map(|f| {
        let value = if f.arn.contains(":secret:${") {
            // A secret's ARN ends in six random characters after its name.
            format!("{name}-AbCdEf")
        } else {
            name.clone()
        };
        f.arn
            .replace("${Partition}", partition)
            .replace("${Region}", region)
            .replace("${Account}", account)
            .replace(&format!("${{{}}}", variable.expect("checked")), &value)
    });
    let mut b = b;
    if let Some(arn) = &arn {
        b = b.bind(&format!("{id}.Arn"), arn);
    }
    let reference = if ty == "AWS::SQS::Queue" {
        let url = format!("https://sqs.{region}.amazonaws.com/{account}/{name}");
        b = b
            .bind(&format!("{id}.QueueUrl"), &url)
            .bind(&format!("{id}.QueueName"), &name);
        Some(url)
    } else if REF_IS_ARN.contains(&ty) {
        arn.clone()
    } else {
        Some(name.clone())
    };
    if let Some(v) = variable {
        // `GetAtt Table.TableName`-style attributes named like the ARN's variable.
        b = b.bind(&format!("{id}.{v}"), &name);
    }
    // The master user secret RDS manages (`ManageMasterUserPassword`): a secret of the
    // account named `rds!db-<uuid>` (`rds!cluster-<uuid>`), six random characters after.
    let managed = match ty {
        "AWS::RDS::DBInstance" => Some("db"),
        "AWS::RDS::DBCluster" => Some("cluster"),
        _ => None,
    };
    if let Some(kind) = managed {
        b = b.bind(
            &format!("{id}.MasterUserSecret.SecretArn"),
            &format!(
                "arn:{partition}:secretsmanager:{region}:{account}:secret:rds!{kind}-{}-AbCdEf",
                made_up_uuid(id)
            ),
        );
    }
    match reference {
        Some(v) => b.bind(id, &v),
        None => b,
    }
}

#[cfg(test)]
mod tests {
    use super::bind;
    use crate::iam::Bindings;
    use crate::template::{Intrinsic, Value};

    fn resource(ty: &str, props: &str) -> crate::template::Resource {
        let text = format!("Resources:\n  R:\n    Type: {ty}\n    Properties: {props}\n");
        let t = crate::template::Template::parse(&text, crate::template::Format::Yaml)
            .expect("a template");
        t.resources.into_values().next().expect("one resource")
    }

    fn bound(ty: &str, props: &str, what: &str) -> Option<String> {
        let b = bind(
            Bindings::new(),
            "R",
            &resource(ty, props),
            "aws",
            "eu-west-1",
            "111122223333",
        );
        let v = match what.split_once('.') {
            Some((r, a)) => Value::Fn(Box::new(Intrinsic::GetAtt {
                resource: r.into(),
                attribute: Value::from(a),
            })),
            None => Value::Fn(Box::new(Intrinsic::Ref(what.into()))),
        };
        b.resolve(&v)
    }

    #[test]
    fn refs_and_arns_follow_each_type() {
        let table = "AWS::DynamoDB::Table";
        assert_eq!(
            bound(table, "{TableName: Orders}", "R").as_deref(),
            Some("Orders")
        );
        assert_eq!(
            bound(table, "{TableName: Orders}", "R.Arn").as_deref(),
            Some("arn:aws:dynamodb:eu-west-1:111122223333:table/Orders")
        );
        // Unnamed: CloudFormation's generated name, the same in Ref and the ARN.
        let generated = bound(table, "{}", "R").unwrap();
        assert!(
            bound(table, "{}", "R.Arn")
                .unwrap()
                .ends_with(&format!("table/{generated}"))
        );
        // A stream's ARN holds the time it was made: nothing can know it before.
        assert_eq!(bound(table, "{}", "R.StreamArn"), None);
        let topic = bound("AWS::SNS::Topic", "{TopicName: alerts}", "R").unwrap();
        assert_eq!(topic, "arn:aws:sns:eu-west-1:111122223333:alerts");
        let queue = bound("AWS::SQS::Queue", "{QueueName: jobs}", "R").unwrap();
        assert_eq!(
            queue,
            "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"
        );
        assert_eq!(
            bound("AWS::SQS::Queue", "{QueueName: jobs}", "R.Arn").as_deref(),
            Some("arn:aws:sqs:eu-west-1:111122223333:jobs")
        );
        let f = bound("AWS::Lambda::Function", "{FunctionName: api}", "R.Arn").unwrap();
        assert_eq!(f, "arn:aws:lambda:eu-west-1:111122223333:function:api");
        let key = bound("AWS::KMS::Key", "{}", "R").unwrap();
        assert!(
            bound("AWS::KMS::Key", "{}", "R.Arn")
                .unwrap()
                .ends_with(&format!("key/{key}"))
        );
        let bucket = bound("AWS::S3::Bucket", "{}", "R").unwrap();
        assert_eq!(bucket, bucket.to_ascii_lowercase());
        // The secret RDS manages for the master user: a secret of the account and Region.
        let secret = bound(
            "AWS::RDS::DBInstance",
            "{ManageMasterUserPassword: true}",
            "R.MasterUserSecret.SecretArn",
        )
        .unwrap();
        assert!(
            secret.starts_with("arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-"),
            "{secret}"
        );
    }

    /// `id`'s value of `what` (`Ref` or an attribute) as a `ty` resource.
    fn made_up(ty: &str, id: &str, what: &str) -> String {
        let props = match ty {
            "AWS::RDS::DBInstance" => "{ManageMasterUserPassword: true}",
            _ => "{}",
        };
        let b = bind(
            Bindings::new(),
            id,
            &resource(ty, props),
            "aws",
            "eu-west-1",
            "111122223333",
        );
        let v = match what {
            "" => Value::Fn(Box::new(Intrinsic::Ref(id.into()))),
            a => Value::Fn(Box::new(Intrinsic::GetAtt {
                resource: id.into(),
                attribute: Value::from(a),
            })),
        };
        b.resolve(&v).expect("bound")
    }

    #[test]
    fn made_up_ids_are_each_resources_own_and_hold_no_other_trace_of_the_id() {
        // Ids alike in their first twelve characters and in length are two keys (a
        // prefix of the id once made them one key to the simulation).
        let one = made_up("AWS::KMS::Key", "EncryptionKeyOne", "");
        let two = made_up("AWS::KMS::Key", "EncryptionKeyTwo", "");
        assert_ne!(one, two);
        assert_eq!(one, "00000000-1a2b-4c3d-8e4f-EncryptionKeyOne");
        // A logical id may start with a digit: `Key` and `0Key` are two keys.
        assert_eq!(
            made_up("AWS::KMS::Key", "Key", ""),
            "00000000-1a2b-4c3d-8e4f-Key"
        );
        assert_ne!(
            made_up("AWS::KMS::Key", "Key", ""),
            made_up("AWS::KMS::Key", "0Key", "")
        );
        // Copies of a database under ids of other lengths differ in the id alone (no
        // count of its characters), which the prover's memo renames.
        let secret = |id: &str| made_up("AWS::RDS::DBInstance", id, "MasterUserSecret.SecretArn");
        assert_eq!(
            secret("DatabaseC3"),
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-00000000-1a2b-4c3d-8e4f-DatabaseC3-AbCdEf"
        );
        assert_eq!(
            secret("DatabaseC13").replace("DatabaseC13", "DatabaseC3"),
            secret("DatabaseC3")
        );
        assert_ne!(secret("Db1"), secret("0Db1"));
    }
}

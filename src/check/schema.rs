//! Every resource against its type's schema facts.

use super::{Finding, rules};
use crate::resources::{ProblemKind, facts, property_problems};
use crate::template::Template;

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let transformed = t.transform.is_some();
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        // Attributes CloudFormation does not define: a declared transform (a macro, SAM)
        // may consume them; without one, CloudFormation refuses the template.
        if !transformed {
            for name in r.other.keys() {
                out.push(Finding::on(
                    rules::UNKNOWN_PROPERTY,
                    id.as_str(),
                    name,
                    format!(
                        "unknown resource attribute {name:?}: expected Type, Properties, DependsOn, Condition, DeletionPolicy, UpdateReplacePolicy, CreationPolicy, UpdatePolicy, Metadata or Version"
                    ),
                ));
            }
        }
        let Some(f) = facts::lookup(ty) else {
            // Custom resources and macro-expanded types (AWS::Serverless::*) have no
            // provider schema; registry types may be private to an account.
            let builtin = ty.starts_with("AWS::") || ty.starts_with("Alexa::");
            if builtin && !(transformed && ty.starts_with("AWS::Serverless::")) {
                out.push(Finding::on(
                    rules::UNKNOWN_TYPE,
                    id.as_str(),
                    "Type",
                    format!("no CloudFormation schema knows the resource type {ty}"),
                ));
            }
            continue;
        };
        for p in property_problems(&f, &r.properties) {
            if p.kind == ProblemKind::WrongType && packaged(ty, &p.path, &r.properties) {
                continue;
            }
            let rule = match p.kind {
                ProblemKind::Unknown => rules::UNKNOWN_PROPERTY,
                ProblemKind::Missing => rules::MISSING_PROPERTY,
                ProblemKind::WrongType => rules::WRONG_TYPE,
                ProblemKind::NotAllowed => rules::NOT_ALLOWED,
                ProblemKind::Exclusive => rules::EXCLUSIVE,
                ProblemKind::ReadOnly => rules::READ_ONLY,
            };
            let path = if p.path.is_empty() {
                "Properties".to_string()
            } else {
                format!("Properties.{}", p.path)
            };
            let message = if p.path.is_empty() {
                format!("{ty}: {}", p.message)
            } else {
                format!("{ty} {}: {}", p.path, p.message)
            };
            out.push(Finding::on(rule, id.as_str(), &path, message));
        }
    }
}

/// Properties that `aws cloudformation package` replaces: a local path (a string) stands
/// where the schema wants an S3 location.
const PACKAGED: &[(&str, &str)] = &[
    ("AWS::ApiGateway::RestApi", "BodyS3Location"),
    ("AWS::AppSync::FunctionConfiguration", "CodeS3Location"),
    ("AWS::AppSync::GraphQLSchema", "DefinitionS3Location"),
    ("AWS::AppSync::Resolver", "CodeS3Location"),
    ("AWS::CodeCommit::Repository", "Code"),
    ("AWS::ElasticBeanstalk::ApplicationVersion", "SourceBundle"),
    ("AWS::Lambda::Function", "Code"),
    ("AWS::Lambda::LayerVersion", "Content"),
    ("AWS::StepFunctions::StateMachine", "DefinitionS3Location"),
];

fn packaged(
    ty: &str,
    path: &str,
    props: &std::collections::BTreeMap<String, crate::template::Value>,
) -> bool {
    PACKAGED.iter().any(|(t, p)| *t == ty && *p == path)
        && props.get(path).is_some_and(|v| v.as_str().is_some())
}

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
        if transformed && let Some(sam) = facts::lookup_sam(ty) {
            sam_properties(id.as_str(), ty, &sam.facts, &r.properties, out);
            continue;
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

/// A SAM resource against the SAM specification: its property names and the required
/// ones (SAM's own shapes differ from the resources it generates, so values are left to
/// the transform).
fn sam_properties(
    id: &str,
    ty: &str,
    f: &crate::resources::TypeFacts,
    props: &std::collections::BTreeMap<String, crate::template::Value>,
    out: &mut Vec<Finding>,
) {
    for name in props.keys() {
        if !f.props.contains_key(name) {
            let mut known: Vec<&str> = f.props.keys().map(String::as_str).collect();
            known.sort_unstable();
            out.push(Finding::on(
                rules::UNKNOWN_PROPERTY,
                id,
                &format!("Properties.{name}"),
                format!(
                    "{ty} has no property {name:?} (the SAM specification's are {})",
                    known.join(", ")
                ),
            ));
        }
    }
    for name in &f.required {
        if !props.contains_key(name) {
            out.push(Finding::on(
                rules::MISSING_PROPERTY,
                id,
                "Properties",
                format!("{ty} requires {name}"),
            ));
        }
    }
}

//! Every resource against its type's schema facts.

use super::{Finding, rules};
use crate::resources::{ProblemKind, facts, property_problems};
use crate::template::{Template, Transforms};

/// Resource attributes the SAM transform reads (and removes).
const SAM_ATTRIBUTES: &[&str] = &["IgnoreGlobals", "Connectors"];

/// A custom resource: answered by the function or topic its ServiceToken names.
fn is_custom(ty: &str) -> bool {
    ty.starts_with("Custom::") || ty == "AWS::CloudFormation::CustomResource"
}

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let transforms = t.transforms();
    if !t.declares_sam() && !t.globals.is_empty() {
        out.push(Finding::new(
            rules::TEMPLATE_STRUCTURE,
            None,
            "Globals".to_string(),
            "Globals is a section of the SAM transform: declare Transform: AWS::Serverless-2016-10-31, or remove it".to_string(),
        ));
    }
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        // Attributes CloudFormation does not define: a macro may consume them; the SAM
        // transform reads its own two and passes the rest through, so CloudFormation
        // refuses them as it does without a transform.
        if transforms != Transforms::Macros {
            // SAM drops the attributes of its own resources that it does not read.
            let sam_drops = transforms == Transforms::Sam && ty.starts_with("AWS::Serverless::");
            for name in r.other.keys() {
                if sam_drops
                    || transforms == Transforms::Sam && SAM_ATTRIBUTES.contains(&name.as_str())
                {
                    continue;
                }
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
        if transforms != Transforms::None
            && let Some(sam) = facts::lookup_sam(ty)
        {
            sam_properties(id.as_str(), ty, &sam.facts, &r.properties, out);
            continue;
        }
        if ty.starts_with("AWS::Serverless::") && transforms == Transforms::None {
            out.push(Finding::on(
                rules::UNKNOWN_TYPE,
                id.as_str(),
                "Type",
                format!("{ty} is a type of the SAM transform, which this template does not declare (Transform: AWS::Serverless-2016-10-31)"),
            ));
            continue;
        }
        if is_custom(ty) && !r.properties.contains_key("ServiceToken") {
            out.push(Finding::on(
                rules::MISSING_PROPERTY,
                id.as_str(),
                "Properties",
                format!("{ty}: a custom resource needs ServiceToken (the ARN of the function or topic that answers it)"),
            ));
        }
        let Some(f) = facts::lookup(ty) else {
            // Custom resources and macro-expanded types (AWS::Serverless::*) have no
            // provider schema; registry types may be private to an account.
            let builtin = ty.starts_with("AWS::") || ty.starts_with("Alexa::");
            if builtin && !ty.starts_with("AWS::Serverless::") {
                out.push(Finding::on(
                    rules::UNKNOWN_TYPE,
                    id.as_str(),
                    "Type",
                    format!("no CloudFormation schema knows the resource type {ty}"),
                ));
            }
            continue;
        };
        if let Some(finding) = lifecycle(id.as_str(), ty, &f) {
            out.push(finding);
        }
        for p in property_problems(&f, &r.properties) {
            if p.kind == ProblemKind::WrongType && packaged(ty, &p.path, &r.properties) {
                continue;
            }
            // A custom resource takes any properties besides its own: they are its
            // handler's input.
            if p.kind == ProblemKind::Unknown && is_custom(ty) {
                continue;
            }
            let rule = match p.kind {
                ProblemKind::Unknown => rules::UNKNOWN_PROPERTY,
                ProblemKind::Missing => rules::MISSING_PROPERTY,
                ProblemKind::WrongType => rules::WRONG_TYPE,
                ProblemKind::NotAllowed => rules::NOT_ALLOWED,
                ProblemKind::Exclusive => rules::EXCLUSIVE,
                ProblemKind::ReadOnly => rules::READ_ONLY,
                ProblemKind::Format => rules::VALUE_FORMAT,
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

/// A type whose service is shut down (an error: CloudFormation can no longer create it),
/// sunsetting or in maintenance (warnings).
fn lifecycle(id: &str, ty: &str, f: &crate::resources::TypeFacts) -> Option<Finding> {
    let lc = f.lifecycle.as_ref()?;
    let when = |word: &str| {
        lc.date
            .as_ref()
            .map(|d| format!(" {word} {d}"))
            .unwrap_or_default()
    };
    let (message, severity) = match lc.status.as_str() {
        "shutdown" => (
            format!("{ty} is from a service that was shut down{}", when("on")),
            super::Severity::Error,
        ),
        "sunset" => (
            format!(
                "{ty} is from a service that will be shut down{}: plan a move to an alternative",
                when("on")
            ),
            super::Severity::Warning,
        ),
        "maintenance" => (
            format!(
                "{ty} is from a service in maintenance mode{}: it gets no new features",
                when("since")
            ),
            super::Severity::Warning,
        ),
        _ => return None,
    };
    Some(Finding::on(rules::UNKNOWN_TYPE, id, "Type", message).severity(severity))
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

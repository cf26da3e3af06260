//! Rules that join two resources of a template: what one says decides what another
//! must be (cfn-lint E3502, E3673).

use super::{Finding, rules};
use crate::template::{Intrinsic, Template, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    for (id, r) in &t.resources {
        match r.resource_type.as_str() {
            "AWS::SQS::Queue" => dead_letter(t, id.as_str(), &r.properties, out),
            "AWS::EC2::Instance" => image(t, id.as_str(), &r.properties, out),
            _ => {}
        }
    }
}

type Props = std::collections::BTreeMap<String, Value>;

/// A literal boolean, written as one or as text.
fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The properties of the template's resource of a type that `v` names by Ref or GetAtt.
fn named<'a>(t: &'a Template, v: &Value, ty: &str) -> Option<&'a Props> {
    let name = match v.as_fn()? {
        Intrinsic::Ref(n) => n,
        Intrinsic::GetAtt { resource, .. } => resource,
        _ => return None,
    };
    let (_, r) = t.resources.iter().find(|(id, _)| id.as_str() == name)?;
    (r.resource_type.as_str() == ty).then_some(&r.properties)
}

/// A queue's dead-letter queue is of its kind: FIFO for a FIFO queue, standard for a
/// standard one; SQS refuses the redrive policy otherwise (E3502).
fn dead_letter(t: &Template, id: &str, props: &Props, out: &mut Vec<Finding>) {
    let Some(Value::Map(policy)) = props.get("RedrivePolicy") else {
        return;
    };
    let Some(target) = policy
        .get("deadLetterTargetArn")
        .and_then(|v| named(t, v, "AWS::SQS::Queue"))
    else {
        return;
    };
    let fifo = |p: &Props| match p.get("FifoQueue") {
        None => Some(false),
        v => flag(v),
    };
    let (Some(source), Some(dlq)) = (fifo(props), fifo(target)) else {
        return;
    };
    if source != dlq {
        let kind = |f: bool| if f { "FIFO" } else { "standard" };
        out.push(Finding::on(
            rules::SERVICE_RULE,
            id,
            "Properties.RedrivePolicy.deadLetterTargetArn",
            format!(
                "a {} queue's dead-letter queue must be {} too; this one is {} (cfn-lint E3502)",
                kind(source),
                kind(source),
                kind(dlq)
            ),
        ));
    }
}

/// An instance needs an AMI: its ImageId, or one its launch template of this template
/// gives (E3673). A launch template from elsewhere may give one: not judged.
fn image(t: &Template, id: &str, props: &Props, out: &mut Vec<Finding>) {
    // `Properties: {Fn::If: [...]}` chooses the whole set: the schema check judges each.
    if props.contains_key("ImageId") || props.contains_key("Fn::If") {
        return;
    }
    let from_template = match props.get("LaunchTemplate") {
        None => false,
        Some(Value::Map(lt)) => {
            let Some(data) = ["LaunchTemplateId", "LaunchTemplateName"]
                .iter()
                .find_map(|k| lt.get(*k))
                .and_then(|v| named(t, v, "AWS::EC2::LaunchTemplate"))
            else {
                return;
            };
            match data.get("LaunchTemplateData") {
                Some(Value::Map(d)) => d.contains_key("ImageId"),
                _ => return,
            }
        }
        Some(_) => return,
    };
    if !from_template {
        out.push(Finding::on(
            rules::MISSING_PROPERTY,
            id,
            "Properties",
            "AWS::EC2::Instance: ImageId is required when no launch template gives one (cfn-lint E3673)".to_string(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(yaml: &str) -> Vec<Finding> {
        let t = Template::parse_any(yaml).unwrap();
        let mut out = Vec::new();
        check(&t, &mut out);
        out
    }

    #[test]
    fn a_dead_letter_queue_is_of_its_queues_kind() {
        let t = |source: &str, dlq: &str| {
            format!(
                "Resources:\n  Dlq:\n    Type: AWS::SQS::Queue\n    Properties: {{FifoQueue: {dlq}}}\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      FifoQueue: {source}\n      RedrivePolicy: {{deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 5}}\n"
            )
        };
        let f = findings(&t("false", "true"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message
                .contains("standard queue's dead-letter queue must be standard")
        );
        assert!(findings(&t("true", "true")).is_empty());
        assert!(findings(&t("false", "false")).is_empty());
        // A parameter decides: unknown here.
        assert!(findings(&t("!Ref P", "true")).is_empty());
    }

    #[test]
    fn an_instance_needs_an_image() {
        let f = findings(
            "Resources:\n  I:\n    Type: AWS::EC2::Instance\n    Properties: {InstanceType: t3.micro}\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule.id, "S103");
        let lt = |data: &str| {
            format!(
                "Resources:\n  Lt:\n    Type: AWS::EC2::LaunchTemplate\n    Properties: {{LaunchTemplateData: {data}}}\n  I:\n    Type: AWS::EC2::Instance\n    Properties:\n      LaunchTemplate: {{LaunchTemplateId: !Ref Lt, Version: '1'}}\n"
            )
        };
        assert_eq!(findings(&lt("{InstanceType: t3.micro}")).len(), 1);
        assert!(findings(&lt("{ImageId: ami-12345678}")).is_empty());
        // A launch template from elsewhere may hold the AMI.
        assert!(findings("Resources:\n  I:\n    Type: AWS::EC2::Instance\n    Properties: {LaunchTemplate: {LaunchTemplateId: lt-0123456789abcdef0, Version: '1'}}\n").is_empty());
    }
}

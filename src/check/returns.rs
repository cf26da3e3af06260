//! What a `Ref` or `Fn::GetAtt` of a resource returns against the format the property
//! it is given to takes (S110; cfn-lint E1041 and E1040): a role's Ref is its name, so
//! `TaskRoleArn: !Ref TaskRole` hands ECS a name where it wants an ARN, and the stack
//! fails at deployment. The formats come from cfn-lint's schemas
//! (`data/ref-formats.json`); a value whose format nothing records is judged as cfn-lint
//! judges it, as of no format.

use std::fmt::Write;

use super::{Finding, rules};
use crate::resources::facts::{self, PropNode, TypeFacts};
use crate::resources::formats::{getatt_formats, ref_formats};
use crate::template::{Intrinsic, Resource, Template, Transforms, Value};

/// Types whose attributes are whatever their handler or child template says.
const OPEN_ATTRIBUTES: &[&str] = &[
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::Stack",
    "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
];

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    // A macro may rewrite the resources a reference names.
    if t.transforms() == Transforms::Macros {
        return;
    }
    let mut path = String::new();
    for (id, r) in &t.resources {
        let Some(f) = facts::lookup(r.resource_type.as_str()) else {
            continue;
        };
        for (k, v) in &r.properties {
            let Some(node) = f.props.get(k) else { continue };
            path.clear();
            let _ = write!(path, "Properties.{k}");
            let mut w = Walk {
                t,
                id: id.as_str(),
                f: &f,
                out,
            };
            w.value(node, v, &mut path);
        }
    }
}

struct Walk<'a, 'o> {
    t: &'a Template,
    id: &'a str,
    f: &'a TypeFacts,
    out: &'o mut Vec<Finding>,
}

impl Walk<'_, '_> {
    fn value(&mut self, node: &PropNode, v: &Value, path: &mut String) {
        let node = self.f.resolve(node);
        let len = path.len();
        match v {
            Value::Fn(i) => match &**i {
                Intrinsic::If {
                    then, otherwise, ..
                } => {
                    self.value(node, then, path);
                    self.value(node, otherwise, path);
                }
                Intrinsic::Ref(name) if !node.f.is_empty() => self.reference(node, name, path),
                Intrinsic::GetAtt {
                    resource,
                    attribute: Value::String(attribute),
                } if !node.f.is_empty() => self.attribute(node, resource, attribute, path),
                _ => {}
            },
            Value::List(items) => {
                if let Some(item) = &node.i {
                    for (i, x) in items.iter().enumerate() {
                        let _ = write!(path, "[{i}]");
                        self.value(item, x, path);
                        path.truncate(len);
                    }
                }
            }
            Value::Map(m) => {
                for (k, x) in m {
                    let child = match (&node.p, &node.m) {
                        (Some(props), _) => props.get(k),
                        (None, Some(values)) => Some(&**values),
                        _ => None,
                    };
                    if let Some(child) = child {
                        let _ = write!(path, ".{k}");
                        self.value(child, x, path);
                        path.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }

    /// The resource a reference names, with its facts (none for custom, SAM, module and
    /// registry types, whose values this cannot know).
    fn target(&self, name: &str) -> Option<(&Resource, std::sync::Arc<TypeFacts>)> {
        let r = self.t.resources.get(name)?;
        let ty = r.resource_type.as_str();
        if ty.starts_with("Custom::") || OPEN_ATTRIBUTES.contains(&ty) {
            return None;
        }
        Some((r, facts::lookup(ty)?))
    }

    fn reference(&mut self, node: &PropNode, name: &str, path: &str) {
        let Some((r, _)) = self.target(name) else {
            return;
        };
        let ty = r.resource_type.as_str();
        // A security group's Ref is its id in a VPC, its name otherwise (EC2-Classic and
        // the default VPC), as cfn-lint reads it.
        let sg;
        let returns: &[String] = if ty == "AWS::EC2::SecurityGroup" {
            sg = [if r.properties.contains_key("VpcId") {
                "AWS::EC2::SecurityGroup.Id".to_string()
            } else {
                "AWS::EC2::SecurityGroup.Name".to_string()
            }];
            &sg
        } else {
            ref_formats(ty)
        };
        if fits(node, returns) {
            return;
        }
        let gives = describe(returns);
        let wants = node.f.join(" or ");
        let mut message = format!(
            "{}: Ref {name} returns {gives}, but the property takes {wants} (cfn-lint E1041)",
            self.at(path)
        );
        if let Some(att) = attribute_with(ty, &node.f) {
            let _ = write!(message, ": use !GetAtt {name}.{att}");
        }
        self.out
            .push(Finding::on(rules::VALUE_FORMAT, self.id, path, message));
    }

    fn attribute(&mut self, node: &PropNode, name: &str, attribute: &str, path: &str) {
        let Some((r, f)) = self.target(name) else {
            return;
        };
        let ty = r.resource_type.as_str();
        // An unknown attribute is R202's; SSM's Value is whatever the parameter holds.
        if !f.has_attribute(attribute) || (ty == "AWS::SSM::Parameter" && attribute == "Value") {
            return;
        }
        let returns = getatt_formats(ty, attribute);
        if fits(node, returns) {
            return;
        }
        let message = format!(
            "{}: Fn::GetAtt {name}.{attribute} returns {}, but the property takes {} (cfn-lint E1040)",
            self.at(path),
            describe(returns),
            node.f.join(" or ")
        );
        self.out
            .push(Finding::on(rules::VALUE_FORMAT, self.id, path, message));
    }

    fn at(&self, path: &str) -> String {
        format!(
            "{} {}",
            self.f.type_name,
            path.trim_start_matches("Properties.")
        )
    }
}

/// Whether a value of the formats `returns` fits a property taking `node.f`: any one in
/// common (a security group's Id or Name where either is taken).
fn fits(node: &PropNode, returns: &[String]) -> bool {
    returns.iter().any(|r| node.f.iter().any(|w| w == r))
}

fn describe(returns: &[String]) -> String {
    if returns.is_empty() {
        "a value of no known format".to_string()
    } else {
        returns.join(" or ")
    }
}

/// An attribute of the type that has one of the formats, to name in the fix.
fn attribute_with(ty: &str, wanted: &[String]) -> Option<String> {
    let f = facts::lookup(ty)?;
    let mut attrs = f.attributes();
    attrs.sort_by_key(|a| a.len());
    attrs
        .into_iter()
        .find(|a| getatt_formats(ty, a).iter().any(|g| wanted.contains(g)))
        .map(String::from)
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

    const TASK: &str = "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: ROLE
      ContainerDefinitions: [{Name: app, Image: nginx}]
";

    #[test]
    fn a_roles_ref_where_its_arn_is_due_is_refused() {
        let out = findings(&TASK.replace("ROLE", "!Ref Role"));
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].rule.id, "S110");
        assert_eq!(out[0].path, "Resources.Task.Properties.ExecutionRoleArn");
        assert!(
            out[0].message.contains("use !GetAtt Role.Arn"),
            "{}",
            out[0].message
        );
        // Under Fn::If each branch is judged.
        let out = findings(&TASK.replace("ROLE", "!If [C, !GetAtt Role.Arn, !Ref Role]"));
        assert_eq!(out.len(), 1, "{out:?}");
    }

    #[test]
    fn the_arn_a_parameter_and_an_attribute_of_no_format_pass_or_fail_as_they_should() {
        assert!(findings(&TASK.replace("ROLE", "!GetAtt Role.Arn")).is_empty());
        // A parameter's value is the caller's to give.
        let with_param = format!(
            "Parameters: {{P: {{Type: String}}}}\n{}",
            TASK.replace("ROLE", "!Ref P")
        );
        assert!(findings(&with_param).is_empty());
        // RoleId is no ARN.
        let out = findings(&TASK.replace("ROLE", "!GetAtt Role.RoleId"));
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].message.contains("E1040"));
    }

    #[test]
    fn a_security_groups_ref_is_its_id_in_a_vpc() {
        let t = "
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: d, VpcId: vpc-12345678}
  Ep:
    Type: AWS::EC2::VPCEndpoint
    Properties: {ServiceName: x, VpcId: vpc-12345678, SecurityGroupIds: [!Ref Sg]}
";
        assert!(findings(t).is_empty());
    }
}

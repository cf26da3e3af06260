//! Intrinsic functions' values, beyond the shape the reader checks: a region Fn::GetAZs
//! can know, an index Fn::Select can use, a list for Fn::Join; and `${Name}` written
//! outside Fn::Sub, where it stays literal text.

use std::fmt::Write;

use super::{Finding, rules};
use crate::resources::facts;
use crate::template::{Intrinsic, Pseudo, Template, Transforms, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    // A macro may give functions and `${Name}` strings a meaning of its own.
    if t.transforms() == Transforms::Macros {
        return;
    }
    let mut ctx = Walk { t, out };
    let mut path = String::new();
    for (id, r) in &t.resources {
        path.clear();
        let _ = write!(path, "Resources.{id}.Properties");
        for (k, v) in &r.properties {
            let len = path.len();
            path.push('.');
            path.push_str(k);
            // A nested stack's TemplateBody is a template of its own.
            if k != "TemplateBody" {
                ctx.value(v, &mut path, Some(id.as_str()));
            }
            path.truncate(len);
        }
    }
    for (name, o) in &t.outputs {
        path.clear();
        let _ = write!(path, "Outputs.{name}.Value");
        ctx.value(&o.value, &mut path, None);
        // cfn-lint's E1029 reads the whole template: an output's description and export
        // name stay literal text outside Fn::Sub as well.
        for (field, v) in [
            ("Description", &o.description),
            ("Export.Name", &o.export_name),
        ] {
            if let Some(v) = v {
                path.clear();
                let _ = write!(path, "Outputs.{name}.{field}");
                ctx.value(v, &mut path, None);
            }
        }
    }
}

struct Walk<'a, 'o> {
    t: &'a Template,
    out: &'o mut Vec<Finding>,
}

impl Walk<'_, '_> {
    fn value(&mut self, v: &Value, path: &mut String, resource: Option<&str>) {
        let len = path.len();
        match v {
            Value::String(s) => self.literal(s, path, resource),
            Value::List(items) => {
                for (i, x) in items.iter().enumerate() {
                    let _ = write!(path, "[{i}]");
                    self.value(x, path, resource);
                    path.truncate(len);
                }
            }
            Value::Map(m) => {
                for (k, x) in m {
                    path.push('.');
                    path.push_str(k);
                    self.value(x, path, resource);
                    path.truncate(len);
                }
            }
            Value::Fn(f) => {
                self.function(f, path, resource);
                // What Fn::Sub holds is substituted; Fn::Transform's parameters belong to
                // the macro.
                if !matches!(**f, Intrinsic::Sub { .. } | Intrinsic::Transform(_)) {
                    for a in f.args() {
                        self.value(a, path, resource);
                    }
                }
            }
            _ => {}
        }
    }

    fn report(
        &mut self,
        rule: &'static rules::Rule,
        path: &str,
        resource: Option<&str>,
        msg: String,
    ) {
        self.out
            .push(Finding::new(rule, resource, path.to_string(), msg));
    }

    fn function(&mut self, f: &Intrinsic, path: &str, resource: Option<&str>) {
        match f {
            // Fn::Sub substitutes strings: a list parameter named in it is refused
            // (cfn-lint E1019, E6101 in an output).
            Intrinsic::Sub {
                template,
                variables,
            } => {
                for name in crate::template::sub::sub_vars(template) {
                    let bound = variables.as_ref().is_some_and(|v| v.contains_key(name));
                    if !bound
                        && let Some(p) = self.t.parameters.get(name)
                        && p.parameter_type.is_list()
                    {
                        self.report(
                            rules::FUNCTION_ARGUMENTS,
                            path,
                            resource,
                            format!(
                                "Fn::Sub substitutes strings, but ${{{name}}} is a list (a {} parameter): join it first with Fn::Join, bound in Fn::Sub's variables",
                                p.parameter_type
                            ),
                        );
                    }
                }
            }
            Intrinsic::GetAZs(Value::String(region))
                if !region.is_empty() && !crate::resources::regions().any(|r| r == region) =>
            {
                self.report(
                    rules::FUNCTION_ARGUMENTS,
                    path,
                    resource,
                    format!("Fn::GetAZs takes a region name, \"\" or Ref AWS::Region; {region:?} is no region"),
                );
            }
            Intrinsic::GetAZs(Value::String(_)) => {}
            Intrinsic::GetAZs(Value::Fn(_)) => {}
            Intrinsic::GetAZs(other) => self.report(
                rules::FUNCTION_ARGUMENTS,
                path,
                resource,
                format!(
                    "Fn::GetAZs takes a region name, \"\" or Ref AWS::Region, not {}",
                    other.kind()
                ),
            ),
            Intrinsic::Select { index, .. } => {
                let ok = match index {
                    Value::Number(n) => n.as_u64().is_some(),
                    Value::String(s) => s.trim().parse::<u64>().is_ok(),
                    Value::Fn(_) => true,
                    _ => false,
                };
                if !ok {
                    self.report(
                        rules::FUNCTION_ARGUMENTS,
                        path,
                        resource,
                        format!(
                            "Fn::Select takes an index (a whole number from 0), not {}",
                            index.kind()
                        ),
                    );
                }
            }
            Intrinsic::Join { values, .. } if !matches!(values, Value::List(_) | Value::Fn(_)) => {
                self.report(
                    rules::FUNCTION_ARGUMENTS,
                    path,
                    resource,
                    format!(
                        "Fn::Join takes a list of values to join, not {}",
                        values.kind()
                    ),
                );
            }
            _ => {}
        }
    }

    /// A literal string naming a parameter, resource or attribute as `${Name}`: without
    /// Fn::Sub CloudFormation leaves it as written.
    fn literal(&mut self, s: &str, path: &str, resource: Option<&str>) {
        if !s.contains("${") {
            return;
        }
        for name in crate::template::sub::sub_vars(s) {
            if self.names_something(name) && !self.substituted_by_state_machine(name, path) {
                self.report(
                    rules::SUB_NEEDED,
                    path,
                    resource,
                    format!("\"${{{name}}}\" names {} but the string is not in Fn::Sub, so it stays literal text", self.what(name)),
                );
                return;
            }
        }
    }

    fn names_something(&self, name: &str) -> bool {
        let t = self.t;
        match name.split_once('.') {
            None => {
                t.parameters.contains_key(name)
                    || t.resources.keys().any(|id| id.as_str() == name)
                    || Pseudo::from_name(name).is_some()
            }
            Some((res, attr)) => t.resources.iter().any(|(id, r)| {
                id.as_str() == res
                    && match facts::lookup(r.resource_type.as_str()) {
                        Some(f) => f.get_att.iter().any(|a| a == attr),
                        // Custom and SAM resources: any attribute may exist.
                        None => true,
                    }
            }),
        }
    }

    fn what(&self, name: &str) -> &'static str {
        if name.contains('.') {
            "an attribute"
        } else if self.t.parameters.contains_key(name) {
            "a parameter"
        } else if Pseudo::from_name(name).is_some() {
            "a pseudo parameter"
        } else {
            "a resource"
        }
    }

    /// Step Functions substitutes `${name}` in a definition from DefinitionSubstitutions.
    fn substituted_by_state_machine(&self, name: &str, path: &str) -> bool {
        let mut parts = path.split('.');
        let (Some("Resources"), Some(id)) = (parts.next(), parts.next()) else {
            return false;
        };
        self.t.resources.iter().any(|(rid, r)| {
            rid.as_str() == id
                && r.properties
                    .get("DefinitionSubstitutions")
                    .and_then(Value::as_map)
                    .is_some_and(|m| m.contains_key(name))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(yaml: &str) -> Vec<&'static str> {
        let t = Template::parse_any(yaml).unwrap();
        let mut out = Vec::new();
        check(&t, &mut out);
        out.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn a_name_outside_sub_is_literal_text() {
        let t = "Parameters:\n  Env:\n    Type: String\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: app-${Env}\n      DisplayName: !Sub app-${Env}\n";
        assert_eq!(rules_of(t), ["R206"]);
        // Not a name of the template: a shell or Step Functions variable, left alone.
        let t = "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: app-${HOME}\n";
        assert!(rules_of(t).is_empty());
    }

    #[test]
    fn function_values() {
        let t = "Resources:\n  S:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: vpc-1\n      CidrBlock: 10.0.0.0/24\n      AvailabilityZone: !Select [a, !GetAZs us-east-1a]\n";
        assert_eq!(rules_of(t), ["T002", "T002"]);
        let t = "Resources:\n  S:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: vpc-1\n      CidrBlock: 10.0.0.0/24\n      AvailabilityZone: !Select ['0', !GetAZs '']\n";
        assert!(rules_of(t).is_empty());
    }

    #[test]
    fn sub_takes_no_list_parameter_and_names_in_outputs_are_checked() {
        let t = "Parameters:\n  Ids:\n    Type: CommaDelimitedList\nResources:\n  T:\n    Type: AWS::SNS::Topic\nOutputs:\n  O:\n    Value: !Sub 'ids ${Ids}'\n  J:\n    Value: !Sub ['ids ${Ids}', {Ids: !Join [',', !Ref Ids]}]\n  D:\n    Description: in ${AWS::Region}\n    Value: x\n";
        assert_eq!(rules_of(t), ["R206", "T002"]);
    }
}

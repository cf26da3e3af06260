//! The console's parameter layout, `Metadata: AWS::CloudFormation::Interface` (cfn-lint
//! E4001): CloudFormation refuses a template whose layout has keys it does not know.

use super::{Finding, rules};
use crate::template::{Template, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let Some(Value::Map(interface)) = t.metadata.get("AWS::CloudFormation::Interface") else {
        return;
    };
    let base = "Metadata.AWS::CloudFormation::Interface";
    let mut report = |path: String, message: String| {
        out.push(Finding::new(rules::TEMPLATE_STRUCTURE, None, path, message));
    };
    for (key, v) in interface {
        let path = format!("{base}.{key}");
        match (key.as_str(), v) {
            ("ParameterGroups", Value::List(groups)) => {
                for (i, g) in groups.iter().enumerate() {
                    let gpath = format!("{path}[{i}]");
                    let Value::Map(g) = g else {
                        report(
                            gpath,
                            "a parameter group is a map of Label and Parameters".into(),
                        );
                        continue;
                    };
                    for (k, x) in g {
                        match (k.as_str(), x) {
                            ("Label", label) => {
                                label_of(label, format!("{gpath}.Label"), &mut report)
                            }
                            ("Parameters", Value::List(_)) => {}
                            ("Parameters", _) => report(
                                format!("{gpath}.Parameters"),
                                "Parameters is a list of parameter names".into(),
                            ),
                            (other, _) => report(
                                format!("{gpath}.{other}"),
                                format!(
                                    "a parameter group takes Label and Parameters, not {other:?}"
                                ),
                            ),
                        }
                    }
                }
            }
            ("ParameterLabels", Value::Map(labels)) => {
                for (name, label) in labels {
                    label_of(label, format!("{path}.{name}"), &mut report);
                }
            }
            ("ParameterGroups", _) => report(path, "ParameterGroups is a list".into()),
            ("ParameterLabels", _) => {
                report(path, "ParameterLabels is a map of parameter names".into())
            }
            (other, _) => report(
                path,
                format!(
                    "AWS::CloudFormation::Interface takes ParameterGroups and ParameterLabels, not {other:?}"
                ),
            ),
        }
    }
}

/// A label is `{default: text}`; the schema cfn-lint applies admits other shapes (a plain
/// string, which the console shows as it is) but no other key.
fn label_of(v: &Value, path: String, report: &mut impl FnMut(String, String)) {
    if let Value::Map(m) = v {
        for k in m.keys().filter(|k| *k != "default") {
            report(
                format!("{path}.{k}"),
                format!("a label takes default (its text), not {k:?}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_keys_of_the_layout() {
        let t = Template::parse_any(
            "Metadata:\n  AWS::CloudFormation::Interface:\n    ParameterGroups:\n      - Label: {default: Network}\n        Parameters: [Vpc]\n      - Label: Plain text\n        Parameters: [Subnet]\n    ParameterLabels:\n      Vpc: {defaut: The VPC}\nResources: {}\n",
        )
        .unwrap();
        let mut out = Vec::new();
        check(&t, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(
            out[0].path,
            "Metadata.AWS::CloudFormation::Interface.ParameterLabels.Vpc.defaut"
        );
    }
}

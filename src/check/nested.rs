//! A nested stack's parameters against its child template, when the child is a local file
//! (`TemplateURL: ./network.yaml`, as `aws cloudformation package` takes it): every
//! parameter given must exist in the child, and every child parameter without a default
//! must be given (R207, cfn-lint E3043). A child at a URL is not fetched: a note says so.

use std::collections::BTreeMap;
use std::path::Path;

use super::conditions::{alternatives, describe};
use super::{Finding, rules};
use crate::template::{Template, Value};

const STACK: &str = "AWS::CloudFormation::Stack";

/// Checks the nested stacks of `t`, whose file is in `dir`; returns the notes on children
/// not compared (at a URL, built by a function, unreadable).
pub fn check(t: &Template, dir: &Path, out: &mut Vec<Finding>) -> Vec<String> {
    let mut notes = Vec::new();
    // A child read once however many stacks name it.
    let mut children: BTreeMap<String, Option<Template>> = BTreeMap::new();
    for (id, r) in &t.resources {
        if r.resource_type.as_str() != STACK {
            continue;
        }
        let url = match r.properties.get("TemplateURL") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                notes.push(format!(
                    "nested stack {id}'s TemplateURL is built by a function: its parameters are not compared with its template"
                ));
                continue;
            }
            None => continue,
        };
        if ["http://", "https://", "s3://"]
            .iter()
            .any(|p| url.starts_with(p))
        {
            notes.push(format!(
                "nested stack {id}'s template is at {url}, which check does not fetch: its parameters are not compared with it"
            ));
            continue;
        }
        if url.starts_with("{{resolve:") {
            continue;
        }
        let child = children
            .entry(url.to_string())
            .or_insert_with(|| read_child(&dir.join(url)));
        let Some(child) = child else {
            notes.push(format!(
                "nested stack {id}'s template {url} is not a readable template next to this one: its parameters are not compared with it"
            ));
            continue;
        };
        // A child whose parameters a macro may add or change is not judged.
        if child.transforms() == crate::template::Transforms::Macros {
            continue;
        }
        compare(id.as_str(), url, r.properties.get("Parameters"), child, out);
    }
    notes
}

/// The child template at `path`: a regular file no larger than CloudFormation takes (the
/// template names the path, so a device such as /dev/zero, or a huge file, is not read).
fn read_child(path: &Path) -> Option<Template> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > super::quotas::MAX_BODY_BYTES as u64 {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    Template::parse_recovering(&text).ok().map(|(c, _)| c)
}

/// The parameters given (under each outcome of an `Fn::If` choosing them all) against
/// the child's.
fn compare(id: &str, url: &str, given: Option<&Value>, child: &Template, out: &mut Vec<Finding>) {
    let base = "Properties.Parameters";
    let empty = BTreeMap::new();
    let choices = match given {
        None => vec![(Vec::new(), &empty)],
        Some(v) => alternatives(v)
            .into_iter()
            .filter_map(|(when, v)| v.as_map().map(|m| (when, m)))
            .collect(),
    };
    for (chosen, given) in choices {
        let when = describe(&chosen);
        for name in given.keys() {
            if !child.parameters.contains_key(name) {
                out.push(Finding::on(
                    rules::NESTED_PARAMETERS,
                    id,
                    &format!("{base}.{name}"),
                    format!("parameter {name} is given to nested stack {id}{when}, but its template {url} has no such parameter"),
                ));
            }
        }
        for (name, p) in &child.parameters {
            if p.default.is_some() {
                continue;
            }
            match given.get(name) {
                None => out.push(Finding::on(
                    rules::NESTED_PARAMETERS,
                    id,
                    base,
                    format!("nested stack {id}'s template {url} takes parameter {name}, which has no default, but it is not given{when}"),
                )),
                // Given, but removed under some conditions (Fn::If with AWS::NoValue).
                Some(v) => {
                    for (absent, x) in alternatives(v) {
                        if x.is_no_value() && !absent.is_empty() {
                            let absent: Vec<(&str, bool)> =
                                chosen.iter().chain(&absent).copied().collect();
                            out.push(Finding::on(
                                rules::NESTED_PARAMETERS,
                                id,
                                &format!("{base}.{name}"),
                                format!("nested stack {id}'s template {url} takes parameter {name}, which has no default, but it is left out{}", describe(&absent)),
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHILD: &str = "
Parameters:
  VpcCidr: {Type: String}
  Retention: {Type: Number, Default: 30}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: !Ref VpcCidr}
";

    fn findings(parameters: &str) -> Vec<String> {
        let parent = format!(
            "Conditions:\n  Big: !Equals [!Ref AWS::Region, us-east-1]\nResources:\n  Net:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: net.yaml\n      Parameters: {parameters}\n"
        );
        let t = Template::parse_any(&parent).unwrap();
        let child = Template::parse_any(CHILD).unwrap();
        let props = &t.resources.values().next().unwrap().properties;
        let mut out = Vec::new();
        compare("Net", "net.yaml", props.get("Parameters"), &child, &mut out);
        out.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn each_parameter_without_a_default_is_given_and_no_other() {
        assert!(findings("{VpcCidr: 10.0.0.0/16}").is_empty());
        assert!(findings("{VpcCidr: 10.0.0.0/16, Retention: 7}").is_empty());
        let out = findings("{Retention: 7, Cidr: 10.0.0.0/16}");
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out.iter().any(|m| m.contains("parameter Cidr is given")));
        assert!(out.iter().any(|m| m.contains("takes parameter VpcCidr")));
    }

    #[test]
    fn conditions_choose_what_is_given() {
        // Left out when Big is false.
        let out = findings("{VpcCidr: !If [Big, 10.0.0.0/16, !Ref AWS::NoValue]}");
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].ends_with("left out when Big is false"), "{out:?}");
        // The whole map chosen: its false branch lacks VpcCidr.
        let out = findings("!If [Big, {VpcCidr: 10.0.0.0/16}, {Retention: 7}]");
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].ends_with("not given when Big is false"), "{out:?}");
    }

    #[test]
    fn a_child_at_a_url_or_missing_is_said_not_judged() {
        let t = Template::parse_any(
            "Resources:\n  A:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://example-bucket.s3.amazonaws.com/net.yaml\n  B:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: no-such-child.yaml\n      Parameters: {X: y}\n  C:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: /dev/zero\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let notes = check(&t, Path::new("/nonexistent"), &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("which check does not fetch"));
        assert!(notes[1].contains("not a readable template"));
        // A device is not read (it would never end).
        assert!(notes[2].contains("/dev/zero is not a readable template"));
    }
}

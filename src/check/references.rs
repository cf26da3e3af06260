//! Reference integrity: Ref, Fn::GetAtt, Fn::Sub, DependsOn and condition names point at
//! something the template defines; GetAtt attributes exist; resources form no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{Finding, rules};
use crate::resources::facts;
use crate::template::{Intrinsic, Pseudo, Template, Transforms, Value};

/// One reference found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference<'a> {
    /// `Ref X` or `${X}`.
    Ref(&'a str),
    /// `Fn::GetAtt X.A` or `${X.A}`.
    GetAtt(&'a str, &'a str),
    /// `Fn::If [C, ...]` or `{Condition: C}`.
    Condition(&'a str),
}

/// Calls `f` with each reference in `v` and the path of the value holding it; `path`
/// is a buffer extended in place (and restored), so no path is built unless asked for.
pub fn each_reference<'a>(v: &'a Value, path: &mut String, f: &mut dyn FnMut(Reference<'a>, &str)) {
    let len = path.len();
    match v {
        Value::List(items) => {
            for (i, x) in items.iter().enumerate() {
                let _ = write!(path, "[{i}]");
                each_reference(x, path, f);
                path.truncate(len);
            }
        }
        Value::Map(m) => {
            for (k, x) in m {
                path.push('.');
                path.push_str(k);
                each_reference(x, path, f);
                path.truncate(len);
            }
        }
        Value::Fn(i) => {
            match &**i {
                Intrinsic::Ref(t) => f(Reference::Ref(t), path),
                Intrinsic::GetAtt {
                    resource,
                    attribute: Value::String(a),
                } => f(Reference::GetAtt(resource, a), path),
                Intrinsic::GetAtt { resource, .. } => f(Reference::Ref(resource), path),
                Intrinsic::Sub {
                    template,
                    variables,
                } => {
                    for name in sub_names(template) {
                        if variables.as_ref().is_some_and(|v| v.contains_key(name)) {
                            continue;
                        }
                        match name.split_once('.') {
                            Some((r, a)) => f(Reference::GetAtt(r, a), path),
                            None => f(Reference::Ref(name), path),
                        }
                    }
                }
                Intrinsic::If { condition, .. } | Intrinsic::Condition(condition) => {
                    f(Reference::Condition(condition), path)
                }
                _ => {}
            }
            for a in i.args() {
                each_reference(a, path, f);
            }
        }
        _ => {}
    }
}

/// The `${Name}` and `${Name.Attr}` variables of an Fn::Sub string (not `${!Literal}`).
pub fn sub_names(template: &str) -> Vec<&str> {
    crate::template::sub::sub_vars(template).collect()
}

/// The type SAM generates under a SAM resource's own logical id, whose attributes
/// `Fn::GetAtt` on the SAM resource reads.
fn sam_generated(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "AWS::Serverless::Function" => "AWS::Lambda::Function",
        "AWS::Serverless::SimpleTable" => "AWS::DynamoDB::Table",
        "AWS::Serverless::Api" => "AWS::ApiGateway::RestApi",
        "AWS::Serverless::HttpApi" => "AWS::ApiGatewayV2::Api",
        "AWS::Serverless::StateMachine" => "AWS::StepFunctions::StateMachine",
        "AWS::Serverless::LayerVersion" => "AWS::Lambda::LayerVersion",
        "AWS::Serverless::Application" => "AWS::CloudFormation::Stack",
        _ => return None,
    })
}

/// SAM's property references (`MyFunction.Alias`, `MyApi.Stage`): the resources SAM
/// generates beside a SAM resource, which Ref and Fn::GetAtt may name through it.
fn sam_referable(ty: &str, att: &str) -> bool {
    let first = att.split('.').next().unwrap_or(att);
    let names: &[&str] = match ty {
        "AWS::Serverless::Function" => {
            &["Alias", "Version", "DestinationTopic", "DestinationQueue"]
        }
        "AWS::Serverless::Api" => &[
            "Stage",
            "Deployment",
            "DomainName",
            "UsagePlan",
            "UsagePlanKey",
            "ApiKey",
        ],
        "AWS::Serverless::HttpApi" => &["Stage", "DomainName"],
        _ => &[],
    };
    names.contains(&first)
}

/// Resources a template's transforms may add that it does not show.
enum Unseen<'a> {
    /// No transform (or only AWS::LanguageExtensions, whose loops are expanded).
    None,
    /// The SAM transform or modules: what they generate is named after the resource
    /// that asks for it (`<Function>Role`, `<Api>Stage`, `<Module><Resource>`) or is one
    /// of SAM's implicit APIs, so a reference to any other name is a mistake. (id,
    /// type) of each such resource.
    Named(Vec<(&'a str, &'a str)>),
    /// A macro, AWS::Include: anything.
    Any,
}

impl<'a> Unseen<'a> {
    fn of(t: &'a Template) -> Unseen<'a> {
        let makers = |sam: bool| {
            t.resources
                .iter()
                .filter(|(_, r)| {
                    let ty = r.resource_type.as_str();
                    ty.ends_with("::MODULE") || sam && ty.starts_with("AWS::Serverless::")
                })
                .map(|(id, r)| (id.as_str(), r.resource_type.as_str()))
                .collect::<Vec<_>>()
        };
        match t.transforms() {
            Transforms::Macros => Unseen::Any,
            Transforms::Sam => Unseen::Named(makers(true)),
            Transforms::None => match makers(false) {
                m if m.is_empty() => Unseen::None,
                m => Unseen::Named(m),
            },
        }
    }

    /// Whether a transform may make a resource of this name.
    fn may_make(&self, name: &str) -> bool {
        match self {
            Unseen::None => false,
            Unseen::Any => true,
            Unseen::Named(ids) => {
                ids.iter().any(|(id, ty)| {
                    let Some(rest) = name.strip_prefix(id) else {
                        return false;
                    };
                    match *ty {
                        // A table or a nested application is the one resource it names.
                        "AWS::Serverless::SimpleTable" | "AWS::Serverless::Application" => {
                            rest.is_empty()
                        }
                        // A layer version is named with a hash of its content.
                        "AWS::Serverless::LayerVersion" => {
                            rest.len() == 10 && rest.bytes().all(|b| b.is_ascii_hexdigit())
                        }
                        // Roles, versions, aliases, permissions, stages, deployments; a
                        // module's resources.
                        _ => true,
                    }
                }) || matches!(self, Unseen::Named(ids) if ids.iter().any(|(_, ty)| ty.starts_with("AWS::Serverless::")))
                    && [
                        "ServerlessRestApi",
                        "ServerlessHttpApi",
                        "ServerlessWebSocketApi",
                    ]
                    .iter()
                    .any(|p| name.starts_with(p))
            }
        }
    }
}

struct Scope<'a> {
    t: &'a Template,
    /// Resources transforms may add that the template does not show.
    unseen: Unseen<'a>,
    graph: BTreeMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> Scope<'a> {
    /// Checks the references in `v` (at `base`); resources that `owner` refers to
    /// become edges of the dependency graph. Paths are written out only for findings.
    fn visit(
        &mut self,
        owner: Option<&'a str>,
        v: &'a Value,
        path: &mut String,
        out: &mut Vec<Finding>,
    ) {
        let t = self.t;
        let unseen = &self.unseen;
        let graph = &mut self.graph;
        each_reference(v, path, &mut |r, path| {
            let finding =
                |rule, message: String| Finding::new(rule, owner, path.to_string(), message);
            let is_resource = |n: &str| t.resources.contains_key(n);
            match r {
                Reference::Ref(name) => {
                    if let Some(o) = owner
                        && is_resource(name)
                    {
                        graph.entry(o).or_default().insert(name);
                    }
                    let known = is_resource(name)
                        || t.parameters.contains_key(name)
                        || Pseudo::from_name(name).is_some();
                    if !known && !unseen.may_make(name) {
                        out.push(finding(
                            rules::UNKNOWN_TARGET,
                            format!("{name:?} is not a resource, parameter or pseudo parameter of this template"),
                        ));
                    }
                }
                Reference::GetAtt(res, att) => {
                    let Some(target) = t.resources.get(res) else {
                        if !unseen.may_make(res) {
                            out.push(finding(
                                rules::UNKNOWN_TARGET,
                                format!("Fn::GetAtt names {res:?}, which is not a resource of this template"),
                            ));
                        }
                        return;
                    };
                    if let Some(o) = owner {
                        graph.entry(o).or_default().insert(res);
                    }
                    let ty = target.resource_type.as_str();
                    if let Some(f) = facts::lookup(sam_generated(ty).unwrap_or(ty))
                        && !f.has_attribute(att)
                        && !sam_referable(ty, att)
                    {
                        let atts = f.attributes();
                        let listed = if atts.is_empty() {
                            "it has no attributes".to_string()
                        } else {
                            format!("its attributes are {}", atts.join(", "))
                        };
                        out.push(finding(
                            rules::UNKNOWN_ATTRIBUTE,
                            format!("{res} ({ty}) has no attribute {att:?}; {listed}"),
                        ));
                    }
                }
                Reference::Condition(c) => {
                    if !t.conditions.contains_key(c) {
                        out.push(finding(
                            rules::UNKNOWN_CONDITION,
                            format!("condition {c:?} is not defined under Conditions"),
                        ));
                    }
                }
            }
        });
    }
}

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    let mut scope = Scope {
        t,
        unseen: Unseen::of(t),
        graph: BTreeMap::new(),
    };
    // One buffer for every value's path, written out only for a finding.
    let mut path = String::new();
    for (id, r) in &t.resources {
        path.clear();
        path.push_str("Resources.");
        path.push_str(id.as_str());
        let base = path.len();
        for (k, v) in &r.properties {
            path.truncate(base);
            path.push_str(".Properties.");
            path.push_str(k);
            scope.visit(Some(id.as_str()), v, &mut path, out);
        }
        for (name, v) in [
            ("CreationPolicy", &r.creation_policy),
            ("UpdatePolicy", &r.update_policy),
        ] {
            if let Some(v) = v {
                path.truncate(base);
                path.push('.');
                path.push_str(name);
                scope.visit(Some(id.as_str()), v, &mut path, out);
            }
        }
        for d in &r.depends_on {
            if let Some(target) = t.resources.get(d) {
                scope
                    .graph
                    .entry(id.as_str())
                    .or_default()
                    .insert(d.as_str());
                // CloudFormation refuses a dependency on a resource its condition leaves
                // out: "Unresolved resource dependencies".
                if let Some(c) = &target.condition
                    && t.conditions.contains_key(c)
                    && super::conditions::implies(t, r.condition.as_deref(), c) == Some(false)
                {
                    out.push(Finding::on(
                        rules::UNKNOWN_DEPENDENCY,
                        id.as_str(),
                        "DependsOn",
                        format!(
                            "DependsOn names \"{d}\", which does not exist when its condition {c} is false{}",
                            match &r.condition {
                                Some(own) => format!(" while {id}'s condition {own} is true"),
                                None => String::new(),
                            }
                        ),
                    ));
                }
            } else if !scope.unseen.may_make(d.as_str()) {
                out.push(Finding::on(
                    rules::UNKNOWN_DEPENDENCY,
                    id.as_str(),
                    "DependsOn",
                    format!("DependsOn names \"{d}\", which is not a resource of this template"),
                ));
            }
        }
        if let Some(c) = &r.condition
            && !t.conditions.contains_key(c)
        {
            out.push(Finding::on(
                rules::UNKNOWN_CONDITION,
                id.as_str(),
                "Condition",
                format!("condition {c:?} is not defined under Conditions"),
            ));
        }
    }
    for (name, o) in &t.outputs {
        let base = format!("Outputs.{name}");
        scope.visit(None, &o.value, &mut format!("{base}.Value"), out);
        if let Some(e) = &o.export_name {
            scope.visit(None, e, &mut format!("{base}.Export.Name"), out);
        }
        if let Some(c) = &o.condition
            && !t.conditions.contains_key(c)
        {
            out.push(Finding::new(
                rules::UNKNOWN_CONDITION,
                None,
                format!("{base}.Condition"),
                format!("condition {c:?} is not defined under Conditions"),
            ));
        }
    }
    for (name, c) in &t.conditions {
        let path = format!("Conditions.{name}");
        let mut found = Vec::new();
        each_reference(c, &mut path.clone(), &mut |r, p| {
            found.push((r, p.to_string()))
        });
        for (r, p) in found {
            match r {
                Reference::Ref(n) if !t.parameters.contains_key(n) && Pseudo::from_name(n).is_none() => {
                    out.push(Finding::new(
                        rules::UNKNOWN_TARGET,
                        None,
                        p,
                        format!("conditions can refer only to parameters and pseudo parameters; {n:?} is not one"),
                    ));
                }
                Reference::GetAtt(r, _) => out.push(Finding::new(
                    rules::UNKNOWN_TARGET,
                    None,
                    p,
                    format!("conditions cannot use Fn::GetAtt ({r}): resources do not exist when conditions are evaluated"),
                )),
                Reference::Condition(c) if !t.conditions.contains_key(c) => out.push(Finding::new(
                    rules::UNKNOWN_CONDITION,
                    None,
                    p,
                    format!("condition {c:?} is not defined under Conditions"),
                )),
                _ => {}
            }
        }
    }
    // The SAM transform rewrites what its resources refer to (an API's definition, a
    // function's events become resources of their own): cycles through them are the
    // transform's to resolve, and are not judged here.
    if let Unseen::Named(sam) = &scope.unseen {
        let is_sam = |n: &str| sam.iter().any(|(id, _)| *id == n);
        scope.graph.retain(|n, _| !is_sam(n));
        for targets in scope.graph.values_mut() {
            targets.retain(|n| !is_sam(n));
        }
    }
    for cycle in cycles(&scope.graph) {
        let first = cycle[0];
        let mut f = Finding::on(
            rules::CYCLE,
            first,
            "",
            format!("dependency cycle: {}", cycle.join(" -> ")),
        );
        f.related = cycle[1..cycle.len() - 1]
            .iter()
            .map(|s| s.to_string())
            .collect();
        out.push(f);
    }
}

/// Cycles in the dependency graph, each once, each written from its smallest id back to
/// it (`A -> B -> A`). Iterative, so a long chain cannot overflow the stack.
pub fn cycles<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        Grey,
        Black,
    }
    let mut color: BTreeMap<&str, Color> = BTreeMap::new();
    let mut seen: BTreeSet<Vec<&str>> = BTreeSet::new();
    let mut out = Vec::new();
    for &start in graph.keys() {
        if color.contains_key(start) {
            continue;
        }
        // (node, its successors not yet visited)
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, succ(graph, start))];
        let mut path: Vec<&str> = vec![start];
        color.insert(start, Color::Grey);
        while let Some((_, next)) = stack.last_mut() {
            match next.pop() {
                Some(m) => match color.get(m) {
                    Some(Color::Grey) => {
                        let at = path.iter().position(|n| *n == m).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[at..].to_vec();
                        // Rotate to start at the smallest id, so each cycle reads one way.
                        let min = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, n)| **n)
                            .map_or(0, |(i, _)| i);
                        cycle.rotate_left(min);
                        if seen.insert(cycle.clone()) {
                            let mut shown = cycle.clone();
                            shown.push(cycle[0]);
                            out.push(shown);
                        }
                    }
                    Some(Color::Black) => {}
                    None => {
                        color.insert(m, Color::Grey);
                        path.push(m);
                        stack.push((m, succ(graph, m)));
                    }
                },
                None => {
                    let (n, _) = stack.pop().expect("non-empty");
                    color.insert(n, Color::Black);
                    path.pop();
                }
            }
        }
    }
    out
}

fn succ<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>, n: &str) -> Vec<&'a str> {
    // Reversed so that popping visits successors in id order.
    graph
        .get(n)
        .map(|s| s.iter().rev().copied().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_variables() {
        assert_eq!(
            sub_names("arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Role.Arn}"),
            vec!["AWS::Partition", "Bucket", "Role.Arn"]
        );
    }

    #[test]
    fn cycles_are_found_once_and_printed_from_the_smallest_id() {
        let mut g: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        g.entry("B").or_default().insert("C");
        g.entry("C").or_default().insert("A");
        g.entry("A").or_default().insert("B");
        g.entry("D").or_default().insert("D");
        g.entry("E").or_default().insert("A");
        let c = cycles(&g);
        assert_eq!(c, vec![vec!["A", "B", "C", "A"], vec!["D", "D"]]);
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let names: Vec<String> = (0..200_000).map(|i| format!("R{i}")).collect();
        let mut g: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for w in names.windows(2) {
            g.entry(&w[0]).or_default().insert(&w[1]);
        }
        assert!(cycles(&g).is_empty());
    }
}

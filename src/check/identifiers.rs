//! Resources of one type given the same identifying name (S111, cfn-lint's E3019): the
//! schema's primary identifier names the resource in its account and region, so a
//! second resource with the same one cannot be created.

use super::conditions::{self, Assumption};
use super::{Finding, rules};
use crate::resources::facts;
use crate::template::{Intrinsic, Template, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    // Resources under different conditions may never exist together, so only those under
    // the same condition (or none) are compared; a value under Fn::If is not judged.
    // Values compare as written: the same literal, or the same expression.
    struct Group<'a> {
        ty: &'a str,
        condition: Option<&'a str>,
        values: Vec<&'a Value>,
        ids: Vec<&'a str>,
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        let Some(f) = facts::lookup(ty) else { continue };
        if f.primary_ids.is_empty() {
            continue;
        }
        let values: Option<Vec<&Value>> = f
            .primary_ids
            .iter()
            .map(|k| r.properties.get(k).filter(|v| judged(v)))
            .collect();
        let Some(values) = values else { continue };
        let condition = r.condition.as_deref();
        match groups
            .iter_mut()
            .find(|g| g.ty == ty && g.condition == condition && g.values == values)
        {
            Some(g) => g.ids.push(id.as_str()),
            None => groups.push(Group {
                ty,
                condition,
                values,
                ids: vec![id.as_str()],
            }),
        }
    }
    conditional(t, out);
    for g in groups.iter().filter(|g| g.ids.len() > 1) {
        let Some(f) = facts::lookup(g.ty) else {
            continue;
        };
        let path = if f.primary_ids.len() == 1 {
            format!("Properties.{}", f.primary_ids[0])
        } else {
            "Properties".to_string()
        };
        for id in &g.ids {
            let others: Vec<&str> = g.ids.iter().copied().filter(|o| o != id).collect();
            out.push(Finding::on(
                rules::DUPLICATE_IDENTIFIER,
                id,
                &path,
                format!(
                    "{}: {} the same as {}'s; it identifies the resource, so only one can be created",
                    g.ty,
                    f.primary_ids.join(" and "),
                    others.join(", ")
                ),
            ));
        }
    }
}

/// Whether an identifier's value is judged: not under `Fn::If`, not removed
/// (`AWS::NoValue`), not a dynamic reference.
fn judged(v: &Value) -> bool {
    let mut ok = !v.is_dynamic_reference();
    v.walk(&mut |x| {
        if let Value::Fn(i) = x
            && matches!(&**i, Intrinsic::If { .. })
        {
            ok = false;
        }
        if let Value::Fn(i) = x
            && matches!(&**i, Intrinsic::Ref(n) if n == "AWS::NoValue")
        {
            ok = false;
        }
    });
    ok
}

/// The same for resources a condition creates or a condition names (`Condition: IsEast`,
/// `RoleName: !If [IsEast, east, !Ref AWS::NoValue]`, `Properties: !If [...]`): two of a
/// type clash when, in an outcome of their conditions that some choice of parameters
/// brings about, both exist with the same identifier. Types identified by one property.
fn conditional(t: &Template, out: &mut Vec<Finding>) {
    if t.conditions.is_empty() {
        return;
    }
    struct Named<'a> {
        id: &'a str,
        ty: &'a str,
        key: String,
        /// The identifier's values, each with the conditions under which it is the one.
        values: Vec<(Assumption<'a>, &'a Value)>,
        conditional: bool,
        condition: Option<&'a str>,
    }
    let mut named: Vec<Named<'_>> = Vec::new();
    for (id, r) in &t.resources {
        let ty = r.resource_type.as_str();
        let Some(f) = facts::lookup(ty) else { continue };
        let [key] = f.primary_ids.as_slice() else {
            continue;
        };
        let key = key.clone();
        let base: Assumption<'_> = r
            .condition
            .as_deref()
            .map(|c| vec![(c, true)])
            .unwrap_or_default();
        // `Properties: {Fn::If: [C, A, B]}` chooses the property set.
        let sets: Vec<(Assumption<'_>, &Value)> =
            match r.properties.get("Fn::If").and_then(Value::as_list) {
                Some([c, a, b]) if r.properties.len() == 1 => {
                    let Some(c) = c.as_str() else { continue };
                    [(true, a), (false, b)]
                        .into_iter()
                        .filter_map(|(p, m)| m.as_map()?.get(&key).map(|v| (vec![(c, p)], v)))
                        .collect()
                }
                _ => r
                    .properties
                    .get(&key)
                    .map(|v| (Vec::new(), v))
                    .into_iter()
                    .collect(),
            };
        let mut values = Vec::new();
        for (outer, v) in sets {
            for (a, leaf) in conditions::alternatives(v) {
                if !judged(leaf) {
                    continue;
                }
                let mut all = base.clone();
                all.extend(outer.iter().copied());
                all.extend(a);
                values.push((all, leaf));
            }
        }
        let conditional = r.properties.contains_key("Fn::If")
            || r.properties
                .get(&key)
                .is_some_and(|v| matches!(v.as_fn(), Some(Intrinsic::If { .. })));
        named.push(Named {
            id: id.as_str(),
            ty,
            key,
            values,
            conditional,
            condition: r.condition.as_deref(),
        });
    }
    type Clash<'a> = (Vec<&'a str>, &'a str, &'a str, String);
    let mut clashes: std::collections::BTreeMap<&str, Clash<'_>> = Default::default();
    for (i, a) in named.iter().enumerate() {
        for b in &named[i + 1..] {
            // Pairs of the same condition with plain values are the check above's.
            if a.ty != b.ty || !a.conditional && !b.conditional && a.condition == b.condition {
                continue;
            }
            let found = a.values.iter().find_map(|(x, va)| {
                b.values.iter().find_map(|(y, vb)| {
                    if va != vb {
                        return None;
                    }
                    let mut names: Vec<&str> = Vec::new();
                    for (c, _) in x.iter().chain(y) {
                        if !names.contains(c) {
                            names.push(c);
                        }
                    }
                    let outcomes = conditions::outcomes(t, &names)?;
                    let row = outcomes.into_iter().find(|row| {
                        x.iter().chain(y).all(|(c, p)| {
                            names.iter().position(|n| n == c).map(|i| row[i]) == Some(*p)
                        })
                    })?;
                    let shown: Vec<(&str, bool)> = names.iter().copied().zip(row).collect();
                    Some((conditions::describe(&shown), *va))
                })
            });
            if let Some((when, v)) = found {
                let shown = v
                    .scalar_text()
                    .unwrap_or_else(|| "the same expression".to_string());
                for (me, other) in [(a, b), (b, a)] {
                    let e = clashes
                        .entry(me.id)
                        .or_insert_with(|| (Vec::new(), me.ty, me.key.as_str(), String::new()));
                    e.0.push(other.id);
                    if e.3.is_empty() {
                        e.3 = format!("{shown:?}{when}");
                    }
                }
            }
        }
    }
    for (id, (others, ty, key, what)) in clashes {
        out.push(Finding::on(
            rules::DUPLICATE_IDENTIFIER,
            id,
            &format!("Properties.{key}"),
            format!(
                "{ty}: {key} is {what}, as {}'s is: it identifies the resource, so only one can be created",
                others.join(", ")
            ),
        ));
    }
}

//! Resources of one type given the same identifying name (S111, cfn-lint's E3019): the
//! schema's primary identifier names the resource in its account and region, so a
//! second resource with the same one cannot be created.

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

//! The JSON Schema of blueprint files for the solutions a program knows: the file's
//! shape, and per solution (selected by `solution:`) its settings' schema for `settings`
//! and a partial one (nothing required) for each target's `overrides`.

use serde_json::{Value, json};

use super::load::BlueprintFile;
use crate::solution::{Solutions, partial_schema};

/// The schema, pretty-printed with a trailing newline.
pub fn json_schema(solutions: &Solutions) -> String {
    let mut generator = schemars::SchemaGenerator::default();
    let settings: Vec<(&str, &str, Value)> = solutions
        .iter()
        .map(|s| {
            (
                s.name(),
                s.about(),
                s.settings_schema(&mut generator).to_value(),
            )
        })
        .collect();
    let mut root = generator.into_root_schema_for::<BlueprintFile>().to_value();
    let mut defs = root
        .get_mut("$defs")
        .and_then(Value::as_object_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut cases = Vec::new();
    for (name, _, schema) in &settings {
        let overrides = partial_schema(schema, &mut defs);
        cases.push(json!({
            "if": {"properties": {"solution": {"const": name}}, "required": ["solution"]},
            "then": {"properties": {
                "settings": schema,
                "targets": {"items": {"properties": {"overrides": overrides}}},
                "org_targets": {"items": {"properties": {"overrides": overrides}}}
            }}
        }));
    }
    let choices: Vec<Value> = settings
        .iter()
        .map(|(name, about, _)| json!({"const": name, "description": about}))
        .collect();
    if let Some(props) = root.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "solution".into(),
            json!({"description": "The solution instantiated.", "oneOf": choices}),
        );
    }
    if let Some(o) = root.as_object_mut() {
        o.insert("allOf".into(), Value::Array(cases));
        o.insert("$defs".into(), Value::Object(defs));
    }
    let mut s = serde_json::to_string_pretty(&root).unwrap_or_default();
    s.push('\n');
    s
}

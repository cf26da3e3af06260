//! The schema of a target's `overrides`: the settings' schema with nothing required and
//! no defaults, at any depth, so an editor completes an override without asking for the
//! fields it leaves alone.

use serde_json::{Map, Value};

/// Keywords whose value is one schema.
const ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
/// Keywords whose value is a list of schemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const MAP: &[&str] = &["properties", "patternProperties", "dependentSchemas"];

/// A partial copy of `schema`; definitions it refers to get partial copies in `defs`
/// (`Partial<Name>`) when they differ from the originals.
pub fn partial(schema: &Value, defs: &mut Map<String, Value>) -> Value {
    match schema {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                match k.as_str() {
                    "required" | "default" => {}
                    "$ref" => {
                        out.insert(k.clone(), Value::String(partial_ref(v, defs)));
                    }
                    k if ONE.contains(&k) => {
                        out.insert(k.to_string(), partial(v, defs));
                    }
                    k if LIST.contains(&k) => {
                        let items = v.as_array().map_or_else(Vec::new, |a| {
                            a.iter().map(|s| partial(s, defs)).collect()
                        });
                        out.insert(k.to_string(), Value::Array(items));
                    }
                    k if MAP.contains(&k) => {
                        let m = v.as_object().map_or_else(Map::new, |m| {
                            m.iter()
                                .map(|(n, s)| (n.clone(), partial(s, defs)))
                                .collect()
                        });
                        out.insert(k.to_string(), Value::Object(m));
                    }
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn partial_ref(r: &Value, defs: &mut Map<String, Value>) -> String {
    let r = r.as_str().unwrap_or_default();
    let Some(name) = r.strip_prefix("#/$defs/") else {
        return r.to_string();
    };
    if name.starts_with("Partial") && defs.contains_key(name) {
        return r.to_string();
    }
    let partial_name = format!("Partial{name}");
    if defs.contains_key(&partial_name) {
        return format!("#/$defs/{partial_name}");
    }
    let Some(original) = defs.get(name).cloned() else {
        return r.to_string();
    };
    // Placed first, so a definition that refers to itself ends.
    defs.insert(partial_name.clone(), Value::Bool(true));
    let copy = partial(&original, defs);
    if copy == original {
        defs.remove(&partial_name);
        r.to_string()
    } else {
        defs.insert(partial_name.clone(), copy);
        format!("#/$defs/{partial_name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nothing_is_required_and_nothing_defaults_at_any_depth() {
        let mut defs = json!({
            "Net": {"type": "object", "required": ["cidr"], "properties": {
                "cidr": {"type": "string", "default": "10.0.0.0/16"},
                "required": {"type": "boolean"}
            }},
            "Cidr": {"type": "string"}
        })
        .as_object()
        .unwrap()
        .clone();
        let root = json!({"type": "object", "required": ["net"], "properties": {
            "net": {"$ref": "#/$defs/Net"}, "c": {"$ref": "#/$defs/Cidr"}
        }});
        let p = partial(&root, &mut defs);
        assert_eq!(
            p,
            json!({"type": "object", "properties": {
                "net": {"$ref": "#/$defs/PartialNet"}, "c": {"$ref": "#/$defs/Cidr"}
            }})
        );
        // A property named `required` is a property, not the keyword.
        assert_eq!(
            defs["PartialNet"],
            json!({"type": "object", "properties": {
                "cidr": {"type": "string"}, "required": {"type": "boolean"}
            }})
        );
        assert!(!defs.contains_key("PartialCidr"));
    }
}

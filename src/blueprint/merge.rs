//! A target's overrides merged into the shared settings, as JSON Merge Patch (RFC 7386)
//! does it: a mapping merges key by key at any depth, `null` removes a key (the field
//! takes its default), any other value (a list included) replaces. It works on the YAML
//! values before they are read into the solution's settings type, so every settings
//! type, a user's as much as ours, gets field-by-field overrides without a patch type.

use serde_yaml::Value;

/// `base` with `overrides` merged in.
///
/// ```
/// use perimeter::blueprint::merge;
/// let base: serde_yaml::Value =
///     serde_yaml::from_str("function: {memory_mb: 256, timeout_seconds: 30}\nmodels: [a, b]").unwrap();
/// let o: serde_yaml::Value =
///     serde_yaml::from_str("function: {memory_mb: 512}\nmodels: [c]").unwrap();
/// let merged = merge(base, o);
/// assert_eq!(merged["function"]["memory_mb"], 512);
/// assert_eq!(merged["function"]["timeout_seconds"], 30);
/// assert_eq!(merged["models"].as_sequence().unwrap().len(), 1);
/// ```
pub fn merge(base: Value, overrides: Value) -> Value {
    match (base, overrides) {
        (base, Value::Null) => base,
        (Value::Mapping(mut b), Value::Mapping(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                    continue;
                }
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => strip_nulls(v),
                };
                b.insert(k, merged);
            }
            Value::Mapping(b)
        }
        (_, o) => strip_nulls(o),
    }
}

/// A value added whole keeps no `null` keys: they mean "no value" there too.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn merges_at_any_depth_and_null_takes_a_field_back() {
        let base = y("a: {b: {c: 1, d: 2}, e: [1, 2]}\nf: 3");
        assert_eq!(
            merge(base.clone(), y("a: {b: {c: 9}}")),
            y("a: {b: {c: 9, d: 2}, e: [1, 2]}\nf: 3")
        );
        assert_eq!(merge(base.clone(), y("a: {e: [7]}"))["a"]["e"], y("[7]"));
        assert_eq!(
            merge(base.clone(), y("f: null")),
            y("a: {b: {c: 1, d: 2}, e: [1, 2]}")
        );
        // A section only the target has is added whole.
        assert_eq!(merge(base.clone(), y("g: {h: 1, i: null}"))["g"], y("h: 1"));
        // No overrides, no change; no shared settings, the overrides.
        assert_eq!(merge(base.clone(), Value::Null), base);
        assert_eq!(merge(Value::Null, y("a: 1")), y("a: 1"));
    }
}

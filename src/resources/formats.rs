//! Value formats the schemas name (`"format": "AWS::EC2::Image.Id"`, `"ipv4-network"`):
//! the standard network ones, and cfn-lint's (an AMI id, a KMS key ARN, ...), whose
//! patterns `scripts/distill_schemas.py` copies into `data/formats.json`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Format {
    /// cfn-lint's rule for it, e.g. `E1152`.
    rule: String,
    pattern: String,
}

fn data() -> &'static BTreeMap<String, Format> {
    static DATA: OnceLock<BTreeMap<String, Format>> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/formats.json"))
            .expect("data/formats.json is written by scripts/distill_schemas.py")
    })
}

/// Whether `text` has the format: `None` for a format not known here, or whose pattern
/// Rust's regex engine cannot read (lookaround): no verdict then.
///
/// ```
/// use perimeter::resources::formats::matches;
/// assert_eq!(matches("AWS::EC2::Image.Id", "ami-0123456789abcdef0"), Some(true));
/// assert_eq!(matches("ipv4-network", "10.0.1.0/23"), Some(false));
/// assert_eq!(matches("no-such-format", "x"), None);
/// ```
pub fn matches(format: &str, text: &str) -> Option<bool> {
    match format {
        "ipv4" => return Some(text.parse::<std::net::Ipv4Addr>().is_ok()),
        "ipv6" => return Some(text.parse::<std::net::Ipv6Addr>().is_ok()),
        // A network: no host bits set.
        "ipv4-network" => {
            return Some(text.parse::<ipnet::Ipv4Net>().is_ok_and(|n| n.trunc() == n));
        }
        "ipv6-network" => {
            return Some(text.parse::<ipnet::Ipv6Net>().is_ok_and(|n| n.trunc() == n));
        }
        _ => {}
    }
    let f = data().get(format)?;
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().ok()?;
    let re = cache.entry(format.to_string()).or_insert_with(|| {
        // Python's end-of-text anchor is `\Z`; Rust's is `\z`.
        regex::Regex::new(&f.pattern.replace("\\Z", "\\z")).ok()
    });
    re.as_ref().map(|re| re.is_match(text))
}

/// cfn-lint's rule for a format, for messages.
pub fn cfn_lint_rule(format: &str) -> Option<&'static str> {
    data().get(format).map(|f| f.rule.as_str())
}

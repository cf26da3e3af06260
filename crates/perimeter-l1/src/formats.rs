//! Value formats the schemas name (`"format": "AWS::EC2::Image.Id"`, `"ipv4-network"`):
//! the standard network ones, and cfn-lint's (an AMI id, a KMS key ARN, ...), whose
//! patterns `scripts/distill_schemas.py` copies into `data/formats.json`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

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
        serde_json::from_str(include_str!("../data/formats.json"))
            .expect("data/formats.json is written by scripts/distill_schemas.py")
    })
}

/// Whether `text` has the format: `None` for a format not known here, or whose pattern
/// Rust's regex engine cannot read (lookaround): no verdict then.
///
/// ```
/// use perimeter_l1::formats::matches;
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
    super::patterns::search(&f.pattern, text)
}

/// cfn-lint's rule for a format, for messages.
pub fn cfn_lint_rule(format: &str) -> Option<&'static str> {
    data().get(format).map(|f| f.rule.as_str())
}

/// What a Ref and an Fn::GetAtt of each type return, as formats
/// (`scripts/distill_ref_formats.py` writes `data/ref-formats.json`).
#[derive(Debug, Deserialize)]
struct Returns {
    refs: BTreeMap<String, Vec<String>>,
    getatts: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

fn returns() -> &'static Returns {
    static DATA: OnceLock<Returns> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../data/ref-formats.json"))
            .expect("data/ref-formats.json is written by scripts/distill_ref_formats.py")
    })
}

/// The formats a `Ref` to a resource of the type returns: one, or alternatives (a
/// security group's id or name); empty when its value has no known format (a role's
/// Ref is its name, of no format).
///
/// ```
/// use perimeter_l1::formats::ref_formats;
/// assert_eq!(ref_formats("AWS::EC2::VPC"), ["AWS::EC2::VPC.Id"]);
/// assert!(ref_formats("AWS::IAM::Role").is_empty());
/// ```
pub fn ref_formats(type_name: &str) -> &'static [String] {
    returns()
        .refs
        .get(type_name)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The formats of a GetAtt attribute of the type; empty when it has none.
///
/// ```
/// use perimeter_l1::formats::getatt_formats;
/// assert_eq!(getatt_formats("AWS::IAM::Role", "Arn"), ["AWS::IAM::Role.Arn"]);
/// assert!(getatt_formats("AWS::IAM::Role", "RoleId").is_empty());
/// ```
pub fn getatt_formats(type_name: &str, attribute: &str) -> &'static [String] {
    returns()
        .getatts
        .get(type_name)
        .and_then(|a| a.get(attribute))
        .map(Vec::as_slice)
        .unwrap_or_default()
}

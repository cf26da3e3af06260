//! The Bedrock models and system inference profiles a blueprint may name, as of
//! data/bedrock-models.json (distilled by scripts/distill_bedrock_models.py from a pinned
//! registry package): whether one is offered in a Region and not at its end of life, and
//! the Regions a system profile routes to.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::constructs::{ModelId, ModelKind};

static DATA: &str = include_str!("../../../data/bedrock-models.json");

// Strings borrowed from the text compiled in (it has no escapes): the 356 entries' keys,
// dates and Regions were a thousand allocations at every synth, for the one or two
// models a blueprint names.
#[derive(Debug, Deserialize)]
struct Data {
    as_of: &'static str,
    #[serde(borrow)]
    models: BTreeMap<&'static str, Entry>,
    #[serde(borrow)]
    profiles: BTreeMap<&'static str, Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    end_of_life: Option<&'static str>,
    #[serde(default, borrow)]
    regions: Option<Vec<&'static str>>,
}

fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| serde_json::from_str(DATA).expect("data/bedrock-models.json is valid"))
}

/// The Regions of a system profile's geography: where a profile may be called from and
/// where it may route to (a superset of AWS's per-profile lists, which no registry
/// package carries).
pub fn geography_regions(geo: &str) -> Vec<String> {
    let commercial =
        |r: &&str| !r.starts_with("cn-") && !r.starts_with("us-gov-") && !r.starts_with("us-iso");
    crate::resources::regions()
        // The isolated partitions (us-iso-*, eu-isoe-*) are no profile's destination.
        .filter(|r| !r.contains("-iso"))
        .filter(|r| match geo {
            "us" => r.starts_with("us-east-") || r.starts_with("us-west-"),
            "us-gov" => r.starts_with("us-gov-"),
            "eu" => r.starts_with("eu-"),
            "apac" => r.starts_with("ap-"),
            "jp" => matches!(*r, "ap-northeast-1" | "ap-northeast-3"),
            "au" => matches!(*r, "ap-southeast-2" | "ap-southeast-4"),
            "ca" => r.starts_with("ca-"),
            "global" => commercial(r),
            _ => false,
        })
        .map(str::to_string)
        .collect()
}

/// A model's state for a target's Region on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Offered and active (or not judged: the data says nothing of it).
    Fine,
    /// Still served, with an end-of-life date: move before it.
    Legacy(String),
    /// Refused: why.
    Refused(String),
}

/// Judges `m` (an application profile is judged by what it copies, `source`) for a
/// target in `region` on `today` (`YYYY-MM-DD`).
pub fn judge(m: &ModelId, region: &str, today: &str) -> Verdict {
    let d = data();
    let (entry, what) = match m.kind() {
        ModelKind::ApplicationProfile => return Verdict::Fine,
        ModelKind::SystemProfile => {
            let geo = m.geography().unwrap_or_default();
            if !geography_regions(geo).iter().any(|r| r == region) {
                return Verdict::Refused(format!(
                    "{m} is a {geo}. inference profile: it is not offered in {region}; use the profile of {region}'s geography"
                ));
            }
            (d.profiles.get(m.as_str()), "inference profile")
        }
        ModelKind::Foundation => (d.models.get(m.as_str()), "model"),
    };
    let Some(e) = entry else {
        return Verdict::Refused(format!(
            "{what} {m} is not in data/bedrock-models.json ({}): not offered on Bedrock, or misspelled",
            d.as_of
        ));
    };
    if let Some(eol) = e.end_of_life
        && eol <= today
    {
        return Verdict::Refused(format!(
            "{what} {m} reached its end of life on {eol}: every call fails; choose a current model"
        ));
    }
    if let Some(regions) = &e.regions
        && !regions.contains(&region)
    {
        return Verdict::Refused(format!(
            "model {m} is offered in {} only, not {region}; call it through an inference profile (us., eu., apac., global.)",
            regions.join(", ")
        ));
    }
    match e.end_of_life {
        Some(eol) => Verdict::Legacy(format!("{what} {m} is legacy: its end of life is {eol}")),
        None => Verdict::Fine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ModelId {
        s.parse().unwrap()
    }

    #[test]
    fn end_of_life_refused_legacy_named_current_fine() {
        let today = "2026-12-06";
        assert!(matches!(
            judge(&id("us.anthropic.claude-sonnet-4-20250514-v1:0"), "us-east-1", today),
            Verdict::Refused(m) if m.contains("end of life on 2026-10-14")
        ));
        assert!(matches!(
            judge(&id("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "us-east-1", today),
            Verdict::Legacy(m) if m.contains("2027-04-08")
        ));
        assert_eq!(
            judge(&id("us.anthropic.claude-haiku-5-5"), "us-east-1", today),
            Verdict::Fine
        );
        assert_eq!(
            judge(&id("eu.anthropic.claude-haiku-5-5"), "eu-west-1", today),
            Verdict::Fine
        );
    }

    #[test]
    fn a_profile_outside_its_geography_or_unknown_is_refused() {
        let today = "2026-12-06";
        assert!(matches!(
            judge(&id("us.anthropic.claude-haiku-5-5"), "eu-west-1", today),
            Verdict::Refused(m) if m.contains("not offered in eu-west-1")
        ));
        assert!(matches!(
            judge(&id("anthropic.claude-nonexistent-v9"), "us-east-1", today),
            Verdict::Refused(m) if m.contains("not in data/bedrock-models.json")
        ));
        // Priced in four Regions only by the data.
        assert!(matches!(
            judge(&id("anthropic.claude-instant-v1"), "eu-west-1", today),
            Verdict::Refused(m) if m.contains("not eu-west-1")
        ));
    }

    #[test]
    fn geographies_route_within_themselves() {
        let us = geography_regions("us");
        assert!(us.contains(&"us-east-1".to_string()) && us.contains(&"us-west-2".to_string()));
        assert!(
            us.iter()
                .all(|r| r.starts_with("us-") && !r.starts_with("us-gov"))
        );
        let eu = geography_regions("eu");
        assert!(eu.contains(&"eu-west-1".to_string()));
        assert!(
            eu.iter()
                .all(|r| r.starts_with("eu-") && !r.contains("iso"))
        );
        assert!(
            !geography_regions("global")
                .iter()
                .any(|r| r.starts_with("cn-"))
        );
    }
}

//! The Bedrock models and system inference profiles a blueprint may name, as of
//! data/bedrock-models.json (distilled by scripts/distill_bedrock_models.py from a pinned
//! registry package): whether one is offered in a Region and not at its end of life, and
//! the Regions a system profile routes to.

use serde::Deserialize;

use crate::constructs::{ModelId, ModelKind};

static DATA: &str = include_str!("../../../data/bedrock-models.json");

#[derive(Debug, PartialEq, Deserialize)]
struct Entry {
    end_of_life: Option<&'static str>,
    #[serde(default, borrow)]
    regions: Option<Vec<&'static str>>,
}

// The data is read where a blueprint's models are, not parsed whole: the 356 entries of
// its 30 KB cost a synth 0.8 M instructions and a thousand allocations, for the one or
// two models a blueprint names. The file is JSON of one shape (the test below parses it
// whole and finds every entry both ways).

/// The value of the object key `key` in `DATA[within]`: the first `"key"` followed by a
/// colon (a string value is followed by a comma or a bracket), parsed up to its end.
fn value<T: Deserialize<'static>>(within: std::ops::Range<usize>, key: &str) -> Option<T> {
    let quoted = format!("\"{key}\"");
    let text = &DATA.as_bytes()[within.clone()];
    let mut from = 0;
    while let Some(i) = find(&text[from..], quoted.as_bytes()) {
        let after = within.start + from + i + quoted.len();
        let rest = DATA[after..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            return serde_json::Deserializer::from_str(rest)
                .into_iter::<T>()
                .next()
                .and_then(Result::ok);
        }
        from += i + quoted.len();
    }
    None
}

/// Where `needle` first occurs in `hay`. A vectorized search (`str::find` took six times
/// the instructions here), but not `memchr::memmem`'s: its first call asks the CPU for its
/// features (std's detection, seven CPUID instructions), and on this project's VM each one
/// traps to the hypervisor (6-7 µs): 2% of a synth. SSE2 is in every x86-64 CPU, so its
/// searcher needs no asking.
#[cfg(target_arch = "x86_64")]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    use memchr::arch::x86_64::sse2::packedpair::Finder;
    match Finder::new(needle) {
        // Exact matches (each candidate pair is compared whole); below its minimum length
        // the packed-pair search panics, and a needle under two bytes has no pair.
        Some(f) if hay.len() >= f.min_haystack_len() => f.find(hay, needle),
        _ => memchr::arch::all::twoway::Finder::new(needle).find(hay, needle),
    }
}

/// Elsewhere memchr's searcher asks no CPU (aarch64's NEON is in every such CPU).
#[cfg(not(target_arch = "x86_64"))]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// The spans of the text of the top-level `models` and `profiles` objects.
fn sections() -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let start = |key: &str| {
        let quoted = format!("\"{key}\":");
        find(DATA.as_bytes(), quoted.as_bytes()).map_or(DATA.len(), |i| i + quoted.len())
    };
    let (models, profiles) = (start("models"), start("profiles"));
    if models < profiles {
        (models..profiles, profiles..DATA.len())
    } else {
        (models..DATA.len(), profiles..models)
    }
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
    let (models, profiles) = sections();
    let (entry, what) = match m.kind() {
        ModelKind::ApplicationProfile => return Verdict::Fine,
        ModelKind::SystemProfile => {
            let geo = m.geography().unwrap_or_default();
            if !geography_regions(geo).iter().any(|r| r == region) {
                return Verdict::Refused(format!(
                    "{m} is a {geo}. inference profile: it is not offered in {region}; use the profile of {region}'s geography"
                ));
            }
            (value::<Entry>(profiles, m.as_str()), "inference profile")
        }
        ModelKind::Foundation => (value::<Entry>(models, m.as_str()), "model"),
    };
    let Some(e) = entry else {
        return Verdict::Refused(format!(
            "{what} {m} is not in data/bedrock-models.json ({}): not offered on Bedrock, or misspelled",
            value::<&str>(0..DATA.len(), "as_of").unwrap_or("undated")
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
    fn every_entry_is_found_where_a_whole_parse_puts_it() {
        #[derive(Deserialize)]
        struct Data {
            as_of: &'static str,
            #[serde(borrow)]
            models: std::collections::BTreeMap<&'static str, Entry>,
            #[serde(borrow)]
            profiles: std::collections::BTreeMap<&'static str, Entry>,
        }
        let whole: Data = serde_json::from_str(DATA).unwrap();
        let (models, profiles) = sections();
        assert!(whole.models.len() > 100 && whole.profiles.len() > 100);
        for (k, e) in &whole.models {
            assert_eq!(value::<Entry>(models.clone(), k).as_ref(), Some(e), "{k}");
        }
        for (k, e) in &whole.profiles {
            assert_eq!(value::<Entry>(profiles.clone(), k).as_ref(), Some(e), "{k}");
        }
        assert_eq!(value::<&str>(0..DATA.len(), "as_of"), Some(whole.as_of));
        // A profile is not a model, nor the reverse.
        let profile = whole
            .profiles
            .keys()
            .find(|k| !whole.models.contains_key(*k))
            .unwrap();
        assert_eq!(value::<Entry>(models, profile), None);
        let model = whole
            .models
            .keys()
            .find(|k| !whole.profiles.contains_key(*k))
            .unwrap();
        assert_eq!(value::<Entry>(profiles, model), None);
    }

    #[test]
    fn find_agrees_with_a_plain_search_at_every_length_and_place() {
        let plain = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
        let text = DATA.as_bytes();
        for needle in [
            &b"\"a\""[..],
            b"\"us.anthropic",
            b"x",
            b"\"profiles\":",
            b"}\n",
        ] {
            for len in (0..70).chain([text.len() / 2, text.len()]) {
                for start in [0, 1, 7, text.len().saturating_sub(len)] {
                    let hay = &text[start..(start + len).min(text.len())];
                    assert_eq!(
                        find(hay, needle),
                        plain(hay, needle),
                        "{needle:?} in {len} from {start}"
                    );
                }
            }
        }
        // At the very end, shorter than a vector, and absent.
        assert_eq!(find(b"abcdefgh\"k\"", b"\"k\""), Some(8));
        assert_eq!(find(b"\"k", b"\"k\""), None);
        assert_eq!(find(b"", b"\"k\""), None);
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

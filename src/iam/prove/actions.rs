//! The action dimension over the IAM catalog's actions.
//!
//! A request's action is `prefix:Name`: neither part empty, neither with a colon. The
//! actions AWS has published are the catalog's; AWS adds more every week, under existing
//! prefixes and new ones, so every other name of that shape is an action AWS may add
//! tomorrow, which a policy's globs (`s3:Get*`) already cover. The dimension is therefore
//! every string of that shape (no narrower set would be sound), and its classes are
//! those the policies' patterns make among them; what the catalog decides is the
//! witness: each class is represented by an action the catalog knows whenever it holds
//! one, and only a class holding none (`s3:Foo*` when no S3 action starts so) by an
//! invented name, which [`invented`] tells apart for the explanation. The search tries
//! every class with a known action first, so an invented witness means that only
//! actions AWS has not published would fail the property.
//!
//! Cost: the catalog's 22,000 actions are not all read. An action pattern with a
//! literal prefix (`s3:Get*`) matches only actions of that prefix, and `*` (or `*:*`)
//! matches all alike, so the actions of prefixes no pattern names share one class and
//! one of them stands for all; only the services the patterns name are parsed and
//! classified. A pattern with a wildcard in its prefix (`*:Describe*`, `s3*`) can tell
//! any two services' actions apart: then every service is.

use std::collections::BTreeSet;

use super::lang::{Elem, Fold, Pattern, Regions, TooLarge, regions_within};
use crate::iam::catalog;

/// What a pattern's prefix (its text before the first colon) says about the services
/// whose actions it can match.
#[derive(Debug, PartialEq, Eq)]
enum Prefix {
    /// Exactly this prefix (lower case).
    Literal(String),
    /// Every action alike (`*`, `*:*`).
    All,
    /// No action (no colon and no wildcard: `GetObject`).
    None,
    /// A wildcard in the prefix: it may tell any services' actions apart.
    Wild,
}

fn prefix_of(p: &Pattern) -> Prefix {
    let star = Elem::Star { colon: true };
    if p.0.iter().all(|e| *e == star) || p.0 == [star, Elem::Ch(':', Fold::Ascii), star] {
        return Prefix::All;
    }
    let mut lit = String::new();
    for e in &p.0 {
        match e {
            Elem::Ch(':', _) => return Prefix::Literal(lit),
            Elem::Ch(c, _) => lit.push(c.to_ascii_lowercase()),
            _ => return Prefix::Wild,
        }
    }
    Prefix::None
}

/// Every action a request can carry: `prefix:Name`, neither part empty nor with a colon.
pub fn shape() -> Pattern {
    let not_colon = [Elem::OneNot(':'), Elem::StarNot(':')];
    let mut e = not_colon.to_vec();
    e.push(Elem::Ch(':', Fold::None));
    e.extend(not_colon);
    Pattern(e)
}

/// Actions that stand for the services no pattern names (the first whose prefix is not
/// named is used; the catalog's first such service otherwise).
const STAND_INS: &[&str] = &[
    "s3:PutObject",
    "ec2:RunInstances",
    "sqs:SendMessage",
    "sns:Publish",
    "lambda:InvokeFunction",
    "dynamodb:GetItem",
];

/// One action of every class the action patterns make among requests' actions, those
/// the catalog knows first (see the module's note); `nice` strings represent their class
/// where they can (known ones before the catalog's others, invented ones only for a
/// class without a known action).
pub fn candidates(
    patterns: &[Pattern],
    nice: &[String],
    limit: usize,
) -> Result<Vec<String>, TooLarge> {
    let c = catalog::catalog();
    let prefixes: Vec<Prefix> = patterns.iter().map(prefix_of).collect();
    let mut preferred: Vec<String> = nice.iter().filter(|a| known(a)).cloned().collect();
    if prefixes.contains(&Prefix::Wild) {
        preferred.extend(
            c.services()
                .flat_map(|s| s.actions().map(|a| a.full_name())),
        );
    } else {
        let named: BTreeSet<&str> = prefixes
            .iter()
            .filter_map(|p| match p {
                Prefix::Literal(l) => Some(l.as_str()),
                _ => None,
            })
            .collect();
        for p in &named {
            if let Some(s) = c.service(p) {
                preferred.extend(s.actions().map(|a| a.full_name()));
            }
        }
        let unnamed = |a: &str| !named.contains(a.split(':').next().unwrap_or(""));
        match STAND_INS.iter().find(|a| unnamed(a)) {
            Some(a) => preferred.push(a.to_string()),
            None => {
                if let Some(s) = c.services().find(|s| unnamed(&format!("{}:", s.prefix())))
                    && let Some(a) = s.actions().next()
                {
                    preferred.push(a.full_name());
                }
            }
        }
    }
    preferred.extend(nice.iter().filter(|a| !known(a)).cloned());
    let regions: std::sync::Arc<Regions> =
        regions_within(patterns, Some(&shape()), &preferred, limit)?;
    let mut out: Vec<String> = regions.values().cloned().collect();
    // Known actions first: the search then meets an invented one only when no known
    // action would do.
    out.sort_by_key(|a| !known(a));
    Ok(out)
}

/// Whether the catalog knows the action (without regard to case).
pub fn known(action: &str) -> bool {
    catalog::catalog().action(action).is_some()
}

/// Whether a witness's action is one the catalog does not know: a name standing for
/// actions AWS may add under the patterns that matched it.
pub fn invented(action: &str) -> bool {
    !known(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str) -> Pattern {
        Pattern::glob(p, Fold::Ascii)
    }

    #[test]
    fn a_class_with_a_known_action_is_represented_by_one() {
        // Action s3:* with NotAction s3:Get*: the class "s3, not a Get" holds
        // s3:PutObject and more; every class's representative is a real action.
        let ps = [glob("s3:*"), glob("s3:Get*")];
        let got = candidates(&ps, &[], 100_000).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.iter().all(|a| known(a)), "{got:?}");
        let s3_not_get: Vec<&String> = got
            .iter()
            .filter(|a| a.starts_with("s3:") && !a.to_ascii_lowercase().starts_with("s3:get"))
            .collect();
        assert_eq!(s3_not_get.len(), 1);
    }

    #[test]
    fn a_class_without_a_known_action_keeps_an_invented_one_last() {
        // No S3 action starts with "Frobnicate": an action AWS may add still could.
        let ps = [glob("s3:Frobnicate*"), glob("s3:GetObject")];
        let got = candidates(&ps, &[], 100_000).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        let last = got.last().unwrap();
        assert!(invented(last), "{got:?}");
        assert!(last.to_ascii_lowercase().starts_with("s3:frobnicate"));
        assert!(got[..2].iter().all(|a| known(a)), "{got:?}");
    }

    #[test]
    fn every_candidate_is_an_action_shape_and_unnamed_services_share_a_class() {
        let ps = [glob("*"), glob("iam:*"), glob("GetObject")];
        let got = candidates(&ps, &[], 100_000).unwrap();
        // iam's actions, and every other service's: "GetObject" (no colon) matches no
        // request's action, and no action lacks a colon.
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|a| known(a)));
        assert!(got.iter().any(|a| a == "s3:PutObject"), "{got:?}");
    }

    #[test]
    fn a_wildcard_prefix_classes_every_service() {
        // `*:Describe*` tells apart services that have Describe actions from those that
        // do not: every class is still represented by a known action.
        let ps = [glob("*:DescribeInstances"), glob("ec2:*")];
        let got = candidates(&ps, &[], 100_000).unwrap();
        assert!(got.iter().all(|a| known(a)), "{got:?}");
        // ec2 and DescribeInstances; ec2 not it; another service's DescribeInstances
        // (none may exist in the catalog: then invented); neither.
        assert!(
            got.iter()
                .any(|a| a.eq_ignore_ascii_case("ec2:DescribeInstances"))
        );
    }

    #[test]
    fn prefixes_are_read_from_patterns() {
        assert_eq!(prefix_of(&glob("S3:Get*")), Prefix::Literal("s3".into()));
        assert_eq!(prefix_of(&glob("*")), Prefix::All);
        assert_eq!(prefix_of(&glob("*:*")), Prefix::All);
        assert_eq!(prefix_of(&glob("s3*")), Prefix::Wild);
        assert_eq!(prefix_of(&glob("?3:x")), Prefix::Wild);
        assert_eq!(prefix_of(&glob("GetObject")), Prefix::None);
    }
}

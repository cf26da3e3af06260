//! Which rules a run reports: a profile, families (`--only`) and rules to ignore, from
//! flags or a project's `.perimeter.yaml`.

use super::rules::{self, Rule};

/// A set of rules for a kind of template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// What any template should pass: the template, schema, references and quotas, and
    /// IAM hygiene (I501, I503 to I516: what every policy should be), for general-purpose templates that are no private
    /// perimeter (web tiers, public subnets).
    Baseline,
    /// Everything: the data-perimeter rules, the access simulation. The default.
    #[default]
    Private,
}

impl std::str::FromStr for Profile {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Profile, crate::error::Invalid> {
        {
            let r: Result<Profile, String> = {
                match s {
                    "baseline" => Ok(Profile::Baseline),
                    "private" => Ok(Profile::Private),
                    other => Err(format!(
                        "unknown profile {other:?}: expected baseline or private"
                    )),
                }
            };
            r
        }
        .map_err(crate::error::Invalid::from)
    }
}

/// The families, by the letter their rule ids start with.
pub const FAMILIES: &[(char, &str)] = &[
    ('T', "template"),
    ('S', "schema"),
    ('R', "references"),
    ('Q', "quotas"),
    ('N', "network"),
    ('I', "iam"),
    ('D', "data"),
    ('A', "access"),
    ('C', "configuration"),
];

/// The rules a run reports.
///
/// ```
/// use perimeter::check::{rules, select::{Profile, Selection}};
/// let s = Selection::new(Profile::Baseline, &[], &["I503".into()]).unwrap();
/// assert!(s.allows(rules::UNKNOWN_PROPERTY));
/// assert!(!s.allows(rules::INTERNET_PATH) && !s.allows(rules::ADMIN_WILDCARD));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub profile: Profile,
    /// Families to keep (their letters); empty: every family.
    pub only: Vec<char>,
    /// Rules to leave out, by id.
    pub ignore: Vec<&'static str>,
}

impl Selection {
    /// A selection from a profile, family names (or letters) and rule ids (or names).
    pub fn new(
        profile: Profile,
        only: &[String],
        ignore: &[String],
    ) -> Result<Selection, crate::error::Invalid> {
        Selection::read(profile, only, ignore).map_err(crate::error::Invalid::from)
    }

    fn read(profile: Profile, only: &[String], ignore: &[String]) -> Result<Selection, String> {
        let only = only
            .iter()
            .map(|f| {
                FAMILIES
                    .iter()
                    .find(|(letter, name)| f == name || f.eq_ignore_ascii_case(&letter.to_string()))
                    .map(|(letter, _)| *letter)
                    .ok_or_else(|| {
                        let names: Vec<&str> = FAMILIES.iter().map(|(_, n)| *n).collect();
                        format!("unknown family {f:?}: expected one of {}", names.join(", "))
                    })
            })
            .collect::<Result<_, _>>()?;
        let ignore = ignore
            .iter()
            .map(|r| {
                rules::find(r).map(|r| r.id).ok_or_else(|| {
                    format!(
                        "unknown rule {r:?}; `{} check --rules` lists them",
                        crate::program::name()
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Selection {
            profile,
            only,
            ignore,
        })
    }

    /// Whether findings of this rule are reported.
    pub fn allows(&self, r: &Rule) -> bool {
        let family = r.id.chars().next().unwrap_or(' ');
        let in_profile = match self.profile {
            Profile::Private => true,
            Profile::Baseline => {
                matches!(family, 'T' | 'S' | 'R' | 'Q' | 'C')
                    || matches!(
                        r.id,
                        "I501"
                            | "I503"
                            | "I504"
                            | "I505"
                            | "I506"
                            | "I507"
                            | "I508"
                            | "I509"
                            | "I510"
                            | "I511"
                            | "I512"
                            | "I513"
                            | "I514"
                            | "I515"
                            | "I516"
                    )
            }
        };
        in_profile
            && (self.only.is_empty() || self.only.contains(&family))
            && !self.ignore.contains(&r.id)
    }

    /// Whether the access simulation's table belongs in the report.
    pub fn allows_access(&self) -> bool {
        self.allows(rules::ACCESS)
    }
}

//! The IAM catalog: every service's actions, resource types and condition keys, from
//! AWS's Service Authorization Reference (`data/iam-catalog.json`, distilled by
//! `scripts/distill_iam.mjs` from a pinned npm package).
//!
//! The file holds one service a line; a service is parsed the first time something asks
//! for it, so a command that looks up `s3:GetObject` pays for S3 only.
//!
//! ```
//! use perimeter::iam::catalog;
//! let c = catalog::catalog();
//! let a = c.action("S3:getobject").unwrap();
//! assert_eq!(a.name(), "GetObject");
//! assert!(a.fits("arn:aws:s3:::my-bucket/reports/*"));
//! assert!(!a.fits("arn:aws:s3:::my-bucket"));
//! assert!(c.expand("s3:GetObjectT*").iter().any(|a| a.name() == "GetObjectTagging"));
//! assert!(!c.key_type("aws:SourceVpce").unwrap().is_multi_valued());
//! ```

mod cfn;
mod pattern;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use cfn::{prefix_of, resource_type_of};
pub use pattern::{arn_fits, key_matches, parts_fit, six_parts};

static DATA: &str = include_str!("../../../data/iam-catalog.json");

/// How much an action can do, as the reference classes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    fn from_letter(l: &str) -> Option<AccessLevel> {
        Some(match l {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }
}

/// A condition key's type; the `ArrayOf` types are multi-valued (a request may carry
/// several values), the others single-valued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum KeyType {
    String,
    #[serde(rename = "ARN")]
    Arn,
    Numeric,
    Bool,
    Date,
    #[serde(rename = "IPAddress")]
    IpAddress,
    Binary,
    ArrayOfString,
    #[serde(rename = "ArrayOfARN")]
    ArrayOfArn,
    ArrayOfBool,
    ArrayOfNumeric,
    ArrayOfDate,
    #[serde(rename = "ArrayOfIPAddress")]
    ArrayOfIpAddress,
}

impl KeyType {
    /// Whether a request can carry several values of the key (`ForAnyValue`/`ForAllValues`
    /// belong on these only).
    pub fn is_multi_valued(self) -> bool {
        matches!(
            self,
            KeyType::ArrayOfString
                | KeyType::ArrayOfArn
                | KeyType::ArrayOfBool
                | KeyType::ArrayOfNumeric
                | KeyType::ArrayOfDate
                | KeyType::ArrayOfIpAddress
        )
    }
}

/// A resource type of a service and the format of its ARNs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub name: String,
    /// `arn:${Partition}:s3:::${BucketName}`.
    pub arn: String,
}

impl ResourceType {
    /// Whether an ARN (or an ARN pattern with `*` and `?`) can name a resource of this
    /// type.
    pub fn fits(&self, arn: &str) -> bool {
        arn_fits(&self.arn, arn)
    }
}

/// A condition key and its type; variable parts of the name are written `${...}`
/// (`aws:ResourceTag/${TagKey}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionKey {
    pub name: String,
    pub ty: KeyType,
}

/// One action of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ActionData {
    /// Borrowed from the catalog's text (the distiller writes no escapes).
    name: &'static str,
    level: AccessLevel,
    resources: Vec<u16>,
    keys: Vec<u16>,
}

/// A service: its actions, resource types and condition keys.
#[derive(Debug)]
pub struct Service {
    prefix: String,
    name: String,
    resources: Vec<ResourceType>,
    keys: Vec<ConditionKey>,
    /// By name, as the reference spells it.
    actions: Vec<ActionData>,
    /// The actions' indices in ASCII-case-insensitive order of their names.
    by_name: Vec<u16>,
}

impl Service {
    /// The prefix of its actions (`s3`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    /// Its name (`Amazon S3`).
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resources
    }
    pub fn condition_keys(&self) -> &[ConditionKey] {
        &self.keys
    }
    /// Every action of the service.
    pub fn actions(&self) -> impl Iterator<Item = ActionRef<'_>> {
        (0..self.actions.len()).map(move |i| ActionRef { service: self, i })
    }
    /// An action by name, without regard to case.
    pub fn action(&self, name: &str) -> Option<ActionRef<'_>> {
        let at = self
            .by_name
            .binary_search_by(|&i| ignoring_case(self.actions[usize::from(i)].name, name))
            .ok()?;
        Some(ActionRef {
            service: self,
            i: usize::from(self.by_name[at]),
        })
    }
}

/// An action of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct ActionRef<'a> {
    service: &'a Service,
    i: usize,
}

impl<'a> ActionRef<'a> {
    fn data(&self) -> &'a ActionData {
        &self.service.actions[self.i]
    }
    pub fn service(&self) -> &'a Service {
        self.service
    }
    /// The name without its prefix, as the reference spells it (`GetObject`).
    pub fn name(&self) -> &'a str {
        self.data().name
    }
    /// `s3:GetObject`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service.prefix, self.data().name)
    }
    pub fn level(&self) -> AccessLevel {
        self.data().level
    }
    /// The resource types it acts on; none means it takes only `"*"`.
    pub fn resource_types(&self) -> impl Iterator<Item = &'a ResourceType> + use<'a> {
        let s = self.service;
        self.data()
            .resources
            .iter()
            .map(move |&i| &s.resources[usize::from(i)])
    }
    /// The service's condition keys it takes (global `aws:` keys apply to every action
    /// besides).
    pub fn condition_keys(&self) -> impl Iterator<Item = &'a ConditionKey> + use<'a> {
        let s = self.service;
        self.data()
            .keys
            .iter()
            .map(move |&i| &s.keys[usize::from(i)])
    }
    /// Whether a resource (ARN or pattern, or `*`) can be one this action acts on: any
    /// ARN fits `*`, and an action without resource types takes only `*`.
    pub fn fits(&self, arn: &str) -> bool {
        arn == "*" || self.resource_types().any(|r| r.fits(arn))
    }
    /// Whether the action takes a condition key of its service (global keys aside).
    pub fn takes_key(&self, key: &str) -> bool {
        self.condition_keys().any(|k| key_matches(&k.name, key))
    }
}

/// The header of the file: where it came from and the global keys.
#[derive(Deserialize)]
struct Header {
    source: String,
    updated: String,
    global_keys: BTreeMap<String, KeyType>,
}

#[derive(Deserialize)]
struct RawService<'a> {
    name: String,
    resources: Vec<(String, String)>,
    keys: Vec<(String, KeyType)>,
    #[serde(borrow)]
    actions: RawActions<'a>,
}

/// A service's actions as the file has them, an object of name to (access level,
/// resource types, keys), read in the file's order (the distiller's, by name) into a
/// list: no owned names, no map.
struct RawActions<'a>(Vec<(&'a str, RawAction<'a>)>);

/// An action's access level letter, resource types and keys (indices into the
/// service's lists).
type RawAction<'a> = (&'a str, Vec<u16>, Vec<u16>);

impl<'de: 'a, 'a> Deserialize<'de> for RawActions<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = RawActions<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of actions")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<RawActions<'a>, A::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(0));
                while let Some(entry) = m.next_entry()? {
                    out.push(entry);
                }
                Ok(RawActions(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// `a` against `b`, ASCII case aside.
fn ignoring_case(a: &str, b: &str) -> std::cmp::Ordering {
    (a.bytes().map(|c| c.to_ascii_lowercase())).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// The catalog: the header parsed, the services found (each parsed on first use).
pub struct Catalog {
    source: String,
    updated: String,
    global_keys: Vec<ConditionKey>,
    /// Lower-case prefix → the service's line in the file, and the service once parsed.
    services: Vec<(&'static str, &'static str, OnceLock<Service>)>,
}

/// The text of the catalog file as built in (every name in it, parsed or not).
pub fn text() -> &'static str {
    DATA
}

/// The catalog of the build (`data/iam-catalog.json`).
pub fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::parse().expect("data/iam-catalog.json is the distiller's"))
}

impl Catalog {
    fn parse() -> Result<Catalog, String> {
        let text = DATA;
        let first = text.lines().next().ok_or("empty catalog")?;
        let head = first
            .strip_suffix("\"services\":{")
            .ok_or("the first line does not end with the services")?;
        let header: Header = serde_json::from_str(&format!("{head}\"services\":null}}"))
            .map_err(|e| e.to_string())?;
        // Each service's line, found by build.rs in the same file.
        const INDEX: &[(&str, usize, usize)] =
            include!(concat!(env!("OUT_DIR"), "/catalog_index.rs"));
        let services = (INDEX.iter())
            .map(|&(prefix, start, end)| (prefix, &text[start..end], OnceLock::new()))
            .collect();
        Ok(Catalog {
            source: header.source,
            updated: header.updated,
            global_keys: header
                .global_keys
                .into_iter()
                .map(|(name, ty)| ConditionKey { name, ty })
                .collect(),
            services,
        })
    }

    /// The package the data was distilled from, with its version.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When the source was built from AWS's reference (`YYYY-MM-DD`).
    pub fn updated(&self) -> &str {
        &self.updated
    }

    /// Every service prefix, in order.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(|(p, _, _)| *p)
    }

    /// A service by prefix, without regard to case.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        // The prefixes are lower case.
        let i = self
            .services
            .binary_search_by(|(p, _, _)| ignoring_case(p, prefix))
            .ok()?;
        let (p, line, cell) = &self.services[i];
        Some(cell.get_or_init(|| parse_service(p, line)))
    }

    /// Every service, parsed (costly the first time: the whole file).
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .map(|(p, line, cell)| cell.get_or_init(|| parse_service(p, line)))
    }

    /// A concrete action (`s3:GetObject`), without regard to case.
    pub fn action(&self, action: &str) -> Option<ActionRef<'_>> {
        let (prefix, name) = action.split_once(':')?;
        self.service(prefix)?.action(name)
    }

    /// The actions an action pattern (`s3:Get*`, `*`, `s3:?etObject`) covers, exactly:
    /// those that exist, in service then name order.
    pub fn expand(&self, pattern: &str) -> Vec<ActionRef<'_>> {
        if pattern == "*" {
            return self.services().flat_map(|s| s.actions()).collect();
        }
        let Some((prefix, name)) = pattern.split_once(':') else {
            return Vec::new();
        };
        let wild = |s: &str| s.contains(['*', '?']);
        let services: Vec<&Service> = if wild(prefix) {
            self.services()
                .filter(|s| crate::iam::glob::matches(prefix, &s.prefix, true))
                .collect()
        } else {
            self.service(prefix).into_iter().collect()
        };
        services
            .into_iter()
            .flat_map(|s| {
                if wild(name) {
                    s.actions()
                        .filter(|a| crate::iam::glob::matches(name, a.name(), true))
                        .collect::<Vec<_>>()
                } else {
                    s.action(name).into_iter().collect()
                }
            })
            .collect()
    }

    /// The global condition keys (`aws:SourceVpce`, ...).
    pub fn global_keys(&self) -> &[ConditionKey] {
        &self.global_keys
    }

    /// A global key by name (tags and other variable parts matched), without regard to
    /// case.
    pub fn global_key(&self, key: &str) -> Option<&ConditionKey> {
        self.global_keys.iter().find(|k| key_matches(&k.name, key))
    }

    /// A key's type: the global key's, else the one its service's table gives it (the
    /// service of its prefix: `s3:prefix` is S3's).
    pub fn key_type(&self, key: &str) -> Option<KeyType> {
        if let Some(k) = self.global_key(key) {
            return Some(k.ty);
        }
        let (prefix, _) = key.split_once(':')?;
        self.service(prefix)?
            .keys
            .iter()
            .find(|k| key_matches(&k.name, key))
            .map(|k| k.ty)
    }
}

fn parse_service(prefix: &str, line: &'static str) -> Service {
    let (_, body) = line
        .split_once("\":")
        .expect("checked when the file was indexed");
    let raw: RawService<'static> =
        serde_json::from_str(body).expect("data/iam-catalog.json is the distiller's");
    let mut actions: Vec<ActionData> = (raw.actions.0.into_iter())
        .map(|(name, (level, resources, keys))| ActionData {
            name,
            level: AccessLevel::from_letter(level).expect("an access level letter"),
            resources,
            keys,
        })
        .collect();
    // By name, as a map of the names would hold them (the file has them so already).
    if !actions.is_sorted_by(|a, b| a.name < b.name) {
        // A name given twice: the last one, as a map keeps it.
        actions.reverse();
        actions.sort_by(|a, b| a.name.cmp(b.name));
        actions.dedup_by(|a, b| a.name == b.name);
    }
    let mut by_name: Vec<u16> = (0..actions.len())
        .map(|i| u16::try_from(i).expect("fewer than 65,536 actions a service"))
        .collect();
    by_name.sort_by(|&i, &j| {
        ignoring_case(actions[usize::from(i)].name, actions[usize::from(j)].name)
    });
    Service {
        prefix: prefix.to_string(),
        name: raw.name,
        resources: raw
            .resources
            .into_iter()
            .map(|(name, arn)| ResourceType { name, arn })
            .collect(),
        keys: raw
            .keys
            .into_iter()
            .map(|(name, ty)| ConditionKey { name, ty })
            .collect(),
        actions,
        by_name,
    }
}

#[cfg(test)]
mod tests;

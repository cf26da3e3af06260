//! Schema facts for every CloudFormation resource type, distilled from the resource
//! provider schemas by `scripts/distill_schemas.py` into `data/schema-facts.jsonl`.
//! The file is embedded with a generated offset index (`facts_index.rs`); a type's
//! facts are parsed the first time that type is asked for.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

use super::facts_index::INDEX;

static DATA: &str = include_str!("../data/schema-facts.jsonl");

/// One node of a property tree.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct PropNode {
    /// JSON type: a name or a list of names.
    #[serde(default)]
    pub t: Option<serde_json::Value>,
    /// Allowed values.
    #[serde(default)]
    pub e: Option<Vec<serde_json::Value>>,
    /// `insertionOrder: false`: CloudFormation treats the list as a set.
    #[serde(default)]
    pub u: bool,
    /// Item node of an array.
    #[serde(default)]
    pub i: Option<Box<PropNode>>,
    /// Properties of an object.
    #[serde(default)]
    pub p: Option<BTreeMap<String, PropNode>>,
    /// Value node of a map (patternProperties).
    #[serde(default)]
    pub m: Option<Box<PropNode>>,
    /// A reference to a definition of the same type.
    #[serde(default, rename = "$")]
    pub def: Option<String>,
    /// Required properties of an object.
    #[serde(default)]
    pub r: Vec<String>,
    /// Exclusivity constraints (requiredXor, oneOf required sets, dependentExcluded, ...).
    #[serde(default)]
    pub x: Option<serde_json::Value>,
    /// Formats, any one of which a string value must have (see [`super::formats`]).
    #[serde(default)]
    pub f: Vec<String>,
    /// The fewest items a list takes.
    #[serde(default)]
    pub k: Option<usize>,
    /// The most items a list takes.
    #[serde(default, rename = "K")]
    pub max_items: Option<usize>,
    /// `uniqueItems`: no item may appear twice in the list.
    #[serde(default, rename = "q")]
    pub unique: bool,
    /// The pattern a string value matches (JSON Schema `pattern`, searched).
    #[serde(default, rename = "g")]
    pub pattern: Option<String>,
    /// The fewest and most characters of a string value.
    #[serde(default, rename = "l")]
    pub length: Option<[Option<u64>; 2]>,
    /// The least and greatest number a value may be.
    #[serde(default, rename = "n")]
    pub range: Option<[Option<f64>; 2]>,
}

impl PropNode {
    /// The JSON type names this node allows (none when the schema does not say).
    pub fn types(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match &self.t {
            Some(serde_json::Value::String(s)) => (Some(s.as_str()), &[][..]),
            Some(serde_json::Value::Array(a)) => (None, a.as_slice()),
            _ => (None, &[][..]),
        };
        one.into_iter()
            .chain(many.iter().filter_map(|v| v.as_str()))
    }
}

/// The facts of one resource type.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeFacts {
    #[serde(rename = "type")]
    pub type_name: String,
    pub required: Vec<String>,
    /// A change of any of these replaces the resource (dotted paths).
    pub create_only: Vec<String>,
    /// A change of any of these may replace the resource.
    pub conditional_create_only: Vec<String>,
    /// Read-only properties: the GetAtt attributes, dotted (`Endpoint.Address`).
    pub read_only: Vec<String>,
    pub write_only: Vec<String>,
    /// The `Fn::GetAtt` attributes cfn-lint accepts: the read-only properties and, for
    /// some types, every property; `Outputs\\..*`-style entries are patterns.
    #[serde(default)]
    pub get_att: Vec<String>,
    pub props: BTreeMap<String, PropNode>,
    pub defs: BTreeMap<String, PropNode>,
    /// The properties whose values identify a resource of the type in its account and
    /// region (the schema's primaryIdentifier, when a template sets them all).
    #[serde(default)]
    pub primary_ids: Vec<String>,
    /// The type's own exclusivity constraints on its properties (as [`PropNode::x`]).
    #[serde(default)]
    pub x: Option<serde_json::Value>,
    /// Where the type's service stands when it is leaving (cfn-lint's lifecycle data).
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
}

/// A service's way out: `shutdown` (gone), `sunset` (going on the date) or
/// `maintenance` (no new features since the date).
#[derive(Debug, Clone, Deserialize)]
pub struct Lifecycle {
    pub status: String,
    #[serde(default)]
    pub date: Option<String>,
}

impl TypeFacts {
    /// Follows a `$ref` to its definition.
    pub fn resolve<'a>(&'a self, node: &'a PropNode) -> &'a PropNode {
        let mut n = node;
        // Definitions may chain; a cycle of pure references cannot occur in valid schemas,
        // but a bound keeps a bad data file from looping.
        for _ in 0..16 {
            match n.def.as_deref().and_then(|d| self.defs.get(d)) {
                Some(next) => n = next,
                None => break,
            }
        }
        n
    }

    /// The node of a top-level property.
    pub fn property(&self, name: &str) -> Option<&PropNode> {
        self.props.get(name).map(|n| self.resolve(n))
    }

    /// Whether `name` (`Arn`, `Endpoint.Address`) is a GetAtt attribute of this type.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.read_only.iter().any(|a| a == name)
            || self.get_att.iter().any(|a| match a.strip_suffix("\\..*") {
                Some(prefix) => name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1),
                None => a == name || a == ".*",
            })
    }

    /// The GetAtt attributes, for messages.
    pub fn attributes(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .read_only
            .iter()
            .chain(&self.get_att)
            .map(|a| a.as_str())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Facts parsed so far: a type's line is parsed the first time it is asked for.
fn parsed() -> &'static Mutex<HashMap<&'static str, Arc<TypeFacts>>> {
    static PARSED: OnceLock<Mutex<HashMap<&'static str, Arc<TypeFacts>>>> = OnceLock::new();
    PARSED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The facts of a resource type, or `None` when no schema knows it.
///
/// ```
/// let f = perimeter_l1::facts::lookup("AWS::EC2::VPCEndpoint").unwrap();
/// assert!(f.create_only.iter().any(|p| p == "ServiceName"));
/// assert!(f.has_attribute("Id"));
/// ```
pub fn lookup(type_name: &str) -> Option<Arc<TypeFacts>> {
    let i = INDEX.binary_search_by_key(&type_name, |(n, _, _)| n).ok()?;
    let (key, start, len) = INDEX[i];
    let mut parsed = parsed().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = parsed.get(key) {
        return Some(f.clone());
    }
    // The data file and its index are generated together and embedded: a slice that
    // does not parse is a build defect, which the every-type test catches.
    let facts: TypeFacts = serde_json::from_str(&DATA[start..start + len])
        .expect("data/schema-facts.jsonl matches its index");
    let facts = Arc::new(facts);
    parsed.insert(key, facts.clone());
    Some(facts)
}

/// Every resource type the facts know, sorted.
pub fn type_names() -> Vec<&'static str> {
    INDEX.iter().map(|(n, _, _)| *n).collect()
}

static SAM_DATA: &str = include_str!("../data/sam-facts.json");

/// Facts of an `AWS::Serverless::*` type, distilled from the SAM specification by
/// `scripts/distill_sam.py`: its properties, and which are create-only through the
/// CloudFormation resource SAM generates.
#[derive(Debug, Clone)]
pub struct SamFacts {
    /// The resource SAM generates from it (`AWS::Lambda::Function`), when one carries its
    /// properties.
    pub generates: Option<String>,
    pub facts: Arc<TypeFacts>,
}

#[derive(Deserialize)]
struct SamEntry {
    generates: Option<String>,
    #[serde(flatten)]
    facts: TypeFacts,
}

#[derive(Deserialize)]
struct SamFile {
    types: HashMap<String, SamEntry>,
}

fn sam() -> &'static HashMap<String, SamFacts> {
    static SAM: OnceLock<HashMap<String, SamFacts>> = OnceLock::new();
    SAM.get_or_init(|| {
        serde_json::from_str::<SamFile>(SAM_DATA)
            .expect("data/sam-facts.json is valid")
            .types
            .into_iter()
            .map(|(k, e)| {
                let facts = SamFacts {
                    generates: e.generates,
                    facts: Arc::new(e.facts),
                };
                (k, facts)
            })
            .collect()
    })
}

/// The facts of a SAM type (`AWS::Serverless::Function`).
///
/// ```
/// let f = perimeter_l1::facts::lookup_sam("AWS::Serverless::SimpleTable").unwrap();
/// assert_eq!(f.generates.as_deref(), Some("AWS::DynamoDB::Table"));
/// assert!(f.facts.create_only.iter().any(|p| p == "TableName"));
/// ```
pub fn lookup_sam(type_name: &str) -> Option<&'static SamFacts> {
    sam().get(type_name)
}

/// The facts of any type a template may hold before deployment: a CloudFormation type
/// from its schema, or a SAM type from the SAM specification.
pub fn lookup_any(type_name: &str) -> Option<Arc<TypeFacts>> {
    lookup(type_name).or_else(|| lookup_sam(type_name).map(|s| s.facts.clone()))
}

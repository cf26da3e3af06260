//! Resource by resource: what changes, and what that does. A change to a create-only
//! property replaces the resource; a replaced resource gets a new physical id, so every
//! create-only property that refers to it changes too, and replacement spreads along
//! references. Stateful resources replaced or destroyed without Retain/Snapshot are
//! flagged as data-loss risks.

use std::collections::{BTreeMap, BTreeSet};

use super::canon::{certainly_differs, referenced_ids, same};
use super::cursor::Cursor;
use super::model::{Change, ChangeKind, Impact, ResourceChange};
use super::resolve;
use super::values::{diff_map, diff_value};
use crate::resources::facts::{self, TypeFacts};
use crate::template::{LogicalId, Resource, Template, Value};

/// Resource types that hold data a replacement or deletion loses.
const STATEFUL: &[&str] = &[
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::Logs::LogGroup",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
    "AWS::EFS::FileSystem",
    "AWS::EC2::Volume",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::Neptune::DBCluster",
    "AWS::DocDB::DBCluster",
    "AWS::Redshift::Cluster",
    "AWS::OpenSearchService::Domain",
    "AWS::Elasticsearch::Domain",
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::Cognito::UserPool",
    "AWS::Backup::BackupVault",
    "AWS::FSx::FileSystem",
    "AWS::ECR::Repository",
];

/// Whether a type holds data: one of [`STATEFUL`], or a SAM type that generates one
/// (`AWS::Serverless::SimpleTable` is a DynamoDB table).
pub fn is_stateful(resource_type: &str) -> bool {
    STATEFUL.contains(&resource_type)
        || facts::lookup_sam(resource_type)
            .and_then(|s| s.generates.as_deref())
            .is_some_and(|g| STATEFUL.contains(&g))
}

fn policy(v: &Option<Value>) -> Option<String> {
    v.as_ref().and_then(|x| x.as_str()).map(str::to_string)
}

/// Whether a policy value keeps the data.
fn keeps(p: Option<String>) -> bool {
    matches!(
        p.as_deref(),
        Some("Retain" | "Snapshot" | "RetainExceptOnCreate")
    )
}

/// The value at a dotted path of properties (`DnsOptions.PrivateDnsPreference`); a `*`
/// segment stops at the list that holds it.
fn lookup<'a>(props: &'a BTreeMap<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut v = props.get(parts.next()?)?;
    for p in parts {
        if p == "*" {
            break;
        }
        v = v.as_map()?.get(p)?;
    }
    Some(v)
}

/// Properties whose change replaces the resource: (path, conditional).
fn create_only(f: &TypeFacts) -> impl Iterator<Item = (&str, bool)> {
    f.create_only
        .iter()
        .map(|p| (p.as_str(), false))
        .chain(f.conditional_create_only.iter().map(|p| (p.as_str(), true)))
}

fn attributes(r: &Resource) -> Vec<(&'static str, Option<Value>)> {
    let set = |ids: &BTreeSet<LogicalId>| {
        (!ids.is_empty())
            .then(|| Value::List(ids.iter().map(|i| Value::from(i.as_str())).collect()))
    };
    vec![
        ("Condition", r.condition.clone().map(Value::from)),
        ("DependsOn", set(&r.depends_on)),
        ("DeletionPolicy", r.deletion_policy.clone()),
        ("UpdateReplacePolicy", r.update_replace_policy.clone()),
        ("CreationPolicy", r.creation_policy.clone()),
        ("UpdatePolicy", r.update_policy.clone()),
        ("Metadata", r.metadata.clone()),
        ("Version", r.version.clone()),
    ]
}

/// Every property of a resource, as changes of one kind (added or removed resources).
fn whole(r: &Resource, kind: ChangeKind) -> Vec<Change> {
    let props = r
        .properties
        .iter()
        .map(|(k, v)| (format!("Properties.{k}"), v.clone()));
    let attrs = attributes(r)
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)));
    let other = r.other.iter().map(|(k, v)| (k.clone(), v.clone()));
    props
        .chain(attrs)
        .chain(other)
        .map(|(path, v)| {
            let (old, new) = if kind == ChangeKind::Added {
                (None, Some(v))
            } else {
                (Some(v), None)
            };
            Change {
                path,
                kind,
                old,
                new,
            }
        })
        .collect()
}

struct Pending {
    change: ResourceChange,
    /// Why it is replaced, for the chain shown to dependents.
    because: Option<String>,
}

pub fn diff_resources<'t>(old: &'t Template, new: &'t Template) -> Vec<ResourceChange> {
    let mut out: BTreeMap<&'t LogicalId, Pending> = BTreeMap::new();
    for (id, r) in &old.resources {
        if !new.resources.contains_key(id) {
            let orphan = matches!(
                policy(&r.deletion_policy).as_deref(),
                Some("Retain" | "RetainExceptOnCreate")
            );
            let data_loss =
                is_stateful(r.resource_type.as_str()) && !keeps(policy(&r.deletion_policy));
            let change = ResourceChange {
                logical_id: id.to_string(),
                resource_type: r.resource_type.to_string(),
                old_type: None,
                impact: if orphan {
                    Impact::Orphan
                } else {
                    Impact::Destroy
                },
                reasons: vec![],
                data_loss,
                changes: whole(r, ChangeKind::Removed),
            };
            out.insert(
                id,
                Pending {
                    change,
                    because: None,
                },
            );
        }
    }
    for (id, r) in &new.resources {
        let Some(o) = old.resources.get(id) else {
            let change = ResourceChange {
                logical_id: id.to_string(),
                resource_type: r.resource_type.to_string(),
                old_type: None,
                impact: Impact::Create,
                reasons: vec![],
                data_loss: false,
                changes: whole(r, ChangeKind::Added),
            };
            out.insert(
                id,
                Pending {
                    change,
                    because: None,
                },
            );
            continue;
        };
        if let Some(p) = modified(id, o, r) {
            out.insert(id, p);
        }
    }
    resolved_shifts(old, new, &mut out);
    propagate(old, new, &mut out);
    for p in out.values_mut() {
        let c = &mut p.change;
        if matches!(c.impact, Impact::Replace | Impact::MayReplace) {
            let (o, n) = (&old.resources, &new.resources);
            let id: LogicalId = c.logical_id.parse().expect("ids from templates are valid");
            let kept = keeps(o.get(&id).and_then(|r| policy(&r.update_replace_policy)))
                && keeps(n.get(&id).and_then(|r| policy(&r.update_replace_policy)));
            c.data_loss = (is_stateful(&c.resource_type)
                || c.old_type.as_deref().is_some_and(is_stateful))
                && !kept;
        }
    }
    out.into_values().map(|p| p.change).collect()
}

/// A resource in both templates: its changes and their impact.
fn modified(id: &LogicalId, o: &Resource, r: &Resource) -> Option<Pending> {
    let facts = facts::lookup_any(r.resource_type.as_str());
    let mut changes = Vec::new();
    diff_map(
        "Properties",
        &o.properties,
        &r.properties,
        Cursor::properties(facts.as_deref()),
        &mut changes,
    );
    // Most resources keep their attributes: compare in place before building the list.
    let same_attributes = o.condition == r.condition
        && o.depends_on == r.depends_on
        && o.deletion_policy == r.deletion_policy
        && o.update_replace_policy == r.update_replace_policy
        && o.creation_policy == r.creation_policy
        && o.update_policy == r.update_policy
        && o.metadata == r.metadata
        && o.version == r.version
        && o.other == r.other;
    let mut pairs: Vec<(String, Option<Value>, Option<Value>)> = Vec::new();
    if !same_attributes {
        for ((name, a), (_, b)) in attributes(o).into_iter().zip(attributes(r)) {
            pairs.push((name.to_string(), a, b));
        }
        // Attributes CloudFormation does not define (a macro's), by name.
        let names: BTreeSet<&String> = o.other.keys().chain(r.other.keys()).collect();
        for name in names {
            pairs.push((
                name.clone(),
                o.other.get(name).cloned(),
                r.other.get(name).cloned(),
            ));
        }
    }
    for (name, a, b) in pairs {
        let name = name.as_str();
        match (a, b) {
            (Some(a), Some(b)) => diff_value(name, &a, &b, Cursor::free(), &mut changes),
            (Some(a), None) => changes.push(Change {
                path: name.into(),
                kind: ChangeKind::Removed,
                old: Some(a),
                new: None,
            }),
            (None, Some(b)) => changes.push(Change {
                path: name.into(),
                kind: ChangeKind::Added,
                old: None,
                new: Some(b),
            }),
            (None, None) => {}
        }
    }
    let type_changed = o.resource_type != r.resource_type;
    if changes.is_empty() && !type_changed {
        return None;
    }
    let mut impact = Impact::Update;
    let mut reasons = Vec::new();
    // The first reason of the highest impact: the chain shown to dependents.
    let mut because: Option<(Impact, String)> = None;
    if type_changed {
        impact = Impact::Replace;
        let why = format!("the type changes from {}", o.resource_type);
        reasons.push(why.clone());
        because = Some((Impact::Replace, why));
    } else if facts.is_none() {
        impact = Impact::Unknown;
        let why = format!(
            "no schema knows {}: whether this change replaces it is unknown",
            r.resource_type
        );
        reasons.push(why.clone());
        because = Some((Impact::Unknown, why));
    } else if let Some(f) = &facts {
        for (path, conditional) in create_only(f) {
            let (a, b) = (lookup(&o.properties, path), lookup(&r.properties, path));
            let cursor = Cursor::properties(Some(f));
            let (differs, certain) = match (a, b) {
                (None, None) => (false, false),
                (Some(a), Some(b)) => {
                    let differs = !same(a, b, cursor);
                    (differs, differs && certainly_differs(a, b, cursor))
                }
                // Added or removed: the value is not what it was, whatever it resolves to.
                _ => (true, true),
            };
            if !differs {
                continue;
            }
            let this = if conditional || !certain {
                Impact::MayReplace
            } else {
                Impact::Replace
            };
            let why = if conditional {
                format!("{path} changes (replaces the resource in some cases)")
            } else if !certain {
                format!("{path} changes to a value resolved at deploy time (create-only)")
            } else {
                format!("{path} changes (create-only)")
            };
            if because.as_ref().is_none_or(|(i, _)| this > *i) {
                because = Some((this, format!("{path} changes")));
            }
            impact = impact.max(this);
            reasons.push(why);
        }
    }
    let because = because.map(|(_, why)| why);
    let change = ResourceChange {
        logical_id: id.to_string(),
        resource_type: r.resource_type.to_string(),
        old_type: type_changed.then(|| o.resource_type.to_string()),
        impact,
        reasons,
        data_loss: false,
        changes,
    };
    Some(Pending { change, because })
}

/// Properties whose text is the same but whose value changes because a mapping or a
/// parameter default they read changed: the impact their schema gives such a change.
fn resolved_shifts<'t>(
    old: &Template,
    new: &'t Template,
    out: &mut BTreeMap<&'t LogicalId, Pending>,
) {
    let defaults_changed = old.parameters.len() != new.parameters.len()
        || old
            .parameters
            .iter()
            .any(|(k, p)| new.parameters.get(k).is_none_or(|q| q.default != p.default));
    if old.mappings == new.mappings && !defaults_changed {
        return;
    }
    for (id, r) in &new.resources {
        let Some(o) = old.resources.get(id) else {
            continue;
        };
        if o.resource_type != r.resource_type {
            continue;
        }
        let facts = facts::lookup_any(r.resource_type.as_str());
        for (name, value) in &r.properties {
            let Some(old_value) = o.properties.get(name) else {
                continue;
            };
            if !resolve::resolvable(value) || old_value != value {
                continue;
            }
            let shift = resolve::shift(old_value, value, old, new);
            let Some((_, a, b)) = shift.differing.first() else {
                continue;
            };
            let top = |paths: &[String]| {
                paths
                    .iter()
                    .any(|p| p.split('.').next() == Some(name.as_str()))
            };
            let via_default = shift
                .differing
                .iter()
                .any(|(_, a, b)| a.via_default || b.via_default);
            let every_key = shift.differing.len() == shift.tried;
            let impact = match &facts {
                Some(f) if top(&f.create_only) && every_key && !via_default => Impact::Replace,
                Some(f) if top(&f.create_only) || top(&f.conditional_create_only) => {
                    Impact::MayReplace
                }
                _ => Impact::Update,
            };
            let source = if via_default {
                "a parameter default (a deployment may pass another value)"
            } else {
                "a mapping"
            };
            let keys: Vec<&str> = shift
                .differing
                .iter()
                .filter_map(|(k, _, _)| k.as_deref())
                .collect();
            let where_ = if keys.is_empty() {
                String::new()
            } else {
                format!(" for {}", keys.join(", "))
            };
            let why = format!(
                "{name} changes through {source}{where_}: {} → {}",
                super::canon::display(&a.value),
                super::canon::display(&b.value)
            );
            let p = out.entry(id).or_insert_with(|| blank(id, r));
            p.change.changes.push(Change {
                path: format!("Properties.{name}"),
                kind: ChangeKind::Modified,
                old: Some(a.value.clone()),
                new: Some(b.value.clone()),
            });
            p.change.reasons.push(why);
            if impact > p.change.impact {
                p.change.impact = impact;
                if impact != Impact::Update {
                    p.because = Some(format!(
                        "{name} changes through {}",
                        if via_default {
                            "a parameter default"
                        } else {
                            "a mapping"
                        }
                    ));
                }
            }
        }
    }
}

/// How a property refers to another resource, for what the target's replacement does.
#[derive(Clone, Copy, PartialEq)]
enum Edge {
    /// A create-only property: a new target id replaces this resource.
    CreateOnly,
    /// A conditionally create-only property: it may.
    Conditional,
    /// Any other property: this resource is updated in place.
    Plain,
}

/// What a reference passes on: `replace` through a create-only property, `may replace`
/// through a conditionally create-only one or from a target that may be replaced; none
/// through other properties.
fn spread(edge: Edge, target: Impact) -> Option<Impact> {
    match (edge, target) {
        (Edge::Plain, _) => None,
        (Edge::CreateOnly, Impact::Replace) => Some(Impact::Replace),
        _ => Some(Impact::MayReplace),
    }
}

/// Spreads replacement along references until nothing more changes: one lattice
/// (update < may replace < replace), so the same cause gives the same verdict whichever
/// way it arrives, each reason keeping its chain.
fn propagate<'t>(old: &Template, new: &'t Template, out: &mut BTreeMap<&'t LogicalId, Pending>) {
    // A type no schema knows may be replaced by any change: it spreads like may replace.
    let replacing = |i: Impact| matches!(i, Impact::Replace | Impact::MayReplace | Impact::Unknown);
    if !out.values().any(|p| replacing(p.change.impact)) {
        return;
    }
    // Who refers to whom, computed once: per resource, (property, target, edge).
    type Edges<'t> = Vec<(&'t str, String, Edge)>;
    let mut graph: Vec<(&'t LogicalId, &'t Resource, Edges<'t>)> = Vec::new();
    for (id, r) in &new.resources {
        if !old.resources.contains_key(id) {
            continue;
        }
        let facts = facts::lookup_any(r.resource_type.as_str());
        let top =
            |paths: &[String], name: &str| paths.iter().any(|p| p.split('.').next() == Some(name));
        let mut edges = Vec::new();
        for (name, value) in &r.properties {
            let edge = match &facts {
                Some(f) if top(&f.create_only, name) => Edge::CreateOnly,
                Some(f) if top(&f.conditional_create_only, name) => Edge::Conditional,
                _ => Edge::Plain,
            };
            for target in referenced_ids(value) {
                edges.push((name.as_str(), target, edge));
            }
        }
        if !edges.is_empty() {
            graph.push((id, r, edges));
        }
    }
    loop {
        let spreading: BTreeMap<String, (Impact, String)> = out
            .iter()
            .filter(|(_, p)| replacing(p.change.impact))
            .map(|(id, p)| {
                (
                    id.to_string(),
                    (p.change.impact, p.because.clone().unwrap_or_default()),
                )
            })
            .collect();
        let mut grew = false;
        for (id, r, edges) in &graph {
            let current = out.get(id).map_or(Impact::Update, |p| p.change.impact);
            if current == Impact::Replace {
                continue;
            }
            let mut best: Option<(Impact, &str, &String, &String, String)> = None;
            let mut update_reasons = Vec::new();
            for (name, target, edge) in edges {
                let Some((target_impact, chain)) = spreading.get(target) else {
                    continue;
                };
                let verb = match target_impact {
                    Impact::Replace => "is replaced",
                    Impact::Unknown => "may be replaced (no schema knows its type)",
                    _ => "may be replaced",
                };
                let text = if chain.is_empty() {
                    format!("{name} refers to {target}, which {verb}")
                } else {
                    format!("{name} refers to {target}, which {verb} ({chain})")
                };
                match spread(*edge, *target_impact) {
                    Some(i) if best.as_ref().is_none_or(|b| i > b.0) => {
                        best = Some((i, name, target, chain, text));
                    }
                    Some(_) => {}
                    None => update_reasons.push(text),
                }
            }
            if let Some((impact, name, target, chain, text)) = best
                && impact > current
            {
                let p = out.entry(id).or_insert_with(|| blank(id, r));
                p.change.impact = impact;
                p.change.reasons.push(text);
                p.because = Some(if chain.is_empty() {
                    format!("{name} → {target}")
                } else {
                    format!("{name} → {target}: {chain}")
                });
                grew = true;
            } else if !update_reasons.is_empty() {
                let p = out.entry(id).or_insert_with(|| blank(id, r));
                for t in update_reasons {
                    if !p.change.reasons.contains(&t) {
                        p.change.reasons.push(t);
                    }
                }
            }
        }
        if !grew {
            break;
        }
    }
}

fn blank(id: &LogicalId, r: &Resource) -> Pending {
    Pending {
        change: ResourceChange {
            logical_id: id.to_string(),
            resource_type: r.resource_type.to_string(),
            old_type: None,
            impact: Impact::Update,
            reasons: vec![],
            data_loss: false,
            changes: vec![],
        },
        because: None,
    }
}

//! Where a value stands in its resource's schema, to know which lists CloudFormation
//! treats as sets (`insertionOrder: false`). Free-form JSON (policy documents) has no
//! schema: there the policy grammar decides (statements, actions, resources, principals
//! and condition values are sets).

use crate::resources::{PropNode, TypeFacts};

/// Keys whose lists are sets in free-form JSON.
const SET_KEYS: &[&str] = &[
    "Statement",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
];

#[derive(Clone, Copy)]
enum At<'a> {
    /// The resource's `Properties`.
    Root(&'a TypeFacts),
    Node(&'a TypeFacts, &'a PropNode),
    /// No schema: free-form JSON, or a type no schema knows.
    Free,
}

/// A position in a value, with its schema node when one is known.
#[derive(Clone, Copy)]
pub struct Cursor<'a> {
    at: At<'a>,
    key: Option<&'a str>,
    in_condition: bool,
}

impl<'a> Cursor<'a> {
    /// The root of a resource's properties.
    pub fn properties(facts: Option<&'a TypeFacts>) -> Cursor<'a> {
        Cursor {
            at: facts.map_or(At::Free, At::Root),
            key: None,
            in_condition: false,
        }
    }

    /// A value with no schema.
    pub fn free() -> Cursor<'a> {
        Cursor {
            at: At::Free,
            key: None,
            in_condition: false,
        }
    }

    /// The value under `key` of a map.
    pub fn field(&self, key: &'a str) -> Cursor<'a> {
        let at = match self.at {
            At::Root(f) => f
                .props
                .get(key)
                .map_or(At::Free, |n| At::Node(f, f.resolve(n))),
            At::Node(f, n) => match (&n.p, &n.m) {
                (Some(p), _) => p.get(key).map_or(At::Free, |c| At::Node(f, f.resolve(c))),
                (None, Some(m)) => At::Node(f, f.resolve(m)),
                _ => At::Free,
            },
            At::Free => At::Free,
        };
        let schema_less = matches!(at, At::Free);
        Cursor {
            at,
            key: Some(key),
            in_condition: self.in_condition || (schema_less && key == "Condition"),
        }
    }

    /// An item of a list.
    pub fn item(&self) -> Cursor<'a> {
        let at = match self.at {
            At::Node(f, n) => {
                n.i.as_deref()
                    .map_or(At::Free, |i| At::Node(f, f.resolve(i)))
            }
            _ => At::Free,
        };
        Cursor {
            at,
            key: self.key,
            in_condition: self.in_condition,
        }
    }

    /// Whether the list here is a set.
    pub fn is_set(&self) -> bool {
        match self.at {
            At::Node(_, n) => n.u,
            At::Root(_) => false,
            At::Free => {
                self.in_condition
                    || self
                        .key
                        .is_some_and(|k| SET_KEYS.contains(&k) || k == "Tags")
            }
        }
    }
}

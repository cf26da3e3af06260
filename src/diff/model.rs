//! What a diff reports. The JSON output is this model serialized; its shape is
//! documented in docs/diff-json.md and versioned by `schema_version`.

use serde::Serialize;

use crate::template::Value;

/// What a change does to a resource, least to most severe for an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// Changed in place.
    Update,
    /// Changed, but no schema knows the type (a custom resource, a third-party type, a
    /// module): whether the change replaces it is unknown.
    Unknown,
    /// Replaced if a conditionally create-only property, or a value resolved at deploy
    /// time, changes. Written `may replace` in JSON as in the summary and the docs.
    #[serde(rename = "may replace")]
    MayReplace,
    /// A new physical resource replaces the old one.
    Replace,
    Create,
    Destroy,
    /// Removed from the stack but kept (DeletionPolicy Retain).
    Orphan,
}

impl Impact {
    pub fn label(self) -> &'static str {
        match self {
            Impact::Update => "update",
            Impact::Unknown => "unknown",
            Impact::MayReplace => "may replace",
            Impact::Replace => "replace",
            Impact::Create => "create",
            Impact::Destroy => "destroy",
            Impact::Orphan => "orphan",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    Modified,
}

/// One changed value: a dotted path (`Properties.SecurityGroupIngress[1].CidrIp`) and
/// the values before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    #[serde(serialize_with = "ser_value", skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(serialize_with = "ser_value", skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

fn ser_value<S: serde::Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref().map(super::canon::to_json).serialize(s)
}

/// One resource that changes, directly or because something it refers to is replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    pub logical_id: String,
    pub resource_type: String,
    /// The old type, when the type changed (which replaces the resource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_type: Option<String>,
    pub impact: Impact,
    /// Why it is replaced or updated without a change of its own, e.g.
    /// `VpcId references Vpc, which is replaced`.
    pub reasons: Vec<String>,
    /// Stateful and replaced or destroyed without a Retain/Snapshot policy.
    pub data_loss: bool,
    /// Property and attribute changes; for added and removed resources, every property.
    pub changes: Vec<Change>,
}

/// A change outside Resources: Parameters, Outputs, Conditions, ...
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionChange {
    pub section: String,
    pub name: String,
    pub kind: ChangeKind,
    pub changes: Vec<Change>,
}

/// One IAM statement (or managed-policy attachment, or Lambda permission) that appears
/// or disappears.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IamChange {
    pub kind: ChangeKind,
    /// Where it lives: `FunctionRole inline policy Logging`, `BedrockRuntimeEndpoint endpoint policy`.
    pub location: String,
    pub effect: String,
    pub principals: Vec<String>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub conditions: Vec<String>,
    /// Some request is newly allowed (proven, see `basis`), or, where the prover does
    /// not reach, an Allow added or widened or a Deny removed (the statement text
    /// compared).
    pub broadens: bool,
    /// How `broadens` was decided: `proven` (every request of the policy's owner
    /// examined), `syntactic` (statement text compared: the prover does not model this
    /// kind of grant), or `unknown: why` (the prover could not decide it; the text was
    /// compared instead). Empty until [`crate::diff::diff`]'s caller decides it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub basis: String,
    /// A request the change newly allows, in `perimeter simulate`'s request format (JSON
    /// text), when the prover found one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    /// Whose permissions the statement is part of (`identity:Role`, `trust:Role`,
    /// `resource:BucketPolicy`, `endpoint:Endpoint`, `managed:Role`, `boundary:Role`,
    /// `lambda:Permission`): the policies the prover compares together.
    #[serde(skip)]
    pub owners: Vec<String>,
}

/// One security group rule that appears or disappears.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RuleChange {
    pub kind: ChangeKind,
    /// The group the rule belongs to.
    pub group: String,
    pub direction: String,
    pub protocol: String,
    pub ports: String,
    pub peer: String,
    pub description: String,
    /// A rule added (traffic allowed that was not).
    pub broadens: bool,
    /// The peer is 0.0.0.0/0 or ::/0.
    pub anywhere: bool,
}

/// The diff of two templates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TemplateDiff {
    pub resources: Vec<ResourceChange>,
    pub sections: Vec<SectionChange>,
    pub iam: Vec<IamChange>,
    pub security_groups: Vec<RuleChange>,
}

impl TemplateDiff {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
            && self.sections.is_empty()
            && self.iam.is_empty()
            && self.security_groups.is_empty()
    }

    /// Whether any change grants access that was not granted.
    pub fn broadens(&self) -> bool {
        self.iam.iter().any(|c| c.broadens) || self.security_groups.iter().any(|c| c.broadens)
    }

    /// Whether any stateful resource is replaced or destroyed without being kept.
    pub fn destructive(&self) -> bool {
        self.resources.iter().any(|r| r.data_loss)
    }

    /// Whether any resource of a type no schema knows changes.
    pub fn unknown(&self) -> bool {
        self.resources.iter().any(|r| r.impact == Impact::Unknown)
    }

    /// How many resources have each impact.
    pub fn counts(&self) -> Vec<(Impact, usize)> {
        let all = [
            Impact::Create,
            Impact::Update,
            Impact::Unknown,
            Impact::MayReplace,
            Impact::Replace,
            Impact::Destroy,
            Impact::Orphan,
        ];
        all.into_iter()
            .map(|i| (i, self.resources.iter().filter(|r| r.impact == i).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

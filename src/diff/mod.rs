//! Diff: a semantic comparison of two templates, resource by resource and property by
//! property, with the impact of each change (create, update, replace, destroy, ...),
//! replacement spread along references, data-loss risks, IAM statement changes and
//! security group rule changes. Lists CloudFormation treats as sets compare as sets.
//!
//! ```
//! use perimeter::template::Template;
//! let old = Template::parse_any("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n").unwrap();
//! let new = Template::parse_any("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.1.0.0/16\n").unwrap();
//! let d = perimeter::diff::diff(&old, &new);
//! assert_eq!(d.resources[0].impact, perimeter::diff::Impact::Replace);
//! ```

mod branches;
mod canon;
pub mod cursor;
mod iam;
mod model;
mod network;
pub mod render;
mod resolve;
mod resources;
mod sections;
mod values;

pub use canon::{certainly_differs, display, to_json};
pub use model::{
    Change, ChangeKind, IamChange, Impact, ResourceChange, RuleChange, SectionChange, TemplateDiff,
};
pub use resources::is_stateful;

use crate::template::Template;

/// Compares two templates.
pub fn diff(old: &Template, new: &Template) -> TemplateDiff {
    TemplateDiff {
        resources: resources::diff_resources(old, new),
        sections: sections::diff_sections(old, new),
        iam: iam::diff_iam(old, new),
        security_groups: network::diff_rules(old, new),
    }
}

//! Resources (L1): typed property structs generated from the CloudFormation resource
//! provider schemas, typed handles whose attributes are methods (a wrong attribute name
//! does not compile), schema facts for every resource type, and a checked raw resource
//! for any other type.
//!
//! ```
//! use perimeter_l1::{ec2::Vpc, Handle};
//! let vpc = Vpc::new().cidr_block("10.0.0.0/16").enable_dns_support(true);
//! let h: Handle<Vpc> = Handle::new("Vpc".parse().unwrap());
//! let _default_sg = h.default_security_group(); // an attribute the schema lists
//! // h.arn(); // does not compile: AWS::EC2::VPC has no Arn attribute
//! # let _ = vpc;
//! ```

pub mod facts;
pub mod formats;
pub mod patterns;

static REGIONS: &str = include_str!("../data/regions.txt");

/// Every region the pinned CloudFormation schemas know.
pub fn regions() -> impl Iterator<Item = &'static str> {
    REGIONS.lines().filter(|l| !l.is_empty())
}

mod facts_index;
mod handle;
mod l1;
mod raw;

pub use facts::{PropNode, TypeFacts};
pub use handle::{Handle, ResourceProps};
pub use l1::*;
pub use raw::{
    ProblemKind, PropertyProblem, Raw, RawResource, Resolution, Resolver, group_violations,
    property_problems, resolved_problems, validate_properties,
};

//! The solution: its settings, their checks and the stack (in `construct`).

pub mod construct;

use perimeter::constructs::{Cidr, ConstructError, PrefixListId, Stack, function_memory};
use perimeter::solution::{Problem, Solution, TargetInfo};

/// What a blueprint's `settings:` holds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub vpc_cidr: Cidr,
    /// 2 to 6 zones, a /24 subnet each.
    pub availability_zones: u8,
    /// DynamoDB's managed prefix list in the target's Region (required).
    pub dynamodb_prefix_list_id: Option<PrefixListId>,
    pub memory_mb: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let vpc_cidr = "10.40.0.0/16".parse().expect("valid literal");
        let (availability_zones, memory_mb) = (2, 256);
        let dynamodb_prefix_list_id = None;
        Settings {
            vpc_cidr,
            availability_zones,
            dynamodb_prefix_list_id,
            memory_mb,
        }
    }
}

/// The settings, checked, for one target.
#[derive(Debug, Clone)]
pub struct Props {
    pub settings: Settings,
    pub subnets: Vec<Cidr>,
    pub prefix_list: PrefixListId,
}

/// The solution.
pub struct DynamoDbPrivate;

impl Solution for DynamoDbPrivate {
    type Settings = Settings;
    type Props = Props;
    const NAME: &'static str = "dynamodb-private";
    const ABOUT: &'static str =
        "A VPC function using its table through a DynamoDB gateway endpoint.";

    fn resolve(&self, s: &Settings, t: &TargetInfo) -> Result<Props, Vec<Problem>> {
        let mut problems = Vec::new();
        if !(2..=6).contains(&s.availability_zones) {
            problems.push(Problem::new("availability_zones", "2 to 6 zones"));
        }
        if let Err(e) = function_memory(s.memory_mb) {
            problems.push(Problem::new("memory_mb", String::from(e)));
        }
        let subnets = s.vpc_cidr.carve(usize::from(s.availability_zones), 24);
        let subnets = subnets.map_err(|e| Problem::new("vpc_cidr", e.to_string()));
        let required = format!("DynamoDB's prefix list id in {} is required", t.region);
        let prefix_list = s.dynamodb_prefix_list_id.clone();
        let prefix_list = prefix_list.ok_or(Problem::new("dynamodb_prefix_list_id", required));
        match (subnets, prefix_list) {
            (Ok(subnets), Ok(prefix_list)) if problems.is_empty() => {
                let settings = s.clone();
                Ok(Props {
                    settings,
                    subnets,
                    prefix_list,
                })
            }
            (a, b) => Err(problems.into_iter().chain(a.err()).chain(b.err()).collect()),
        }
    }

    fn build(&self, p: &Props, t: &TargetInfo) -> Result<Stack, ConstructError> {
        construct::build(p, t)
    }
}

//! The Bedrock solution's settings: what a blueprint's `settings:` holds (a target's
//! `overrides` are merged into them field by field by the blueprint loader).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::blueprint::{AzSetting, FlowLogsSetting, RetentionDays};
use crate::constructs::{Cidr, ModelId};
use crate::iam::Effect;

/// A settings struct and its defaults in one place; a target's overrides are merged
/// into it field by field by the blueprint loader.
macro_rules! settings {
    ($(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name { $( $(#[$fm])* pub $field: $ty, )* }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }
    };
}

settings!(
    /// The VPC and its subnets.
    NetworkSettings {
        /// The VPC's IPv4 block, /16 to /28.
        vpc_cidr: Cidr = "10.0.0.0/16".parse().expect("valid literal"),
        /// A number of zones (at least 2) or zone names of the target's region.
        availability_zones: AzSetting = AzSetting::Count(2),
        /// Zone ids instead (`use1-az1`, `use1-az2`): the same physical zones in every
        /// account, where names map to different ones; pick zones that offer the
        /// endpoints' services. Replaces `availability_zones` when given. `lookup`: the
        /// first `availability_zones` zone ids (by id) of the account that offer every
        /// interface endpoint the stack makes, from perimeter.context.json
        /// (`perimeter context refresh`).
        availability_zone_ids: Option<ZoneIds> = None,
        /// Prefix length of the subnets carved from the VPC block, one per zone.
        subnet_prefix_length: u8 = 24,
        /// Explicit subnet blocks, one per zone, instead of carving.
        subnets: Option<Vec<Cidr>> = None,
        /// VPC flow logs to CloudWatch Logs (every flow, accepted and rejected), through a
        /// role that may write to their log group only: `false`, `true` (365 days) or
        /// `{retention_days: N}`.
        flow_logs: FlowLogsSetting = FlowLogsSetting::default(),
        /// Allocate the VPC's block from an IPAM pool when the stack is deployed, instead
        /// of `vpc_cidr`: every account then gets its own block from one template (what
        /// an organizational-unit target needs). The subnets are carved from it with
        /// `subnet_prefix_length`.
        ipam: Option<IpamSettings> = None,
    }
);

/// A VPC block from an IPAM pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IpamSettings {
    /// The pool (`ipam-pool-...`), shared with the accounts deployed to. Pools are
    /// regional: the template takes it as its `IpamPoolId` parameter, so an
    /// organizational-unit target gives each Region's pool by `parameter_overrides`.
    pub pool_id: crate::blueprint::IpamPoolId,
    /// The VPC's prefix length, /16 to /28.
    pub netmask_length: u8,
}

settings!(
    /// Which models, and the endpoint policy.
    BedrockSettings {
        /// What the function may invoke (at least one; the first is what it calls): a
        /// foundation model id, a system inference profile id (`us.`, `eu.`, `apac.`,
        /// `global.`...) or an application inference profile ARN (say in `sources` what
        /// it copies). Each must be offered in the target's region and not at its end of
        /// life (data/bedrock-models.json).
        models: Vec<ModelId> = Vec::new(),
        /// For each application inference profile ARN in `models`: the model or system
        /// profile it copies, so the role and the endpoint admit its models too.
        sources: BTreeMap<String, ModelId> = BTreeMap::new(),
        /// Create an application inference profile copying the first model (for cost
        /// tracking by tag); the function calls it.
        application_inference_profile: bool = false,
        /// Effect of the endpoint policy's statement: Deny proves calls are refused.
        endpoint_policy_effect: Effect = Effect::Allow,
        /// Grant bedrock:ListFoundationModels through a `bedrock` control-plane endpoint
        /// (the handler does not list models; off unless a caller of yours needs it).
        list_foundation_models: bool = false,
    }
);

/// Zone ids given by hand, or `lookup` (from the project's context file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneIds {
    Lookup,
    Ids(Vec<String>),
}

impl Serialize for ZoneIds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ZoneIds::Lookup => s.serialize_str(crate::solution::context::LOOKUP),
            ZoneIds::Ids(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ZoneIds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ZoneIds;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`lookup` or a list of zone ids ([use1-az1, use1-az2])")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ZoneIds, E> {
                if v == crate::solution::context::LOOKUP {
                    Ok(ZoneIds::Lookup)
                } else {
                    Err(E::custom(format!(
                        "{v:?}: expected `lookup` or a list of zone ids ([use1-az1, use1-az2])"
                    )))
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ZoneIds, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(ZoneIds::Ids(ids))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for ZoneIds {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ZoneIds".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Zone ids, or `lookup` (from perimeter.context.json)",
            "oneOf": [
                {"const": "lookup"},
                {"type": "array", "items": {"type": "string"}}
            ]
        })
    }
}

/// The Lambda runtimes the handler supports that Lambda still creates functions with
/// (python3.11: creation blocked since 2026-07-31, updates since 2026-08-31).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Runtime {
    #[serde(rename = "python3.12")]
    Python312,
    #[serde(rename = "python3.13")]
    Python313,
    #[serde(rename = "python3.14")]
    Python314,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Python312 => "python3.12",
            Runtime::Python313 => "python3.13",
            Runtime::Python314 => "python3.14",
        }
    }
}

/// Function code in S3 instead of the inline handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Code {
    pub bucket: String,
    pub key: String,
}

settings!(
    /// The Lambda function.
    FunctionSettings {
        runtime: Runtime = Runtime::Python312,
        /// 128 to 10240.
        memory_mb: u32 = 256,
        /// 1 to 900.
        timeout_seconds: u32 = 30,
        log_retention_days: RetentionDays = RetentionDays(30),
        /// Code in S3; without it (and without asset) the inline handler is used.
        code: Option<S3Code> = None,
        /// A folder, relative to the blueprint file, holding the handler (`index.py`,
        /// `handler(event, context)`) and optionally a `requirements.txt` pinning every
        /// package: named by synth by the hash of its files, packaged and uploaded by
        /// deploy into the bootstrap bucket (`perimeter bootstrap`).
        asset: Option<String> = None,
    }
);

settings!(
    /// Corporate network access (Direct Connect / VPN) through a virtual private gateway.
    CorporateAccessSettings {
        /// The corporate block allowed to reach the endpoints on 443 (required).
        cidr: Option<Cidr> = None,
        /// The created Direct Connect gateway's Amazon-side BGP ASN (the ASN the
        /// corporate routers peer with).
        amazon_side_asn: Option<u32> = None,
        /// The virtual private gateway's own Amazon-side ASN (unused by BGP over a
        /// Direct Connect gateway; kept for VPN connections to the gateway).
        vgw_amazon_side_asn: Option<u32> = None,
        /// Who on the corporate network may call Bedrock through the endpoint: role ARNs,
        /// or an organization id (`o-...`). They are admitted by the endpoint policy for
        /// bedrock:InvokeModel on the listed models only.
        principals: Vec<String> = Vec::new(),
        /// An existing Direct Connect gateway (its id) to associate with the virtual
        /// private gateway; without it one is created, and `virtual_interface` is needed.
        direct_connect_gateway_id: Option<String> = None,
        /// A private virtual interface on an existing Direct Connect connection, to the
        /// gateway this stack creates.
        virtual_interface: Option<VirtualInterfaceSettings> = None,
        /// A Route 53 Resolver inbound endpoint in the private subnets, so on-premises
        /// resolvers can forward the endpoints' private names to it (DNS from the corporate
        /// block only).
        dns: bool = true,
    }
);

/// A private virtual interface on an existing connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VirtualInterfaceSettings {
    /// The connection (`dxcon-...`) or LAG (`dxlag-...`).
    pub connection_id: String,
    /// The VLAN the connection's provider assigned, 1 to 4094.
    pub vlan: u16,
    /// The corporate routers' BGP ASN.
    pub customer_asn: u32,
}

settings!(
    /// An optional PostgreSQL database holding the product data.
    DatabaseSettings {
        instance_class: String = "db.t4g.micro".to_string(),
        /// Pinned, so a deploy never picks up a new default major version.
        engine_version: Option<String> = Some(ENGINE_VERSION.to_string()),
        /// 20 to 65536.
        allocated_storage_gb: u32 = 20,
        database_name: String = "products".to_string(),
        multi_az: bool = false,
        backup_retention_days: u32 = 7,
        deletion_protection: bool = true,
        /// A file of SQL, relative to the blueprint, that makes the `products` table
        /// (required). The function applies it, then `seed`, when the stack is created
        /// or updated: in one transaction, once per content, so write it to be safe on a
        /// database that has it already (`CREATE TABLE IF NOT EXISTS`).
        schema: Option<String> = None,
        /// A file of SQL with starting rows (`INSERT ... ON CONFLICT DO NOTHING`).
        seed: Option<String> = None,
        /// S3's managed prefix list in the target's region (required): the function's
        /// answer to CloudFormation leaves through the S3 gateway endpoint, and its
        /// security group admits only this list. `lookup` reads it from the project's
        /// perimeter.context.json (`perimeter context refresh` writes it); or the id,
        /// `aws ec2 describe-managed-prefix-lists --filters
        /// Name=prefix-list-name,Values=com.amazonaws.<region>.s3`.
        s3_prefix_list_id: Option<String> = None,
        /// The tables the application reads: its own database user gets SELECT on
        /// these and nothing else.
        read_tables: Vec<String> = vec!["products".to_string()],
    }
);

/// The PostgreSQL version the database is pinned to unless a blueprint says otherwise.
pub const ENGINE_VERSION: &str = "17.9";

/// All settings of the Bedrock private-access solution.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub network: NetworkSettings,
    pub bedrock: BedrockSettings,
    pub function: FunctionSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corporate_access: Option<CorporateAccessSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseSettings>,
}

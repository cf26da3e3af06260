//! Constructs (L2): a private VPC, security groups joined by typed rules, interface and
//! gateway endpoints, a VPC Lambda function, an RDS database, flow logs, a corporate
//! network's gateway and resolver; the stack they are added to. Solutions compose them
//! ([`crate::solutions`]).

mod cidr;
mod corporate;
pub mod database;
mod endpoint;
mod flow_logs;
mod function;
mod grant;
mod model_id;
mod network;
mod security_group;
mod stack;

pub use cidr::Cidr;
pub use corporate::{
    CorporateNetwork, CorporateNetworkProps, VirtualInterfaceProps, resolver_address,
};
pub use database::{CA_CERTIFICATE, Database, DatabaseProps, SCHEMA_SQL_LIMIT, SchemaSql};
pub use endpoint::{InterfaceEndpoint, gateway_endpoint, interface_endpoint};
pub use flow_logs::FlowLogs;
pub use function::{
    ASSET_BUCKET, Code, RETENTION_DAYS, VpcFunction, VpcFunctionProps, function_memory,
    function_timeout, retain,
};
pub use grant::{Grant, admit, admit_through_gateway, grant};
pub use model_id::{ModelId, ModelKind, PROFILE_GEOGRAPHIES};
pub use network::{Azs, IpamAllocation, PrivateVpc, PrivateVpcProps};
pub use security_group::{Group, GroupProps, Port, PrefixListId, Protocol};
pub use stack::{Attributes, ConstructError, Stack};

//! Constructs (L2/L3): a private VPC, security groups joined by typed rules, interface
//! and gateway endpoints, a VPC Lambda function, an RDS database, and the Bedrock private-access
//! solution composed from them.

mod bedrock;
mod cidr;
mod corporate;
mod database;
mod endpoint;
mod flow_logs;
mod function;
mod network;
mod security_group;
mod stack;

pub use bedrock::{
    AssetCode, BedrockPrivateAccess, BedrockPrivateAccessProps, CorporateAccess,
    CorporatePrincipal, FunctionSettings, HANDLER_ASSET, HANDLER_FILES, HANDLER_SOURCE, ModelId,
};
pub use cidr::Cidr;
pub use corporate::{CorporateNetwork, CorporateNetworkProps, resolver_address};
pub use database::{CA_CERTIFICATE, Database, DatabaseProps, SCHEMA_SQL_LIMIT, SchemaSql};
pub use endpoint::{gateway_endpoint, interface_endpoint};
pub use flow_logs::FlowLogs;
pub use function::{Code, RETENTION_DAYS, VpcFunction, VpcFunctionProps};
pub use network::{Azs, PrivateVpc, PrivateVpcProps};
pub use security_group::{Group, Port, PrefixListId, Protocol};
pub use stack::{Attributes, ConstructError, Stack};

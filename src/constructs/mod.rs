//! Constructs (L2): a private VPC, security groups joined by typed rules, interface and
//! gateway endpoints, a VPC Lambda function, an RDS database, flow logs, a corporate
//! network's gateway and resolver; the data services (a DynamoDB table, an S3 bucket, a
//! KMS key, a secret, an SQS queue, an SNS topic, SSM parameters) with their grants; the
//! stack they are added to. Solutions compose them ([`crate::solutions`]).

mod bucket;
mod cidr;
mod corporate;
pub mod database;
mod endpoint;
mod flow_logs;
mod function;
mod grant;
mod key;
mod model_id;
mod network;
mod parameter;
mod permissions;
mod queue;
mod removal;
mod resource_policy;
mod secret;
mod security_group;
mod stack;
mod table;
mod topic;

pub use bucket::{Bucket, BucketEncryption, BucketProps};
pub use cidr::Cidr;
pub use corporate::{
    CorporateNetwork, CorporateNetworkProps, VirtualInterfaceProps, resolver_address,
};
pub use database::{CA_CERTIFICATE, Database, DatabaseProps, SCHEMA_SQL_LIMIT, SchemaSql};
pub use endpoint::{
    Endpoint, EndpointKind, GatewayEndpointProps, InterfaceEndpoint, InterfaceEndpointProps,
    gateway_endpoint, interface_endpoint, served_prefix,
};
pub use flow_logs::FlowLogs;
pub use function::{
    ASSET_BUCKET, Code, RETENTION_DAYS, VpcFunction, VpcFunctionProps, function_memory,
    function_timeout, retain,
};
pub use grant::{
    Access, Claim, Expected, Grant, Intent, KeyUse, ResourcePolicy, Target, Who, admit,
    admit_through_gateway, grant,
};
pub use key::{Key, KeyProps};
pub use model_id::{ModelId, ModelKind, PROFILE_GEOGRAPHIES};
pub use network::{Azs, IpamAllocation, PrivateVpc, PrivateVpcProps};
pub use parameter::{Parameter, ParameterProps};
pub use permissions::{Permission, Select, actions_of};
pub use queue::{Queue, QueueProps};
pub use removal::RemovalPolicy;
pub use secret::{Secret, SecretProps};
pub use security_group::{Group, GroupProps, Port, PrefixListId, Protocol};
pub use stack::{Attributes, ConstructError, Stack};
pub use table::{Attribute, AttributeType, Billing, Table, TableEncryption, TableProps};
pub use topic::{Topic, TopicProps};

//! A DynamoDB table: typed keys, on-demand billing, encryption with KMS, point-in-time
//! recovery and deletion protection by default, kept or deleted by stage; grants of its
//! item reads and writes.

use super::grant::{Access, KeyUse, Target};
use super::key::Key;
use super::permissions::{Permission, Select};
use super::removal::RemovalPolicy;
use super::stack::{ConstructError, Stack};
use crate::iam::catalog::AccessLevel;
use crate::resources::Handle;
use crate::resources::dynamodb::table;
use crate::resources::iam::Role;
use crate::template::typed::{List, Str, ToValue};

/// A key attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    String,
    Number,
    Binary,
}

impl AttributeType {
    fn code(self) -> &'static str {
        match self {
            AttributeType::String => "S",
            AttributeType::Number => "N",
            AttributeType::Binary => "B",
        }
    }
}

/// A key attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub kind: AttributeType,
}

impl Attribute {
    pub fn string(name: &str) -> Attribute {
        Attribute {
            name: name.into(),
            kind: AttributeType::String,
        }
    }
    pub fn number(name: &str) -> Attribute {
        Attribute {
            name: name.into(),
            kind: AttributeType::Number,
        }
    }
}

/// How the table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// Per request (no capacity to plan).
    OnDemand,
    Provisioned {
        read: u32,
        write: u32,
    },
}

/// The key its data is encrypted with.
#[derive(Debug, Clone)]
pub enum TableEncryption {
    /// The AWS managed key `aws/dynamodb` (in the account, its use logged).
    AwsManagedKey,
    /// A key of the stack.
    Key(Key),
}

/// What a table is built from; [`TableProps::new`] gives the secure defaults.
#[derive(Debug, Clone)]
pub struct TableProps {
    pub partition_key: Attribute,
    pub sort_key: Option<Attribute>,
    pub billing: Billing,
    pub encryption: TableEncryption,
    pub point_in_time_recovery: bool,
    /// Refuses `DeleteTable` until turned off.
    pub deletion_protection: bool,
    pub removal: RemovalPolicy,
    /// The attribute holding each item's expiry time (epoch seconds), if items expire.
    pub time_to_live: Option<String>,
}

impl TableProps {
    /// On-demand, KMS-encrypted, point-in-time recovery on; on a production stage
    /// retained and protected from deletion, on others deleted with the stack.
    pub fn new(partition_key: Attribute, stage: &str) -> TableProps {
        let removal = RemovalPolicy::for_stage(stage);
        TableProps {
            partition_key,
            sort_key: None,
            billing: Billing::OnDemand,
            encryption: TableEncryption::AwsManagedKey,
            point_in_time_recovery: true,
            deletion_protection: removal == RemovalPolicy::Retain,
            removal,
            time_to_live: None,
        }
    }
}

/// A built table.
#[derive(Debug, Clone)]
pub struct Table {
    pub handle: Handle<table::Table>,
    /// The key of its data, when it is a key of the stack.
    pub key: Option<Key>,
}

/// Item reads or writes: the level's actions on a table that take item-level keys.
fn items(level: AccessLevel) -> Permission {
    Permission {
        service: "dynamodb",
        resource_type: "table",
        level,
        select: Select::TakingKey("dynamodb:Attributes"),
    }
}

impl Table {
    /// Adds the table as `id`.
    ///
    /// ```
    /// use perimeter::constructs::{Attribute, Stack, Table, TableProps};
    /// let mut stack = Stack::new("demo");
    /// Table::build(&mut stack, "Orders", TableProps::new(Attribute::string("pk"), "prod")).unwrap();
    /// let json = stack.template().to_json();
    /// assert!(json.contains(r#""PointInTimeRecoveryEnabled": true"#));
    /// assert!(json.contains(r#""DeletionPolicy": "Retain""#));
    /// ```
    pub fn build(stack: &mut Stack, id: &str, p: TableProps) -> Result<Table, ConstructError> {
        if p.sort_key
            .as_ref()
            .is_some_and(|s| s.name == p.partition_key.name)
        {
            return Err(ConstructError::Invalid(format!(
                "{id}: the sort key {} is also the partition key",
                p.partition_key.name
            )));
        }
        let keys: Vec<(&Attribute, &str)> = std::iter::once((&p.partition_key, "HASH"))
            .chain(p.sort_key.iter().map(|s| (s, "RANGE")))
            .collect();
        let schema = List::Items(
            keys.iter()
                .map(|(a, role)| table::KeySchema::new(a.name.as_str(), *role))
                .collect(),
        );
        let definitions = keys
            .iter()
            .map(|(a, _)| table::AttributeDefinition::new(a.name.as_str(), a.kind.code()))
            .collect::<Vec<_>>();
        let sse = match &p.encryption {
            TableEncryption::AwsManagedKey => table::SseSpecification::new(true).sse_type("KMS"),
            TableEncryption::Key(k) => table::SseSpecification::new(true)
                .sse_type("KMS")
                .kms_master_key_id(k.arn()),
        };
        let mut t = table::Table::new(schema.to_value())
            .attribute_definitions(definitions)
            .sse_specification(sse)
            .point_in_time_recovery_specification(
                table::PointInTimeRecoverySpecification::new()
                    .point_in_time_recovery_enabled(p.point_in_time_recovery),
            )
            .deletion_protection_enabled(p.deletion_protection);
        t = match p.billing {
            Billing::OnDemand => t.billing_mode("PAY_PER_REQUEST"),
            Billing::Provisioned { read, write } => t
                .billing_mode("PROVISIONED")
                .provisioned_throughput(table::ProvisionedThroughput::new(read, write)),
        };
        if let Some(ttl) = &p.time_to_live {
            t = t.time_to_live_specification(
                table::TimeToLiveSpecification::new(true).attribute_name(ttl.as_str()),
            );
        }
        let handle = stack.add_with(id, t, p.removal.attributes())?;
        let key = match p.encryption {
            TableEncryption::Key(k) => Some(k),
            TableEncryption::AwsManagedKey => None,
        };
        Ok(Table { handle, key })
    }

    /// `Fn::GetAtt Arn`.
    pub fn arn(&self) -> Str {
        self.handle.arn()
    }

    /// `Ref`: the table's name.
    pub fn name(&self) -> Str {
        self.handle.reference()
    }

    fn grant(&self, verb: &str, role: &Handle<Role>, levels: &[AccessLevel]) -> Access {
        let id = self.handle.logical_id().as_str();
        Access::new(
            format!("{id}{verb}"),
            role,
            levels.iter().map(|l| items(*l)).collect(),
            // Its indexes too: a query of an index names the index's ARN.
            vec![
                Target::new(self.arn(), format!("${{{id}.Arn}}"), "table"),
                Target::new(
                    crate::template::typed::fns::sub(&format!("${{{id}.Arn}}/index/*")),
                    format!("${{{id}.Arn}}/index/perimeter-check-index"),
                    "index",
                ),
            ],
        )
        .key_use(self.key.as_ref().map(|k| KeyUse {
            key: k.arn(),
            service: "dynamodb",
            write: levels.contains(&AccessLevel::Write),
        }))
    }

    /// Reads of its items (`GetItem`, `Query`, `Scan`, ...: the catalog's Read actions
    /// on a table that take item-level keys).
    pub fn grant_read(&self, role: &Handle<Role>) -> Access {
        self.grant("Read", role, &[AccessLevel::Read])
    }

    /// Writes of its items (`PutItem`, `UpdateItem`, `DeleteItem`, ...).
    pub fn grant_write(&self, role: &Handle<Role>) -> Access {
        self.grant("Write", role, &[AccessLevel::Write])
    }

    /// Reads and writes of its items.
    pub fn grant_read_write(&self, role: &Handle<Role>) -> Access {
        self.grant("ReadWrite", role, &[AccessLevel::Read, AccessLevel::Write])
    }
}

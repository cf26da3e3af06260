//! Database: PostgreSQL on RDS in the private subnets; not publicly accessible,
//! encrypted, master password kept by Secrets Manager, reachable only from the
//! workload security group; its schema applied by a custom resource when the stack is
//! created or updated.

use super::network::PrivateVpc;
use super::security_group::{Group, GroupProps, Port, PrefixListId};
use super::stack::{Attributes, ConstructError, Stack};
use crate::resources::rds::{DbInstance, DbSubnetGroup, db_instance, db_subnet_group};
use crate::resources::{Handle, Raw, RawResource};
use crate::template::typed::{List, Str, ToValue};
use crate::template::{LogicalId, Value};

/// What a Database needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseProps {
    pub name_tag: String,
    pub instance_class: String,
    pub engine_version: Option<String>,
    pub allocated_storage_gb: u32,
    pub database_name: String,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    /// The SQL that makes the schema, applied on every create and update.
    pub schema: SchemaSql,
    /// S3's managed prefix list in the target's region: the function answers
    /// CloudFormation through the S3 gateway endpoint, and its security group admits
    /// only what it names.
    pub s3_prefix_list: PrefixListId,
    /// The tables the application reads (SELECT for its own user, nothing else).
    pub read_tables: Vec<String>,
}

/// SQL applied to the database by the function when the stack is created or updated:
/// in one transaction, once per content (the function keeps a ledger of what it
/// applied), so it must be safe to run on a database that already has it
/// (`CREATE TABLE IF NOT EXISTS`, `ON CONFLICT DO NOTHING`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaSql {
    pub schema: String,
    /// Rows to start with; may be empty.
    pub seed: String,
}

/// The most SQL a template carries: the custom resource's properties are in the
/// template, which CloudFormation takes up to 51,200 bytes inline.
pub const SCHEMA_SQL_LIMIT: usize = 16 * 1024;

/// The certificate authority of the instance: the handler verifies the server against
/// the roots it ships (rds-ca.pem), which this one chains to.
pub const CA_CERTIFICATE: &str = "rds-ca-rsa2048-g1";

/// The PostgreSQL port.
pub const PORT: u16 = 5432;

/// The built database.
#[derive(Debug, Clone)]
pub struct Database {
    pub instance: Handle<DbInstance>,
    pub group: Group,
}

impl Database {
    /// The ARN of the secret RDS keeps the master credentials in.
    pub fn secret_arn(&self) -> Str {
        self.instance.master_user_secret_secret_arn()
    }

    /// Adds `<id>SubnetGroup`, `<id>SecurityGroup` (reached from `client` on 5432) and `<id>`.
    /// Replacing or deleting the instance leaves a snapshot.
    pub fn build(
        stack: &mut Stack,
        id: &str,
        p: &DatabaseProps,
        vpc: &PrivateVpc,
        client: &Group,
    ) -> Result<Database, ConstructError> {
        if !p
            .database_name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            || !p
                .database_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || p.database_name.len() > 63
        {
            return Err(ConstructError::Invalid(format!(
                "database name {:?} must start with a letter and hold only letters, digits and _",
                p.database_name
            )));
        }
        if !(20..=65536).contains(&p.allocated_storage_gb) {
            return Err(ConstructError::Invalid(
                "allocated storage must be 20-65536 GB".into(),
            ));
        }
        let subnet_group = stack.add(
            &format!("{id}SubnetGroup"),
            DbSubnetGroup::new(
                format!("Private subnets of {}", p.name_tag),
                vpc.subnet_ids(),
            )
            .tags(vec![
                db_subnet_group::Tag::new("Name").value(p.name_tag.as_str()),
            ]),
        )?;
        let group = Group::build(
            stack,
            id,
            GroupProps {
                vpc_id: vpc.vpc.reference(),
                description: "Database: PostgreSQL from the workload only",
                name_tag: &format!("{}-db", p.name_tag),
                ingress: vec![],
            },
        )?;
        client.connect(
            stack,
            &group,
            Port::tcp(PORT),
            "PostgreSQL from the workload",
        )?;
        let mut db = DbInstance::new()
            .engine("postgres")
            .db_instance_class(p.instance_class.as_str())
            .allocated_storage(p.allocated_storage_gb.to_string())
            .storage_type("gp3")
            .storage_encrypted(true)
            .publicly_accessible(false)
            .manage_master_user_password(true)
            .master_username("app_admin")
            .db_name(p.database_name.as_str())
            .db_subnet_group_name(subnet_group.reference())
            .vpc_security_groups(List::Items(vec![group.group_id()]))
            .port(PORT.to_string())
            .multi_az(p.multi_az)
            .backup_retention_period(p.backup_retention_days)
            .deletion_protection(p.deletion_protection)
            .copy_tags_to_snapshot(true)
            .ca_certificate_identifier(CA_CERTIFICATE)
            .tags(vec![
                db_instance::Tag::new("Name").value(p.name_tag.as_str()),
            ]);
        if let Some(v) = &p.engine_version {
            db = db.engine_version(v.as_str());
        }
        let instance = stack.add_with(
            id,
            db,
            Attributes {
                deletion_policy: Some("Snapshot"),
                update_replace_policy: Some("Snapshot"),
                ..Attributes::default()
            },
        )?;
        Ok(Database { instance, group })
    }
}

impl Database {
    /// Adds `<id>` (`Custom::DatabaseSchema`, with `extra` properties): CloudFormation
    /// sends it to `service_token` (the function, which applies `sql`) on create and update, and waits at most
    /// `timeout_seconds` for the answer. Changing the SQL is an update, never a
    /// replacement: the physical id stays.
    #[allow(clippy::too_many_arguments)]
    pub fn schema(
        &self,
        stack: &mut Stack,
        id: &str,
        service_token: Str,
        sql: &SchemaSql,
        extra: &[(&str, Value)],
        timeout_seconds: u32,
        depends_on: Vec<LogicalId>,
    ) -> Result<Handle<Raw>, ConstructError> {
        if sql.schema.trim().is_empty() {
            return Err(ConstructError::Invalid(
                "the database schema SQL is empty".into(),
            ));
        }
        let size = sql.schema.len() + sql.seed.len();
        if size > SCHEMA_SQL_LIMIT {
            return Err(ConstructError::Invalid(format!(
                "the schema and seed SQL are {size} bytes; a template carries at most {SCHEMA_SQL_LIMIT}: load bulk data another way"
            )));
        }
        if !(1..=3600).contains(&timeout_seconds) {
            return Err(ConstructError::Invalid(format!(
                "a custom resource waits 1 to 3600 seconds, not {timeout_seconds}"
            )));
        }
        let mut raw = RawResource::new("Custom::DatabaseSchema")
            .map_err(ConstructError::from)?
            .set("ServiceToken", service_token.to_value())
            .set("ServiceTimeout", Value::from(timeout_seconds as i64))
            .set("Schema", Value::from(sql.schema.as_str()))
            .set("Seed", Value::from(sql.seed.as_str()));
        for (name, value) in extra {
            raw = raw.set(name, value.clone());
        }
        stack.add_raw_with(
            id,
            raw,
            Attributes {
                depends_on,
                ..Attributes::default()
            },
        )
    }
}

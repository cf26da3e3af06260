//! Database: PostgreSQL on RDS in the private subnets; not publicly accessible,
//! encrypted, master password kept by Secrets Manager, reachable only from the
//! workload security group.

use super::network::PrivateVpc;
use super::security_group::{Group, Port};
use super::stack::{Attributes, ConstructError, Stack};
use crate::resources::Handle;
use crate::resources::rds::{DbInstance, DbSubnetGroup, db_instance, db_subnet_group};
use crate::template::typed::{List, Str};

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
}

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
            vpc.vpc.reference(),
            "Database: PostgreSQL from the workload only",
            &format!("{}-db", p.name_tag),
            &[],
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

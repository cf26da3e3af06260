//! A KMS key: rotated yearly, a key policy that lets the account's IAM policies govern
//! it (as AWS's default key policy does), kept or deleted by stage; grants of its
//! cryptographic use, written into the key policy too.

use super::grant::{Access, ResourcePolicy, Target};
use super::permissions::{Permission, Select};
use super::removal::RemovalPolicy;
use super::stack::{ConstructError, Stack};
use crate::iam::catalog::AccessLevel;
use crate::iam::{Effect, PolicyDocument, Principal, ResourceEntry, Statement};
use crate::resources::Handle;
use crate::resources::iam::Role;
use crate::resources::kms;
use crate::template::typed::{Str, fns};

/// What a key is built from; [`KeyProps::new`] gives the secure defaults.
#[derive(Debug, Clone)]
pub struct KeyProps {
    pub description: String,
    /// Yearly rotation of the key material.
    pub rotation: bool,
    /// 7 to 30 days between a deletion and the key's end (the window to cancel it).
    pub pending_window_days: u32,
    pub removal: RemovalPolicy,
}

impl KeyProps {
    /// Rotated, a 30-day deletion window, retained on a production stage.
    pub fn new(description: &str, stage: &str) -> KeyProps {
        KeyProps {
            description: description.into(),
            rotation: true,
            pending_window_days: 30,
            removal: RemovalPolicy::for_stage(stage),
        }
    }
}

/// A built key.
#[derive(Debug, Clone)]
pub struct Key {
    pub handle: Handle<kms::Key>,
}

/// The key's `Write`-level actions by name: the catalog puts encryption and key
/// administration (`ScheduleKeyDeletion`) at one level, so the cryptographic ones are
/// named, each checked against the catalog.
const DECRYPT: &[&str] = &["Decrypt"];
const ENCRYPT: &[&str] = &[
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
];

impl Key {
    /// Adds the key as `id`.
    ///
    /// ```
    /// use perimeter::constructs::{Key, KeyProps, Stack};
    /// let mut stack = Stack::new("demo");
    /// Key::build(&mut stack, "DataKey", KeyProps::new("the orders' data", "dev")).unwrap();
    /// assert!(stack.template().to_json().contains(r#""EnableKeyRotation": true"#));
    /// ```
    pub fn build(stack: &mut Stack, id: &str, p: KeyProps) -> Result<Key, ConstructError> {
        if !(7..=30).contains(&p.pending_window_days) {
            return Err(ConstructError::Invalid(format!(
                "{id}: a deletion window of {} days; KMS takes 7 to 30",
                p.pending_window_days
            )));
        }
        // Without it no IAM policy could grant the key, and the account could lose it.
        let account = Statement::new(Effect::Allow, ["kms:*"])
            .map_err(ConstructError::from)?
            .sid("EnableIamPolicies")
            .principal(Principal::aws(fns::sub(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            )))
            .resource(ResourceEntry::Arn(
                "*".parse().map_err(ConstructError::from)?,
            ));
        let handle = stack.add_with(
            id,
            kms::Key::new()
                .description(p.description.as_str())
                .enable_key_rotation(p.rotation)
                .pending_window_in_days(p.pending_window_days)
                .key_policy(PolicyDocument::new(vec![account])),
            p.removal.attributes(),
        )?;
        Ok(Key { handle })
    }

    /// `Fn::GetAtt Arn`.
    pub fn arn(&self) -> Str {
        self.handle.arn()
    }

    fn grant(&self, verb: &str, role: &Handle<Role>, names: &[&'static [&'static str]]) -> Access {
        let id = self.handle.logical_id().as_str();
        let permissions = names
            .iter()
            .map(|n| Permission {
                service: "kms",
                resource_type: "key",
                level: AccessLevel::Write,
                select: Select::Named(n),
            })
            .collect();
        Access::new(
            format!("{id}{verb}"),
            role,
            permissions,
            vec![Target::new(self.arn(), format!("${{{id}.Arn}}"), "key")],
        )
        .resource_policy(ResourcePolicy {
            holder: id.to_string(),
            path: &["KeyPolicy"],
            // A key policy names its key `*`, and the endpoint's VPC rather than the
            // endpoint: its own ARN, or the endpoint whose policy names the key, would be
            // a circular reference.
            resource: Some("*"),
            by_vpc: true,
        })
    }

    /// Decryption with the key.
    pub fn grant_decrypt(&self, role: &Handle<Role>) -> Access {
        self.grant("Decrypt", role, &[DECRYPT])
    }

    /// Encryption and decryption (data keys, re-encryption) with the key.
    pub fn grant_encrypt_decrypt(&self, role: &Handle<Role>) -> Access {
        self.grant("EncryptDecrypt", role, &[DECRYPT, ENCRYPT])
    }
}

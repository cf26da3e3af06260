//! An S3 bucket: encrypted, public access blocked, owner-enforced (no ACLs), versioned,
//! TLS-only by its bucket policy, kept or deleted by stage; grants of its objects.

use super::grant::{Access, KeyUse, Target};
use super::key::Key;
use super::permissions::{Permission, Select};
use super::removal::RemovalPolicy;
use super::resource_policy::{at, tls_only};
use super::stack::{ConstructError, Stack};
use crate::iam::PolicyDocument;
use crate::iam::catalog::AccessLevel;
use crate::resources::Handle;
use crate::resources::iam::Role;
use crate::resources::s3::{self, bucket};
use crate::template::typed::{Str, fns};

/// How its objects are encrypted.
#[derive(Debug, Clone)]
pub enum BucketEncryption {
    /// S3's own keys (SSE-S3).
    S3Managed,
    /// A key of the stack (SSE-KMS, with S3 Bucket Keys to cut KMS calls).
    Key(Key),
}

/// What a bucket is built from; [`BucketProps::new`] gives the secure defaults.
#[derive(Debug, Clone)]
pub struct BucketProps {
    pub encryption: BucketEncryption,
    pub versioned: bool,
    /// Days after which replaced versions are deleted; `None`: kept.
    pub noncurrent_version_days: Option<u32>,
    pub removal: RemovalPolicy,
}

impl BucketProps {
    /// SSE-S3, versioned, replaced versions kept 90 days; retained on a production stage.
    pub fn new(stage: &str) -> BucketProps {
        BucketProps {
            encryption: BucketEncryption::S3Managed,
            versioned: true,
            noncurrent_version_days: Some(90),
            removal: RemovalPolicy::for_stage(stage),
        }
    }
}

/// A built bucket and its policy.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub handle: Handle<s3::Bucket>,
    pub policy: Handle<s3::BucketPolicy>,
    /// The key of its objects, when it is a key of the stack.
    pub key: Option<Key>,
}

/// Object actions of a level, by name: the catalog's Read and Write on objects hold
/// replication, ACLs, legal holds and torrents beside them.
fn objects(level: AccessLevel, names: &'static [&'static str]) -> Permission {
    Permission {
        service: "s3",
        resource_type: "object",
        level,
        select: Select::Named(names),
    }
}

/// The listing of its keys: the catalog's List level on the bucket holds the listing of
/// uploads, versions and tags beside it.
fn listing() -> Permission {
    Permission {
        service: "s3",
        resource_type: "bucket",
        level: AccessLevel::List,
        select: Select::Named(&["ListBucket"]),
    }
}

impl Bucket {
    /// Adds the bucket as `id` and its policy as `<id>Policy`.
    ///
    /// ```
    /// use perimeter::constructs::{Bucket, BucketProps, Stack};
    /// let mut stack = Stack::new("demo");
    /// Bucket::build(&mut stack, "Reports", BucketProps::new("dev")).unwrap();
    /// let json = stack.template().to_json();
    /// assert!(json.contains(r#""RestrictPublicBuckets": true"#));
    /// assert!(json.contains("aws:SecureTransport"));
    /// ```
    pub fn build(stack: &mut Stack, id: &str, p: BucketProps) -> Result<Bucket, ConstructError> {
        let default = match &p.encryption {
            BucketEncryption::S3Managed => bucket::ServerSideEncryptionByDefault::new("AES256"),
            BucketEncryption::Key(k) => {
                bucket::ServerSideEncryptionByDefault::new("aws:kms").kms_master_key_id(k.arn())
            }
        };
        let mut b = s3::Bucket::new()
            .bucket_encryption(bucket::BucketEncryption::new(vec![
                bucket::ServerSideEncryptionRule::new()
                    .server_side_encryption_by_default(default)
                    .bucket_key_enabled(matches!(p.encryption, BucketEncryption::Key(_))),
            ]))
            .public_access_block_configuration(
                bucket::PublicAccessBlockConfiguration::new()
                    .block_public_acls(true)
                    .block_public_policy(true)
                    .ignore_public_acls(true)
                    .restrict_public_buckets(true),
            )
            .ownership_controls(bucket::OwnershipControls::new(vec![
                bucket::OwnershipControlsRule::new().object_ownership("BucketOwnerEnforced"),
            ]))
            .versioning_configuration(bucket::VersioningConfiguration::new(if p.versioned {
                "Enabled"
            } else {
                "Suspended"
            }));
        if let (true, Some(days)) = (p.versioned, p.noncurrent_version_days) {
            b = b.lifecycle_configuration(bucket::LifecycleConfiguration::new(vec![
                bucket::Rule::new("Enabled")
                    .id("ExpireReplacedVersions")
                    .noncurrent_version_expiration(bucket::NoncurrentVersionExpiration::new(days)),
            ]));
        }
        let handle = stack.add_with(id, b, p.removal.attributes())?;
        let tls = tls_only(
            "s3",
            vec![
                handle.arn().into(),
                fns::sub(&format!("${{{id}.Arn}}/*")).into(),
            ],
        )?;
        let policy = stack.add(
            &format!("{id}Policy"),
            s3::BucketPolicy::new(handle.reference(), PolicyDocument::new(vec![tls])),
        )?;
        let key = match p.encryption {
            BucketEncryption::Key(k) => Some(k),
            BucketEncryption::S3Managed => None,
        };
        Ok(Bucket {
            handle,
            policy,
            key,
        })
    }

    /// `Fn::GetAtt Arn`.
    pub fn arn(&self) -> Str {
        self.handle.arn()
    }

    /// `Ref`: the bucket's name.
    pub fn name(&self) -> Str {
        self.handle.reference()
    }

    fn grant(&self, verb: &str, role: &Handle<Role>, permissions: Vec<Permission>) -> Access {
        let id = self.handle.logical_id().as_str();
        let write = permissions.iter().any(|p| p.level == AccessLevel::Write);
        Access::new(
            format!("{id}{verb}"),
            role,
            permissions,
            vec![
                Target::new(
                    fns::sub(&format!("${{{id}.Arn}}/*")),
                    format!("${{{id}.Arn}}/perimeter-check/object"),
                    "object",
                ),
                // Listing is on the bucket itself.
                Target::new(self.arn(), format!("${{{id}.Arn}}"), "bucket"),
            ],
        )
        .resource_policy(at(self.policy.logical_id().as_str(), &["PolicyDocument"]))
        .key_use(self.key.as_ref().map(|k| KeyUse {
            key: k.arn(),
            service: "s3",
            write,
        }))
    }

    /// Reads of its objects (`GetObject`) and the listing of their keys (`ListBucket`).
    pub fn grant_read(&self, role: &Handle<Role>) -> Access {
        self.grant(
            "Read",
            role,
            vec![objects(AccessLevel::Read, &["GetObject"]), listing()],
        )
    }

    /// Writes of its objects (`PutObject`, `DeleteObject`, `AbortMultipartUpload`).
    pub fn grant_write(&self, role: &Handle<Role>) -> Access {
        self.grant("Write", role, vec![objects(AccessLevel::Write, WRITE)])
    }

    /// Reads and writes of its objects.
    pub fn grant_read_write(&self, role: &Handle<Role>) -> Access {
        self.grant(
            "ReadWrite",
            role,
            vec![
                objects(AccessLevel::Read, &["GetObject"]),
                objects(AccessLevel::Write, WRITE),
                listing(),
            ],
        )
    }
}

const WRITE: &[&str] = &["PutObject", "DeleteObject", "AbortMultipartUpload"];

//! The bootstrap stack of an account and region: the bucket that holds deploy assets
//! (function code) and templates too large to send inline, encrypted, versioned, closed
//! to the public and to plain HTTP. Only noncurrent versions expire: a current object
//! may be the code a stack rolls back to, however old it is.

use crate::check::{Context, Severity};
use crate::template::{Format, Template};

/// The bootstrap stack's name, one per account and region.
pub const STACK: &str = "perimeter-bootstrap";

/// The version of the bootstrap template, in its `BootstrapVersion` output; deploy
/// needs at least this one (a stack without the output is version 1: its lifecycle
/// expired current assets).
pub const VERSION: u32 = 2;

/// The bootstrap version of a deployed stack: its `BootstrapVersion` output, else the
/// same output in its deployed template (an API that reports no outputs of a stack made
/// by a change set, moto's, still gives the template); 1 when neither has one.
pub fn version_of(outputs: &std::collections::BTreeMap<String, String>, template: &str) -> u32 {
    let from_template = || {
        let t = Template::parse_any(template).ok()?;
        t.outputs
            .get("BootstrapVersion")?
            .value
            .as_str()?
            .parse()
            .ok()
    };
    outputs
        .get("BootstrapVersion")
        .and_then(|v| v.parse().ok())
        .or_else(from_template)
        .unwrap_or(1)
}

/// The template, as written (YAML, for reading) and the model it reads as.
const TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Description: perimeter bootstrap - the asset bucket of this account and region
Resources:
  AssetBucket:
    Type: AWS::S3::Bucket
    # Assets are content-addressed: a stack being rolled back may still need one.
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !Sub perimeter-assets-${AWS::AccountId}-${AWS::Region}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: AES256
      VersioningConfiguration:
        Status: Enabled
      OwnershipControls:
        Rules:
          - ObjectOwnership: BucketOwnerEnforced
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
      LifecycleConfiguration:
        Rules:
          # Only replaced versions expire: a current asset may be what a stack rolls
          # back to, however long it has been unchanged.
          - Id: expire-replaced-versions
            Status: Enabled
            NoncurrentVersionExpiration:
              NoncurrentDays: 30
            AbortIncompleteMultipartUpload:
              DaysAfterInitiation: 1
  AssetBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref AssetBucket
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: TlsOnly
            Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource:
              - !GetAtt AssetBucket.Arn
              - !Sub '${AssetBucket.Arn}/*'
            Condition:
              Bool:
                aws:SecureTransport: 'false'
Outputs:
  AssetBucket:
    Description: The bucket perimeter deploy uploads assets to
    Value: !Ref AssetBucket
  BootstrapVersion:
    Description: The version of the bootstrap template; perimeter deploy checks it
    Value: '2'
"#;

/// The bootstrap template: its body (JSON, as deployed) and model.
///
/// ```
/// let (body, t) = perimeter::deploy::bootstrap::template();
/// assert!(body.contains("perimeter-assets-${AWS::AccountId}-${AWS::Region}"));
/// assert_eq!(t.resources.len(), 2);
/// ```
pub fn template() -> (String, Template) {
    let t = Template::parse(TEMPLATE, Format::Yaml).expect("the bootstrap template reads");
    (t.to_json(), t)
}

/// check's errors on the bootstrap template (none: a test holds it to that).
pub fn check_errors(t: &Template, body: &str) -> Vec<String> {
    crate::check::check(t, body, &Context::default())
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}: {}", f.rule.id, f.path, f.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_is_closed_encrypted_and_versioned_and_check_passes_it() {
        let (body, t) = template();
        assert!(
            check_errors(&t, &body).is_empty(),
            "{:?}",
            check_errors(&t, &body)
        );
        let bucket = &t
            .resources
            .iter()
            .find(|(id, _)| id.as_str() == "AssetBucket")
            .unwrap()
            .1;
        let p = &bucket.properties;
        assert!(p["BucketEncryption"].as_map().is_some());
        assert_eq!(
            p["VersioningConfiguration"].as_map().unwrap()["Status"].as_str(),
            Some("Enabled")
        );
        let block = p["PublicAccessBlockConfiguration"].as_map().unwrap();
        assert_eq!(block.len(), 4);
        assert!(
            block
                .values()
                .all(|v| *v == crate::template::Value::Bool(true))
        );
        assert!(body.contains("aws:SecureTransport"));
        // Only noncurrent versions expire: never the asset a live stack names.
        let rules = p["LifecycleConfiguration"].as_map().unwrap()["Rules"]
            .as_list()
            .unwrap();
        for r in rules {
            let r = r.as_map().unwrap();
            assert!(
                !r.contains_key("ExpirationInDays") && !r.contains_key("ExpirationDate"),
                "{r:?}"
            );
            assert!(r.contains_key("NoncurrentVersionExpiration"));
        }
        let version = t.outputs["BootstrapVersion"].value.as_str().unwrap();
        assert_eq!(version, VERSION.to_string());
    }
}

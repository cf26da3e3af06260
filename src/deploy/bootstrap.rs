//! The bootstrap stack of an account and region: the bucket that holds deploy assets
//! (function code), encrypted, versioned, closed to the public and to plain HTTP, with
//! old versions expired.

use crate::check::{Context, Severity};
use crate::template::{Format, Template};

/// The bootstrap stack's name, one per account and region.
pub const STACK: &str = "perimeter-bootstrap";

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
          - Id: expire-old-assets
            Status: Enabled
            ExpirationInDays: 365
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
    }
}

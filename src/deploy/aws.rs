//! The AWS side of a target: its credentials (the standard chain, a named profile, or a
//! role assumed with either), its region, and the account those credentials are in.
//! The standard environment variables apply, `AWS_ENDPOINT_URL` included, so a
//! CloudFormation API on this machine (moto's server) stands in for AWS in tests.

use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::DeployError;

/// Where and as whom a target is deployed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    pub account: String,
    pub region: String,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
}

impl Identity {
    /// Where and as whom a blueprint's target is deployed.
    pub fn of(t: &crate::blueprint::Target) -> Identity {
        Identity {
            account: t.account.to_string(),
            region: t.region.to_string(),
            profile: t.profile.clone(),
            role_arn: t.role_arn.as_ref().map(ToString::to_string),
        }
    }
}

/// The SDK configuration for a target.
pub async fn config(id: &Identity) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(id.region.clone()));
    if let Some(p) = &id.profile {
        loader = loader.profile_name(p);
    }
    let base = loader.load().await;
    let Some(role) = &id.role_arn else {
        return base;
    };
    let provider = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("perimeter-deploy")
        .configure(&base)
        .build()
        .await;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(id.region.clone()))
        .credentials_provider(provider);
    if let Some(p) = &id.profile {
        loader = loader.profile_name(p);
    }
    loader.load().await
}

/// The account the configuration's credentials belong to (STS GetCallerIdentity).
pub async fn caller_account(conf: &SdkConfig) -> Result<String, DeployError> {
    let out = aws_sdk_sts::Client::new(conf)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            DeployError::Aws(format!(
                "who am I (STS GetCallerIdentity): {}",
                super::sdk_error(&e)
            ))
        })?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| DeployError::Aws("STS GetCallerIdentity named no account".into()))
}

/// The configuration for a target once its credentials are known to be in the target's
/// account: a mismatch is [`DeployError::Refused`], before anything is touched.
pub async fn verified_config(id: &Identity) -> Result<SdkConfig, DeployError> {
    let conf = config(id).await;
    let account = caller_account(&conf).await?;
    if account != id.account {
        return Err(DeployError::Refused(format!(
            "the credentials are for account {account}, the target is in {}: nothing was done",
            id.account
        )));
    }
    Ok(conf)
}

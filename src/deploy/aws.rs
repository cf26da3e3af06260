//! The AWS side of a target: its credentials (the standard chain, a named profile, or a
//! role assumed with either), its region, and the account those credentials are in.
//! The standard environment variables apply, `AWS_ENDPOINT_URL` included, so a
//! CloudFormation API on this machine (moto's server) stands in for AWS in tests.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::DeployError;

/// Attempts per API call unless `AWS_MAX_ATTEMPTS` or `AWS_RETRY_MODE` say otherwise:
/// the CDK's (a deploy polls for as long as the stacks take; the SDK's default 3 ends
/// a running deploy at the first burst of throttling).
const MAX_ATTEMPTS: u32 = 7;

/// Where and as whom a target is deployed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    pub account: String,
    pub region: String,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The assumed role's session name, as CloudTrail shows who deployed.
    pub session_name: String,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// The service role CloudFormation assumes to change the stack's resources.
    pub cloudformation_role_arn: Option<String>,
}

impl Identity {
    /// Where and as whom a blueprint's target is deployed.
    pub fn of(t: &crate::blueprint::Target) -> Identity {
        Identity {
            account: t.account.to_string(),
            region: t.region.to_string(),
            profile: t.profile.clone(),
            role_arn: t.role_arn.as_ref().map(ToString::to_string),
            session_name: t
                .role_session_name
                .as_ref()
                .map_or_else(default_session_name, ToString::to_string),
            external_id: t.external_id.as_ref().map(ToString::to_string),
            cloudformation_role_arn: t.cloudformation_role_arn.as_ref().map(ToString::to_string),
        }
    }
}

/// `perimeter-<local user>`, in the characters a session name takes (at most 64): so
/// CloudTrail tells one deployer from another when nobody set a name.
pub fn default_session_name() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let user: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .collect();
    let name = if user.is_empty() {
        "perimeter-deploy".to_string()
    } else {
        format!("perimeter-{user}")
    };
    name.chars().take(64).collect()
}

fn loader(id: &Identity) -> aws_config::ConfigLoader {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(id.region.clone()));
    if let Some(p) = &id.profile {
        loader = loader.profile_name(p);
    }
    // Adaptive mode also slows the client down when the service throttles it.
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
        && std::env::var_os("AWS_RETRY_MODE").is_none()
    {
        loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(MAX_ATTEMPTS));
    }
    loader
}

/// The SDK configuration for a target.
pub async fn config(id: &Identity) -> SdkConfig {
    let base = loader(id).load().await;
    let Some(role) = &id.role_arn else {
        return base;
    };
    let mut provider =
        aws_config::sts::AssumeRoleProvider::builder(role).session_name(&id.session_name);
    if let Some(x) = &id.external_id {
        provider = provider.external_id(x);
    }
    let provider = provider.configure(&base).build().await;
    loader(id).credentials_provider(provider).load().await
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

//! AWS errors in one sentence each: what is missing or wrong, and how to give or fix
//! it, instead of the SDK's debug dump of its credential provider chain.

use std::error::Error;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};

/// No provider of the chain found credentials.
pub const NO_CREDENTIALS: &str = "no AWS credentials were found: name a profile (AWS_PROFILE, or `profile:` on the target, after `aws configure` or `aws sso login`), a role to assume (`role_arn:` on the target, with credentials allowed to assume it), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)";

/// The credentials were there but are out of date.
pub const EXPIRED: &str = "the AWS credentials have expired: get new ones (`aws sso login` for an SSO profile, or new session credentials in AWS_SESSION_TOKEN) and run again";

/// Codes that say the credentials are out of date.
const EXPIRED_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
];

/// Codes that say the credentials are not known or not valid.
const REFUSED_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "InvalidAccessKeyId",
];

/// A service's error code and message in words: expired or refused credentials and
/// throttling said plainly, anything else as `code: message`.
pub fn service(code: &str, message: Option<&str>) -> String {
    if EXPIRED_CODES.contains(&code) {
        return EXPIRED.to_string();
    }
    if REFUSED_CODES.contains(&code) {
        return format!(
            "AWS does not accept these credentials ({code}): the access key is unknown, deleted or mistyped; check the profile or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in use"
        );
    }
    if super::api::is_throttling(code) {
        return format!(
            "AWS throttled the calls ({code}) and still did after retries with backoff: run again later, or deploy fewer targets at once (--concurrency)"
        );
    }
    match message {
        Some(m) if !m.is_empty() => format!("{code}: {m}"),
        _ => code.to_string(),
    }
}

/// Where the calls went when the environment redirects them (moto, a proxy).
fn endpoint_note() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(u) if !u.is_empty() => format!(" (AWS_ENDPOINT_URL={u})"),
        _ => String::new(),
    }
}

/// Any error of the SDK in one sentence, found by its causes: no credentials (or
/// expired, or a provider that failed), an endpoint that did not answer, a missing
/// Region. Anything else is its innermost cause.
pub fn in_words(e: &(dyn Error + 'static)) -> String {
    let mut chain: Vec<&(dyn Error + 'static)> = vec![e];
    let mut cur = e;
    while let Some(next) = cur.source() {
        chain.push(next);
        cur = next;
    }
    for c in &chain {
        if let Some(ce) = c.downcast_ref::<CredentialsError>() {
            return credentials(ce);
        }
    }
    for c in &chain {
        if let Some(ce) = c.downcast_ref::<ConnectorError>() {
            return connector(ce);
        }
    }
    let innermost = chain.last().map(|c| c.to_string()).unwrap_or_default();
    if chain.iter().any(|c| {
        c.to_string()
            .to_ascii_lowercase()
            .contains("region must be set")
    }) {
        return "no AWS Region was given: set the target's `region:` in the blueprint, or AWS_REGION".into();
    }
    innermost
}

fn credentials(e: &CredentialsError) -> String {
    let cause = e
        .source()
        .map(|s| {
            let mut last = s;
            while let Some(n) = last.source() {
                last = n;
            }
            last.to_string()
        })
        .unwrap_or_default();
    match e {
        CredentialsError::CredentialsNotLoaded(_) => NO_CREDENTIALS.to_string(),
        CredentialsError::ProviderTimedOut(_) => "the AWS credential provider did not answer in time (an SSO login, a credential process or the instance metadata service): check it, or give credentials by profile or environment".to_string(),
        CredentialsError::InvalidConfiguration(_) => format!(
            "the AWS configuration is not valid ({cause}): fix the profile in ~/.aws/config or the AWS_* variables"
        ),
        _ if cause.to_ascii_lowercase().contains("expired") => EXPIRED.to_string(),
        _ => format!("the AWS credential provider failed: {cause}"),
    }
}

fn connector(e: &ConnectorError) -> String {
    let mut cause = e.to_string();
    let mut next = e.source();
    while let Some(n) = next {
        cause = n.to_string();
        next = n.source();
    }
    if e.is_timeout() {
        format!(
            "the AWS endpoint did not answer in time{}: check the network (a proxy, a VPN, HTTPS_PROXY) and try again",
            endpoint_note()
        )
    } else {
        format!(
            "cannot reach the AWS endpoint{} ({cause}): check the network, the Region's name and any endpoint override",
            endpoint_note()
        )
    }
}

/// An SDK call's error in words: the service's answer, else its cause.
pub fn sdk<E, R>(e: &SdkError<E, R>) -> String
where
    E: Error + aws_sdk_cloudformation::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + 'static,
{
    if let SdkError::ServiceError(s) = e
        && let Some(code) = s.err().code()
    {
        return service(code, s.err().message());
    }
    if let SdkError::TimeoutError(_) = e {
        return format!(
            "the AWS endpoint did not answer in time{}: check the network and try again",
            endpoint_note()
        );
    }
    in_words(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_errors_are_one_sentence_each() {
        let e = CredentialsError::not_loaded("no providers in chain provided credentials");
        assert_eq!(in_words(&e), NO_CREDENTIALS);
        let e = CredentialsError::provider_error("the SSO session has expired");
        assert_eq!(in_words(&e), EXPIRED);
        let e = CredentialsError::invalid_configuration("profile `x` was not defined");
        assert!(in_words(&e).contains("profile `x` was not defined"));
        assert_eq!(
            service(
                "ExpiredToken",
                Some("The security token included in the request is expired")
            ),
            EXPIRED
        );
        assert!(
            service("InvalidClientTokenId", None).contains("does not accept these credentials")
        );
        assert!(
            service("Throttling", Some("Rate exceeded")).contains("after retries with backoff")
        );
        assert_eq!(
            service("ValidationError", Some("bad")),
            "ValidationError: bad"
        );
    }
}

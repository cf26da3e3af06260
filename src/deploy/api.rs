//! Signed calls to AWS APIs that perimeter reads from without a service crate of their
//! own (EC2's query protocol, Organizations' JSON protocol): the SDK's runtime sends them
//! (its HTTP client, timeouts, retries with backoff, throttling classified), with the
//! target's credentials and Signature Version 4. Endpoints follow the SDK's environment:
//! `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the Region's public one.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::HttpStatusCodeClassifier;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::DeployError;

/// An error the service answered with: its HTTP status, code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// Codes the services throttle with (besides HTTP 429 and 503).
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequestsException",
];

/// Whether an error code says the caller was throttled.
pub fn is_throttling(code: &str) -> bool {
    THROTTLING.contains(&code)
}

/// Retries a throttled call (with the strategy's backoff), as the SDK's classifiers do
/// for the services it models.
#[derive(Debug)]
struct ThrottlingClassifier;

impl ClassifyRetry for ThrottlingClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(e)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        match e
            .as_operation_error()
            .and_then(|e| e.downcast_ref::<ServiceError>())
        {
            Some(s) if is_throttling(&s.code) || s.status == 429 => RetryAction::throttling_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }
    fn name(&self) -> &'static str {
        "perimeter throttling"
    }
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::default()
    }
}

/// Signs each attempt (again on retries, so its time is current) once the endpoint is
/// set on the request.
#[derive(Debug)]
struct Signer {
    credentials: Credentials,
    service: &'static str,
    region: String,
}

impl Intercept for Signer {
    fn name(&self) -> &'static str {
        "perimeter sigv4"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request_mut();
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let body = req.body().bytes().unwrap_or_default().to_vec();
        let signable = SignableRequest::new(
            req.method(),
            req.uri(),
            req.headers().iter(),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        let headers: Vec<(String, String)> = instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in headers {
            req.headers_mut().insert(k, v);
        }
        Ok(())
    }
}

/// Attempts per call: as deploy's.
const MAX_ATTEMPTS: u32 = 7;

/// A service's endpoint for a Region, following the SDK's environment variables.
fn endpoint(conf: &SdkConfig, env_service: &str, public: String) -> String {
    std::env::var(format!("AWS_ENDPOINT_URL_{env_service}"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| conf.endpoint_url().map(str::to_string))
        .unwrap_or(public)
}

/// The DNS suffix of a Region's partition.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// A client of the reads `context refresh` makes, for one account and Region.
pub struct Api {
    conf: SdkConfig,
    credentials: Credentials,
    region: String,
}

/// One request: the service, its action, the body and the headers it needs.
struct Call<'a> {
    service: &'static str,
    action: &'a str,
    signing_region: String,
    url: String,
    content_type: &'static str,
    target: Option<String>,
    body: String,
}

impl Api {
    /// The credentials of `conf`, resolved once.
    pub async fn new(conf: &SdkConfig, region: &str) -> Result<Api, DeployError> {
        let provider = conf
            .credentials_provider()
            .ok_or_else(|| DeployError::Aws(super::words::NO_CREDENTIALS.to_string()))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| DeployError::Aws(super::words::in_words(&e)))?;
        Ok(Api {
            conf: conf.clone(),
            credentials,
            region: region.to_string(),
        })
    }

    async fn send(&self, call: Call<'_>) -> Result<String, SdkError<ServiceError, HttpResponse>> {
        let Call {
            service,
            action,
            signing_region,
            url,
            content_type,
            target,
            body,
        } = call;
        let mut builder = Operation::builder()
            .service_name(service)
            .operation_name(action.to_string())
            .endpoint_url(&url)
            .standard_retry(&RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .retry_classifier(HttpStatusCodeClassifier::default())
            .retry_classifier(ThrottlingClassifier)
            .timeout_config(self.conf.timeout_config().cloned().unwrap_or_else(|| {
                // The SDK's default for an endpoint that does not accept the connection.
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_millis(3100))
                    .build()
            }))
            .no_auth()
            .interceptor(Signer {
                credentials: self.credentials.clone(),
                service,
                region: signing_region,
            });
        if let Some(client) = self.conf.http_client() {
            builder = builder.http_client(client);
        }
        if let Some(sleep) = self.conf.sleep_impl() {
            builder = builder.sleep_impl(sleep);
        }
        if let Some(time) = self.conf.time_source() {
            builder = builder.time_source(time);
        }
        let op = builder
            .serializer(move |body: String| -> Result<HttpRequest, BoxError> {
                let mut req = HttpRequest::new(SdkBody::from(body));
                req.set_method("POST")?;
                req.headers_mut().insert("content-type", content_type);
                if let Some(t) = &target {
                    req.headers_mut().insert("x-amz-target", t.clone());
                }
                Ok(req)
            })
            .deserializer(
                |resp: &HttpResponse| -> Result<String, OrchestratorError<ServiceError>> {
                    let text = String::from_utf8_lossy(resp.body().bytes().unwrap_or_default())
                        .into_owned();
                    let status = resp.status().as_u16();
                    if (200..300).contains(&status) {
                        return Ok(text);
                    }
                    Err(OrchestratorError::operation(service_error(status, &text)))
                },
            )
            .build();
        op.invoke(body).await
    }

    /// An EC2 query-protocol action (`DescribeAvailabilityZones`) with its parameters;
    /// the response's XML.
    pub async fn ec2(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String, SdkError<ServiceError, HttpResponse>> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", "2016-11-15");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let url = endpoint(
            &self.conf,
            "EC2",
            format!("https://ec2.{}.{}", self.region, dns_suffix(&self.region)),
        );
        self.send(Call {
            service: "ec2",
            action,
            signing_region: self.region.clone(),
            url,
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            target: None,
            body: form.finish(),
        })
        .await
    }

    /// An Organizations action (JSON protocol) with its input; the response's JSON.
    pub async fn organizations(
        &self,
        action: &str,
        input: &serde_json::Value,
    ) -> Result<String, SdkError<ServiceError, HttpResponse>> {
        // The service lives in one Region of each partition.
        let (home, suffix) = if self.region.starts_with("cn-") {
            ("cn-northwest-1", "amazonaws.com.cn")
        } else if self.region.starts_with("us-gov-") {
            ("us-gov-west-1", "amazonaws.com")
        } else {
            ("us-east-1", "amazonaws.com")
        };
        let url = endpoint(
            &self.conf,
            "ORGANIZATIONS",
            format!("https://organizations.{home}.{suffix}"),
        );
        self.send(Call {
            service: "organizations",
            action,
            signing_region: home.to_string(),
            url,
            content_type: "application/x-amz-json-1.1",
            target: Some(format!("AWSOrganizationsV20161128.{action}")),
            body: input.to_string(),
        })
        .await
    }
}

/// The code and message of an error answer: EC2's XML (`<Errors><Error><Code>`), the
/// JSON protocols' `__type` and `message`, or the HTTP status alone.
fn service_error(status: u16, text: &str) -> ServiceError {
    if let Ok(j) = serde_json::from_str::<serde_json::Value>(text) {
        let code = j["__type"]
            .as_str()
            .or(j["code"].as_str())
            .map(|c| c.rsplit('#').next().unwrap_or(c).to_string());
        let message = j["message"].as_str().or(j["Message"].as_str());
        if let Some(code) = code {
            return ServiceError {
                status,
                code,
                message: message.unwrap_or_default().to_string(),
            };
        }
    }
    let doc = super::xml::parse(text).ok();
    let find = |name: &str| {
        doc.as_ref()
            .and_then(|d| d.find(name))
            .map(|n| n.text.clone())
    };
    ServiceError {
        status,
        code: find("Code").unwrap_or_else(|| format!("HTTP {status}")),
        message: find("Message").unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_are_read_in_each_protocol() {
        let e = service_error(
            503,
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>",
        );
        assert_eq!(e.code, "RequestLimitExceeded");
        assert_eq!(e.message, "Request limit exceeded.");
        assert!(is_throttling(&e.code));
        let e = service_error(
            400,
            r#"{"__type":"com.amazonaws#AWSOrganizationsNotInUseException","message":"not in an org"}"#,
        );
        assert_eq!(e.code, "AWSOrganizationsNotInUseException");
        assert_eq!(e.message, "not in an org");
        let e = service_error(502, "bad gateway");
        assert_eq!(e.code, "HTTP 502");
    }
}

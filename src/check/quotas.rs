//! CloudFormation quotas on one template.

use crate::template::Template;

/// The hard limits (CloudFormation quotas page).
pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_MAPPINGS: usize = 200;
/// A template body sent through S3.
pub const MAX_BODY_BYTES: usize = 1_000_000;
/// A template body sent inline with the API call.
pub const MAX_DIRECT_BODY_BYTES: usize = 51_200;

/// A quota that a template exceeds (or comes near, for warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaFinding {
    pub what: &'static str,
    pub count: usize,
    pub limit: usize,
    pub error: bool,
}

impl std::fmt::Display for QuotaFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.error {
            write!(
                f,
                "{} {} exceed the quota of {}",
                self.count, self.what, self.limit
            )
        } else {
            write!(
                f,
                "{} {} exceed {} (warning)",
                self.count, self.what, self.limit
            )
        }
    }
}

/// Quota errors, and a warning when the body is too large to send inline.
pub fn quotas(t: &Template, body: &str) -> Vec<QuotaFinding> {
    let mut out = Vec::new();
    let mut limit = |what, count, limit, error| {
        if count > limit {
            out.push(QuotaFinding {
                what,
                count,
                limit,
                error,
            });
        }
    };
    limit("resources", t.resources.len(), MAX_RESOURCES, true);
    limit("parameters", t.parameters.len(), MAX_PARAMETERS, true);
    limit("outputs", t.outputs.len(), MAX_OUTPUTS, true);
    limit("mappings", t.mappings.len(), MAX_MAPPINGS, true);
    limit("bytes of template body", body.len(), MAX_BODY_BYTES, true);
    limit(
        "bytes of template body (upload it to S3 rather than inline)",
        body.len(),
        MAX_DIRECT_BODY_BYTES,
        false,
    );
    out
}

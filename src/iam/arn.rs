//! ARNs and ARN patterns.

use std::fmt;
use std::str::FromStr;

use super::glob;

/// AWS's partitions (an ARN's second field) with the DNS suffix of their endpoints
/// (`AWS::URLSuffix`; botocore's partitions.json, `dnsSuffix`).
pub const PARTITIONS: &[(&str, &str)] = &[
    ("aws", "amazonaws.com"),
    ("aws-cn", "amazonaws.com.cn"),
    ("aws-us-gov", "amazonaws.com"),
    ("aws-iso", "c2s.ic.gov"),
    ("aws-iso-b", "sc2s.sgov.gov"),
    ("aws-iso-e", "cloud.adc-e.uk"),
    ("aws-iso-f", "csp.hci.ic.gov"),
    ("aws-eusc", "amazonaws.eu"),
];

/// A validated ARN or ARN pattern (wildcards allowed), or `*`.
///
/// ```
/// use perimeter::iam::Arn;
/// let p: Arn = "arn:aws:bedrock:*::foundation-model/anthropic.claude-instant-v1".parse().unwrap();
/// assert!(p.matches("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-instant-v1"));
/// assert!(!p.matches("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"));
/// assert!("arn:aws:bedrock".parse::<Arn>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arn(String);

impl Arn {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six colon-separated parts; the resource part keeps its own colons.
    fn parts(s: &str) -> Option<[&str; 6]> {
        // As `splitn(6, ':')` with six parts, by a scan of the bytes (the evaluator
        // splits an ARN and a pattern for every resource it matches).
        let bytes = s.as_bytes();
        let mut out = [""; 6];
        let mut start = 0;
        for slot in out.iter_mut().take(5) {
            let end = start + bytes[start..].iter().position(|&c| c == b':')?;
            *slot = &s[start..end];
            start = end + 1;
        }
        out[5] = &s[start..];
        Some(out)
    }

    /// The account field (empty for AWS-owned resources such as foundation models).
    pub fn account(&self) -> &str {
        Arn::parts(&self.0).map_or("", |p| p[4])
    }

    /// The service field.
    pub fn service(&self) -> &str {
        Arn::parts(&self.0).map_or("", |p| p[2])
    }

    /// Whether this pattern matches a concrete ARN: each of the six parts separately,
    /// case-sensitively, as ArnLike does.
    pub fn matches(&self, arn: &str) -> bool {
        arn_like(&self.0, arn)
    }
}

/// `ArnLike` semantics on two strings.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    arn_like_split(pattern, Arn::parts(arn).as_ref())
}

/// The six parts of an ARN (the resource part keeps its own colons), as [`arn_like`]
/// reads them; `None` for a string of fewer.
pub(crate) fn split(arn: &str) -> Option<[&str; 6]> {
    Arn::parts(arn)
}

/// [`arn_like`] against an ARN split already ([`split`]): the evaluator splits a
/// request's resource once for every pattern of every statement.
pub(crate) fn arn_like_split(pattern: &str, arn: Option<&[&str; 6]>) -> bool {
    if pattern == "*" {
        return true;
    }
    match (Arn::parts(pattern), arn) {
        (Some(p), Some(a)) => p
            .iter()
            .zip(a.iter())
            .all(|(p, a)| glob::matches(p, a, false)),
        _ => false,
    }
}

impl FromStr for Arn {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
        if s == "*" {
            return Ok(Arn(s.to_string()));
        }
        match Arn::parts(s) {
            Some([arn, partition, service, _, _, resource])
                if arn == "arn"
                    && !partition.is_empty()
                    && !service.is_empty()
                    && !resource.is_empty() =>
            {
                Ok(Arn(s.to_string()))
            }
            _ => Err(format!(
                "{s:?} is not an ARN: expected arn:partition:service:region:account:resource or *"
            )),
        }
    })().map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Arn;

    #[test]
    fn parts_split_as_splitn_does() {
        for s in [
            "",
            ":",
            "arn",
            "a:b:c:d:e",
            "a:b:c:d:e:",
            "a:b:c:d:e:f",
            "a:b:c:d:e:f:g:h",
            "arn:aws:s3:::bucket/key",
            "::::::",
            "arn:aws:iam::1:role/x",
            "ü:ß:c:d:e:f",
        ] {
            let v: Vec<&str> = s.splitn(6, ':').collect();
            let want = (v.len() == 6).then(|| [v[0], v[1], v[2], v[3], v[4], v[5]]);
            assert_eq!(Arn::parts(s), want, "{s:?}");
        }
    }
}

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
        // One pass, the five colons' places first (the slices after: `:` is ASCII, so
        // every place is a character boundary).
        let mut colons = [0usize; 5];
        let mut k = 0;
        for (i, &c) in s.as_bytes().iter().enumerate() {
            if c == b':' {
                colons[k] = i;
                k += 1;
                if k == 5 {
                    break;
                }
            }
        }
        if k < 5 {
            return None;
        }
        let [a, b, c, d, e] = colons;
        Some([
            &s[..a],
            &s[a + 1..b],
            &s[b + 1..c],
            &s[c + 1..d],
            &s[d + 1..e],
            &s[e + 1..],
        ])
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
    pattern == "*" || parts_like(Arn::parts(pattern).as_ref(), arn)
}

/// `ArnLike` of a pattern and an ARN split already (a pattern other than `*`): each
/// part against its part.
fn parts_like(pattern: Option<&[&str; 6]>, arn: Option<&[&str; 6]>) -> bool {
    match (pattern, arn) {
        (Some(p), Some(a)) => p
            .iter()
            .zip(a.iter())
            .all(|(p, a)| glob::matches(p, a, false)),
        _ => false,
    }
}

/// ARN patterns split once, to test many ARNs against (`ArnLike`, as [`arn_like`]):
/// the prover tests every request of its search against the same few patterns, and
/// splitting both sides for each pair was a tenth of its instructions.
///
/// ```
/// use perimeter::iam::ArnPatterns;
/// let ps = ArnPatterns::new(["arn:aws:s3:::logs-*", "arn:aws:sqs:*:111122223333:jobs"]);
/// assert!(ps.any_matches("arn:aws:s3:::logs-2026"));
/// assert!(!ps.any_matches("arn:aws:s3:::other"));
/// ```
pub struct ArnPatterns<'a>(Vec<(&'a str, Option<[&'a str; 6]>)>);

impl<'a> ArnPatterns<'a> {
    pub fn new(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        ArnPatterns(patterns.into_iter().map(|p| (p, Arn::parts(p))).collect())
    }

    /// Whether some pattern matches `arn` ([`arn_like`] of each).
    pub fn any_matches(&self, arn: &str) -> bool {
        let a = Arn::parts(arn);
        (self.0.iter()).any(|(p, parts)| *p == "*" || parts_like(parts.as_ref(), a.as_ref()))
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

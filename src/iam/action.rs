//! An IAM action: `service:Name`, with `*` and `?` wildcards, or `*`.

use std::fmt;
use std::str::FromStr;

use super::glob;

/// A validated action.
///
/// ```
/// use perimeter::iam::Action;
/// let a: Action = "bedrock:InvokeModel".parse().unwrap();
/// assert!("bedrock:Invoke*".parse::<Action>().unwrap().matches("bedrock:InvokeModel"));
/// assert!("bedrock InvokeModel".parse::<Action>().is_err());
/// # let _ = a;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action(String);

impl Action {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The service prefix (`bedrock`), or `*` for the all-actions wildcard.
    pub fn service(&self) -> &str {
        self.0.split_once(':').map_or("*", |(s, _)| s)
    }

    /// Whether this (possibly wildcard) action covers a concrete action; IAM compares
    /// actions without regard to case. An action written with a comma or whitespace
    /// (which IAM accepts in a policy) matches nothing.
    pub fn matches(&self, action: &str) -> bool {
        !self.is_inert() && glob::matches(&self.0, action, true)
    }

    /// Reads an action as IAM accepts it in a stored policy: a well-formed action, or
    /// text holding a comma or whitespace (`"s3:GetObject, s3:PutObject"`), which IAM
    /// keeps but which matches no action.
    ///
    /// ```
    /// use perimeter::iam::Action;
    /// let a = Action::lenient("s3:GetObject, s3:PutObject").unwrap();
    /// assert!(!a.matches("s3:GetObject"));
    /// assert!(Action::lenient("s3").is_err());
    /// ```
    pub fn lenient(s: &str) -> Result<Action, crate::error::Invalid> {
        match s.parse::<Action>() {
            Ok(a) => Ok(a),
            // Text with a comma or whitespace, or no action name after the colon, is kept
            // and matches nothing.
            Err(_)
                if s.contains(':')
                    && (s.contains(|c: char| c == ',' || c.is_whitespace())
                        || s.ends_with(':')) =>
            {
                Ok(Action(s.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether this is text IAM keeps but that matches no action.
    pub fn is_inert(&self) -> bool {
        self.0.contains(|c: char| c == ',' || c.is_whitespace()) || self.0.ends_with(':')
    }

    /// `*` or `service:*`.
    pub fn is_service_wildcard(&self) -> bool {
        self.0 == "*" || self.0.ends_with(":*")
    }
}

impl FromStr for Action {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
        if s == "*" {
            return Ok(Action(s.to_string()));
        }
        let ok = s.split_once(':').is_some_and(|(svc, name)| {
            !svc.is_empty()
                && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'?' | b'-' | b'_'))
        });
        if ok {
            Ok(Action(s.to_string()))
        } else {
            Err(format!(
                "action {s:?} is not of the form service:ActionName (wildcards * and ? allowed) or *"
            ))
        }
    })().map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

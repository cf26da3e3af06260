//! The error of a value that is not what its type accepts, shared by every type validated
//! at its edge (a CIDR, an ARN, an action, a logical id, a model id, ...): the message
//! names what was found and what was expected.

use std::fmt;

/// A value its type refuses, with what was expected.
///
/// ```
/// let e = "my-vpc".parse::<perimeter_template::LogicalId>().unwrap_err();
/// assert!(e.to_string().contains("must be 1 to 255 ASCII letters and digits"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Invalid {
        Invalid(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// The message, as text (`e.contains("CIDR")`).
impl std::ops::Deref for Invalid {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Invalid {
    fn from(s: String) -> Invalid {
        Invalid(s)
    }
}

impl From<&str> for Invalid {
    fn from(s: &str) -> Invalid {
        Invalid(s.to_string())
    }
}

impl From<Invalid> for String {
    fn from(e: Invalid) -> String {
        e.0
    }
}

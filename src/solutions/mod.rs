//! The built-in solutions, each one folder: its construct, settings and their checks,
//! handler code, and what `perimeter check` expects of it.

pub mod bedrock_private_access;

use crate::solution::Solutions;

/// The solutions the `perimeter` binary knows.
pub fn builtin() -> Solutions {
    Solutions::new().with(bedrock_private_access::BedrockPrivateAccessSolution)
}

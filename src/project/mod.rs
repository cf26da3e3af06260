//! A project: blueprints, and `out/` where their templates are kept. What the commands
//! do across it, as library calls a user's app and the tests run in-process: every
//! target checked ([`check_blueprints`]), the blueprints against `out/` as it is or as it
//! was at a git revision ([`diff_against_out`]).

mod check;
mod diff;
pub mod prove;
pub mod shapes;

pub use check::{check_blueprints, check_blueprints_sharing, claims_of, scenarios_of};
pub use diff::{
    OldTemplate, diff_against_out, diff_artifacts, diff_targets_against_out, diff_targets_sharing,
    old_templates,
};

use crate::io_error::IoError;
use crate::synth::SynthError;

/// Why a project operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Synth(#[from] SynthError),
    #[error(transparent)]
    Io(#[from] IoError),
    /// A git command failed (reading `out/` at a revision).
    #[error("git {args}: {message}")]
    Git { args: String, message: String },
    /// An old template does not read.
    #[error("{label}: {message}")]
    Template { label: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

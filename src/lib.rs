//! perimeter: a typed infrastructure-as-code synthesizer for CloudFormation.
//!
//! Layers, bottom up: [`template`] (L0 document model, parse and emit), [`resources`]
//! (L1 typed resource properties and schema facts), [`iam`] (policy types and
//! evaluator), [`constructs`] (L2/L3), [`blueprint`], [`synth`].

pub mod assets;
pub mod blueprint;
pub mod check;
pub mod constructs;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod diff;
pub mod iam;
pub mod init;
pub mod io_error;
pub mod resources;
pub mod synth;
pub mod template;

// The README's Rust examples are compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

//! perimeter: a typed infrastructure-as-code synthesizer for CloudFormation.
//!
//! Layers, bottom up, each using only those below it: [`template`] (L0 document model,
//! parse and emit), [`resources`] (L1 typed resource properties and schema facts),
//! [`iam`] (policy types and evaluator), [`assets`], [`constructs`] (L2), [`diff`] and
//! [`check`] (on templates, knowing nothing of blueprints), [`solution`] (the trait a
//! solution implements), [`blueprint`] (files instantiating a solution for targets),
//! [`solutions`] (the built-in ones), [`synth`] (blueprints into `out/`), [`project`]
//! (blueprints against `out/`, a git revision or the checks), [`deploy`], and [`app`]
//! with its command line [`cli`].

// L0 and L1 are crates of their own (crates/): their paths stay `perimeter::template`,
// `perimeter::resources`, `perimeter::error` and `perimeter::io_error`.
pub use perimeter_l1 as resources;
pub use perimeter_template as template;
pub use perimeter_template::{error, io_error};

pub mod app;
pub mod assets;
pub mod blueprint;
pub mod check;
pub mod cli;
pub mod constructs;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod diff;
pub mod iam;
pub mod init;
pub mod program;
pub mod project;
pub mod solution;
pub mod solutions;
pub mod synth;

// The README's Rust examples are compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

//! IAM: policy documents as types and an evaluator that answers "is this request
//! allowed" under identity, resource-based, VPC endpoint, boundary, session, SCP and RCP
//! policies.

mod action;
mod arn;
mod caller;
pub mod catalog;
mod condition;
mod eval;
mod glob;
mod policy;
pub mod prove;
mod resolve;
pub mod simulate;
mod variables;

pub use action::Action;
pub use arn::{Arn, ArnPatterns, PARTITIONS, arn_like};
pub use caller::{Caller, Named};
pub use condition::{ConditionOperator, Op, SetQualifier};
pub use eval::{
    Decider, Decision, Matcher, NamedPolicy, PolicyKind, PolicySet, Request, Verdict, applies,
    evaluate_identity,
};
pub use policy::{
    ConditionBlock, Effect, Negatable, PolicyDocument, Principal, PrincipalKind, ResourceEntry,
    Statement,
};
pub use resolve::Bindings;
pub use variables::substitute_variables;

#[cfg(test)]
mod tests;

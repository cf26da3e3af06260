//! IAM: policy documents as types and an evaluator that answers "is this request
//! allowed" under identity, resource-based, VPC endpoint and boundary policies.

mod action;
mod arn;
mod condition;
mod eval;
mod glob;
mod policy;
mod resolve;

pub use action::Action;
pub use arn::{arn_like, Arn};
pub use condition::{ConditionOperator, Op, SetQualifier};
pub use eval::{applies, evaluate_identity, Decider, Decision, PolicyKind, PolicySet, Request, Verdict};
pub use policy::{ConditionBlock, Effect, Negatable, PolicyDocument, Principal, PrincipalKind, ResourceEntry, Statement};
pub use resolve::Bindings;

#[cfg(test)]
mod tests;

//! IAM: policy documents as types and an evaluator that answers "is this request
//! allowed" under identity, resource-based, VPC endpoint and boundary policies.

mod action;
mod arn;
pub mod catalog;
mod condition;
mod eval;
mod glob;
mod policy;
mod resolve;

pub use action::Action;
pub use arn::{Arn, arn_like};
pub use condition::{ConditionOperator, Op, SetQualifier};
pub use eval::{
    Decider, Decision, PolicyKind, PolicySet, Request, Verdict, applies, evaluate_identity,
};
pub use policy::{
    ConditionBlock, Effect, Negatable, PolicyDocument, Principal, PrincipalKind, ResourceEntry,
    Statement,
};
pub use resolve::Bindings;

#[cfg(test)]
mod tests;

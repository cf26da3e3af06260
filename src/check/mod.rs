//! Checks on templates. So far: CloudFormation's quotas, which synth enforces.

pub mod quotas;

//! `perimeter prove BLUEPRINT`: every target synthesized in memory, and its template's
//! perimeters and its solution's claims decided for every request.

use crate::blueprint::Blueprint;
use crate::check::inventory::Inventory;
use crate::check::perimeters::{self, Inside, Proof};
use crate::iam::prove::InternalError;
use crate::synth::{self, Options, SynthError};

/// One target's proofs.
#[derive(Debug, Clone)]
pub struct TargetProofs {
    /// Where synth writes the target's template (`out/<blueprint>/<target>.template.json`).
    pub file: String,
    pub target: String,
    pub proofs: Vec<Proof>,
}

/// Why the proofs could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// A witness the evaluator does not decide as claimed: a bug in the prover.
    #[error("{0}")]
    Internal(InternalError),
}

/// Decides the perimeters and claims of every selected target of the blueprints, each
/// in its target's account and with what its solution declares (the callers it admits
/// are trusted, as `check` trusts them), plus `extra` trusted accounts and organizations.
pub fn prove_blueprints(
    blueprints: &[Blueprint],
    opts: &Options,
    extra: &Inside,
) -> Result<Vec<TargetProofs>, ProveError> {
    let mut out = Vec::new();
    let mut internal = None;
    let dir = opts.out_dir.display().to_string();
    // Each target's proofs on every core, gathered in file order.
    let work = |a: synth::Artifact| {
        let b = blueprints
            .iter()
            .find(|b| b.name.as_str() == a.entry.blueprint)?;
        let mut ctx = super::check::artifact_context(b, &a.entry.target, a.entry.kind);
        ctx.claims.extend(super::check::claims_of(&a.intent));
        let mut inside = Inside::of(&ctx);
        inside.accounts.extend(extra.accounts.iter().cloned());
        inside.orgs.extend(extra.orgs.iter().cloned());
        let inv = Inventory::of(&a.template);
        let proofs = perimeters::prove(&a.template, &ctx, &inv, &inside);
        Some((a.entry, proofs))
    };
    synth::map_artifacts(blueprints, opts, work, |done| {
        match done {
            Some((entry, Ok(proofs))) => out.push(TargetProofs {
                file: format!("{dir}/{}", entry.path),
                target: entry.target,
                proofs,
            }),
            Some((_, Err(e))) if internal.is_none() => internal = Some(e),
            Some((_, Err(_))) => {}
            None => {}
        }
        Ok(())
    })?;
    match internal {
        Some(e) => Err(ProveError::Internal(e)),
        None => Ok(out),
    }
}

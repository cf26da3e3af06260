//! Work on every core, results in input order: what keeps a parallel run's output the
//! same on any machine.

pub use crate::iam::prove::par::threads;

/// `f` of every item, computed on [`threads`] threads (the calling one among them), in
/// the order of `items`.
///
/// ```
/// let squares = perimeter::synth::par_map(&[1, 2, 3], |x| x * x);
/// assert_eq!(squares, [1, 4, 9]);
/// ```
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let extra = threads().min(items.len()).saturating_sub(1);
    crate::iam::prove::par::map_on(items, extra, f)
}

//! Work on every core, results in input order: what keeps a parallel run's output the
//! same on any machine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// How many threads parallel work uses: the cores there are, at most 8. Asked once a
/// process: the answer reads the cgroup's CPU quota from /sys (four files), and a run
/// asks for every chunk of targets.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    })
}

/// `f` of every item, computed on [`threads`] threads (the calling one among them), in
/// the order of `items`.
///
/// ```
/// let squares = perimeter::synth::par_map(&[1, 2, 3], |x| x * x);
/// assert_eq!(squares, [1, 4, 9]);
/// ```
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let n = threads().min(items.len());
    if n <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<U>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let u = f(item);
            *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(u);
        }
    };
    std::thread::scope(|s| {
        // The calling thread is one of the n: a thread fewer to start, and its allocator
        // heap is already warm.
        for _ in 1..n {
            s.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was taken by a thread")
        })
        .collect()
}

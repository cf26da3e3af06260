//! Questions decided on every core, answers in the order asked: a template's perimeters
//! are independent questions (the memo's store and the automata are shared between
//! threads, each canonical question decided once), and the order of the answers, not
//! of the work, makes the output, so it is the same on any machine.
//!
//! (`synth::par_map` is the same loop a layer up, which `check` may not use.)

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// Threads beyond the callers' own that the prover has running, process-wide: at most
/// [`threads`] less one, however many callers (a blueprint's targets checked on every
/// core, each template's questions and check's prover thread) ask at once.
static EXTRA: AtomicUsize = AtomicUsize::new(0);

/// Set when the caller has every core busy with templates of its own (a check of many
/// files): each template's prover then runs on its caller's thread. Threads started for
/// every small template cost more than they gave (each new thread's heap faulted in,
/// each thread's automata copied anew): a check of 813 public templates took 1.15 s on
/// two cores with them against 0.81 s on one.
static SERIAL: AtomicBool = AtomicBool::new(false);

/// From now on, no thread of the prover's own (see [`SERIAL`]).
pub fn serial() {
    SERIAL.store(true, Ordering::Relaxed);
}

/// Up to `want` threads of the process's spare ones, given back when dropped.
pub struct Spare(usize);

impl Spare {
    /// As many as are free, up to `want` (maybe none).
    pub fn take(want: usize) -> Spare {
        if SERIAL.load(Ordering::Relaxed) {
            return Spare(0);
        }
        let limit = threads().saturating_sub(1);
        let mut got = 0;
        let _ = EXTRA.fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
            got = want.min(limit.saturating_sub(running));
            Some(running + got)
        });
        Spare(got)
    }

    /// How many threads it holds.
    pub fn count(&self) -> usize {
        self.0
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        EXTRA.fetch_sub(self.0, Ordering::AcqRel);
    }
}

/// `f` of every item, on up to [`threads`] threads (the calling one among them, the others
/// as many as are spare), in the order of `items`. A thread the system refuses is not
/// started: the calling thread does its share.
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let spare = Spare::take(threads().min(items.len()).saturating_sub(1));
    map_on(items, spare.count(), f)
}

/// `f` of every item on the calling thread and up to `extra` more, in the order of
/// `items` (the loop `synth::par_map` shares). A thread the system refuses is not
/// started: the calling thread does its share.
pub fn map_on<T: Sync, U: Send>(items: &[T], extra: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    if extra == 0 || items.len() <= 1 {
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
        // The calling thread is one of them: a thread fewer to start, and its
        // allocator heap is already warm.
        for _ in 0..extra {
            if std::thread::Builder::new().spawn_scoped(s, work).is_err() {
                break;
            }
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

#[cfg(test)]
mod tests {
    #[test]
    fn answers_come_in_the_order_asked() {
        let items: Vec<u64> = (0..100).collect();
        // Uneven work, so threads finish out of order.
        let got = super::par_map(&items, |&x| (0..(x % 7) * 1000).fold(x, |a, _| a ^ 1));
        let want: Vec<u64> = items
            .iter()
            .map(|&x| (0..(x % 7) * 1000).fold(x, |a, _| a ^ 1))
            .collect();
        assert_eq!(got, want);
    }
}

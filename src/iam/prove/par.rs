//! Questions decided on every core, answers in the order asked: a template's perimeters
//! are independent questions (the memo's store and the automata are shared between
//! threads, each canonical question decided once), and the order of the answers, not
//! of the work, makes the output, so it is the same on any machine.
//!
//! (`synth::par_map` is the same loop a layer up, which `check` may not use.)

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

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
///
/// Without a spare thread, on a thread inside [`helpable`], the loop is open to [`help`]:
/// a thread that finished work of its own takes the items no one has taken yet.
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let spare = Spare::take(threads().min(items.len()).saturating_sub(1));
    if spare.count() == 0 && items.len() > 1 && HELPABLE.get() {
        return map_open(items, f);
    }
    map_on(items, spare.count(), f)
}

thread_local! {
    /// Whether this thread's loops are open to [`help`] (see [`helpable`]).
    static HELPABLE: Cell<bool> = const { Cell::new(false) };
}

/// `f` with this thread's parallel loops open to [`help`]. check runs the prover on a
/// second thread beside its other rules, holding the spare core, so the prover's
/// questions would run one after another on that thread while the first one, its rules
/// done, only waits: with the loop open, it takes questions too.
pub fn helpable<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            HELPABLE.set(self.0);
        }
    }
    let _reset = Reset(HELPABLE.replace(true));
    f()
}

/// A loop open to helpers: its items are taken by index, and `run` does one.
struct Shared<'a> {
    next: AtomicUsize,
    len: usize,
    run: &'a (dyn Fn(usize) + Sync),
}

impl Shared<'_> {
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.len {
                break;
            }
            (self.run)(i);
        }
    }
}

/// The open loop, if any, and how many helpers are inside it.
struct Open {
    job: Option<JobPtr>,
    helpers: usize,
}

/// A pointer to the owner's [`Shared`], its lifetime erased: valid while it is in
/// [`OPEN`] and while any helper counted there runs it (the owner waits for them).
#[derive(Clone, Copy)]
struct JobPtr(*const Shared<'static>);

// SAFETY: the pointee is `Sync` (atomics and a `Sync` closure), and its lifetime is held
// by the owner as `map_open` says.
unsafe impl Send for JobPtr {}

static OPEN: Mutex<Open> = Mutex::new(Open {
    job: None,
    helpers: 0,
});
/// Signalled when the last helper leaves a loop.
static LEFT: Condvar = Condvar::new();

fn open() -> MutexGuard<'static, Open> {
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`par_map`] on the calling thread, open to [`help`] (one open loop at a time: a
/// second one runs unopened).
fn map_open<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let slots: Vec<Mutex<Option<U>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let run = |i: usize| {
        let u = f(&items[i]);
        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(u);
    };
    let shared = Shared {
        next: AtomicUsize::new(0),
        len: items.len(),
        run: &run,
    };
    /// Closes the loop when the owner leaves it, unwinding included: no new helper
    /// enters, and those inside have left before `shared` goes out of scope.
    struct Close(bool);
    impl Drop for Close {
        fn drop(&mut self) {
            if !self.0 {
                return;
            }
            let mut o = open();
            o.job = None;
            while o.helpers > 0 {
                o = LEFT.wait(o).unwrap_or_else(|e| e.into_inner());
            }
        }
    }
    let close = {
        let mut o = open();
        let free = o.job.is_none();
        if free {
            // SAFETY: only the lifetime is erased; `close` (below, dropped before
            // `shared`) takes the pointer out of OPEN and waits until no helper uses it.
            o.job = Some(JobPtr(unsafe {
                std::mem::transmute::<*const Shared<'_>, *const Shared<'static>>(&shared)
            }));
        }
        Close(free)
    };
    shared.work();
    drop(close);
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was taken by a thread")
        })
        .collect()
}

/// Takes part in the open loop, if one is open, until its items are all taken; true if
/// it found one. (check calls it when its own rules are done.)
pub fn help() -> bool {
    let job = {
        let mut o = open();
        let Some(job) = o.job else { return false };
        o.helpers += 1;
        job
    };
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            let mut o = open();
            o.helpers -= 1;
            if o.helpers == 0 {
                LEFT.notify_all();
            }
        }
    }
    let _leave = Leave;
    // SAFETY: the owner keeps the loop alive until this helper has left (`Close`).
    unsafe { &*job.0 }.work();
    true
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
    fn a_helper_takes_items_of_an_open_loop_and_the_answers_keep_their_order() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let items: Vec<u64> = (0..200).collect();
        let started = AtomicBool::new(false);
        let work = |&x: &u64| {
            started.store(true, Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_micros(200));
            (x, std::thread::current().id())
        };
        let (got, helped) = std::thread::scope(|s| {
            let owner = s.spawn(|| super::helpable(|| super::map_open(&items, work)));
            // Wait until the owner's loop is running, then help it.
            while !started.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
            let helped = super::help();
            (owner.join().unwrap(), helped)
        });
        assert_eq!(got.iter().map(|(x, _)| *x).collect::<Vec<_>>(), items);
        let me = std::thread::current().id();
        // The helper found the loop open and did some of its items.
        assert!(helped);
        assert!(got.iter().any(|(_, t)| *t == me));
        assert!(got.iter().any(|(_, t)| *t != me));
        // Once closed, there is nothing to help.
        assert!(!super::help());
    }

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

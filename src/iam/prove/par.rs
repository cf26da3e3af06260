//! Questions decided on every core, answers in the order asked: a template's perimeters
//! are independent questions (the memo's store and the automata are shared between
//! threads, each canonical question decided once), and the order of the answers, not
//! of the work, makes the output, so it is the same on any machine.
//!
//! (`synth::par_map` is the same loop a layer up, which `check` may not use.)

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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

/// Starts `f` on a new thread of the scope `s`, on another core than the calling
/// thread's where it has one to go to.
///
/// Why: a kernel may keep a new thread on its starter's core for a while (Linux packs
/// short tasks onto few cores of a virtual machine, `sched_vcpu_pack`): on this project's
/// two-core machines a thread started beside a busy one often ran only once its starter
/// waited, up to 2 ms later, so the work meant to run beside ran after. A thread takes
/// the cores its starter may use when it is made, so the starter asks for the others
/// (the kernel moves it there), makes the thread, and asks for its own core and then its
/// own set again (and is moved back): the new thread ran within 0.2 ms, for 0.1 ms of
/// the starter's time. Once running, the new thread takes its starter's whole set back,
/// so that it may move, and the threads it starts may be started elsewhere in turn.
pub fn spawn_beside<'scope, T: Send + 'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    #[cfg(target_os = "linux")]
    {
        // The number of cores is read from this thread's set, once a process: read it
        // before the set is narrowed for a moment.
        threads();
        let back = cores::elsewhere();
        let whole = back.as_ref().map(cores::Back::whole);
        std::thread::Builder::new().spawn_scoped(s, move || {
            if let Some(whole) = whole {
                cores::take(&whole);
            }
            f()
        })
    }
    #[cfg(not(target_os = "linux"))]
    std::thread::Builder::new().spawn_scoped(s, f)
}

/// The calling thread's cores (`sched_setaffinity`), for [`spawn_beside`].
#[cfg(target_os = "linux")]
mod cores {
    use std::mem::{size_of, zeroed};

    /// The calling thread's own core and set of cores, put back when dropped.
    pub struct Back {
        here: libc::cpu_set_t,
        set: libc::cpu_set_t,
    }

    impl Back {
        /// The set the thread had before it was moved.
        pub fn whole(&self) -> Cores {
            Cores(self.set)
        }
    }

    impl Drop for Back {
        fn drop(&mut self) {
            // Its own core first, so that it is moved back to it and not to the new
            // thread's; then everything it had.
            set(&self.here);
            set(&self.set);
        }
    }

    /// A set of cores, sent to a new thread.
    #[derive(Clone, Copy)]
    pub struct Cores(libc::cpu_set_t);

    /// The calling thread takes `cores` as its set (where it runs now is in it).
    pub fn take(cores: &Cores) {
        set(&cores.0);
    }

    fn set(cores: &libc::cpu_set_t) -> bool {
        // SAFETY: a valid set of the size given, for the calling thread (0).
        unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), cores) == 0 }
    }

    /// Moves the calling thread to the cores it may use but the one it runs on, when
    /// there are such; `None` (nothing changed) otherwise.
    pub fn elsewhere() -> Option<Back> {
        // SAFETY: plain data, zeroed and then filled in by the kernel.
        let mut all: libc::cpu_set_t = unsafe { zeroed() };
        if unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut all) } != 0 {
            return None;
        }
        let here = usize::try_from(unsafe { libc::sched_getcpu() }).ok()?;
        if here >= 8 * size_of::<libc::cpu_set_t>() || !unsafe { libc::CPU_ISSET(here, &all) } {
            return None;
        }
        let (mut others, mut own): (libc::cpu_set_t, libc::cpu_set_t) = unsafe { (all, zeroed()) };
        unsafe {
            libc::CPU_CLR(here, &mut others);
            libc::CPU_SET(here, &mut own);
        }
        if unsafe { libc::CPU_COUNT(&others) } == 0 || !set(&others) {
            return None;
        }
        Some(Back {
            here: own,
            set: all,
        })
    }
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
/// Without a spare thread, on a thread inside a [`Scope`], the loop is open to its
/// [`Helper`]: a thread that finished work of its own takes the items no one has taken.
/// An item that would wait for another thread is put off once ([`may_defer`]).
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let spare = Spare::take(threads().min(items.len()).saturating_sub(1));
    if spare.count() == 0
        && items.len() > 1
        && let Some(scope) = HELPABLE.get()
    {
        return map_open(scope, items, f);
    }
    map_threads(items, spare.count(), true, f)
}

thread_local! {
    /// The [`Scope`] this thread's loops belong to, if they are open to its [`Helper`].
    static HELPABLE: Cell<Option<u64>> = const { Cell::new(None) };
}

/// A scope whose parallel loops another thread may join, and that thread's handle:
/// check runs the prover on a second thread beside its other rules, holding the spare
/// core, so without help the prover's questions would run one after another there while
/// the first thread, its rules done, only waited. The [`Scope`] goes to the prover's
/// thread ([`Scope::run`]); the [`Helper`] stays, and [`Helper::help`] takes questions
/// of that scope's loops until the scope ends.
pub fn helpable() -> (Scope, Helper) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    open().live.push(id);
    (Scope(id), Helper(id))
}

/// Where loops open to a [`Helper`] run (see [`helpable`]); dropping it (run or not)
/// ends the scope, and its helper's [`Helper::help`] returns.
pub struct Scope(u64);

impl Scope {
    /// `f` on this thread, its loops without a spare thread open to the helper.
    pub fn run<R>(self, f: impl FnOnce() -> R) -> R {
        struct Reset(Option<u64>);
        impl Drop for Reset {
            fn drop(&mut self) {
                HELPABLE.set(self.0);
            }
        }
        let _reset = Reset(HELPABLE.replace(Some(self.0)));
        f()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let mut o = open();
        o.live.retain(|&id| id != self.0);
        CHANGED.notify_all();
    }
}

/// The thread that helps a [`Scope`]'s loops.
pub struct Helper(u64);

impl Helper {
    /// Takes items of the scope's open loops until the scope ends, waiting for a loop
    /// to open (or the scope to end) between them.
    pub fn help(&self) {
        let mut done: Option<u64> = None;
        loop {
            let (seq, ptr) = {
                let mut o = open();
                loop {
                    let scope = self.0;
                    if let Some(j) = o
                        .jobs
                        .iter_mut()
                        .find(|j| j.scope == scope && !j.closing && Some(j.seq) != done)
                    {
                        j.helpers += 1;
                        break (j.seq, j.ptr);
                    }
                    if !o.live.contains(&scope) {
                        return;
                    }
                    o = CHANGED.wait(o).unwrap_or_else(|e| e.into_inner());
                }
            };
            /// Leaves the loop, unwinding included (its owner waits for that).
            struct Leave(u64);
            impl Drop for Leave {
                fn drop(&mut self) {
                    let mut o = open();
                    if let Some(j) = o.jobs.iter_mut().find(|j| j.seq == self.0) {
                        j.helpers -= 1;
                    }
                    CHANGED.notify_all();
                }
            }
            let _leave = Leave(seq);
            // SAFETY: the loop's owner keeps it alive until this helper has left
            // (`Close` in `map_open`).
            unsafe { &*ptr.0 }.work();
            done = Some(seq);
        }
    }
}

/// A loop's items, taken by index by every thread that works on it; `run` does one
/// and says whether it was put off ([`defer`]).
struct Shared<'a> {
    next: AtomicUsize,
    len: usize,
    run: &'a (dyn Fn(usize) -> bool + Sync),
    /// Whether its items may be put off (the prover's loops; not `synth::par_map`'s,
    /// whose items, a target's whole check, are too large to do twice).
    deferrable: bool,
    /// Items put off, done once every item has been taken.
    later: Mutex<Vec<usize>>,
}

impl<'a> Shared<'a> {
    fn new(len: usize, deferrable: bool, run: &'a (dyn Fn(usize) -> bool + Sync)) -> Self {
        Shared {
            next: AtomicUsize::new(0),
            len,
            run,
            deferrable,
            later: Mutex::new(Vec::new()),
        }
    }

    /// Does items no thread has taken until none is left, each one that may be put off
    /// once; then those put off, which wait now if they must (nothing else is left).
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.len {
                break;
            }
            if self.item(i, self.deferrable) {
                self.later.lock().unwrap_or_else(|e| e.into_inner()).push(i);
            }
        }
        self.finish();
    }

    /// Does the items put off that no thread has taken yet; the loop's owner calls it
    /// again once every other thread has left, for those put off after they looked.
    fn finish(&self) {
        loop {
            let next = self.later.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(i) = next else { break };
            self.item(i, false);
        }
    }

    /// Runs item `i`, which may be put off when `may` is: whether it was. The thread's
    /// own state (an item of an outer loop it is inside of) is put back after.
    fn item(&self, i: usize, may: bool) -> bool {
        let _outer = Outer(MAY_DEFER.replace(may), DEFERRED.replace(false));
        (self.run)(i)
    }
}

thread_local! {
    /// Whether the item this thread runs may be put off ([`may_defer`]).
    static MAY_DEFER: Cell<bool> = const { Cell::new(false) };
    /// Set by [`defer`]: the item this thread runs is put off.
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// The flags of the item a thread was running, put back when dropped (unwinding
/// included).
struct Outer(bool, bool);

impl Drop for Outer {
    fn drop(&mut self) {
        MAY_DEFER.set(self.0);
        DEFERRED.set(self.1);
    }
}

/// Whether the item this thread runs may be put off: an item of one of the prover's
/// parallel loops, run the first time, outside any [`undeferred`] part. An item that
/// needs what another thread is working out (a canonical question the memo decides on
/// another thread) is put off rather than waited for: two threads that take two copies
/// of one question side by side would otherwise decide it on one while the other only
/// waits.
pub fn may_defer() -> bool {
    MAY_DEFER.get()
}

/// Puts off the item this thread runs (only when [`may_defer`]): whatever it returns is
/// dropped, and it runs again once every item of its loop has been taken.
pub fn defer() {
    debug_assert!(may_defer(), "only an item that may be put off is");
    DEFERRED.set(true);
}

/// `f` as a part of an item that is never put off: work whose result is kept for others
/// (a canonical question the memo decides) is never left half done.
pub fn undeferred<R>(f: impl FnOnce() -> R) -> R {
    let _outer = Outer(MAY_DEFER.replace(false), DEFERRED.get());
    f()
}

/// An open loop: its scope, its own number, the owner's [`Shared`], the helpers inside
/// it, and whether its owner is closing it (no helper enters then).
struct Job {
    scope: u64,
    seq: u64,
    ptr: JobPtr,
    helpers: usize,
    closing: bool,
}

/// The open loops and the scopes still running.
struct Open {
    jobs: Vec<Job>,
    live: Vec<u64>,
}

/// A pointer to the owner's [`Shared`], its lifetime erased: valid while its [`Job`] is
/// in [`OPEN`] (the owner takes it out only once no helper is inside).
#[derive(Clone, Copy)]
struct JobPtr(*const Shared<'static>);

// SAFETY: the pointee is `Sync` (atomics and a `Sync` closure), and its lifetime is held
// by the owner as `map_open` says.
unsafe impl Send for JobPtr {}

static OPEN: Mutex<Open> = Mutex::new(Open {
    jobs: Vec::new(),
    live: Vec::new(),
});
/// Signalled when a loop opens, a helper leaves one, or a scope ends.
static CHANGED: Condvar = Condvar::new();

fn open() -> MutexGuard<'static, Open> {
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`par_map`] on the calling thread, open to the helper of its [`Scope`] (a loop
/// started inside one of its own items runs unopened).
fn map_open<T: Sync, U: Send>(scope: u64, items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let answers = Answers::new(items.len());
    let run = |i: usize| answers.offer(i, f(&items[i]));
    let shared = Shared::new(items.len(), true, &run);
    /// Closes the loop when the owner leaves it, unwinding included: no helper enters
    /// any more, and those inside have left before `shared` goes out of scope.
    struct Close(Option<u64>);
    impl Drop for Close {
        fn drop(&mut self) {
            let Some(seq) = self.0 else { return };
            let mut o = open();
            loop {
                let at = o.jobs.iter().position(|j| j.seq == seq);
                let Some(at) = at else { return };
                o.jobs[at].closing = true;
                if o.jobs[at].helpers == 0 {
                    o.jobs.remove(at);
                    return;
                }
                o = CHANGED.wait(o).unwrap_or_else(|e| e.into_inner());
            }
        }
    }
    let close = {
        let mut o = open();
        if o.jobs.iter().any(|j| j.scope == scope) {
            Close(None)
        } else {
            let seq = SEQ.fetch_add(1, Ordering::Relaxed);
            // SAFETY: only the lifetime is erased; `close` (dropped before `shared`)
            // takes the job out of OPEN once no helper uses it.
            let ptr = JobPtr(unsafe {
                std::mem::transmute::<*const Shared<'_>, *const Shared<'static>>(&shared)
            });
            o.jobs.push(Job {
                scope,
                seq,
                ptr,
                helpers: 0,
                closing: false,
            });
            CHANGED.notify_all();
            Close(Some(seq))
        }
    };
    shared.work();
    drop(close);
    // Items put off after the helper last looked.
    shared.finish();
    answers.into_vec()
}

/// `f` of every item on the calling thread and up to `extra` more, in the order of
/// `items` (the loop `synth::par_map` shares; its items are never put off). A thread the
/// system refuses is not started: the calling thread does its share.
pub fn map_on<T: Sync, U: Send>(items: &[T], extra: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    map_threads(items, extra, false, f)
}

/// [`map_on`], its items put off as [`may_defer`] says when `deferrable`.
fn map_threads<T: Sync, U: Send>(
    items: &[T],
    extra: usize,
    deferrable: bool,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    if extra == 0 || items.len() <= 1 {
        // On this thread, as part of the caller's work: an item of a loop that may not
        // be put off is not, whatever the caller's; one that may puts off the caller's.
        return if deferrable {
            items.iter().map(f).collect()
        } else {
            undeferred(|| items.iter().map(f).collect())
        };
    }
    let answers = Answers::new(items.len());
    let run = |i: usize| answers.offer(i, f(&items[i]));
    let shared = Shared::new(items.len(), deferrable, &run);
    std::thread::scope(|s| {
        // The calling thread is one of them: a thread fewer to start, and its
        // allocator heap is already warm.
        for _ in 0..extra {
            if spawn_beside(s, || shared.work()).is_err() {
                break;
            }
        }
        shared.work();
    });
    // Items put off after the other threads last looked.
    shared.finish();
    answers.into_vec()
}

/// Each item's answer, written by whichever thread did the item.
struct Answers<U>(Vec<Mutex<Option<U>>>);

impl<U> Answers<U> {
    fn new(n: usize) -> Self {
        Answers((0..n).map(|_| Mutex::new(None)).collect())
    }

    /// Keeps `u` as item `i`'s answer unless the item was put off: whether it was.
    fn offer(&self, i: usize, u: U) -> bool {
        if DEFERRED.replace(false) {
            return true;
        }
        *self.0[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(u);
        false
    }

    /// The answers in item order, once every thread is done.
    fn into_vec(self) -> Vec<U> {
        self.0
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .expect("every item done (an item's work panicked on another thread)")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_helper_takes_items_of_its_scopes_loops_and_the_answers_keep_their_order() {
        let items: Vec<u64> = (0..200).collect();
        let work = |&x: &u64| {
            std::thread::sleep(std::time::Duration::from_micros(200));
            (x, std::thread::current().id())
        };
        // A scope whose thread runs two loops one after the other, helped by this
        // thread; and a loop of another scope, run beside, that this helper never takes.
        // Every spare thread held, as check holds the one it runs the prover on.
        let _held = super::Spare::take(usize::MAX);
        let (scope, helper) = super::helpable();
        let (other, _other_helper) = super::helpable();
        let (got, again, theirs) = std::thread::scope(|s| {
            let owner = s.spawn(|| {
                scope.run(|| {
                    let a = super::par_map(&items, work);
                    let b = super::par_map(&items, work);
                    (a, b)
                })
            });
            let stranger = s.spawn(|| other.run(|| super::par_map(&items, work)));
            helper.help();
            let (a, b) = owner.join().unwrap();
            (a, b, stranger.join().unwrap())
        });
        let me = std::thread::current().id();
        for answers in [&got, &again, &theirs] {
            assert_eq!(answers.iter().map(|(x, _)| *x).collect::<Vec<_>>(), items);
        }
        // Both of its scope's loops were helped (the helper waited for the second), and
        // the other scope's loop was not.
        assert!(got.iter().any(|(_, t)| *t == me) && got.iter().any(|(_, t)| *t != me));
        assert!(again.iter().any(|(_, t)| *t == me));
        assert!(theirs.iter().all(|(_, t)| *t != me));
    }

    #[test]
    fn an_item_waiting_for_another_thread_is_put_off_and_done_after_the_rest() {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        // Items 0 and 1 need one slow value, which the first to ask works out (as the
        // memo decides a canonical question); the others are quick.
        let started = AtomicBool::new(false);
        let asked = AtomicUsize::new(0);
        let value: OnceLock<u64> = OnceLock::new();
        let quick_before = AtomicUsize::new(0);
        let runs = AtomicUsize::new(0);
        let items: Vec<u64> = (0..40).collect();
        let got = super::map_threads(&items, 1, true, |&x| {
            runs.fetch_add(1, Ordering::Relaxed);
            if x >= 2 {
                std::thread::sleep(std::time::Duration::from_micros(300));
                if value.get().is_none() {
                    quick_before.fetch_add(1, Ordering::AcqRel);
                }
                return x;
            }
            if value.get().is_none() {
                asked.fetch_add(1, Ordering::AcqRel);
                let first = !started.swap(true, Ordering::AcqRel);
                if !first && super::may_defer() && value.get().is_none() {
                    super::defer();
                    return u64::MAX; // dropped
                }
            }
            *value.get_or_init(|| {
                // What an item keeps for others is never put off.
                assert!(super::undeferred(|| !super::may_defer()));
                // Until the other item is asked too (the other thread has started), and
                // then until the other thread has done 20 quick items: it does them only
                // if it put its item off (waiting, it would do none, and this gives up
                // after ten seconds).
                for _ in 0..10_000 {
                    if asked.load(Ordering::Acquire) == 2 {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                for _ in 0..10_000 {
                    if quick_before.load(Ordering::Acquire) >= 20 {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                7
            }) + x
        });
        let want: Vec<u64> = items
            .iter()
            .map(|&x| if x < 2 { 7 + x } else { x })
            .collect();
        assert_eq!(got, want, "every answer, in order, none dropped");
        // Both threads took items 0 and 1 at once: the one that did not work the value
        // out put its item off (run again later: one run more) and did quick items
        // meanwhile, instead of waiting for the value with the rest undone.
        assert_eq!(runs.load(Ordering::Relaxed), items.len() + 1);
        assert!(
            quick_before.load(Ordering::Relaxed) >= 20,
            "{quick_before:?}"
        );
    }

    #[test]
    fn synths_loop_and_top_level_work_are_never_put_off() {
        assert!(!super::may_defer());
        let items: Vec<u64> = (0..8).collect();
        let got = super::map_on(&items, 1, |&x| (x, super::may_defer()));
        assert!(got.iter().all(|(_, may)| !may), "{got:?}");
        let got = super::map_threads(&items, 1, true, |&x| {
            // A loop inside an item: its own items may be put off; the item's flag is
            // back after it.
            let inner = super::map_threads(&items, 0, true, |_| super::may_defer());
            (x, super::may_defer(), inner)
        });
        assert!(got.iter().all(|(_, may, _)| *may), "{got:?}");
        assert!(!super::may_defer());
    }

    #[test]
    fn a_helper_returns_when_its_scope_ends_unrun() {
        let (scope, helper) = super::helpable();
        drop(scope);
        helper.help();
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

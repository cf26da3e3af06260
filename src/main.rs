//! The `perimeter` command line: the app with the built-in solutions (see
//! [`perimeter::app::App`]; a team's own program is the same with its solutions added).

// Templates are trees of many small, short-lived allocations: mimalloc, but for the short
// commands (see `alloc`).
#[global_allocator]
static ALLOCATOR: alloc::Chosen = alloc::Chosen;

/// The allocator, chosen once a process before its first allocation. mimalloc saves
/// instructions on the large commands, but its first allocation sets up a 1 GiB arena
/// (bitmaps of every size class: 40-odd pages zeroed by the kernel) and it keeps each size
/// class on pages of its own; a process that allocates a megabyte and exits pays more in
/// page faults than it saves.
mod alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

    const UNDECIDED: u8 = 0;
    const MIMALLOC: u8 = 1;
    const SYSTEM: u8 = 2;
    static MODE: AtomicU8 = AtomicU8::new(UNDECIDED);

    /// mimalloc, or the system's allocator if [`use_system`] was called before the first
    /// allocation. Sound because the choice never changes once anything is allocated:
    /// the first allocation fixes an undecided mode to mimalloc, and [`use_system`]
    /// succeeds only while it is undecided, so every block is freed by the allocator
    /// that made it.
    pub struct Chosen;

    #[inline]
    fn system() -> bool {
        match MODE.load(Relaxed) {
            MIMALLOC => false,
            SYSTEM => true,
            _ => MODE.compare_exchange(UNDECIDED, MIMALLOC, Relaxed, Relaxed) == Err(SYSTEM),
        }
    }

    /// The system allocator for the rest of the process; false (nothing changed) if
    /// anything was allocated already.
    pub fn use_system() -> bool {
        MODE.compare_exchange(UNDECIDED, SYSTEM, Relaxed, Relaxed)
            .is_ok()
    }

    // SAFETY: each call goes to one of two sound allocators, the same one for every call
    // of the process (see `Chosen`).
    unsafe impl GlobalAlloc for Chosen {
        #[inline]
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            if system() {
                unsafe { System.alloc(l) }
            } else {
                unsafe { mimalloc::MiMalloc.alloc(l) }
            }
        }
        #[inline]
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            if system() {
                unsafe { System.alloc_zeroed(l) }
            } else {
                unsafe { mimalloc::MiMalloc.alloc_zeroed(l) }
            }
        }
        #[inline]
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            if system() {
                unsafe { System.dealloc(p, l) }
            } else {
                unsafe { mimalloc::MiMalloc.dealloc(p, l) }
            }
        }
        #[inline]
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            if system() {
                unsafe { System.realloc(p, l, new) }
            } else {
                unsafe { mimalloc::MiMalloc.realloc(p, l, new) }
            }
        }
    }
}

// mimalloc's `mi_option_set` (linked with the allocator; `libmimalloc-sys` declares it
// only with its `extended` feature) and the index of `mi_option_purge_delay` in
// mimalloc.h's `mi_option_e` (the same in mimalloc 2 and 3: retired options keep their
// slots).
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn mi_option_set_default(option: std::ffi::c_int, value: std::ffi::c_long);
}
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
// `mi_option_arena_reserve` in mimalloc 3's `mi_option_e` (a size in KiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MI_OPTION_ARENA_RESERVE: std::ffi::c_int = 23;

// Transparent huge pages by command (and, chosen in the same place before the first
// allocation, the allocator for `--version` and the first arena's size for `synth`).
// With them mimalloc's arenas fault in 2 MiB at a time, each page zeroed whole by the
// kernel: a large check or diff takes a tenth of the page faults and runs faster (diff
// of two 500-resource templates 15-16 ms against 18-25 ms, check of one 92 ms of CPU
// against 106 ms), but a short command pays for memory it never uses (`--version`
// 1.2-1.5 ms of CPU against 1.7-2.3 ms; synth of the shipped blueprint 4.4-6.2 ms against
// 5.8-8.5 ms). So `--version` and `synth` turn them off for the process, before the first allocation: glibc calls the functions of
// `.init_array` with argc and argv before `main`, and `PR_SET_THP_DISABLE` holds for
// every later page fault, memory already advised for huge pages included.
// glibc only: musl calls `.init_array` functions without arguments.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod thp {
    use std::ffi::{c_char, c_int, c_ulong};

    unsafe extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    const PR_SET_THP_DISABLE: c_int = 41;

    /// Whether the command is a short one (argv[1] only: `perimeter synth ...`).
    fn short(first: &[u8]) -> bool {
        matches!(first, b"--version" | b"-V" | b"synth")
    }

    extern "C" fn choose(argc: c_int, argv: *const *const c_char, _env: *const *const c_char) {
        if argc < 2 || argv.is_null() {
            return;
        }
        // SAFETY: glibc passes main's argc and argv to .init_array functions; argv[1]
        // is a NUL-terminated string for argc >= 2. No allocation here.
        let first = unsafe { std::ffi::CStr::from_ptr(*argv.add(1)) }.to_bytes();
        // `--version` alone allocates a few strings: the system's allocator, without
        // mimalloc's arena set up (187 to 118 page faults).
        if argc == 2 && matches!(first, b"--version" | b"-V") {
            super::alloc::use_system();
        }
        if first == b"synth" {
            // mimalloc's first arena is 1 GiB of address space, and setting it up zeroes
            // its bitmaps (every size class's, sized for the whole arena): 42 pages for a
            // synth of three targets that uses half a megabyte. Asked for 32 MiB (its
            // smallest) it makes 64 MiB (the request is padded), whose bitmaps take 5
            // pages; a larger synth gets further arenas as it grows. A default, so that
            // MIMALLOC_ARENA_RESERVE in the environment still wins.
            // SAFETY: sets an integer option's default before mimalloc's first arena.
            unsafe { super::mi_option_set_default(super::MI_OPTION_ARENA_RESERVE, 32 * 1024) };
        }
        if short(first) {
            // SAFETY: a prctl with integer arguments; its failure leaves THP as it was.
            unsafe {
                prctl(
                    PR_SET_THP_DISABLE,
                    1 as c_ulong,
                    0 as c_ulong,
                    0 as c_ulong,
                    0 as c_ulong,
                )
            };
        }
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    static CHOOSE: extern "C" fn(c_int, *const *const c_char, *const *const c_char) = choose;
}

/// `pow`, the one function of libm the binary calls (the AWS SDK's client rate limiter,
/// tokio's worker and indicatif's estimate), from the `libm` crate: the binary then needs
/// no libm.so, and no process of it maps the library, relocates it and runs its IFUNC
/// resolvers (13 page faults and 0.03-0.08 ms of a hello world's start-up, measured
/// alternated). A definition in the executable is what every call to `pow` in the process
/// binds to (lld exports it, as libm.so is on the link line): musl's algorithm, within an
/// ulp of glibc's, errno never set; none of those callers' results reaches an output.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

fn main() {
    // Memory freed is kept for reuse rather than given back to the kernel after 10 ms:
    // a long run (diff or check of thousands of targets) otherwise faults the same pages
    // in again and again, each one zeroed by the kernel (a quarter of the CPU time of a
    // diff of 1,000 targets, and 5x the page faults). A process of this program is short.
    // SAFETY: sets an integer option; mimalloc reads it when it next decides to purge.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    std::process::exit(perimeter::app::App::builtin().run());
}

//! The `perimeter` command line: the app with the built-in solutions (see
//! [`perimeter::app::App`]; a team's own program is the same with its solutions added).

// Templates are trees of many small, short-lived allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's `mi_option_set` (linked with the allocator; `libmimalloc-sys` declares it
// only with its `extended` feature) and the index of `mi_option_purge_delay` in
// mimalloc.h's `mi_option_e` (the same in mimalloc 2 and 3: retired options keep their
// slots).
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() {
    // Memory freed is kept for reuse rather than given back to the kernel after 10 ms:
    // a long run (diff or check of thousands of targets) otherwise faults the same pages
    // in again and again, each one zeroed by the kernel (a quarter of the CPU time of a
    // diff of 1,000 targets, and 5x the page faults). A process of this program is short.
    // SAFETY: sets an integer option; mimalloc reads it when it next decides to purge.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    std::process::exit(perimeter::app::App::builtin().run());
}

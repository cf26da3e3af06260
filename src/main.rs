//! The `perimeter` command line: argument parsing and printing only; the work is done by
//! the library.

mod cli;

// Templates are trees of many small, short-lived allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::run());
}

//! The `perimeter` command line: the app with the built-in solutions (see
//! [`perimeter::app::App`]; a team's own program is the same with its solutions added).

// Templates are trees of many small, short-lived allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(perimeter::app::App::builtin().run());
}

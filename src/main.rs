//! The `perimeter` command line: argument parsing and printing only; the work is done by
//! the library.

mod cli;

fn main() {
    std::process::exit(cli::run());
}

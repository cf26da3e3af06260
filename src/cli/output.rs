//! Standard output that a reader may close early (`| head`, a pager that quits): the
//! command then ends quietly with exit 0, as ripgrep does, rather than panicking with
//! exit 101. Every command prints through [`write`] (the `out!`/`outln!` macros).

use std::io::{ErrorKind, Write};

use super::{EXIT_ERROR, EXIT_OK};

/// Writes text to standard output. A closed reader ends the process with exit 0; any
/// other write error ends it with exit 2 and says so.
pub fn write(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(EXIT_OK);
        }
        // Not through `fail`: it cannot return to the caller's error path from here.
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(EXIT_ERROR);
    }
}

/// `print!` through [`write`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::write(&format!($($arg)*)) };
}

/// `println!` through [`write`].
macro_rules! outln {
    () => { $crate::cli::output::write("\n") };
    ($($arg:tt)*) => { $crate::cli::output::write(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};

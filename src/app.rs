//! An app: the solutions a program knows, and the command line that runs on them. The
//! `perimeter` binary is `App::builtin()`; a team's own program registers its solutions
//! and gets the same commands (synth, diff, check, list, schema, init, and deploy with
//! the `deploy` feature), with no other code:
//!
//! ```no_run
//! // src/main.rs of a user's crate
//! # struct MySolution;
//! # impl perimeter::solution::Solution for MySolution {
//! #     type Settings = (); type Props = ();
//! #     const NAME: &'static str = "mine"; const ABOUT: &'static str = "";
//! #     fn resolve(&self, _: &(), _: &perimeter::solution::TargetInfo) -> Result<(), Vec<perimeter::solution::Problem>> { Ok(()) }
//! #     fn build(&self, _: &(), _: &perimeter::solution::TargetInfo) -> Result<perimeter::constructs::Stack, perimeter::constructs::ConstructError> { Ok(perimeter::constructs::Stack::new("")) }
//! # }
//! fn main() {
//!     let app = perimeter::app::App::builtin().solution(MySolution);
//!     std::process::exit(app.run());
//! }
//! ```

use crate::solution::{Solution, Solutions};

/// The solutions a program knows and its name on the command line.
#[derive(Debug, Clone)]
pub struct App {
    pub solutions: Solutions,
    /// The program's name in help and messages.
    pub name: String,
    /// Set by [`App::new`] or [`App::named`]: otherwise the command line takes the name
    /// the program was run by (argv[0]), so a team's binary names itself in hints.
    explicit_name: bool,
}

impl App {
    /// An app with no solutions.
    pub fn new(name: &str) -> App {
        App {
            solutions: Solutions::new(),
            name: name.to_string(),
            explicit_name: true,
        }
    }

    /// The `perimeter` binary: the built-in solutions.
    pub fn builtin() -> App {
        App {
            solutions: crate::solutions::builtin(),
            name: "perimeter".into(),
            explicit_name: false,
        }
    }

    /// The program's name in help and messages.
    pub fn named(mut self, name: &str) -> App {
        self.name = name.to_string();
        self.explicit_name = true;
        self
    }

    /// The name the command line gives the program: the one set by [`App::new`] or
    /// [`App::named`], else argv[0]'s file name (`my-app`), else `perimeter`.
    pub fn program_name(&self, arg0: Option<&std::ffi::OsStr>) -> String {
        if self.explicit_name {
            return self.name.clone();
        }
        arg0.and_then(crate::program::from_argv0)
            .unwrap_or_else(|| self.name.clone())
    }

    /// Adds a solution.
    pub fn solution<S: Solution>(mut self, s: S) -> App {
        self.solutions = self.solutions.with(s);
        self
    }

    /// Parses the process's arguments and runs the command; returns the exit code.
    pub fn run(&self) -> i32 {
        crate::cli::run(self, std::env::args_os())
    }

    /// Runs the command of `args` (the first is the program's name).
    pub fn run_with<I, T>(&self, args: I) -> i32
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        crate::cli::run(self, args)
    }
}

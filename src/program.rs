//! The program's own name, as every hint and usage line gives it: a team's binary
//! `my-app` tells its users to run `my-app diff`, not `perimeter diff`. Set once by the
//! command line ([`crate::cli::run`]) from the app or argv[0]; `perimeter` until then.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::RwLock;

static NAME: RwLock<Option<String>> = RwLock::new(None);

/// The name hints give the program (`perimeter` unless the command line set another).
pub fn name() -> String {
    NAME.read()
        .ok()
        .and_then(|n| n.clone())
        .unwrap_or_else(|| "perimeter".to_string())
}

/// Sets the name hints give the program, for the rest of the process.
pub fn set_name(name: &str) {
    if let Ok(mut n) = NAME.write() {
        *n = Some(name.to_string());
    }
}

/// The name a program was run by: argv[0]'s file name without a `.exe`, when it has one
/// (`target/debug/my-app` is `my-app`).
pub fn from_argv0(arg0: &OsStr) -> Option<String> {
    let file = Path::new(arg0).file_name()?.to_str()?;
    let stem = file.strip_suffix(".exe").unwrap_or(file);
    (!stem.is_empty()).then(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv0_names_the_program_by_its_file() {
        assert_eq!(
            from_argv0(OsStr::new("target/debug/my-app")).as_deref(),
            Some("my-app")
        );
        assert_eq!(
            from_argv0(OsStr::new("C:/bin/my-app.exe")).as_deref(),
            Some("my-app")
        );
        assert_eq!(
            from_argv0(OsStr::new("perimeter")).as_deref(),
            Some("perimeter")
        );
        assert_eq!(from_argv0(OsStr::new("")), None);
        assert_eq!(from_argv0(OsStr::new("/")), None);
    }
}

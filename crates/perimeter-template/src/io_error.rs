//! File-system errors that say what was being done, to which path, and the likely cause,
//! so that `out: Device or resource busy (os error 16)` becomes something a user can act on.

use std::fmt;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

/// An I/O failure: the operation, the path and the system's error, plus a hint.
///
/// ```
/// use perimeter_template::io_error::IoError;
/// let e = IoError::new("replace", "out", std::io::ErrorKind::ResourceBusy.into());
/// assert!(e.to_string().starts_with("cannot replace out: "));
/// assert!(e.to_string().contains("mount point"));
/// ```
#[derive(Debug)]
pub struct IoError {
    /// What was being done, as a verb phrase: `read`, `create folder`, `replace`.
    pub op: &'static str,
    pub path: PathBuf,
    pub source: io::Error,
}

impl IoError {
    pub fn new(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> IoError {
        IoError {
            op,
            path: path.into(),
            source,
        }
    }

    /// A closure for `map_err` that records the operation and path.
    pub fn with<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> IoError + 'a {
        move |e| IoError::new(op, path, e)
    }

    /// The likely cause and what to do, for the errors a user can act on.
    pub fn cause(&self) -> Option<&'static str> {
        Some(match self.source.kind() {
            ErrorKind::ResourceBusy => {
                "the folder is a mount point or in use: synth replaces the out folder as a whole, so mount the folder above it, or give --out a folder inside the mount"
            }
            ErrorKind::ReadOnlyFilesystem => {
                "the file system is mounted read-only: give --out a folder on a writable one"
            }
            ErrorKind::PermissionDenied => {
                "no permission: the folder or its parent belongs to another user or is not writable"
            }
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "the disk (or quota) is full",
            ErrorKind::CrossesDevices => {
                "the paths are on different file systems: keep --out and its parent on one"
            }
            ErrorKind::NotADirectory => "a part of the path is a file, not a folder",
            ErrorKind::IsADirectory => "the path is a folder, not a file",
            _ => return None,
        })
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.op,
            self.path.display(),
            self.source
        )?;
        if let Some(c) = self.cause() {
            write!(f, " ({c})")?;
        }
        Ok(())
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_operation_path_and_cause() {
        let e = IoError::new("create folder", "out", ErrorKind::ReadOnlyFilesystem.into());
        let s = e.to_string();
        assert!(s.starts_with("cannot create folder out: "), "{s}");
        assert!(
            s.ends_with(
                "(the file system is mounted read-only: give --out a folder on a writable one)"
            ),
            "{s}"
        );
        let e = IoError::new("read", "x", ErrorKind::NotFound.into());
        assert_eq!(e.cause(), None);
    }
}

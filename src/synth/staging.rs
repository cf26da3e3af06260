//! A staging folder beside `out/` that replaces it in one step, or is removed; and the
//! clean-up of what an interrupted synth left behind.

use std::fs;
use std::path::{Path, PathBuf};

use super::SynthError;
use crate::io_error::IoError;

fn io<'a>(op: &'static str, p: &'a Path) -> impl FnOnce(std::io::Error) -> SynthError + 'a {
    move |e| SynthError::Io(IoError::new(op, p, e))
}

/// What writing one file did to `out/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The file was not in `out/`.
    Created,
    /// The file was in `out/` with other bytes.
    Updated,
    /// The same bytes were already there.
    Unchanged,
}

impl Change {
    pub fn label(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
        }
    }
}

/// The two kinds of folder a synth makes beside `out/`, each named with its process id:
/// `.out.staging-<pid>` (being written) and `.out.old-<pid>` (the previous `out/`, for
/// the moment between the two renames of a commit). `.gitignore` lists both patterns.
const STAGING: &str = "staging";
const OLD: &str = "old";

/// `.gitignore` patterns for those folders, whatever the out folder is called.
pub const LEFTOVER_PATTERNS: [&str; 2] = [".*.staging-*/", ".*.old-*/"];

fn sibling(target: &Path, kind: &str, pid: u32) -> PathBuf {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    parent_of(target).join(format!(".{name}.{kind}-{pid}"))
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether a process with this id is running. Where that cannot be known (no `/proc`),
/// every process counts as running, so nothing of another synth is ever removed.
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Removes what synths killed mid-way left beside `target` (only folders of our own
/// naming pattern whose process is gone), and returns their names. A previous `out/`
/// left in `.out.old-<pid>` when the kill fell between the two renames of a commit is
/// put back if `out/` is missing, since it is then the only copy.
pub fn reap(target: &Path) -> Result<Vec<String>, SynthError> {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let parent = parent_of(target);
    let entries = match fs::read_dir(&parent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(io("list", &parent)(e)),
    };
    let mut leftovers: Vec<(String, &'static str, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        for kind in [STAGING, OLD] {
            let pid = file
                .strip_prefix(&format!(".{name}.{kind}-"))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid
                && !running(pid)
            {
                leftovers.push((file.clone(), kind, entry.path()));
            }
        }
    }
    leftovers.sort();
    let mut reaped = Vec::new();
    for (file, kind, path) in leftovers {
        if kind == OLD && !target.exists() {
            fs::rename(&path, target).map_err(io("restore", target))?;
            reaped.push(format!("{file} (restored as {name})"));
        } else {
            fs::remove_dir_all(&path).map_err(io("remove", &path))?;
            reaped.push(file);
        }
    }
    Ok(reaped)
}

/// A folder that becomes `out/` on [`Staging::commit`] and is removed if dropped before.
///
/// The folder is made only when a file differs from the one in `out/`: until then each
/// unchanged file is only noted (to be hard-linked if the folder is made later), so a run
/// that changes nothing (a re-run, a pre-commit hook) leaves `out/` as it is and makes no
/// folder, link or rename at all.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    /// Whether the folder exists.
    made_dir: std::cell::Cell<bool>,
    committed: std::cell::Cell<bool>,
    /// Files of `out/` to carry into the folder when it is made, relative.
    unchanged: std::cell::RefCell<Vec<String>>,
    /// Folders already created, so each costs one syscall, not one per file.
    made: std::cell::RefCell<std::collections::HashSet<PathBuf>>,
}

impl Staging {
    /// A staging folder for `target`, made on the first file that differs.
    pub fn new(target: &Path) -> Staging {
        Staging {
            dir: sibling(target, STAGING, std::process::id()),
            target: target.to_path_buf(),
            made_dir: std::cell::Cell::new(false),
            committed: std::cell::Cell::new(false),
            unchanged: Default::default(),
            made: Default::default(),
        }
    }

    /// Makes the folder (if not yet made) with every file noted unchanged so far.
    fn make(&self) -> Result<(), SynthError> {
        if self.made_dir.get() {
            return Ok(());
        }
        let parent = parent_of(&self.target);
        fs::create_dir_all(&parent).map_err(io("create folder", &parent))?;
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir).map_err(io("remove", &self.dir))?;
        }
        fs::create_dir(&self.dir).map_err(io("create folder", &self.dir))?;
        self.made_dir.set(true);
        for rel in self.unchanged.take() {
            self.link_or_copy(&rel)?;
        }
        Ok(())
    }

    /// The path of `rel` in the staging folder, its parent folder created.
    fn place(&self, rel: &str) -> Result<PathBuf, SynthError> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent()
            && self.made.borrow_mut().insert(parent.to_path_buf())
        {
            fs::create_dir_all(parent).map_err(io("create folder", parent))?;
        }
        Ok(p)
    }

    /// Writes a file at a path relative to the staging folder.
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SynthError> {
        self.make()?;
        let p = self.place(rel)?;
        fs::write(&p, bytes).map_err(io("write", &p))
    }

    /// Writes a file, or hard-links the current `out/` file when its bytes are the same:
    /// most re-runs change few files, and a link allocates no inode (on ext4, allocating
    /// a thousand fresh inodes costs more than synthesizing a thousand templates).
    /// Says whether the file is new, changed or the same as in `out/`.
    pub fn write_or_link(&self, rel: &str, bytes: &[u8]) -> Result<Change, SynthError> {
        let current = self.target.join(rel);
        let change = match same_bytes(&current, bytes) {
            Ok(true) => Change::Unchanged,
            Ok(false) => Change::Updated,
            Err(_) => Change::Created,
        };
        if change == Change::Unchanged {
            self.keep(rel)?;
        } else {
            self.write(rel, bytes)?;
        }
        Ok(change)
    }

    /// Carries a file over unchanged from the current `out/`.
    pub fn carry_over(&self, rel: &str) -> Result<(), SynthError> {
        if !self.made_dir.get() {
            // Noted for later; it must be there to be carried (as a link or a copy would).
            let src = self.target.join(rel);
            fs::metadata(&src).map_err(io("read", &src))?;
        }
        self.keep(rel)
    }

    /// A file of the current `out/` known to be there, linked now or noted for later.
    fn keep(&self, rel: &str) -> Result<(), SynthError> {
        if self.made_dir.get() {
            self.link_or_copy(rel)
        } else {
            self.unchanged.borrow_mut().push(rel.to_string());
            Ok(())
        }
    }

    /// Hard-links a file of the current `out/` into the folder, or copies it where links
    /// cannot be made.
    fn link_or_copy(&self, rel: &str) -> Result<(), SynthError> {
        let src = self.target.join(rel);
        if fs::hard_link(&src, self.place(rel)?).is_ok() {
            return Ok(());
        }
        let bytes = fs::read(&src).map_err(io("read", &src))?;
        self.write(rel, &bytes)
    }

    /// Replaces the target folder with the staging folder. When no file differed and
    /// `out/` holds no file beyond those carried over (`extra` false), `out/` already is
    /// the result: nothing is made or renamed.
    pub fn commit(&self, extra: bool) -> Result<(), SynthError> {
        if !self.made_dir.get() && !extra && self.target.exists() {
            self.committed.set(true);
            return Ok(());
        }
        self.make()?;
        let old = sibling(&self.target, OLD, std::process::id());
        let had = self.target.exists();
        if had {
            fs::rename(&self.target, &old).map_err(io("replace", &self.target))?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had {
                // Put the old folder back: out/ must end as it began.
                let _ = fs::rename(&old, &self.target);
            }
            return Err(io("replace", &self.target)(e));
        }
        self.committed.set(true);
        if had {
            fs::remove_dir_all(&old).map_err(io("remove", &old))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed.get() && self.made_dir.get() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether the file at `path` holds exactly `bytes` (an error if it cannot be read). Read
/// a piece at a time into one buffer on the stack: a whole-file read costs a fresh
/// allocation, faulted in page by page, for every template of `out/`.
pub fn same_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    if file.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut buf = [0u8; 16 * 1024];
    let mut rest = bytes;
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(rest.is_empty());
        }
        if n > rest.len() || buf[..n] != rest[..n] {
            return Ok(false);
        }
        rest = &rest[n..];
    }
}

/// Every file under `dir`, relative, with `/` separators, sorted; empty if `dir` is absent.
pub fn list_files(dir: &Path) -> Result<Vec<String>, SynthError> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(io("list", &d))? {
            let entry = entry.map_err(io("list", &d))?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p);
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

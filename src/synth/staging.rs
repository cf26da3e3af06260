//! A staging folder beside `out/` that replaces it in one step, or is removed.

use std::fs;
use std::path::{Path, PathBuf};

use super::SynthError;

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
    move |e| SynthError::Io(p.to_path_buf(), e)
}

/// A folder that becomes `out/` on [`Staging::commit`] and is removed if dropped before.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: std::cell::Cell<bool>,
    /// Folders already created, so each costs one syscall, not one per file.
    made: std::cell::RefCell<std::collections::HashSet<PathBuf>>,
}

impl Staging {
    pub fn new(target: &Path) -> Result<Staging, SynthError> {
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        fs::create_dir(&dir).map_err(io(&dir))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: std::cell::Cell::new(false),
            made: Default::default(),
        })
    }

    /// The path of `rel` in the staging folder, its parent folder created.
    fn place(&self, rel: &str) -> Result<PathBuf, SynthError> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent()
            && self.made.borrow_mut().insert(parent.to_path_buf())
        {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        Ok(p)
    }

    /// Writes a file at a path relative to the staging folder.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SynthError> {
        let p = self.place(rel)?;
        fs::write(&p, bytes).map_err(io(&p))
    }

    /// Writes a file, or hard-links the current `out/` file when its bytes are the same:
    /// most re-runs change few files, and a link allocates no inode (on ext4, allocating
    /// a thousand fresh inodes costs more than synthesizing a thousand templates).
    pub fn write_or_link(&self, rel: &str, bytes: &[u8]) -> Result<(), SynthError> {
        let current = self.target.join(rel);
        if fs::read(&current).is_ok_and(|old| old == bytes)
            && fs::hard_link(&current, self.place(rel)?).is_ok()
        {
            return Ok(());
        }
        self.write(rel, bytes)
    }

    /// Carries a file over unchanged from the current `out/`.
    pub fn carry_over(&self, rel: &str) -> Result<(), SynthError> {
        let src = self.target.join(rel);
        if fs::hard_link(&src, self.place(rel)?).is_ok() {
            return Ok(());
        }
        let bytes = fs::read(&src).map_err(io(&src))?;
        self.write(rel, &bytes)
    }

    /// Replaces the target folder with the staging folder.
    pub fn commit(&self) -> Result<(), SynthError> {
        let old = self.dir.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("out"),
            std::process::id()
        ));
        let had = self.target.exists();
        if had {
            fs::rename(&self.target, &old).map_err(io(&self.target))?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            if had {
                // Put the old folder back: out/ must end as it began.
                let _ = fs::rename(&old, &self.target);
            }
            return Err(SynthError::Io(self.target.clone(), e));
        }
        self.committed.set(true);
        if had {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed.get() {
            let _ = fs::remove_dir_all(&self.dir);
        }
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
        for entry in fs::read_dir(&d).map_err(io(&d))? {
            let entry = entry.map_err(io(&d))?;
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

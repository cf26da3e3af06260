//! Function code assets: a folder (the handler, and a `requirements.txt` of pinned
//! Python packages) packaged into a zip whose sha256 names its S3 key, so a template can
//! name it (`assets/<sha256>.zip` in the bootstrap bucket) and `out/` stays a
//! deterministic snapshot.
//!
//! Packaging is deterministic: the folder's files and pip's installed packages are
//! zipped sorted by path with fixed timestamps and modes ([`zip`]). Packages are installed
//! with pip for the function's runtime (its Python version, a manylinux platform, wheels
//! only), never the machine's. A build is cached under the hash of its inputs (files,
//! requirements, runtime, platform), so a synth that changes nothing stays offline and
//! fast; a cold build says what it downloads.

pub mod zip;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The pip platform tag for an architecture (Lambda's are x86_64 and arm64).
pub fn platform(architecture: &str) -> &'static str {
    match architecture {
        "arm64" => "manylinux2014_aarch64",
        _ => "manylinux2014_x86_64",
    }
}

/// What goes into an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The folder with the handler (and optionally requirements.txt).
    pub dir: PathBuf,
    /// A Lambda runtime, e.g. `python3.13`.
    pub runtime: String,
    /// A pip platform tag, see [`platform`].
    pub platform: String,
    /// A file the folder must contain (the handler's module), e.g. `index.py`.
    pub entry: String,
}

/// A built asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// sha256 of the zip's bytes, hex.
    pub sha256: String,
    /// The zip, in the cache.
    pub path: PathBuf,
    pub bytes: u64,
    /// The files in the zip, sorted.
    pub files: Vec<String>,
}

impl Built {
    /// The S3 key the zip is stored under.
    pub fn key(&self) -> String {
        format!("assets/{}.zip", self.sha256)
    }
}

/// Why an asset could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetError {
    pub dir: PathBuf,
    pub message: String,
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "asset {}: {}", self.dir.display(), self.message)
    }
}

impl std::error::Error for AssetError {}

/// Where built assets are kept: `$PERIMETER_CACHE`, else `$XDG_CACHE_HOME/perimeter`,
/// else `~/.cache/perimeter`; assets under `assets/`.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("PERIMETER_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("perimeter")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/perimeter")))
        .unwrap_or_else(|| std::env::temp_dir().join("perimeter-cache"));
    base.join("assets")
}

/// The files of a folder, by path relative to it (`/`-separated), sorted; hidden files
/// and `__pycache__` left out.
fn files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = std::fs::read_dir(dir.join(&rel))
            .map_err(|e| format!("cannot read {}: {e}", dir.join(&rel).display()))?;
        for e in entries {
            let e = e.map_err(|e| e.to_string())?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "__pycache__" {
                continue;
            }
            let path = rel.join(&name);
            let kind = e.file_type().map_err(|e| e.to_string())?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let bytes = std::fs::read(dir.join(&path))
                    .map_err(|e| format!("cannot read {}: {e}", dir.join(&path).display()))?;
                let key = path
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(key, bytes);
            }
        }
    }
    Ok(out)
}

/// The requirements, each pinned (`name==version`): an unpinned one would make the
/// asset depend on the day it is built.
fn requirements(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if !line.contains("==") || line.starts_with('-') {
            return Err(format!(
                "requirements.txt line {}: {line:?} is not pinned: write name==version",
                i + 1
            ));
        }
        out.push(line.to_string());
    }
    Ok(out)
}

/// The Python version of a runtime: `python3.13` -> `3.13`.
fn python_version(runtime: &str) -> Option<&str> {
    runtime.strip_prefix("python")
}

/// Builds an asset, or takes it from the cache. `say` is told what a cold build
/// downloads.
pub fn build(src: &Source, cache: &Path, say: &mut dyn FnMut(&str)) -> Result<Built, AssetError> {
    let fail = |message: String| AssetError {
        dir: src.dir.clone(),
        message,
    };
    if !src.dir.is_dir() {
        return Err(fail("is not a folder".into()));
    }
    let own = files(&src.dir).map_err(fail)?;
    if !own.contains_key(&src.entry) {
        return Err(fail(format!(
            "holds no {} (the function's handler)",
            src.entry
        )));
    }
    let reqs = match own.get("requirements.txt") {
        Some(text) => requirements(&String::from_utf8_lossy(text)).map_err(fail)?,
        None => Vec::new(),
    };
    let mut h = Sha256::new();
    h.update(format!(
        "perimeter-asset-1\n{}\n{}\n",
        src.runtime, src.platform
    ));
    for (name, bytes) in &own {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    let inputs = hex(&h.finalize());
    let cached = cache.join(format!("{inputs}.zip"));
    if let Ok(bytes) = std::fs::read(&cached) {
        return Ok(described(cached, &bytes));
    }
    let mut entries: BTreeMap<String, Vec<u8>> = own;
    if !reqs.is_empty() {
        let version = python_version(&src.runtime).ok_or_else(|| {
            fail(format!(
                "requirements.txt needs a Python runtime, and the function's is {}",
                src.runtime
            ))
        })?;
        say(&format!(
            "asset {}: downloading {} for {} on {} (pip, wheels only)",
            src.dir.display(),
            reqs.join(", "),
            src.runtime,
            src.platform
        ));
        let dir = tempdir(cache).map_err(|e| {
            fail(format!(
                "cannot make a build folder in {}: {e}",
                cache.display()
            ))
        })?;
        let python = std::env::var("PERIMETER_PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
            ])
            .args(["--only-binary=:all:", "--implementation", "cp"])
            .args(["--platform", &src.platform, "--python-version", version])
            .arg("--target")
            .arg(&dir.0)
            .args(&reqs)
            .output()
            .map_err(|e| fail(format!("cannot run {python} -m pip: {e}")))?;
        if !out.status.success() {
            return Err(fail(format!(
                "pip could not install {}: {}",
                reqs.join(", "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let installed = files(&dir.0).map_err(fail)?;
        for (name, bytes) in installed {
            // Scripts carry the building machine's interpreter path, and RECORD their
            // hashes: neither is needed to import a package.
            if name.starts_with("bin/") || name.ends_with(".dist-info/RECORD") {
                continue;
            }
            entries.entry(name).or_insert(bytes);
        }
    }
    let list: Vec<(String, Vec<u8>)> = entries.into_iter().collect();
    let bytes = zip::zip(&list).map_err(|e| fail(format!("cannot zip: {e}")))?;
    std::fs::create_dir_all(cache)
        .map_err(|e| fail(format!("cannot make {}: {e}", cache.display())))?;
    // Written beside and renamed: a cache entry is whole or absent.
    let tmp = cache.join(format!(".{inputs}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, &cached))
        .map_err(|e| fail(format!("cannot write {}: {e}", cached.display())))?;
    Ok(described(cached, &bytes))
}

fn described(path: PathBuf, bytes: &[u8]) -> Built {
    Built {
        sha256: hex(&Sha256::digest(bytes)),
        path,
        bytes: bytes.len() as u64,
        files: names(bytes),
    }
}

/// The entry names of a zip this module wrote (from its central directory).
fn names(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            let extra = u16::from_le_bytes([bytes[i + 30], bytes[i + 31]]) as usize;
            let comment = u16::from_le_bytes([bytes[i + 32], bytes[i + 33]]) as usize;
            if let Some(name) = bytes.get(i + 46..i + 46 + n) {
                out.push(String::from_utf8_lossy(name).into_owned());
            }
            i += 46 + n + extra + comment;
        } else {
            i += 1;
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A temporary folder inside the cache, removed when dropped.
struct TempDir(PathBuf);

fn tempdir(cache: &Path) -> std::io::Result<TempDir> {
    let dir = cache.join(
        format!(
            ".build-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(TempDir(dir))
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &Path) -> Source {
        Source {
            dir: dir.to_path_buf(),
            runtime: "python3.13".into(),
            platform: platform("x86_64").into(),
            entry: "index.py".into(),
        }
    }

    #[test]
    fn the_same_folder_gives_the_same_zip_from_two_cold_caches() {
        let code = tempfile::tempdir().unwrap();
        std::fs::write(
            code.path().join("index.py"),
            "def handler(e, c):\n    return 1\n",
        )
        .unwrap();
        std::fs::create_dir_all(code.path().join("lib")).unwrap();
        std::fs::write(code.path().join("lib/util.py"), "X = 1\n").unwrap();
        std::fs::write(code.path().join(".env"), "secret").unwrap();
        let (c1, c2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = build(&source(code.path()), c1.path(), &mut |_| {}).unwrap();
        let b = build(&source(code.path()), c2.path(), &mut |_| {}).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(
            std::fs::read(&a.path).unwrap(),
            std::fs::read(&b.path).unwrap()
        );
        assert_eq!(a.files, ["index.py", "lib/util.py"]);
        assert_eq!(a.key(), format!("assets/{}.zip", a.sha256));
        // A changed file is another asset.
        std::fs::write(code.path().join("lib/util.py"), "X = 2\n").unwrap();
        let c = build(&source(code.path()), c1.path(), &mut |_| {}).unwrap();
        assert_ne!(a.sha256, c.sha256);
    }

    #[test]
    fn unpinned_requirements_and_a_missing_handler_are_refused() {
        let code = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let e = build(&source(code.path()), cache.path(), &mut |_| {}).unwrap_err();
        assert!(e.message.contains("holds no index.py"), "{e}");
        std::fs::write(code.path().join("index.py"), "").unwrap();
        std::fs::write(
            code.path().join("requirements.txt"),
            "# driver\npg8000>=1.30\n",
        )
        .unwrap();
        let e = build(&source(code.path()), cache.path(), &mut |_| {}).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: \"pg8000>=1.30\" is not pinned"),
            "{e}"
        );
    }

    #[test]
    #[ignore = "downloads pg8000 from PyPI with pip (scripts/test runs this)"]
    fn packages_from_pip_give_the_same_zip_from_two_cold_caches() {
        let code = tempfile::tempdir().unwrap();
        std::fs::write(code.path().join("index.py"), "import pg8000\n").unwrap();
        std::fs::write(code.path().join("requirements.txt"), "pg8000==1.31.2\n").unwrap();
        let (c1, c2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut said = Vec::new();
        let a = build(&source(code.path()), c1.path(), &mut |s| {
            said.push(s.to_string())
        })
        .unwrap();
        let b = build(&source(code.path()), c2.path(), &mut |_| {}).unwrap();
        assert_eq!(a.sha256, b.sha256, "two cold builds differ");
        assert!(said[0].contains("downloading pg8000==1.31.2"), "{said:?}");
        assert!(
            a.files.iter().any(|f| f == "pg8000/__init__.py"),
            "{:?}",
            a.files
        );
        assert!(
            !a.files
                .iter()
                .any(|f| f.starts_with("bin/") || f.ends_with("RECORD"))
        );
        // From the cache: nothing said, the same asset.
        let mut again = Vec::new();
        let c = build(&source(code.path()), c1.path(), &mut |s| {
            again.push(s.to_string())
        })
        .unwrap();
        assert_eq!(c.sha256, a.sha256);
        assert!(again.is_empty());
        eprintln!(
            "pg8000 asset: sha256 {} ({} bytes, {} files), equal across two clean builds",
            a.sha256,
            a.bytes,
            a.files.len()
        );
    }
}

//! Function code assets: a folder (the handler, and a `requirements.txt` of pinned
//! Python packages) packaged into a zip kept in the bootstrap bucket under
//! `assets/<hash>.zip`, where the hash is of the asset's inputs: its files, runtime and
//! platform (the AWS CDK's default, a source hash).
//!
//! So synth names an asset without building it: it stays offline and fast, and `out/`
//! stays a deterministic snapshot; deploy builds it (or takes it from the cache) and
//! uploads it. The same inputs must then give the same zip wherever it is built, which
//! holds because every package is pinned, the whole closure of them (a package pip adds
//! that requirements.txt does not pin is refused), and packaging is deterministic: files
//! zipped sorted by path with fixed timestamps and modes ([`zip`]), packages installed
//! with pip for the function's runtime (its Python version, a manylinux platform, wheels
//! only), never the machine's. A build is cached under the same hash.

pub mod zip;

use std::borrow::Cow;
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

/// What goes into an asset: its files, read when it is made.
///
/// ```
/// use perimeter::assets::{Source, platform};
/// let files = [("index.py", &b"def handler(e, c):\n    return 1\n"[..])];
/// let src = Source::from_files("hello", &files, "python3.13", platform("x86_64"), "index.py");
/// let planned = src.plan().unwrap();
/// assert!(planned.key.starts_with("assets/") && planned.key.ends_with(".zip"));
/// assert_eq!(planned.key, src.plan().unwrap().key); // the inputs name it
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// What a message calls it: the folder as the blueprint names it, or a built-in name.
    pub label: String,
    /// The files by `/`-separated path. Borrowed for files compiled into the program
    /// ([`Source::from_static`]): a source is cloned into every plan and stack that names
    /// it, and the built-in handler's 124 KB were copied about fifteen times a synth.
    pub files: BTreeMap<String, Cow<'static, [u8]>>,
    /// A Lambda runtime, e.g. `python3.13`.
    pub runtime: String,
    /// A pip platform tag, see [`platform`].
    pub platform: String,
    /// A file the asset must contain (the handler's module), e.g. `index.py`.
    pub entry: String,
}

/// An asset named by its inputs, not built yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub source: Source,
    /// `assets/<hash>.zip`.
    pub key: String,
    /// The pinned requirements, `name==version`.
    pub requirements: Vec<String>,
    hash: String,
}

/// A built asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The key it is stored under, `assets/<hash of the inputs>.zip`.
    pub key: String,
    /// sha256 of the zip's bytes, hex.
    pub sha256: String,
    /// The zip, in the cache.
    pub path: PathBuf,
    pub bytes: u64,
    /// The files in the zip, sorted.
    pub files: Vec<String>,
}

/// Why an asset could not be planned or built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetError {
    /// The asset's label.
    pub asset: String,
    pub message: String,
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "asset {}: {}", self.asset, self.message)
    }
}

impl std::error::Error for AssetError {}

impl Source {
    /// The files of a folder (hidden files and `__pycache__` left out).
    pub fn from_dir(
        label: &str,
        dir: &Path,
        runtime: &str,
        platform: &str,
        entry: &str,
    ) -> Result<Source, AssetError> {
        let fail = |message: String| AssetError {
            asset: label.to_string(),
            message,
        };
        if !dir.is_dir() {
            return Err(fail(format!("{} is not a folder", dir.display())));
        }
        Ok(Source {
            label: label.to_string(),
            files: files(dir).map_err(fail)?,
            runtime: runtime.to_string(),
            platform: platform.to_string(),
            entry: entry.to_string(),
        })
    }

    /// Files given in memory (code compiled into a program, as the built-in handler).
    pub fn from_files(
        label: &str,
        files: &[(&str, &[u8])],
        runtime: &str,
        platform: &str,
        entry: &str,
    ) -> Source {
        Source {
            label: label.to_string(),
            files: files
                .iter()
                .map(|(n, b)| (n.to_string(), Cow::Owned(b.to_vec())))
                .collect(),
            runtime: runtime.to_string(),
            platform: platform.to_string(),
            entry: entry.to_string(),
        }
    }

    /// Files compiled into the program (the built-in handler), borrowed, never copied.
    pub fn from_static(
        label: &str,
        files: &'static [(&'static str, &'static [u8])],
        runtime: &str,
        platform: &str,
        entry: &str,
    ) -> Source {
        Source {
            label: label.to_string(),
            files: files
                .iter()
                .map(|(n, b)| (n.to_string(), Cow::Borrowed(*b)))
                .collect(),
            runtime: runtime.to_string(),
            platform: platform.to_string(),
            entry: entry.to_string(),
        }
    }

    fn fail(&self, message: String) -> AssetError {
        AssetError {
            asset: self.label.clone(),
            message,
        }
    }

    /// Names the asset by its inputs, offline: the handler must be there and every
    /// requirement pinned.
    pub fn plan(&self) -> Result<Planned, AssetError> {
        if !self.files.contains_key(&self.entry) {
            return Err(self.fail(format!("holds no {} (the function's handler)", self.entry)));
        }
        let requirements = match self.files.get("requirements.txt") {
            Some(text) => requirements(&String::from_utf8_lossy(text)).map_err(|m| self.fail(m))?,
            None => Vec::new(),
        };
        if !requirements.is_empty() && python_version(&self.runtime).is_none() {
            return Err(self.fail(format!(
                "requirements.txt needs a Python runtime, and the function's is {}",
                self.runtime
            )));
        }
        // Targets of a blueprint mostly name the same asset (a built-in handler with a
        // 124 KB CA bundle, twice in a target with a database): hashed once a process.
        static PLANNED: std::sync::Mutex<Vec<(Source, String)>> = std::sync::Mutex::new(Vec::new());
        let known = PLANNED
            .lock()
            .ok()
            .and_then(|m| m.iter().find(|(s, _)| s == self).map(|(_, h)| h.clone()));
        let hash = match known {
            Some(h) => h,
            None => {
                let h = self.hash();
                if let Ok(mut m) = PLANNED.lock()
                    && m.len() < 16
                {
                    m.push((self.clone(), h.clone()));
                }
                h
            }
        };
        Ok(Planned {
            source: self.clone(),
            key: format!("assets/{hash}.zip"),
            requirements,
            hash,
        })
    }

    /// The hash of the asset's inputs: its files, runtime and platform.
    fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!(
            "perimeter-asset-2\n{}\n{}\n",
            self.runtime, self.platform
        ));
        for (name, bytes) in &self.files {
            h.update(name.as_bytes());
            h.update([0]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        hex(&h.finalize())
    }
}

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
fn files(dir: &Path) -> Result<BTreeMap<String, Cow<'static, [u8]>>, String> {
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
                out.insert(key, Cow::Owned(bytes));
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

/// A distribution name as pip compares them (PEP 503): lowercase, runs of `-_.` as `-`.
fn normalized(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The Python version of a runtime: `python3.13` -> `3.13`.
fn python_version(runtime: &str) -> Option<&str> {
    runtime.strip_prefix("python")
}

/// Builds a planned asset, or takes it from the cache. `say` is told what a cold build
/// downloads.
pub fn build(
    planned: &Planned,
    cache: &Path,
    say: &mut dyn FnMut(&str),
) -> Result<Built, AssetError> {
    let src = &planned.source;
    let fail = |message: String| src.fail(message);
    let cached = cache.join(format!("{}.zip", planned.hash));
    match std::fs::read(&cached) {
        Ok(bytes) if zip::is_whole(&bytes) => return Ok(described(planned, cached, &bytes)),
        // Torn (an interrupted write of an older version) or garbled: built again.
        Ok(_) => say(&format!(
            "asset {}: the cached {} is not a whole zip: building it again",
            src.label,
            cached.display()
        )),
        Err(_) => {}
    }
    let mut entries: BTreeMap<String, Vec<u8>> = src
        .files
        .iter()
        .map(|(name, bytes)| (name.clone(), bytes.to_vec()))
        .collect();
    let reqs = &planned.requirements;
    if !reqs.is_empty() {
        let version = python_version(&src.runtime).expect("plan checked the runtime");
        say(&format!(
            "asset {}: downloading {} for {} on {} (pip, wheels only)",
            src.label,
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
            .args(reqs)
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
        unpinned(&installed, reqs).map_err(fail)?;
        for (name, bytes) in installed {
            // Scripts carry the building machine's interpreter path, and RECORD their
            // hashes: neither is needed to import a package.
            if name.starts_with("bin/") || name.ends_with(".dist-info/RECORD") {
                continue;
            }
            entries.entry(name).or_insert_with(|| bytes.into_owned());
        }
    }
    let list: Vec<(String, Vec<u8>)> = entries.into_iter().collect();
    let bytes = zip::zip(&list).map_err(|e| fail(format!("cannot zip: {e}")))?;
    std::fs::create_dir_all(cache)
        .map_err(|e| fail(format!("cannot make {}: {e}", cache.display())))?;
    // Written beside under a name no other build uses (two targets may build the same
    // asset at once, in one process or two) and renamed: a cache entry is whole or
    // absent, and the last of two identical builds wins.
    let tmp = cache.join(format!(".{}.{}.tmp", planned.hash, unique()));
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, &cached))
        .map_err(|e| fail(format!("cannot write {}: {e}", cached.display())))?;
    Ok(described(planned, cached, &bytes))
}

/// Refuses packages pip installed that the requirements do not pin: their versions
/// would be whatever was newest on the day of the build.
fn unpinned<V>(installed: &BTreeMap<String, V>, reqs: &[String]) -> Result<(), String> {
    let pinned: Vec<String> = reqs
        .iter()
        .map(|r| normalized(r.split("==").next().unwrap_or(r).trim()))
        .collect();
    let mut extra = Vec::new();
    for path in installed.keys() {
        let Some(dist) = path
            .strip_suffix("/METADATA")
            .and_then(|d| d.strip_suffix(".dist-info"))
        else {
            continue;
        };
        // `name-version`: the name is everything before the last `-`.
        if let Some((name, version)) = dist.rsplit_once('-')
            && !pinned.contains(&normalized(name))
        {
            extra.push(format!("{name}=={version}"));
        }
    }
    if extra.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "pip also installed {}, which requirements.txt does not pin: add each (name==version) so every build of this asset holds the same packages",
            extra.join(", ")
        ))
    }
}

fn described(planned: &Planned, path: PathBuf, bytes: &[u8]) -> Built {
    Built {
        key: planned.key.clone(),
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

/// A name part no other build in this process or another uses: the process id, and a
/// counter within it.
fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary folder inside the cache, removed when dropped.
struct TempDir(PathBuf);

fn tempdir(cache: &Path) -> std::io::Result<TempDir> {
    let dir = cache.join(format!(".build-{}", unique()));
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

    fn plan(dir: &Path) -> Result<Planned, AssetError> {
        Source::from_dir("code", dir, "python3.13", platform("x86_64"), "index.py")?.plan()
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
        let p = plan(code.path()).unwrap();
        let a = build(&p, c1.path(), &mut |_| {}).unwrap();
        let b = build(&p, c2.path(), &mut |_| {}).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(
            std::fs::read(&a.path).unwrap(),
            std::fs::read(&b.path).unwrap()
        );
        assert_eq!(a.files, ["index.py", "lib/util.py"]);
        assert_eq!(a.key, p.key);
        // A changed file is another asset, named before it is built.
        std::fs::write(code.path().join("lib/util.py"), "X = 2\n").unwrap();
        let q = plan(code.path()).unwrap();
        assert_ne!(q.key, p.key);
        let c = build(&q, c1.path(), &mut |_| {}).unwrap();
        assert_ne!(a.sha256, c.sha256);
        // Another runtime too.
        let r = Source::from_dir(
            "code",
            code.path(),
            "python3.12",
            platform("x86_64"),
            "index.py",
        )
        .unwrap()
        .plan()
        .unwrap();
        assert_ne!(r.key, q.key);
    }

    #[test]
    fn a_torn_cache_entry_is_built_again_and_concurrent_builds_of_one_asset_agree() {
        let code = tempfile::tempdir().unwrap();
        // Incompressible, so the zip is large enough for the writes to overlap.
        let mut noise = Vec::new();
        let mut x: u32 = 1;
        for _ in 0..400_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            noise.push((x >> 24) as u8);
        }
        std::fs::write(
            code.path().join("index.py"),
            "def handler(e, c):\n    return 1\n",
        )
        .unwrap();
        std::fs::write(code.path().join("blob.bin"), &noise).unwrap();
        let p = plan(code.path()).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let whole = build(&p, cache.path(), &mut |_| {}).unwrap();
        let bytes = std::fs::read(&whole.path).unwrap();

        // A cache entry cut short (a write interrupted) is not taken: it is built again.
        std::fs::write(&whole.path, &bytes[..bytes.len() / 2]).unwrap();
        let mut said = Vec::new();
        let again = build(&p, cache.path(), &mut |m| said.push(m.to_string())).unwrap();
        assert_eq!(again.sha256, whole.sha256);
        assert_eq!(std::fs::read(&again.path).unwrap(), bytes);
        assert!(
            said.iter().any(|m| m.contains("not a whole zip")),
            "{said:?}"
        );

        // Eight builds of one asset at once on a cold cache: each whole, all the same.
        let cold = tempfile::tempdir().unwrap();
        let shas: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| build(&p, cold.path(), &mut |_| {}).map(|b| b.sha256)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert!(shas.iter().all(|s| *s == whole.sha256), "{shas:?}");
        assert_eq!(
            std::fs::read(cold.path().join(format!("{}.zip", p.hash))).unwrap(),
            bytes
        );
        // No temporary file is left behind.
        let left: Vec<_> = std::fs::read_dir(cold.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [format!("{}.zip", p.hash)]);
    }

    #[test]
    fn unpinned_requirements_and_a_missing_handler_are_refused() {
        let code = tempfile::tempdir().unwrap();
        let e = plan(code.path()).unwrap_err();
        assert!(e.message.contains("holds no index.py"), "{e}");
        std::fs::write(code.path().join("index.py"), "").unwrap();
        std::fs::write(
            code.path().join("requirements.txt"),
            "# driver\npg8000>=1.30\n",
        )
        .unwrap();
        let e = plan(code.path()).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: \"pg8000>=1.30\" is not pinned"),
            "{e}"
        );
        let e = Source::from_dir(
            "x",
            &code.path().join("nowhere"),
            "python3.13",
            "p",
            "index.py",
        )
        .unwrap_err();
        assert!(e.message.contains("is not a folder"), "{e}");
    }

    #[test]
    fn packages_pip_adds_must_be_pinned() {
        let installed: BTreeMap<String, Vec<u8>> = [
            "pg8000-1.31.6.dist-info/METADATA",
            "pg8000/__init__.py",
            "scramp-1.5.0.dist-info/METADATA",
            "python_dateutil-2.9.0.post0.dist-info/METADATA",
        ]
        .into_iter()
        .map(|p| (p.to_string(), Vec::new()))
        .collect();
        let reqs = [
            "pg8000==1.31.6".to_string(),
            "Python-Dateutil==2.9.0.post0".into(),
        ];
        let e = unpinned(&installed, &reqs).unwrap_err();
        assert!(e.starts_with("pip also installed scramp==1.5.0,"), "{e}");
        let mut all = reqs.to_vec();
        all.push("scramp==1.5.0".into());
        assert_eq!(unpinned(&installed, &all), Ok(()));
    }

    #[test]
    #[ignore = "downloads pg8000 from PyPI with pip (scripts/test runs this)"]
    fn packages_from_pip_give_the_same_zip_from_two_cold_caches() {
        let code = tempfile::tempdir().unwrap();
        std::fs::write(code.path().join("index.py"), "import pg8000\n").unwrap();
        std::fs::write(
            code.path().join("requirements.txt"),
            "pg8000==1.31.6\nscramp==1.5.0\nasn1crypto==1.5.1\npython-dateutil==2.9.0.post0\nsix==1.17.0\n",
        )
        .unwrap();
        let (c1, c2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let p = plan(code.path()).unwrap();
        let mut said = Vec::new();
        let a = build(&p, c1.path(), &mut |s| said.push(s.to_string())).unwrap();
        let b = build(&p, c2.path(), &mut |_| {}).unwrap();
        assert_eq!(a.sha256, b.sha256, "two cold builds differ");
        assert!(said[0].contains("downloading pg8000==1.31.6"), "{said:?}");
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
        let c = build(&p, c1.path(), &mut |s| again.push(s.to_string())).unwrap();
        assert_eq!(c.sha256, a.sha256);
        assert!(again.is_empty());
        // Without its dependencies pinned, the build is refused.
        std::fs::write(code.path().join("requirements.txt"), "pg8000==1.31.6\n").unwrap();
        let e = build(&plan(code.path()).unwrap(), c1.path(), &mut |_| {}).unwrap_err();
        assert!(
            e.message.contains("which requirements.txt does not pin"),
            "{e}"
        );
        eprintln!(
            "pg8000 asset: sha256 {} ({} bytes, {} files), equal across two clean builds",
            a.sha256,
            a.bytes,
            a.files.len()
        );
    }
}

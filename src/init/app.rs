//! `perimeter init --app NAME`: a crate of a team's own, with a solution of its own in
//! one folder (settings, construct, scenarios, handler), its `main.rs`
//! (`App::builtin().solution(...)`), a blueprint, its tests and its CI workflow. Then,
//! unless told not to, the crate is built and run once to write its `out/` and its
//! blueprint schema, so it passes its own checks as generated.
//!
//! Nothing is written when a file it would create is already there; a failed build
//! leaves the crate's files (they are correct; the error says what failed).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::InitError;
use crate::blueprint::{AccountId, Name, Region};
use crate::io_error::IoError;

/// How the crate depends on perimeter: always by its published name and version, as a
/// team's crate does; a checkout on this machine replaces the registry's copy through
/// `[patch.crates-io]`, so the dependency line stays what it will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// The crates.io release of this version (the default).
    Registry { version: String },
    /// This version, taken from a checkout on this machine (perimeter's own tests, or
    /// working on both at once).
    Path(PathBuf),
}

impl Dependency {
    /// This perimeter's release on crates.io.
    pub fn this_release() -> Dependency {
        Dependency::Registry {
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The `perimeter = ...` value of Cargo.toml: without the AWS SDK unless the
    /// crate's `deploy` feature asks for it.
    fn toml(&self) -> String {
        let version = match self {
            Dependency::Registry { version } => version.as_str(),
            Dependency::Path(_) => env!("CARGO_PKG_VERSION"),
        };
        format!(
            "{{ version = {}, default-features = false }}",
            toml_string(version)
        )
    }

    /// The `[patch.crates-io]` section that points the dependency at a checkout, if any
    /// (its crates/ are perimeter's path dependencies, found from there).
    fn patch(&self) -> String {
        match self {
            Dependency::Registry { .. } => String::new(),
            Dependency::Path(p) => format!(
                "\n# perimeter from a checkout instead of crates.io (`init --app --perimeter-path`).\n[patch.crates-io]\nperimeter = {{ path = {} }}\n",
                toml_string(&p.display().to_string())
            ),
        }
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// What to create.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// The crate's folder (created when missing).
    pub dir: PathBuf,
    /// The crate's and the solution's name, kebab-case (`orders-api`).
    pub name: String,
    pub account: String,
    pub region: String,
    pub dependency: Dependency,
    /// Build the crate and run it to write `out/` and the schema.
    pub build: bool,
}

/// The names the templates take: `orders-api`, `orders_api`, `OrdersApi`.
struct Names {
    kebab: String,
    snake: String,
    pascal: String,
}

impl Names {
    fn of(name: &str) -> Result<Names, InitError> {
        let invalid = |message: String| InitError::Invalid {
            flag: "--app",
            message,
        };
        // At most 40 characters: the generated lines that hold it stay within rustfmt's width.
        let valid = name.len() <= 40
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && !name.ends_with('-')
            && !name.contains("--")
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(invalid(format!(
                "{name:?} is not a crate name for the app: lowercase letters, digits and single hyphens, starting with a letter (orders-api)"
            )));
        }
        // Names a crate, a module or a solution cannot take.
        if [
            "perimeter",
            "test",
            "self",
            "super",
            "crate",
            "main",
            "std",
            "core",
        ]
        .contains(&name)
        {
            return Err(invalid(format!("{name:?} is taken: choose another name")));
        }
        let name_ok: Result<Name, _> = name.parse();
        name_ok.map_err(|e: crate::error::Invalid| invalid(e.into()))?;
        Ok(Names {
            kebab: name.to_string(),
            snake: name.replace('-', "_"),
            pascal: name
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect(),
        })
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("__NAME__", &self.kebab)
            .replace("__MODULE__", &self.snake)
            .replace("__TYPE__", &self.pascal)
            .replace("__REPOSITORY__", env!("CARGO_PKG_REPOSITORY"))
    }
}

/// The crate's files, relative to its folder, with their text.
pub fn plan_app(opts: &AppOptions) -> Result<Vec<(String, String)>, InitError> {
    let n = Names::of(&opts.name)?;
    let invalid = |flag, message| InitError::Invalid { flag, message };
    let account: AccountId = opts
        .account
        .parse()
        .map_err(|m: crate::error::Invalid| invalid("--account", m.into()))?;
    let region: Region = opts
        .region
        .parse()
        .map_err(|m: crate::error::Invalid| invalid("--region", m.into()))?;
    let module = format!("src/{}", n.snake);
    let blueprint = n
        .fill(include_str!("app/starter.yaml"))
        .replace("{ACCOUNT}", account.as_str())
        .replace("{REGION}", region.as_str());
    let mut gitignore = super::files::gitignore();
    gitignore.push_str("# Cargo's build.\n/target\n");
    Ok(vec![
        (
            "Cargo.toml".into(),
            n.fill(include_str!("app/Cargo.toml.in"))
                .replace("__PERIMETER__", &opts.dependency.toml())
                .replace("__PATCH__", &opts.dependency.patch()),
        ),
        ("src/main.rs".into(), n.fill(include_str!("app/main.rs.in"))),
        ("src/lib.rs".into(), n.fill(include_str!("app/lib.rs.in"))),
        (
            format!("{module}/mod.rs"),
            n.fill(include_str!("app/mod.rs.in")),
        ),
        (
            format!("{module}/settings.rs"),
            n.fill(include_str!("app/settings.rs.in")),
        ),
        (
            format!("{module}/construct.rs"),
            n.fill(include_str!("app/construct.rs.in")),
        ),
        (
            format!("{module}/scenarios.rs"),
            n.fill(include_str!("app/scenarios.rs.in")),
        ),
        (
            format!("{module}/handler.py"),
            include_str!("app/handler.py").to_string(),
        ),
        (
            format!("{module}/starter.yaml"),
            n.fill(include_str!("app/starter.yaml")),
        ),
        (format!("blueprints/{}.yaml", n.kebab), blueprint),
        (
            "tests/app.rs".into(),
            n.fill(include_str!("app/test.rs.in")),
        ),
        (
            ".github/workflows/ci.yml".into(),
            n.fill(include_str!("app/ci.yml.in")),
        ),
        ("README.md".into(), n.fill(include_str!("app/README.md.in"))),
        (".gitignore".into(), gitignore),
    ])
}

/// Creates the crate, then (with `build`) builds it and runs it to write `out/` and
/// `schema/blueprint.schema.json`. Returns the paths written, relative to the folder.
pub fn init_app(opts: &AppOptions) -> Result<Vec<String>, InitError> {
    let files = plan_app(opts)?;
    let taken: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _)| opts.dir.join(rel))
        .chain([opts.dir.join("out"), opts.dir.join("schema")])
        .filter(|p| p.exists())
        .collect();
    if !taken.is_empty() {
        return Err(InitError::Exists(taken));
    }
    let mut written = Vec::new();
    for (rel, text) in &files {
        let path = opts.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| InitError::Io(IoError::new("create folder", parent, e)))?;
        }
        std::fs::write(&path, text).map_err(|e| InitError::Io(IoError::new("write", &path, e)))?;
        written.push(rel.clone());
    }
    if !opts.build {
        return Ok(written);
    }
    let schema = run_app(&opts.dir, &["schema"])?;
    let schema_path = opts.dir.join("schema/blueprint.schema.json");
    std::fs::create_dir_all(opts.dir.join("schema"))
        .map_err(|e| InitError::Io(IoError::new("create folder", &opts.dir, e)))?;
    std::fs::write(&schema_path, schema)
        .map_err(|e| InitError::Io(IoError::new("write", &schema_path, e)))?;
    written.push("schema/blueprint.schema.json".into());
    run_app(&opts.dir, &["synth", "--quiet"])?;
    written.extend(
        crate::synth::list_files(&opts.dir.join("out"))
            .map_err(InitError::Synth)?
            .into_iter()
            .map(|f| format!("out/{f}")),
    );
    Ok(written)
}

/// `cargo run --quiet -- ARGS` in the crate's folder; its standard output.
fn run_app(dir: &Path, args: &[&str]) -> Result<String, InitError> {
    let o = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--"])
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| InitError::Invalid {
            flag: "--app",
            message: format!(
                "cannot run cargo to build the app ({e}): install Rust (https://rustup.rs), or pass --no-build"
            ),
        })?;
    if !o.status.success() {
        return Err(InitError::Invalid {
            flag: "--app",
            message: format!(
                "the app's files are written, but `cargo run -- {}` in {} failed:\n{}",
                args.join(" "),
                dir.display(),
                String::from_utf8_lossy(&o.stderr).trim_end()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(name: &str) -> AppOptions {
        AppOptions {
            dir: "x".into(),
            name: name.into(),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            dependency: Dependency::Path("/src/perimeter".into()),
            build: false,
        }
    }

    #[test]
    fn the_crate_is_named_throughout() {
        let files = plan_app(&opts("orders-api")).unwrap();
        let get = |p: &str| {
            files
                .iter()
                .find(|(f, _)| f == p)
                .map(|(_, t)| t.as_str())
                .unwrap_or_else(|| panic!("no {p}"))
        };
        assert!(get("Cargo.toml").contains("name = \"orders-api\""));
        // The published name and version; the checkout only through the patch section.
        let version = env!("CARGO_PKG_VERSION");
        let manifest = get("Cargo.toml");
        assert!(manifest.contains(&format!(
            "perimeter = {{ version = \"{version}\", default-features = false }}"
        )));
        assert!(
            manifest.ends_with("[patch.crates-io]\nperimeter = { path = \"/src/perimeter\" }\n"),
            "{manifest}"
        );
        let main = get("src/main.rs");
        assert!(main.contains("use orders_api::OrdersApi;"));
        assert!(main.contains("App::builtin().solution(OrdersApi)"));
        assert!(
            get("src/orders_api/mod.rs").contains("const NAME: &'static str = \"orders-api\";")
        );
        let b = get("blueprints/orders-api.yaml");
        assert!(b.contains("solution: orders-api") && b.contains("account: \"111111111111\""));
        assert!(b.contains("region: eu-west-1"));
        for (f, t) in &files {
            assert!(!t.contains("__"), "{f} keeps a placeholder");
        }
        let release = Dependency::this_release();
        assert_eq!(
            release.toml(),
            format!("{{ version = \"{version}\", default-features = false }}")
        );
        assert_eq!(release.patch(), "");
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in ["Orders", "1app", "a--b", "app-", "perimeter", "a_b", ""] {
            assert!(plan_app(&opts(bad)).is_err(), "{bad}");
        }
    }
}

//! The `perimeter` binary is linked position-dependent on Linux (`-no-pie`): a PIE
//! binary of this size (the AWS SDK's tables, the schema facts) carries ~62,000 relative
//! relocations that the loader applies at every start, writing ~280 pages before `main`:
//! half the instructions and two thirds of the page faults of `perimeter --version`.
//! What ASLR of the main image would guard against is memory corruption, which safe
//! Rust rules out in our code; shared libraries, heap and stack stay randomized.
//! `PERIMETER_PIE=1` at build time keeps the default PIE link.
//!
//! On x86_64 Linux, where rustc links with lld, the functions that `--version` and a
//! synth execute (link/startup-order.txt, written by scripts/startup-order) are laid out
//! together at the start of the code: otherwise their 1.5 MB are spread over 20 MB, and
//! each 64 KB of code a start touches is a page fault. `PERIMETER_NO_ORDER=1` (or a
//! linker without `--symbol-ordering-file`) links without it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/iam-catalog.json");
    println!("cargo:rerun-if-changed={}", catalog.display());
    let catalog = std::fs::read_to_string(&catalog).expect("data/iam-catalog.json");
    catalog_mixed_runs(&catalog);
    catalog_index(&catalog);
    println!("cargo:rerun-if-env-changed=PERIMETER_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let pie = std::env::var("PERIMETER_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    // The unwinder linked in (gcc's `-static-libgcc`): std's panics and backtraces call
    // `_Unwind_*`, which std takes from libgcc_s.so; defined in the binary from libgcc_eh.a
    // (lld prefers an object's definition to a shared library's, and links libgcc_s
    // only as needed), no process loads libgcc_s or runs its constructor, which asks the
    // CPU for its features. A hello world: 0.58-0.72 ms of CPU to 0.49-0.54 ms, 70 page
    // faults to 62. x86_64 only, where rustc links with lld: GNU ld (aarch64) decides
    // `--as-needed` as it reads libgcc_s, before the archive, and would keep both. Not
    // with `crt-static`, where std links libgcc_eh itself. The unwinder of GCC 12 and later
    // asks glibc 2.35's `_dl_find_object`, the floor the release archives already have
    // (scripts/release checks it). `PERIMETER_SHARED_LIBGCC=1` keeps libgcc_s.
    println!("cargo:rerun-if-env-changed=PERIMETER_SHARED_LIBGCC");
    let shared_libgcc = std::env::var("PERIMETER_SHARED_LIBGCC").is_ok_and(|v| v == "1");
    let crt_static = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .is_ok_and(|f| f.split(',').any(|x| x == "crt-static"));
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && env == "gnu" && arch == "x86_64" && !crt_static && !shared_libgcc {
        println!("cargo:rustc-link-arg-bins=-Wl,--whole-archive,-lgcc_eh,--no-whole-archive");
    }
    println!("cargo:rerun-if-changed=link/startup-order.txt");
    println!("cargo:rerun-if-env-changed=PERIMETER_NO_ORDER");
    let order = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("link/startup-order.txt");
    let no_order = std::env::var("PERIMETER_NO_ORDER").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && arch == "x86_64" && !no_order && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // A symbol of the list the binary no longer has is not an error.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// The runs of the IAM catalog's text (maximal runs of ASCII letters and digits) that
/// hold a letter and a digit, in lower case, sorted: no identifier token of the prover's
/// memo is one (src/iam/prove/tokens.rs). Found here once rather than by a scan of the
/// catalog's 1.2 MB in every process that renames a token.
fn catalog_mixed_runs(text: &str) {
    let mut runs: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|r| r.bytes().any(|b| b.is_ascii_digit()))
        .filter(|r| r.bytes().any(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_lowercase)
        .collect();
    runs.sort();
    runs.dedup();
    write_out(
        "catalog_mixed_runs.rs",
        runs.iter().map(|r| format!("{r:?}")),
    );
}

/// Where each service's line is in the IAM catalog (one service a line after the
/// header): lower-case prefix, start and end (the trailing comma left out), sorted by
/// prefix. The catalog parses a service's line the first time it is asked for; finding
/// the lines here spares every process a pass over the file's 1.2 MB.
fn catalog_index(text: &str) {
    let mut out: Vec<(String, usize, usize)> = Vec::new();
    let mut at = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let start = at;
        at += line.len();
        let line = line.trim_end_matches('\n');
        if n == 0 {
            continue;
        }
        let line = line.strip_suffix(',').unwrap_or(line);
        if line == "}}" {
            break;
        }
        let prefix = line
            .strip_prefix('"')
            .and_then(|l| l.split_once("\":"))
            .map(|(p, _)| p)
            .unwrap_or_else(|| panic!("data/iam-catalog.json line {}: no service prefix", n + 1));
        out.push((prefix.to_ascii_lowercase(), start, start + line.len()));
    }
    out.sort();
    write_out(
        "catalog_index.rs",
        out.iter().map(|(p, s, e)| format!("({p:?}, {s}, {e})")),
    );
}

/// Writes `OUT_DIR/name`: a slice expression of `items`, for `include!`.
fn write_out(name: &str, items: impl Iterator<Item = String>) {
    let mut rs = String::from("&[\n");
    for item in items {
        rs.push_str(&format!("    {item},\n"));
    }
    rs.push(']');
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join(name);
    std::fs::write(dest, rs).expect("OUT_DIR is writable");
}

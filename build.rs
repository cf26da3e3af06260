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
    println!("cargo:rerun-if-env-changed=PERIMETER_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let pie = std::env::var("PERIMETER_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=link/startup-order.txt");
    println!("cargo:rerun-if-env-changed=PERIMETER_NO_ORDER");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
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

//! The `perimeter` binary is linked position-dependent on Linux (`-no-pie`): a PIE
//! binary of this size (the AWS SDK's tables, the schema facts) carries ~62,000 relative
//! relocations that the loader applies at every start, writing ~280 pages before `main`:
//! half the instructions and two thirds of the page faults of `perimeter --version`.
//! What ASLR of the main image would guard against is memory corruption, which safe
//! Rust rules out in our code; shared libraries, heap and stack stay randomized.
//! `PERIMETER_PIE=1` at build time keeps the default PIE link.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PERIMETER_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let pie = std::env::var("PERIMETER_PIE").is_ok_and(|v| v == "1");
    if os == "linux" && env == "gnu" && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

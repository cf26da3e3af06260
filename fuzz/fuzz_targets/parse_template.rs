//! Fuzz target: see `oracles::parse_template`.
#![no_main]

#[path = "../oracles.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::parse_template(data));

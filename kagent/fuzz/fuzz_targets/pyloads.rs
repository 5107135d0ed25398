//! Fuzz target `pyloads`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::pyloads`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::pyloads(data));

//! Fuzz target `config`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::config`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::config(data));

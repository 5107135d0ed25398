//! Fuzz target `schema_check`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::schema_check`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::schema_check(data));

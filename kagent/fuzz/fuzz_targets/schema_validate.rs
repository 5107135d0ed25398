//! Fuzz target `schema_validate`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::schema_validate`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::schema_validate(data));

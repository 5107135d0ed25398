//! Fuzz target `spec_yaml`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::spec_yaml`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::spec_yaml(data));

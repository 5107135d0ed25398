//! Fuzz target `d2`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::d2`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::d2(data));

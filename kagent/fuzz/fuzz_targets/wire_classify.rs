//! Fuzz target `wire_classify`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::wire_classify`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::wire_classify(data));

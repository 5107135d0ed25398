//! Fuzz target `sse`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::sse`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::sse(data));

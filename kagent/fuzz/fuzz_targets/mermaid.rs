//! Fuzz target `mermaid`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::mermaid`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::mermaid(data));

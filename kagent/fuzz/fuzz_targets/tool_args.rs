//! Fuzz target `tool_args`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::tool_args`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::tool_args(data));

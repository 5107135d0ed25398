//! Fuzz target `echo_dsl`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::echo_dsl`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::echo_dsl(data));

//! Fuzz target `skill_md`: feeds libFuzzer's bytes to [`kagent_fuzz::entries::skill_md`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kagent_fuzz::entries::skill_md(data));

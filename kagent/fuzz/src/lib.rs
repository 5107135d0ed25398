//! kagent's fuzzing entry points. The functions live in `entries.rs`, which kagent's own
//! `tests/fuzz_regressions.rs` includes too, so a committed crash input is replayed in CI
//! through exactly the function that found it (without building this crate).

pub mod entries;

//! The file tools: ReadFile, ReadMediaFile, WriteFile, StrReplaceFile, Glob, Grep, and the
//! diff display blocks the writing tools return.

pub mod diff;
pub mod glob;
pub mod grep;
pub mod media;
pub mod read_file;
pub mod write_file;

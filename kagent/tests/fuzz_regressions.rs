//! Replays the fuzzing corpus of found crashes (`fuzz/regressions/<target>/*`) through the same
//! entry functions the cargo-fuzz targets call (`fuzz/src/entries.rs`, included here), so every
//! input that once panicked or overflowed the stack stays fixed — in an ordinary `cargo test`,
//! without nightly flags or the fuzz crate's build.

#[path = "../fuzz/src/entries.rs"]
mod entries;

use std::path::Path;

/// The stack of kagent's main thread (Linux's default 8 MiB), where the parsers run.
const MAIN_THREAD_STACK: usize = 8 << 20;

#[test]
fn every_target_has_a_regression_folder_and_replays_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (name, entry) in entries::TARGETS {
        let dir = root.join(name);
        assert!(
            dir.is_dir(),
            "{} is missing: every fuzz target keeps its found crashes there (add the folder with a .gitkeep)",
            dir.display()
        );
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("read the regression folder")
            .map(|e| e.expect("a folder entry").path())
            .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("read a regression input");
            // a panic names the file (the harness prints it); a stack overflow aborts the run
            eprintln!("replaying {name}: {}", file.display());
            // kagent parses on its main thread (8 MiB); a test thread has only 2 MiB
            let entry = *entry;
            std::thread::Builder::new()
                .stack_size(MAIN_THREAD_STACK)
                .spawn(move || entry(&data))
                .expect("spawn the replay thread")
                .join()
                .unwrap_or_else(|_| panic!("{name} panicked on {}", file.display()));
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} inputs");
}

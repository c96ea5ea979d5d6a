//! The committed completions/ and man/ must be what the clap definition renders now, and
//! README.md's exit-code table must list every code of the man pages.

use std::path::Path;

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("MQTK_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (path, bytes) in mqtk::gen::generated_files() {
        let full = root.join(&path);
        if update {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &bytes).unwrap();
        } else if std::fs::read(&full).ok().as_deref() != Some(bytes.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `cargo run -- gen --out-dir .` (or MQTK_UPDATE_GENERATED=1 cargo test) and commit"
    );
}

#[test]
fn readme_lists_every_exit_code() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for (code, _) in mqtk::error::EXIT_CODE_TABLE {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README.md's exit-code table lacks {code}"
        );
    }
}

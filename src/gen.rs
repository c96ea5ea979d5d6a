//! Renders the shell completions and man pages from the clap definition, for `mqtk gen`
//! and for the test that fails when the committed copies are stale.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

use crate::error::EXIT_CODE_TABLE;

/// Every generated file: its path relative to the repository root, and its bytes.
pub fn generated_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for (shell, name) in [
        (Shell::Bash, "mqtk.bash"),
        (Shell::Zsh, "_mqtk"),
        (Shell::Fish, "mqtk.fish"),
        (Shell::PowerShell, "_mqtk.ps1"),
        (Shell::Elvish, "mqtk.elv"),
    ] {
        let mut bytes = Vec::new();
        clap_complete::generate(shell, &mut crate::cli::command(), "mqtk", &mut bytes);
        files.push((Path::new("completions").join(name), bytes));
    }
    let root = crate::cli::command();
    files.push((PathBuf::from("man/mqtk.1"), man_page(root.clone())));
    add_pages(&root, "mqtk", &mut files);
    files
}

/// One page per visible subcommand, nested ones included (`mqtk-bench-pubsub.1`).
fn add_pages(parent: &clap::Command, prefix: &str, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{prefix}-{}", sub.get_name());
        let bin_name = format!("{} {}", prefix.replace('-', " "), sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .display_name(name.clone())
            .bin_name(bin_name);
        files.push((PathBuf::from(format!("man/{name}.1")), man_page(page)));
        add_pages(sub, &name, files);
    }
}

/// Writes every generated file below `dir`.
pub fn write_all(dir: &Path) -> anyhow::Result<()> {
    for (path, bytes) in generated_files() {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn man_page(command: clap::Command) -> Vec<u8> {
    let man = clap_mangen::Man::new(command);
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render(&mut out);
    out.extend_from_slice(exit_status_section().as_bytes());
    out
}

fn exit_status_section() -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_CODE_TABLE {
        roff.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            code.replace('-', "\\-"),
            meaning.replace('-', "\\-")
        ));
    }
    roff
}

//! Renders the shell completions and man pages from the clap definition, for `mqtk gen`
//! and for the test that fails when the committed copies are stale.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

use crate::error::EXIT_CODE_TABLE;
use crate::help;

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
    // Every command's flags are deferred until a command runs: define them all here.
    let mut root = crate::cli::command();
    root.build();
    files.push((PathBuf::from("man/mqtk.1"), man_page(root.clone())));
    add_pages(&root, "mqtk", &mut files);
    files
}

/// One page per visible subcommand, nested ones included (`mqtk-bench-pubsub.1`).
fn add_pages(parent: &clap::Command, prefix: &str, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    // `help` is the subcommand build() adds to list the others: no page of its own.
    let pages = parent
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help");
    for sub in pages {
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

/// One man page: clap_mangen's sections (name, synopsis, description, options by heading,
/// subcommands), then mqtk's own from `help`: the notes, EXIT STATUS, ENVIRONMENT, FILES,
/// EXAMPLES and SEE ALSO. The examples are the ones `--help` ends with.
fn man_page(command: clap::Command) -> Vec<u8> {
    let name = command
        .get_bin_name()
        .unwrap_or(command.get_name())
        .to_string();
    let doc = help::doc_for(&name);
    let see_also = see_also(&command);
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut out);
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        let _ = man.render_subcommands_section(&mut out);
    }
    let mut roff = String::new();
    if let Some(doc) = doc.filter(|d| !d.notes.is_empty()) {
        roff.push_str(&format!(".SH {}\n.nf\n", doc.notes_title));
        for line in doc.notes.lines() {
            roff.push_str(&text(line));
            roff.push('\n');
        }
        roff.push_str(".fi\n");
    }
    roff.push_str(&exit_status_section(doc));
    roff.push_str(&environment_section());
    roff.push_str(&files_section());
    if let Some(doc) = doc {
        roff.push_str(&examples_section(doc));
    }
    roff.push_str(&see_also);
    out.extend_from_slice(roff.as_bytes());
    if command.get_version().is_some() || command.get_long_version().is_some() {
        let _ = man.render_version_section(&mut out);
    }
    out
}

/// Text for roff: backslashes and hyphens escaped, no line read as a request.
fn text(line: &str) -> String {
    let escaped = line.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

fn exit_status_section(doc: Option<&help::CommandDoc>) -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    if let Some(doc) = doc {
        let summary = doc.exit_status.trim_start_matches("Exit status: ");
        roff.push_str(&format!("{}\n.PP\nEvery code:\n", text(summary)));
    }
    for (code, meaning) in EXIT_CODE_TABLE {
        roff.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", text(code), text(meaning)));
    }
    roff
}

fn environment_section() -> String {
    let mut roff = String::from(
        ".SH ENVIRONMENT\nA flag beats its variable; a variable beats the config file.\n",
    );
    for (name, meaning) in help::ENVIRONMENT {
        roff.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", text(name), text(meaning)));
    }
    roff
}

fn files_section() -> String {
    let mut roff = String::from(".SH FILES\n");
    for (path, meaning) in help::FILES {
        roff.push_str(&format!(".TP\n\\fI{}\\fR\n{}\n", text(path), text(meaning)));
    }
    roff
}

fn examples_section(doc: &help::CommandDoc) -> String {
    let mut roff = String::from(".SH EXAMPLES\n");
    for example in doc.examples {
        let colon = if example.what.ends_with(['?', '.', ':']) {
            ""
        } else {
            ":"
        };
        roff.push_str(&format!(
            ".PP\n{}{colon}\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
            text(example.what),
            text(example.command)
        ));
    }
    roff
}

/// The other pages: mqtk(1) lists its commands; a command lists its parent, its own
/// subcommands and, for pub, sub and rr, the mosquitto client it stands in for.
fn see_also(command: &clap::Command) -> String {
    let name = command.get_name();
    let mut pages: Vec<String> = Vec::new();
    if let Some((parent, _)) = name.rsplit_once('-') {
        pages.push(parent.to_string());
    }
    pages.extend(
        command
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            .map(|s| format!("{name}-{}", s.get_name())),
    );
    match name {
        "mqtk-pub" => pages.push("mosquitto_pub".into()),
        "mqtk-sub" => pages.push("mosquitto_sub".into()),
        "mqtk-rr" => pages.push("mosquitto_rr".into()),
        _ => {}
    }
    let refs: Vec<String> = pages
        .iter()
        .map(|p| format!("\\fB{}\\fR(1)", text(p)))
        .collect();
    format!(".SH \"SEE ALSO\"\n{}\n", refs.join(", "))
}

//! The documentation runs: every `mqtk ...` command in README.md's code blocks and in the
//! examples `--help` ends with parses with mqtk's own CLI (no network), every command has
//! examples, and every MQTK_* variable mqtk reads is documented.

use std::path::Path;

use clap::Parser;
use mqtk::cli::Cli;
use mqtk::help::{self, COMMAND_DOCS};

/// A shell token: a word (quotes removed) or an operator.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Op(String),
}

/// Splits one shell line into words and operators, as sh would for the simple lines of a
/// README: quotes, backslashes, `|`, `||`, `&`, `&&`, `;`, `(`, `)`, redirections (`<`, `>`,
/// `>>`, `2>`, `2>&1`), and a `#` that starts a word begins a comment.
fn shell_tokens(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    let mut word = String::new();
    let mut in_word = false;
    let flush = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            word.push(chars.next().unwrap());
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            '#' if !in_word => break,
            ' ' | '\t' => flush(&mut word, &mut in_word, &mut tokens),
            '|' | '&' | ';' | '(' | ')' | '<' | '>' => {
                // A file descriptor number right before a redirection belongs to it (`2>`).
                let fd = if matches!(c, '<' | '>')
                    && in_word
                    && word.chars().all(|d| d.is_ascii_digit())
                {
                    in_word = false;
                    std::mem::take(&mut word)
                } else {
                    flush(&mut word, &mut in_word, &mut tokens);
                    String::new()
                };
                let mut op = format!("{fd}{c}");
                if let Some(&next) = chars.peek() {
                    let doubled = matches!((c, next), ('|', '|') | ('&', '&') | ('>', '>'))
                        || (matches!(c, '<' | '>') && next == '&');
                    if doubled {
                        op.push(chars.next().unwrap());
                    }
                }
                tokens.push(Token::Op(op));
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut tokens);
    tokens
}

/// The argv of every mqtk invocation on a shell line: pipelines and lists are split, the
/// redirections and their targets dropped, `VAR=value` prefixes skipped. The program is
/// `mqtk` or a path ending in `/mqtk` (`./target/release/mqtk`).
fn mqtk_commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut skip_target = false;
    let mut finish = |current: &mut Vec<String>| {
        let words: Vec<String> = std::mem::take(current)
            .into_iter()
            .skip_while(|w| w.contains('=') && !w.starts_with('-'))
            .collect();
        if words
            .first()
            .is_some_and(|w| w == "mqtk" || w.ends_with("/mqtk"))
        {
            commands.push(words);
        }
    };
    for token in shell_tokens(line) {
        match token {
            Token::Word(_) if skip_target => skip_target = false,
            Token::Word(w) if w == "{" || w == "}" => finish(&mut current),
            Token::Word(w) => current.push(w),
            // A redirection and its target (a file, or the descriptor of `2>&1`).
            Token::Op(op) if op.contains('<') || op.contains('>') => skip_target = true,
            Token::Op(_) => finish(&mut current),
        }
    }
    finish(&mut current);
    commands
}

/// Every shell line of README.md's `sh`/`bash`/`console` code blocks (console: only `$ `
/// lines), with backslash continuations joined.
fn readme_shell_lines() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut lines = Vec::new();
    let mut block: Option<String> = None;
    let mut pending = String::new();
    for line in readme.lines() {
        if let Some(fence) = line.trim_start().strip_prefix("```") {
            block = match block {
                Some(_) => None,
                None => Some(fence.trim().to_string()),
            };
            continue;
        }
        let Some(lang) = block.as_deref() else {
            continue;
        };
        let line = match lang {
            "sh" | "bash" | "shell" => line,
            "console" => match line.strip_prefix("$ ") {
                Some(command) => command,
                None => continue,
            },
            _ => continue,
        };
        if let Some(start) = line.strip_suffix('\\') {
            pending.push_str(start);
            continue;
        }
        pending.push_str(line);
        lines.push(std::mem::take(&mut pending));
    }
    lines
}

/// Parses one argv with mqtk's clap definition; `--help` and `--version` count as parsed.
fn check_parses(argv: &[String], origin: &str) -> Result<(), String> {
    let mut argv = argv.to_vec();
    argv[0] = "mqtk".into();
    match Cli::try_parse_from(&argv) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(format!(
            "{origin}: `{}` does not parse: {}",
            argv.join(" "),
            e.render().to_string().lines().next().unwrap_or("")
        )),
    }
}

#[test]
fn shell_lines_split_into_mqtk_commands() {
    assert_eq!(
        mqtk_commands("tail -f app.log | mqtk pub -t 'a b' -l 2>&1 > out # comment"),
        vec![vec!["mqtk", "pub", "-t", "a b", "-l"]]
    );
    assert_eq!(
        mqtk_commands(r#"mqtk pub --jsonl < in.jsonl && X=1 mqtk sub -t "a\"b" -F %t"#),
        vec![
            vec!["mqtk", "pub", "--jsonl"],
            vec!["mqtk", "sub", "-t", "a\"b", "-F", "%t"],
        ]
    );
    assert_eq!(
        mqtk_commands(
            "make && { mosquitto -p 1 & sleep 1; ./target/release/mqtk pub -p 1 -m x; kill $!; }"
        ),
        vec![vec!["./target/release/mqtk", "pub", "-p", "1", "-m", "x"]]
    );
    assert!(mqtk_commands("echo mqtk pub").is_empty());
}

#[test]
fn every_mqtk_command_in_the_readme_parses() {
    let mut failures = Vec::new();
    let mut commands = Vec::new();
    for line in readme_shell_lines() {
        for argv in mqtk_commands(&line) {
            if let Err(e) = check_parses(&argv, "README.md") {
                failures.push(e);
            }
            commands.push(argv[1..].join(" "));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The extraction must have found the README's examples, not nothing.
    assert!(
        commands.len() >= 20,
        "only {} commands found",
        commands.len()
    );
    for needle in [
        "pub ",
        "sub ",
        "ping ",
        "bench conn ",
        "bench sub ",
        "bench pubsub ",
    ] {
        assert!(
            commands.iter().any(|c| c.starts_with(needle)),
            "no `mqtk {needle}...` example in README.md"
        );
    }
}

/// Every visible command of the clap tree, as typed (`mqtk bench conn`), with its command.
fn visible_commands() -> Vec<(String, clap::Command)> {
    fn walk(cmd: &clap::Command, name: String, out: &mut Vec<(String, clap::Command)>) {
        out.push((name.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            if !sub.is_hide_set() && sub.get_name() != "help" {
                walk(sub, format!("{name} {}", sub.get_name()), out);
            }
        }
    }
    let mut root = mqtk::cli::command();
    root.build();
    let mut out = Vec::new();
    walk(&root, "mqtk".into(), &mut out);
    out
}

#[test]
fn every_command_help_ends_with_its_examples_and_they_parse() {
    let commands = visible_commands();
    assert!(commands.len() >= 9, "{commands:?}");
    for (name, mut cmd) in commands {
        let doc = help::doc_for(&name).unwrap_or_else(|| panic!("no CommandDoc for `{name}`"));
        assert!(
            (3..=6).contains(&doc.examples.len()),
            "`{name}` has {} examples, give 3 to 6",
            doc.examples.len()
        );
        let help = cmd.render_long_help().to_string();
        let tail = &help[help.rfind("Examples:").expect("an Examples: section")..];
        for example in doc.examples {
            // Within clap's 100 columns, so --help never wraps an example.
            assert!(
                example.command.len() <= 96 && example.what.len() <= 94,
                "{name}: shorten `{}`",
                example.command
            );
            assert!(
                tail.contains(example.command),
                "{name}: {}",
                example.command
            );
            let argvs = mqtk_commands(example.command);
            assert_eq!(argvs.len(), 1, "{name}: {}", example.command);
            check_parses(&argvs[0], &name).unwrap();
            let typed = argvs[0].join(" ");
            assert!(
                typed.starts_with(&format!("{name} ")),
                "an example of `{name}` runs `{typed}`"
            );
        }
        let last = doc.examples.last().unwrap().command;
        assert!(
            help.trim_end().ends_with(last),
            "`{name} --help` does not end with its examples"
        );
    }
    assert_eq!(COMMAND_DOCS.len(), visible_commands().len());
}

#[test]
fn man_pages_show_the_same_examples_environment_and_files() {
    for (path, bytes) in mqtk::gen::generated_files() {
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".1"))
        else {
            continue;
        };
        let page = String::from_utf8(bytes).unwrap();
        let doc = help::doc_for(&name.replace('-', " ")).unwrap();
        for section in [
            ".SH EXAMPLES",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"EXIT STATUS\"",
        ] {
            assert!(page.contains(section), "{name}.1 lacks {section}");
        }
        for example in doc.examples {
            assert!(
                page.contains(&example.command.replace('\\', "\\e").replace('-', "\\-")),
                "{name}.1 lacks the example {}",
                example.command
            );
        }
        for (variable, _) in help::ENVIRONMENT {
            assert!(
                page.contains(&variable.replace('-', "\\-")),
                "{name}.1 lacks {variable}"
            );
        }
        assert!(
            page.contains("mqtk/config.toml"),
            "{name}.1 lacks the config file"
        );
    }
}

#[test]
fn every_mqtk_variable_read_in_src_is_documented() {
    fn scan(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                // Variables are read by name from string literals: "MQTK_...".
                while let Some(at) = rest.find("\"MQTK_") {
                    let at = at + 1;
                    let name: String = rest[at..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if name.len() > "MQTK_".len() && !found.contains(&name) {
                        found.push(name);
                    }
                    rest = &rest[at + 5..];
                }
            }
        }
    }
    let mut found = Vec::new();
    scan(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(found.len() >= 15, "{found:?}");
    for name in found {
        assert!(
            help::ENVIRONMENT.iter().any(|(v, _)| *v == name),
            "{name} is read in src/ but missing from help::ENVIRONMENT (man pages' ENVIRONMENT)"
        );
    }
}

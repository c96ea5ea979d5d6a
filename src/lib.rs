//! mqtk: an MQTT command-line toolkit. `run` dispatches a parsed command line to its
//! command; `exit` turns the outcome into a process exit code and a one-line message.

pub mod bench;
pub mod cli;
pub mod cmd;
pub mod conn;
pub mod engine;
pub mod error;
pub mod gen;
pub mod help;
pub mod names;
pub mod output;
pub mod signals;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::FromArgMatches;

use cli::{Cli, Command};
use names::Name;
use output::stdio::stderr;

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if !matches!(cli.command, Command::Gen(_)) {
        signals::install();
    }
    match cli.command {
        Command::Publish(args) => cmd::publish::run(&args).await,
        Command::Subscribe(args) => cmd::subscribe::run(&args).await,
        Command::Rr(args) => cmd::rr::run(&args).await,
        Command::Ping(args) => cmd::ping::run(&args).await,
        Command::Bench(args) => bench::run(&args).await,
        Command::Gen(args) => gen::write_all(&args.out_dir),
    }
}

/// Parses the command line, runs it on a single-threaded runtime and maps the result to an
/// exit code. Errors are one line on stderr, prefixed `mqtk: error:`. Started as
/// `mosquitto_pub`, `mosquitto_sub` or `mosquitto_rr` (a symlink), mqtk runs that command,
/// reads mosquitto's options file and exits with mosquitto's codes ([`names`]).
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let name = args.first().and_then(|a| names::from_argv0(a));
    let cli = match parse(args, name) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    // The process default provider serves any TLS code path that does not name one.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                &anyhow::anyhow!("cannot start the async runtime: {e}"),
                name,
            )
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Do not wait for idle blocking-pool threads (DNS lookups, stdin) to wind down.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if error::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => fail(&e, name),
    }
}

/// The command line as mqtk runs it: under a mosquitto name, `mosquitto_pub ARGS` is
/// `mqtk pub ARGS`. An options file (`-o FILE`, or under a mosquitto name its default
/// file) goes before the command line's arguments, so that a flag given in both takes the
/// command line's value; with a file, and always under a mosquitto name, a flag given
/// twice takes the last value (as mosquitto) rather than being an error.
fn parse(args: Vec<OsString>, name: Option<&'static Name>) -> Result<Cli, ExitCode> {
    // Built once: the derive builds the whole tree of every command.
    let root = cli::command();
    let mut argv: Vec<OsString> = vec!["mqtk".into()];
    if let Some(name) = name {
        if root.find_subcommand(name.command).is_none() {
            stderr!(
                "mqtk: error: {}: this mqtk has no '{}' command: upgrade mqtk, or run mosquitto's own {}",
                name.program,
                name.command,
                name.program
            );
            return Err(ExitCode::from(names::ERROR));
        }
        // `mosquitto_pub --version` anywhere on the line, as mosquitto reads it.
        if args.iter().skip(1).any(|a| a == "--version") {
            argv.push("--version".into());
            return Err(match root.try_get_matches_from(&argv) {
                Err(e) => clap_exit(e, Some(name), None),
                Ok(_) => ExitCode::SUCCESS,
            });
        }
        argv.push(name.command.into());
    }
    argv.extend(args.into_iter().skip(1));
    // The tree is used once, not cloned (a clone of every command's definition was a sixth
    // of a one-shot `pub`'s page faults); an options file, which is rare, builds it again.
    let root = if name.is_some() {
        last_value_wins(root)
    } else {
        root
    };
    let matches = root
        .try_get_matches_from(&argv)
        .map_err(|e| clap_exit(e, name, None))?;
    // The command path (`pub`, `bench pub`) is argv[1..=depth]; the file goes after it.
    let mut depth = 0;
    let mut deepest = &matches;
    while let Some((_, sub)) = deepest.subcommand() {
        depth += 1;
        deepest = sub;
    }
    let named = deepest
        .try_get_one::<std::path::PathBuf>("options_file")
        .ok()
        .flatten()
        .cloned();
    let file = match named {
        Some(path) => Some((path, true)),
        None => name
            .and_then(Name::default_options_file)
            .map(|path| (path, false)),
    };
    let Some((path, must_exist)) = file else {
        return Cli::from_arg_matches(&matches).map_err(|e| clap_exit(e, name, None));
    };
    let options = match names::read_options_file(&path, must_exist) {
        Ok(Some(options)) => options,
        Ok(None) => {
            return Cli::from_arg_matches(&matches).map_err(|e| clap_exit(e, name, None));
        }
        Err(failure) => return Err(fail(&failure.into(), name)),
    };
    let mut with_file = argv[..=depth].to_vec();
    with_file.extend(options);
    with_file.extend_from_slice(&argv[depth + 1..]);
    let matches = last_value_wins(cli::command())
        .try_get_matches_from(&with_file)
        .map_err(|e| clap_exit(e, name, Some(&path)))?;
    Cli::from_arg_matches(&matches).map_err(|e| clap_exit(e, name, Some(&path)))
}

/// Every command and subcommand takes the last value of a flag given more than once.
fn last_value_wins(command: clap::Command) -> clap::Command {
    command
        .args_override_self(true)
        .mut_subcommands(last_value_wins)
}

fn fail(error: &anyhow::Error, name: Option<&Name>) -> ExitCode {
    if !matches!(error::failure(error), Some(error::Failure::Interrupted)) {
        stderr!("mqtk: error: {}", error::one_line(&format!("{error:#}")));
    }
    ExitCode::from(match name {
        Some(name) => name.exit_code(error),
        None => error::exit_code(error),
    })
}

/// clap's own errors, reduced to one line (help and version print as usual and exit 0).
/// `options_file` is the options file read before the command line, named in the message.
fn clap_exit(e: clap::Error, name: Option<&Name>, options_file: Option<&Path>) -> ExitCode {
    use clap::error::ErrorKind;
    let usage = match name {
        Some(_) => names::ERROR,
        None => error::code::USAGE,
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(usage)
        }
        _ => {
            let within = options_file
                .map(|path| format!(" (options from {} included)", error::shorten_path(path)))
                .unwrap_or_default();
            stderr!("mqtk: error: {}{within} (see --help)", clap_message(&e));
            ExitCode::from(usage)
        }
    }
}

/// One line in words for a clap error: the flag, the value as given (escaped and
/// shortened) and what to give instead; never clap's own multi-line layout.
fn clap_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind as K, ContextValue as V, ErrorKind};
    let text = |kind| match e.get(kind) {
        Some(V::String(s)) => Some(s.clone()),
        Some(V::Strings(list)) => Some(list.join(", ")),
        Some(V::StyledStr(s)) => Some(s.to_string()),
        Some(V::StyledStrs(list)) => Some(
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(V::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let list = |kind| match e.get(kind) {
        Some(V::Strings(list)) => list.clone(),
        Some(V::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let arg = text(K::InvalidArg).map(|a| flag_name(&a));
    let value = text(K::InvalidValue).map(|v| error::shorten(&v));
    let suggestion = list(K::SuggestedArg)
        .into_iter()
        .chain(list(K::SuggestedSubcommand))
        .chain(list(K::SuggestedValue))
        .map(|s| format!("'{}'", flag_name(&s)))
        .next()
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    let message = match (e.kind(), arg, value) {
        (ErrorKind::ValueValidation, Some(arg), Some(value)) => {
            let why = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not a valid value".into());
            format!("{arg} '{value}': {}", why_in_words(&why))
        }
        (ErrorKind::InvalidValue, Some(arg), Some(value)) if value.is_empty() => {
            format!("{arg} needs a value")
        }
        (ErrorKind::InvalidValue, Some(arg), Some(value)) => {
            let valid = list(K::ValidValue);
            let choices = match valid.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("use {} or {last}", rest.join(", "))
                }
                Some((only, _)) => format!("use {only}"),
                None => "not a valid value".into(),
            };
            format!("{arg} '{value}': {choices}{suggestion}")
        }
        (ErrorKind::UnknownArgument, Some(arg), _) => {
            let arg = error::shorten(&arg);
            if arg.starts_with('-') && arg.len() > 1 {
                format!("unknown flag '{arg}'{suggestion}")
            } else {
                format!("unexpected argument '{arg}': this command takes no such value{suggestion}")
            }
        }
        (ErrorKind::InvalidSubcommand, ..) => {
            let name = text(K::InvalidSubcommand).unwrap_or_default();
            format!(
                "unknown command '{}'{suggestion}: use pub, sub, rr, ping or bench",
                error::shorten(&name)
            )
        }
        (ErrorKind::MissingSubcommand, ..) => {
            let name = text(K::InvalidSubcommand).unwrap_or_default();
            let valid = list(K::ValidSubcommand);
            format!(
                "'{}' needs one of: {}",
                error::shorten(&name),
                valid.join(", ")
            )
        }
        (ErrorKind::MissingRequiredArgument, ..) => {
            let missing: Vec<String> = list(K::InvalidArg).iter().map(|a| flag_name(a)).collect();
            format!("missing {}", missing.join(", "))
        }
        (ErrorKind::ArgumentConflict, Some(arg), _) => {
            let prior: Vec<String> = list(K::PriorArg).iter().map(|a| flag_name(a)).collect();
            if prior.is_empty() || prior == [arg.clone()] {
                format!("{arg} was given more than once: give it once")
            } else {
                format!("{arg} cannot be used with {}: drop one", prior.join(", "))
            }
        }
        (ErrorKind::TooManyValues, Some(arg), Some(value)) => {
            format!("{arg}: one value too many ('{value}')")
        }
        (ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues, Some(arg), _) => {
            let wanted = text(K::ExpectedNumValues)
                .or_else(|| text(K::MinValues))
                .unwrap_or_default();
            let given = text(K::ActualNumValues).unwrap_or_default();
            format!("{arg} takes {wanted} values, {given} given")
        }
        (ErrorKind::NoEquals, Some(arg), _) => format!("{arg} needs '=' before its value"),
        (ErrorKind::InvalidUtf8, ..) => {
            "an argument is not valid UTF-8: give text (use -f FILE for binary payloads)".into()
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            error::one_line(first.strip_prefix("error: ").unwrap_or(first))
        }
    };
    message
}

/// `--repeat <N>` → `--repeat`; `<TOPIC>` stays as it is.
fn flag_name(arg: &str) -> String {
    match arg.split_once(' ') {
        Some((flag, _)) if flag.starts_with('-') => flag.to_string(),
        _ => arg.to_string(),
    }
}

/// A value parser's reason, for parsers mqtk does not own (clap's built-in ones): never
/// Rust's own wording ("invalid digit found in string", "0 is not in 1..=2").
fn why_in_words(why: &str) -> String {
    let rust = [
        "invalid digit",
        "is not in ",
        "too large to fit",
        "too small to fit",
        "cannot parse",
    ];
    if rust.iter().any(|r| why.contains(r)) {
        "not a valid number".to_string()
    } else {
        error::one_line(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(args: &[&str]) -> String {
        let e = <Cli as clap::Parser>::try_parse_from(args).expect_err("a usage error");
        clap_message(&e)
    }

    #[test]
    fn clap_errors_are_one_line_in_words() {
        assert_eq!(
            message(&["mqtk", "pub", "--repeat", "0"]),
            "--repeat '0': give a whole number of 1 or more"
        );
        assert_eq!(
            message(&["mqtk", "pub", "-q", "x\ny"]),
            "--qos 'x\\ny': give 0, 1 or 2"
        );
        assert_eq!(
            message(&["mqtk", "ping", "--probe", "nope"]),
            "--probe 'nope': use pingreq, publish or connect"
        );
        assert!(message(&["mqtk", "pub", "--formt", "x"]).starts_with("unknown flag '--formt'"));
        assert!(message(&["mqtk", "pubb"]).starts_with("unknown command 'pubb'"));
    }

    /// Every flag that takes a value, given values no parser accepts: the message is one
    /// line, in words, with the value escaped and shortened.
    #[test]
    fn every_value_flag_rejects_bad_values_in_words() {
        let long = "9".repeat(100_000);
        let bad = [
            "x\ny",
            "-1",
            "99999999999999999999999",
            "0",
            "1.5",
            long.as_str(),
        ];
        let mut root = cli::command();
        // Each command's flags are deferred until it runs: define them all.
        root.build();
        let mut checked = 0;
        let mut visit = vec![(vec!["mqtk".to_string()], &root)];
        while let Some((path, cmd)) = visit.pop() {
            for sub in cmd.get_subcommands() {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                visit.push((p, sub));
            }
            for arg in cmd.get_arguments() {
                let Some(long_flag) = arg.get_long() else {
                    continue;
                };
                if !arg.get_action().takes_values() || long_flag == "property" {
                    continue;
                }
                for value in bad {
                    let mut argv = path.clone();
                    argv.push(format!("--{long_flag}={value}"));
                    let Err(e) = <Cli as clap::Parser>::try_parse_from(&argv) else {
                        continue;
                    };
                    if e.kind() != clap::error::ErrorKind::ValueValidation
                        && e.kind() != clap::error::ErrorKind::InvalidValue
                    {
                        continue;
                    }
                    checked += 1;
                    let m = clap_message(&e);
                    assert!(!m.contains('\n'), "{argv:?}: {m}");
                    assert!(m.chars().count() < 400, "{argv:?}: {m}");
                    for rust in ["invalid digit", "..", "Some(", "Err(", "{", "not in "] {
                        assert!(!m.contains(rust), "{argv:?}: {m}");
                    }
                    assert!(m.starts_with(&format!("--{long_flag} '")), "{argv:?}: {m}");
                }
            }
        }
        assert!(checked > 50, "{checked}");
    }
}

//! mqtk under mosquitto's client names (`ln -s mqtk mosquitto_pub`): argv[0] picks the
//! command, mosquitto's default options file is read, and the exit codes are
//! mosquitto's. Also the options file format itself, which `-o FILE` reads under any name.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::error::{code, io_reason, shorten, shorten_path, Failure};

/// One of mosquitto's clients mqtk stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name {
    /// argv[0]'s file name, which is also the options file's name (`mosquitto_pub`).
    pub program: &'static str,
    /// The mqtk command it runs (`pub`).
    pub command: &'static str,
    /// The exit code on SIGINT/SIGTERM after the first CONNACK, and before it: 130 for a
    /// client a signal kills (shells report SIGINT as 130); mosquitto_sub catches them and
    /// exits 0 once connected, 255 before (`exit(-1)`).
    pub interrupted: (u8, u8),
}

/// Every name mqtk answers to besides `mqtk`. A command this build lacks is reported
/// (`mosquitto_rr` before `mqtk rr` exists).
pub const NAMES: &[Name] = &[
    Name {
        program: "mosquitto_pub",
        command: "pub",
        interrupted: (code::INTERRUPTED, code::INTERRUPTED),
    },
    Name {
        program: "mosquitto_sub",
        command: "sub",
        interrupted: (0, 255),
    },
    Name {
        program: "mosquitto_rr",
        command: "rr",
        interrupted: (code::INTERRUPTED, code::INTERRUPTED),
    },
];

/// mosquitto's exit code for every error that is neither a CONNACK refusal nor a timeout.
pub const ERROR: u8 = 1;

/// The name mqtk was started under, from argv[0] (`/usr/local/bin/mosquitto_pub`,
/// `mosquitto_pub.exe`); None for `mqtk` and any other name.
pub fn from_argv0(argv0: &OsStr) -> Option<&'static Name> {
    let file = Path::new(argv0).file_name()?.to_str()?;
    let file = file.strip_suffix(".exe").unwrap_or(file);
    NAMES.iter().find(|n| n.program == file)
}

impl Name {
    /// The options file mosquitto reads by default: `$XDG_CONFIG_HOME/mosquitto_pub` when
    /// XDG_CONFIG_HOME is set (HOME is then not looked at, even when that file is missing),
    /// else `$HOME/.config/mosquitto_pub`.
    pub fn default_options_file(&self) -> Option<PathBuf> {
        crate::conn::config::config_dir().map(|dir| dir.join(self.program))
    }

    /// The exit code mosquitto's client gives for what mqtk reports as `error`: the CONNACK
    /// code of a refusal, 27 for a -W timeout, 0/255/130 for an interrupt (see
    /// [`Name::interrupted`]), 1 for everything else.
    pub fn exit_code(&self, error: &anyhow::Error) -> u8 {
        match crate::error::failure(error) {
            Some(Failure::Refused { code, .. }) => *code,
            Some(Failure::Timeout(_)) => code::TIMEOUT,
            Some(Failure::Interrupted) if crate::engine::client::connected_once() => {
                self.interrupted.0
            }
            Some(Failure::Interrupted) => self.interrupted.1,
            _ => ERROR,
        }
    }
}

/// The options of an options file, in order, as command-line arguments. mosquitto's
/// format: one option per line, its value (if any) after the first run of whitespace;
/// leading and trailing whitespace does not count; empty lines and lines starting with `#`
/// are skipped. The value is one argument, spaces and all (`-m hello world`).
///
/// A missing file is `Ok(None)` when `must_exist` is false (mosquitto's default file), an
/// error (66) when it was named with -o.
pub fn read_options_file(path: &Path, must_exist: bool) -> Result<Option<Vec<OsString>>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(None),
        Err(e) => {
            return Err(Failure::NoInput(format!(
                "options file {}: {}",
                shorten_path(path),
                io_reason(&e)
            )))
        }
    };
    parse_options(&text)
        .map(Some)
        .map_err(|why| Failure::Usage(format!("options file {}: {why}", shorten_path(path))))
}

/// The arguments of an options file's text (see [`read_options_file`]).
pub fn parse_options(text: &str) -> Result<Vec<OsString>, String> {
    let mut args = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (option, value) = match line.split_once(char::is_whitespace) {
            Some((option, value)) => (option, Some(value.trim_start())),
            None => (line, None),
        };
        if option == "-o" || option == "--options-file" || option.starts_with("--options-file=") {
            return Err(format!(
                "line {}: '{}': an options file cannot name another one",
                number + 1,
                shorten(line)
            ));
        }
        args.push(OsString::from(option));
        args.extend(value.map(OsString::from));
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str) -> Vec<String> {
        parse_options(text)
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn options_files_read_as_mosquitto_reads_them() {
        let text = "# defaults\n-h broker.local\n  -p   1884  \n\n-r\n\t# indented comment\n-m hello  world\r\n--will-topic=x\n";
        assert_eq!(
            strings(text),
            [
                "-h",
                "broker.local",
                "-p",
                "1884",
                "-r",
                "-m",
                "hello  world",
                "--will-topic=x"
            ]
        );
        assert!(parse_options("-o other\n").unwrap_err().contains("line 1"));
        assert!(parse_options("-q 1\n--options-file=x\n")
            .unwrap_err()
            .contains("line 2"));
    }

    #[test]
    fn argv0_picks_the_name() {
        let name = |s: &str| from_argv0(OsStr::new(s)).map(|n| n.command);
        assert_eq!(name("/usr/local/bin/mosquitto_pub"), Some("pub"));
        assert_eq!(name("mosquitto_sub"), Some("sub"));
        assert_eq!(name("mosquitto_rr.exe"), Some("rr"));
        assert_eq!(name("mqtk"), None);
        assert_eq!(name("/bin/mosquitto_pubx"), None);
    }

    /// Every name runs a command of this mqtk, or is one waiting for its command (rr).
    #[test]
    fn every_name_maps_to_a_command() {
        let root = crate::cli::command();
        for name in NAMES {
            assert!(
                root.find_subcommand(name.command).is_some() || name.command == "rr",
                "{} maps to the missing command {}",
                name.program,
                name.command
            );
        }
    }

    #[test]
    fn exit_codes_are_mosquittos() {
        let sub = from_argv0(OsStr::new("mosquitto_sub")).unwrap();
        let code = |f: Failure| sub.exit_code(&anyhow::Error::from(f).context("running"));
        assert_eq!(code(Failure::Usage("x".into())), 1);
        assert_eq!(code(Failure::Unreachable("x".into())), 1);
        assert_eq!(code(Failure::Tls("x".into())), 1);
        assert_eq!(code(Failure::Timeout("x".into())), 27);
        assert_eq!(
            code(Failure::Refused {
                code: 135,
                reason: "x".into()
            }),
            135
        );
        assert_eq!(sub.exit_code(&anyhow::anyhow!("a bug")), 1);
    }
}

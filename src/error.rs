//! The failures mqtk reports and the exit code each one maps to. The table here is the
//! contract documented in README.md and the man pages: keep all three in step.

use std::fmt;

/// Exit codes of mqtk's own failures. mosquitto's codes are kept where scripts depend on
/// them (27 for a `-W` timeout, the CONNACK reason on refusal: 1-5 for MQTT 3.1.1,
/// 128-159 for MQTT 5), so these sit in the gap between them.
pub mod code {
    /// Everything the user asked for was done.
    pub const SUCCESS: u8 = 0;
    /// `sub -W` or `rr -W` expired before enough messages arrived (mosquitto's MOSQ_ERR_TIMEOUT).
    pub const TIMEOUT: u8 = 27;
    /// A flag or value is wrong; nothing was sent.
    pub const USAGE: u8 = 64;
    /// Input data (a --jsonl line, a payload) is malformed or too large; earlier messages were sent.
    pub const DATA: u8 = 65;
    /// A file named on the command line cannot be read, or the config file or profile asked for does not exist.
    pub const NO_INPUT: u8 = 66;
    /// The broker's host name does not resolve.
    pub const DNS: u8 = 68;
    /// The broker cannot be reached: connection refused, reset, or not an MQTT server.
    pub const UNREACHABLE: u8 = 69;
    /// A bug in mqtk.
    pub const INTERNAL: u8 = 70;
    /// The broker did not complete the connection within --connect-timeout.
    pub const CONNECT_TIMEOUT: u8 = 71;
    /// TLS failed: certificate not trusted, wrong host name, client certificate refused, bad PEM.
    pub const TLS: u8 = 72;
    /// The connection was lost after CONNACK; messages may be unacknowledged.
    pub const CONNECTION_LOST: u8 = 73;
    /// The broker rejected a publish (MQTT 5 PUBACK/PUBREC reason >= 0x80).
    pub const PUBLISH_REJECTED: u8 = 74;
    /// The broker rejected a subscription (SUBACK 0x80 or MQTT 5 reason >= 0x80).
    pub const SUBSCRIBE_REJECTED: u8 = 75;
    /// `ping`: some probes got no answer in time.
    pub const PROBES_LOST: u8 = 76;
    /// `bench`: a client failed or was disconnected, a publish was rejected or unacknowledged,
    /// or a message was lost (the report says which).
    pub const BENCH_DEGRADED: u8 = 77;
    pub const PROTOCOL: u8 = 78;
    /// `bench`: a paced run did not get its offered load through (delivered, acknowledged or
    /// sent below 95 % of it), or its latency grew through the run: the report says which.
    pub const BENCH_OVERLOADED: u8 = 79;
    /// Interrupted by Ctrl-C (SIGINT) or SIGTERM.
    pub const INTERRUPTED: u8 = 130;
}

/// A failure with a known exit code. Wrapped in `anyhow::Error` and found again by
/// [`exit_code`] with a downcast.
#[derive(Debug)]
pub enum Failure {
    /// Bad flag or value.
    Usage(String),
    /// Bad input data after the run started.
    Data(String),
    /// Unreadable input file.
    NoInput(String),
    /// The broker refused CONNECT with this reason code.
    Refused { code: u8, reason: String },
    /// DNS lookup failed.
    Dns(String),
    /// TCP or transport-level failure before CONNACK.
    Unreachable(String),
    /// No CONNACK within --connect-timeout.
    ConnectTimeout(String),
    /// TLS failure.
    Tls(String),
    /// The connection dropped after CONNACK.
    ConnectionLost(String),
    /// The broker rejected one or more publishes.
    PublishRejected(String),
    /// The broker rejected a subscription.
    SubscribeRejected(String),
    /// `-W` expired.
    Timeout(String),
    /// `ping`: probes without an answer.
    ProbesLost(String),
    /// The broker broke the protocol or a limit mqtk announced.
    Protocol(String),
    /// `bench`: the run completed with failures or losses.
    BenchDegraded(String),
    /// `bench`: a paced run's offered load did not get through.
    BenchOverloaded(String),
    /// SIGINT / SIGTERM.
    Interrupted,
    /// A bug in mqtk.
    Internal(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => code::USAGE,
            Failure::Data(_) => code::DATA,
            Failure::NoInput(_) => code::NO_INPUT,
            Failure::Refused { code, .. } => *code,
            Failure::Dns(_) => code::DNS,
            Failure::Unreachable(_) => code::UNREACHABLE,
            Failure::ConnectTimeout(_) => code::CONNECT_TIMEOUT,
            Failure::Tls(_) => code::TLS,
            Failure::ConnectionLost(_) => code::CONNECTION_LOST,
            Failure::PublishRejected(_) => code::PUBLISH_REJECTED,
            Failure::SubscribeRejected(_) => code::SUBSCRIBE_REJECTED,
            Failure::Timeout(_) => code::TIMEOUT,
            Failure::ProbesLost(_) => code::PROBES_LOST,
            Failure::BenchDegraded(_) => code::BENCH_DEGRADED,
            Failure::BenchOverloaded(_) => code::BENCH_OVERLOADED,
            Failure::Protocol(_) => code::PROTOCOL,
            Failure::Interrupted => code::INTERRUPTED,
            Failure::Internal(_) => code::INTERNAL,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m)
            | Failure::Data(m)
            | Failure::NoInput(m)
            | Failure::Dns(m)
            | Failure::Unreachable(m)
            | Failure::ConnectTimeout(m)
            | Failure::Tls(m)
            | Failure::ConnectionLost(m)
            | Failure::PublishRejected(m)
            | Failure::SubscribeRejected(m)
            | Failure::Timeout(m)
            | Failure::ProbesLost(m)
            | Failure::BenchDegraded(m)
            | Failure::BenchOverloaded(m) => f.write_str(m),
            Failure::Protocol(m) => write!(f, "protocol error: {m}"),
            Failure::Internal(m) => write!(f, "internal error (please report it): {m}"),
            Failure::Refused { code, reason } => {
                write!(
                    f,
                    "the broker refused the connection: {reason} (CONNACK code {code})"
                )
            }
            Failure::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Failure {}

/// Shorthand for a usage failure as an `anyhow::Error`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure::Usage(message.into()).into()
}

/// The longest user value an error message shows; longer ones end in `…`.
pub const SHOWN_CHARS: usize = 80;

/// A user value as error messages quote it: control characters (newlines, tabs, escape
/// sequences, NUL, C1 controls) and bidirectional overrides made visible as `\n`, `\t`,
/// `\x1b`, `\u202e`…, and anything past [`SHOWN_CHARS`] characters cut to an ellipsis, so an
/// error is always one line of readable length. Every message that echoes a value uses it.
pub fn shorten(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(SHOWN_CHARS * 4));
    let cut = text.chars().nth(SHOWN_CHARS).is_some();
    for (i, c) in text.chars().enumerate() {
        if cut && i == SHOWN_CHARS - 1 {
            out.push('…');
            break;
        }
        push_visible(&mut out, c);
    }
    out
}

/// A file path as error messages show it: escaped as [`shorten`], but a long path keeps its
/// start and its file name (`/very/long/…/certs/server.pem`).
pub fn shorten_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= SHOWN_CHARS {
        return shorten(&text);
    }
    let head: String = chars[..SHOWN_CHARS / 2 - 1].iter().collect();
    let tail: String = chars[chars.len() - SHOWN_CHARS / 2..].iter().collect();
    format!("{}…{}", shorten(&head), shorten(&tail))
}

/// Escapes one character if a terminal would act on it or not show it.
fn push_visible(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if c.is_control() && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        // Bidirectional overrides and isolates, which reorder what follows them on screen.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => out.push(c),
    }
}

/// An I/O error in plain words, without the operating system's error number
/// ("no such file or directory", not "No such file or directory (os error 2)").
pub fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let words = match error.kind() {
        K::NotFound => "no such file or directory",
        K::PermissionDenied => "permission denied",
        K::IsADirectory => "it is a directory, not a file",
        K::NotADirectory => "a part of the path is not a directory",
        K::InvalidData => "it is not valid UTF-8 text",
        K::UnexpectedEof => "it ended too early",
        _ => {
            let text = error.to_string();
            let text = match text.find(" (os error") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            return shorten(&lowercase_first(&text));
        }
    };
    words.to_string()
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The whole message made one line, as a last guard: any control character left in it
/// (from a library's text) is escaped as [`shorten`] does, without cutting it.
pub fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        push_visible(&mut out, c);
    }
    out
}

/// A library's error text without Rust's notation: `Other(OtherError(UnsupportedCertVersion))`
/// becomes `unsupported cert version`.
pub fn plain(text: &str) -> String {
    let (head, tail) = match text.split_once(": ") {
        Some((head, tail)) => (Some(head), tail),
        None => (None, text),
    };
    let tail = if tail.contains(['(', '{', '[']) {
        let inner = tail.rsplit('(').next().unwrap_or(tail);
        let inner = inner
            .split(['{', '[', ')', ',', ' '])
            .next()
            .unwrap_or(inner);
        camel_words(inner)
    } else if tail.chars().next().is_some_and(char::is_uppercase) && !tail.contains(' ') {
        camel_words(tail)
    } else {
        tail.to_string()
    };
    one_line(&match head {
        Some(head) => format!("{head}: {tail}"),
        None => tail,
    })
}

/// `UnsupportedCertVersion` → `unsupported cert version`.
pub fn camel_words(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The exit code for any error: a [`Failure`] anywhere in the chain decides, anything else
/// is a bug (70).
pub fn exit_code(error: &anyhow::Error) -> u8 {
    failure(error).map_or(code::INTERNAL, Failure::exit_code)
}

/// The [`Failure`] behind an error, wherever it sits in the chain.
pub fn failure(error: &anyhow::Error) -> Option<&Failure> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
}

/// Text cut to `max` characters, the last one an ellipsis when it was longer.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().nth(max).is_none() {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// True when the error is a closed stdout (`mqtk sub | head`), which is not a failure.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit-code table, as printed in the man pages (and mirrored in README.md, which a
/// test checks against this list).
pub const EXIT_CODE_TABLE: &[(&str, &str)] = &[
    ("0", "success: pub sent every message (and, at QoS 1/2, the broker acknowledged it); sub reached -C, -E or --retained-only's live message; rr printed -C matching responses (default 1)"),
    ("1-5", "MQTT 3.1.1 CONNACK refusal, as mosquitto: 1 protocol version, 2 client id, 3 server unavailable, 4 bad user name or password, 5 not authorised"),
    ("27", "sub or rr -W timeout expired (as mosquitto); the message says how many messages (rr: responses) arrived"),
    ("64", "usage error: a flag or value is wrong (rr with -V 31 or 311: it speaks MQTT 5 only); nothing was sent"),
    ("65", "bad input data: a --jsonl line or payload is malformed or too large (earlier messages were sent and acknowledged); bench merge or plot: an input is not a bench report, or not of the same run"),
    ("66", "an input file (-f, --password-file, --cafile, a report ...) cannot be read, or the config file named by MQTK_CONFIG or the profile asked for (--profile, MQTK_PROFILE) does not exist"),
    ("68", "the broker's host name does not resolve"),
    ("69", "the broker cannot be reached: connection refused or reset, or not an MQTT server"),
    ("70", "internal error (a bug: please report it)"),
    ("71", "no CONNACK within --connect-timeout"),
    ("72", "TLS failure: untrusted, expired or mismatched certificate (the message says why and the fix), client certificate refused or not matching --key, bad PEM file"),
    ("73", "connection lost: pub could not reconnect within --reconnect-limit (the message says how many messages were not acknowledged and where to resume), or the broker ended the session for good (MQTT 5 DISCONNECT reason, another client took over the client id); sub otherwise reconnects"),
    ("74", "the broker rejected a publish (MQTT 5 PUBACK/PUBREC reason code >= 0x80), or sub --remove-retained could not clear every retained message"),
    ("75", "the broker rejected a subscription (SUBACK 0x80, or an MQTT 5 reason >= 0x80); the message names the filter"),
    ("76", "ping: some probes got no answer within --timeout (the summary says how many)"),
    ("77", "bench: a client failed to connect or was disconnected, a publish was rejected or never acknowledged, or a message was lost (the report says which; the report is still printed)"),
    ("78", "protocol error: the broker sent what MQTT forbids (an ack for a packet never sent, PUBACK to a QoS 2 publish, Receive Maximum 0) or a packet above --max-packet-size"),
    ("128-159", "MQTT 5 CONNACK refusal: the reason code, as mosquitto (e.g. 134 bad user name or password, 135 not authorized)"),
    ("130", "interrupted (Ctrl-C or SIGTERM); also MQTT 5 CONNACK 0x82 protocol error, which mqtk's well-formed CONNECT does not provoke"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_codes_collide_with_no_connack_code_or_timeout() {
        let own = [
            code::USAGE,
            code::DATA,
            code::NO_INPUT,
            code::DNS,
            code::UNREACHABLE,
            code::INTERNAL,
            code::CONNECT_TIMEOUT,
            code::TLS,
            code::CONNECTION_LOST,
            code::PUBLISH_REJECTED,
            code::SUBSCRIBE_REJECTED,
            code::PROBES_LOST,
            code::BENCH_DEGRADED,
            code::PROTOCOL,
        ];
        for c in own {
            assert!(!(1..=5).contains(&c) && !(128..=162).contains(&c) && c != code::TIMEOUT);
        }
        let mut sorted = own.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), own.len());
    }

    #[test]
    fn exit_code_finds_the_failure_behind_context() {
        let error = anyhow::Error::from(Failure::Tls("bad".into())).context("connecting");
        assert_eq!(exit_code(&error), code::TLS);
        assert_eq!(exit_code(&anyhow::anyhow!("plain")), code::INTERNAL);
    }

    #[test]
    fn shorten_escapes_and_cuts() {
        assert_eq!(
            shorten("a\nb\tc\0\x1b[31m\u{202e}"),
            "a\\nb\\tc\\0\\x1b[31m\\u202e"
        );
        let long = "x".repeat(100_000);
        let shown = shorten(&long);
        assert_eq!(shown.chars().count(), SHOWN_CHARS);
        assert!(shown.ends_with('…'));
        let exact = "y".repeat(SHOWN_CHARS);
        assert_eq!(shorten(&exact), exact);
        assert_eq!(
            shorten("é".repeat(200).as_str()).chars().count(),
            SHOWN_CHARS
        );
        let path = std::path::PathBuf::from(format!("/{}/server.pem", "d".repeat(200)));
        let shown = shorten_path(&path);
        assert!(
            shown.ends_with("/server.pem") && shown.contains('…'),
            "{shown}"
        );
        assert!(shown.chars().count() <= SHOWN_CHARS, "{shown}");
    }

    #[test]
    fn io_reasons_are_words() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_reason(&e), "no such file or directory");
        let e = std::io::Error::from_raw_os_error(28);
        assert!(!io_reason(&e).contains("os error"), "{}", io_reason(&e));
    }
}

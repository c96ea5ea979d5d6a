//! Every clap type of mqtk lives here: the command tree, the shared connection flags and the
//! value parsers. Nothing here does I/O; `conn` and `cmd` turn these into validated options.
//!
//! clap guidelines: give every short flag explicitly (`short = 'x'`), let `long` derive from
//! the field name unless mosquitto spells it differently, and use an UPPERCASE `value_name`.
//! Put each flag under a `help_heading`. A flag that takes a value gets `value_hint =
//! ValueHint::FilePath` (or `DirPath`) when it names a file, values for completions when it
//! has a fixed set (`offer(parser, &[...])`, which leaves parsing alone), and
//! `ValueHint::Other` otherwise, so shells do not offer file names (a test checks). Examples,
//! notes and the `-D` help live in `help.rs`, shared with the man pages.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueHint};

use crate::help::{
    after_help, offer, property_help, property_long_help, BENCH_CONN_DOC, BENCH_DOC,
    BENCH_MERGE_DOC, BENCH_PLOT_DOC, BENCH_PUBSUB_DOC, BENCH_PUB_DOC, BENCH_SUB_DOC, CONNECT_WILL,
    MQTK_DOC, PING_DOC, PUB_DOC, QOS_VALUES, RR_DOC, SUB_DOC,
};

/// mqtk: MQTT from the command line (pub, sub, rr, bench, ping).
#[derive(Debug, Parser)]
#[command(
    name = "mqtk",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    max_term_width = 100,
    after_help = after_help(&MQTK_DOC)
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print help (-h is the broker host, as in mosquitto)
    #[arg(long, action = ArgAction::Help, global = true)]
    pub help: Option<bool>,

    /// Print the version
    #[arg(long, action = ArgAction::Version)]
    pub version: Option<bool>,
}

/// `defer`: a command's flags are defined only when that command runs (or help, completions
/// and man pages need them), so one `pub` does not build `bench`'s hundred flags.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    // The one-line about is here, where the command list finds it before the command's flags
    // are defined (defer); long_about stays with the flags. A doc comment here would replace
    // both, hiding long_about from --help and the man page.
    #[command(
        name = "pub",
        disable_help_flag = true,
        about = "Publish messages (a drop-in for mosquitto_pub)"
    )]
    Publish(Box<PubArgs>),

    #[command(
        name = "sub",
        disable_help_flag = true,
        about = "Subscribe and print messages (a drop-in for mosquitto_sub)"
    )]
    Subscribe(Box<SubArgs>),

    #[command(
        name = "rr",
        disable_help_flag = true,
        about = "Send a request and print its response (MQTT 5; mosquitto_rr with matching)"
    )]
    Rr(Box<RrArgs>),

    #[command(
        name = "ping",
        disable_help_flag = true,
        about = "Measure a broker like ping(8): connection phases, PINGREQ round trips, capabilities"
    )]
    Ping(Box<PingArgs>),

    /// Load-test a broker: many clients, open-loop rates, HDR latency, loss accounting
    #[command(name = "bench", disable_help_flag = true, subcommand_required = true)]
    Bench(Box<BenchArgs>),

    /// Write the shell completions and man pages (used to refresh completions/ and man/)
    #[command(hide = true, disable_help_flag = true)]
    Gen(GenArgs),
}

// `mqtk gen`: where to write the generated files.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Folder that receives completions/ and man/
    #[arg(long, value_name = "DIR", default_value = ".", value_hint = ValueHint::DirPath)]
    pub out_dir: PathBuf,
}

// Connection flags shared by every command that talks to a broker.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnArgs {
    /// Broker host [env: MQTK_HOST] [default: localhost]
    #[arg(short = 'h', long, value_name = "HOST", value_hint = ValueHint::Other)]
    pub host: Option<String>,

    /// Broker port [env: MQTK_PORT] [default: 1883, 8883 with TLS, 80/443 with WebSockets]
    #[arg(short = 'p', long, value_name = "PORT", value_hint = ValueHint::Other, value_parser = whole::<u16>(1, 65_535))]
    pub port: Option<u16>,

    /// Broker URL: mqtt://, mqtts://, ws://, wss:// with [user[:pass]@]host[:port][/path] [env: MQTK_URL]
    ///
    /// For mqtt:// and mqtts:// the path is the topic (as mosquitto's -L); for ws:// and wss://
    /// it is the WebSocket path.
    #[arg(short = 'L', long, value_name = "URL", value_hint = ValueHint::Other)]
    pub url: Option<String>,

    /// Connect over WebSockets to host:port
    #[arg(long)]
    pub ws: bool,

    /// WebSocket path [default: /mqtt]
    #[arg(long, value_name = "PATH", value_hint = ValueHint::Other)]
    pub ws_path: Option<String>,

    /// Extra WebSocket upgrade header, 'Name: value' (repeatable)
    #[arg(long, value_name = "HEADER", value_hint = ValueHint::Other)]
    pub ws_header: Vec<String>,

    /// Connect to a broker's unix socket instead of TCP
    #[arg(long, value_name = "PATH", env = "MQTK_UNIX", value_hint = ValueHint::FilePath)]
    pub unix: Option<PathBuf>,

    /// Tunnel through a proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5h://[user:pass@]host[:port] (SOCKS5, the proxy resolves the broker's name; port 1080 by default) or socks5://... (mqtk resolves it)
    #[arg(long, value_name = "URL", env = "MQTK_PROXY", value_hint = ValueHint::Other)]
    pub proxy: Option<String>,

    /// MQTT version: 31 (mqttv31), 311 (mqttv311) or 5 (mqttv5) [default: 311; rr: 5, the only one it speaks]
    #[arg(
        short = 'V',
        long,
        value_name = "VERSION",
        env = "MQTK_PROTOCOL_VERSION",
        value_parser = offer(clap::builder::StringValueParser::new(), &["31", "311", "5"]),
        hide_possible_values = true
    )]
    pub protocol_version: Option<String>,

    /// Largest packet, in bytes, sent or accepted (MQTT 5 CONNECT announces it; a larger
    /// incoming packet ends the run before it is read) [default: accept 16777216, send 268435455]
    #[arg(long, value_name = "BYTES", value_parser = whole::<u32>(64, 268_435_455), value_hint = ValueHint::Other)]
    pub max_packet_size: Option<u32>,

    /// Call the connection lost when a QoS 1/2 message or a subscription waits this long
    /// for its acknowledgement (e.g. 30s) [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub ack_timeout: Option<Duration>,

    /// pub, sub: give up when one outage lasts longer than this; 0 never reconnects
    /// [default: pub 5m, sub forever]
    #[arg(long, value_name = "DURATION", value_parser = parse_seconds_or_duration, value_hint = ValueHint::Other)]
    pub reconnect_limit: Option<Duration>,

    /// pub, sub: the longest wait between two reconnect attempts [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub reconnect_max_delay: Option<Duration>,

    /// Keepalive in seconds, 0 disables [default: 60]
    #[arg(short = 'k', long, value_name = "SECONDS", env = "MQTK_KEEPALIVE", value_hint = ValueHint::Other, value_parser = whole::<u16>(0, 65_535))]
    pub keepalive: Option<u16>,

    /// Give up connecting after this long (e.g. 500ms, 10s) [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, env = "MQTK_CONNECT_TIMEOUT", value_hint = ValueHint::Other)]
    pub connect_timeout: Option<Duration>,

    /// Bind the client's socket to this local address (or a name for one) before connecting
    #[arg(short = 'A', long, value_name = "ADDRESS", value_hint = ValueHint::Other)]
    pub bind_address: Option<String>,

    /// Accepted for mosquitto's scripts: mqtk always sets TCP_NODELAY (no Nagle delay)
    #[arg(long)]
    pub nodelay: bool,

    /// Username [env: MQTK_USERNAME]
    #[arg(short = 'u', long, value_name = "USER", help_heading = "Authentication", value_hint = ValueHint::Other)]
    pub username: Option<String>,

    /// Password (visible in `ps`: prefer --password-file or MQTK_PASSWORD)
    ///
    /// Looked up in this order: -P, --password-file, MQTK_PASSWORD, MQTK_PASSWORD_FILE, the
    /// -L URL, the config file.
    #[arg(short = 'P', long = "pw", value_name = "PASSWORD", help_heading = "Authentication", value_hint = ValueHint::Other)]
    pub password: Option<String>,

    /// Read the password from the first line of FILE (also MQTK_PASSWORD_FILE)
    #[arg(long, value_name = "FILE", help_heading = "Authentication", value_hint = ValueHint::FilePath)]
    pub password_file: Option<PathBuf>,

    /// CA certificates (PEM) to trust; switches TLS on
    #[arg(long, value_name = "FILE", env = "MQTK_CAFILE", help_heading = "TLS", value_hint = ValueHint::FilePath)]
    pub cafile: Option<PathBuf>,

    /// Folder of CA certificates (PEM) to trust; switches TLS on
    #[arg(long, value_name = "DIR", env = "MQTK_CAPATH", help_heading = "TLS", value_hint = ValueHint::DirPath)]
    pub capath: Option<PathBuf>,

    /// Trust the operating system's CA store; switches TLS on
    #[arg(long, help_heading = "TLS")]
    pub tls_use_os_certs: bool,

    /// Client certificate (PEM) for mutual TLS; needs --key
    #[arg(long, value_name = "FILE", env = "MQTK_CERT", help_heading = "TLS", value_hint = ValueHint::FilePath)]
    pub cert: Option<PathBuf>,

    /// Client private key (PEM: PKCS#1, PKCS#8 or SEC1); needs --cert
    #[arg(long, value_name = "FILE", env = "MQTK_KEY", help_heading = "TLS", value_hint = ValueHint::FilePath)]
    pub key: Option<PathBuf>,

    /// Do not verify the broker's certificate (prints a warning)
    #[arg(long, help_heading = "TLS")]
    pub insecure: bool,

    /// Only this TLS version: tlsv1.2 or tlsv1.3
    #[arg(
        long,
        value_name = "VERSION",
        help_heading = "TLS",
        value_parser = offer(clap::builder::StringValueParser::new(), &["tlsv1.2", "tlsv1.3"]),
        hide_possible_values = true
    )]
    pub tls_version: Option<String>,

    /// ALPN protocol to offer (repeatable)
    #[arg(long, value_name = "PROTOCOL", help_heading = "TLS", value_hint = ValueHint::Other)]
    pub tls_alpn: Vec<String>,

    /// TLS 1.2 cipher suites to offer, OpenSSL names joined by ':' (TLS 1.3 suites stay as they are)
    #[arg(
        long,
        value_name = "LIST",
        help_heading = "TLS",
        value_parser = offer(clap::builder::StringValueParser::new(), crate::conn::tls::CIPHER_NAMES),
        hide_possible_values = true
    )]
    pub ciphers: Option<String>,

    /// Append the TLS session secrets to FILE, NSS key log format, for Wireshark [env: SSLKEYLOGFILE]
    #[arg(long, value_name = "FILE", help_heading = "TLS", value_hint = ValueHint::FilePath)]
    pub tls_keylog: Option<PathBuf>,

    // mosquitto flags mqtk cannot honour: hidden from --help, refused with the reason and
    // what to do instead (conn::refuse_unsupported) rather than "unknown flag".
    #[arg(long, value_name = "HEX", hide = true, value_hint = ValueHint::Other)]
    pub psk: Option<String>,

    #[arg(long, value_name = "IDENTITY", hide = true, value_hint = ValueHint::Other)]
    pub psk_identity: Option<String>,

    #[arg(long, value_name = "ENGINE", hide = true, value_hint = ValueHint::Other)]
    pub tls_engine: Option<String>,

    #[arg(long, value_name = "FORM", hide = true, value_hint = ValueHint::Other)]
    pub keyform: Option<String>,

    #[arg(long, value_name = "SHA1", hide = true, value_hint = ValueHint::Other)]
    pub tls_engine_kpass_sha1: Option<String>,

    #[arg(short = 'S', hide = true)]
    pub srv: bool,

    /// Will topic, published by the broker if we vanish without DISCONNECT
    #[arg(long, value_name = "TOPIC", help_heading = "Will", value_hint = ValueHint::Other)]
    pub will_topic: Option<String>,

    /// Will payload [default: empty]
    #[arg(long, value_name = "PAYLOAD", help_heading = "Will", value_hint = ValueHint::Other)]
    pub will_payload: Option<String>,

    /// Will QoS: 0, 1 or 2 [default: 0]
    #[arg(long, value_name = "QOS", help_heading = "Will", value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub will_qos: Option<u8>,

    /// Retain the will
    #[arg(long, help_heading = "Will")]
    pub will_retain: bool,

    // The help depends on the command: `pub` also takes publish properties and `sub`
    // subscribe properties (their `mut_arg("property", ...)`); ping and bench only these.
    #[arg(
        short = 'D',
        long = "property",
        value_names = ["COMMAND", "NAME", "VALUE"],
        num_args = 3..=4,
        action = ArgAction::Append,
        help = property_help(CONNECT_WILL),
        long_help = property_long_help(CONNECT_WILL),
        help_heading = "MQTT 5 properties",
        value_hint = ValueHint::Other
    )]
    pub property: Vec<String>,

    /// Connection settings profile from the config file
    #[arg(long, value_name = "NAME", env = "MQTK_PROFILE", value_hint = ValueHint::Other)]
    pub profile: Option<String>,

    /// Read options from FILE first: one per line, `#` comments, the command line wins (mosquitto's -o)
    #[arg(short = 'o', long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub options_file: Option<PathBuf>,

    /// Trace every MQTT packet on stderr (passwords are never printed)
    #[arg(short = 'd', long, help_heading = "Diagnostics")]
    pub debug: bool,

    /// Print no warnings
    #[arg(long, help_heading = "Diagnostics")]
    pub quiet: bool,
}

// Client identity and session flags with mosquitto's short spellings (`pub`, `sub`).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Session")]
pub struct SessionArgs {
    /// Client id [default: mqtk- and random characters; empty on MQTT 5 so the broker assigns one]
    #[arg(short = 'i', long, value_name = "ID", conflicts_with = "id_prefix", value_hint = ValueHint::Other)]
    pub id: Option<String>,

    /// Client id prefix; the process id is appended (as mosquitto)
    #[arg(short = 'I', long, value_name = "PREFIX", value_hint = ValueHint::Other)]
    pub id_prefix: Option<String>,

    /// Keep the session when we disconnect (clean session off); needs -i
    #[arg(short = 'c', long)]
    pub disable_clean_session: bool,

    /// MQTT 5 session expiry in seconds, or inf / -1 for never
    #[arg(short = 'x', long, value_name = "SECONDS", allow_hyphen_values = true, value_hint = ValueHint::Other)]
    pub session_expiry: Option<String>,
}

// The message of `pub` and `rr`: one payload from the command line, a file or stdin
// (`pub` adds -l and --jsonl to the same group).
#[derive(Debug, Args, Clone)]
pub struct PayloadArgs {
    /// Message payload
    #[arg(short = 'm', long, value_name = "MESSAGE", value_parser = clap::value_parser!(OsString), group = "input", value_hint = ValueHint::Other)]
    pub message: Option<OsString>,

    /// Send the contents of FILE (any bytes) as the message
    #[arg(short = 'f', long, value_name = "FILE", group = "input", value_hint = ValueHint::FilePath)]
    pub file: Option<PathBuf>,

    /// Send all of stdin as one message
    #[arg(short = 's', long, group = "input")]
    pub stdin_file: bool,

    /// Send a zero-length message
    #[arg(short = 'n', long, group = "input")]
    pub null_message: bool,
}

// How `sub` and `rr` print the messages they receive.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Print the topic before the payload: `topic payload`
    #[arg(short = 'v', long, group = "style", help_heading = "Output")]
    pub verbose: bool,

    /// Print each message with FORMAT (mosquitto's -F; see below)
    #[arg(short = 'F', long = "format", value_name = "FORMAT", group = "style", help_heading = "Output", value_hint = ValueHint::Other)]
    pub format: Option<String>,

    /// Print one JSON object per line: topic, payload|payload_base64, qos, retain, dup, mid, received_at, properties
    #[arg(long, group = "style", help_heading = "Output")]
    pub json: bool,

    /// How to show payloads: raw bytes (auto; in JSON text or base64), text, base64 or hex
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = PayloadFormatArg::Auto, conflicts_with = "format", help_heading = "Output")]
    pub payload_format: PayloadFormatArg,

    /// Do not end messages with a newline
    #[arg(short = 'N', long = "no-newline", help_heading = "Output")]
    pub no_newline: bool,

    /// Indent JSON output (--json, %j, %J) over several lines
    #[arg(long, help_heading = "Output")]
    pub pretty: bool,

    /// Print control characters (ESC...) as received even on a terminal, which otherwise shows them escaped
    #[arg(long, help_heading = "Output")]
    pub raw: bool,
}

// `mqtk pub` (not a doc comment, which would become the command's about).
#[derive(Debug, Args)]
#[command(
    long_about = "Publish one message (-m, -f, -s, -n), one per stdin line (-l) or one per \
                  JSON line (--jsonl). QoS 1 and 2 messages are acknowledged by the broker \
                  before mqtk exits 0.",
    next_help_heading = "Message",
    after_help = after_help(&PUB_DOC),
    mut_arg("property", |a| a
        .help(property_help(&["publish", "connect", "will"]))
        .long_help(property_long_help(&["publish", "connect", "will"]))),
    // mut_arg moved -D last: move -d and --quiet after it, so Diagnostics stays the last heading.
    mut_arg("debug", |a| a),
    mut_arg("quiet", |a| a)
)]
pub struct PubArgs {
    /// Topic to publish to
    #[arg(short = 't', long, value_name = "TOPIC", value_hint = ValueHint::Other)]
    pub topic: Option<String>,

    #[command(flatten)]
    pub payload: PayloadArgs,

    /// Send each line of stdin as a message (newline not included), over one connection
    #[arg(short = 'l', long, group = "input")]
    pub stdin_line: bool,

    /// Read one JSON object per stdin line: {"topic","payload"|"payload_base64","qos","retain","properties"}
    #[arg(long, group = "input")]
    pub jsonl: bool,

    /// Quality of service: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0, value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub qos: u8,

    /// Ask the broker to retain the message
    #[arg(short = 'r', long)]
    pub retain: bool,

    /// Publish the message N times
    #[arg(long, value_name = "N", value_parser = whole::<u64>(1, u64::MAX), help_heading = "Sending", value_hint = ValueHint::Other)]
    pub repeat: Option<u64>,

    /// Wait this long between repeats: seconds (0.5) or a duration (500ms)
    #[arg(long, value_name = "DELAY", value_parser = parse_seconds_or_duration, help_heading = "Sending", value_hint = ValueHint::Other)]
    pub repeat_delay: Option<Duration>,

    /// At most N messages per second (for -l, --jsonl and --repeat)
    #[arg(long, value_name = "N", value_parser = parse_rate, help_heading = "Sending", value_hint = ValueHint::Other)]
    pub rate: Option<f64>,

    /// QoS 1/2 messages in flight at once (mosquitto's -M) [default: 1000; 20 for QoS 2 on MQTT 3.1.1]
    #[arg(short = 'M', long = "max-inflight", value_name = "N", value_parser = whole::<u16>(1, 65_535), help_heading = "Sending", value_hint = ValueHint::Other)]
    pub max_inflight: Option<u16>,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

// `mqtk sub` (not a doc comment, which would become the command's about).
#[derive(Debug, Args)]
#[command(
    long_about = "Subscribe to one or more filters and print each message as it arrives: the \
                  payload (default), `topic payload` (-v), a -F format or JSON lines (--json). \
                  Reconnects when the connection drops and resubscribes when the session was \
                  lost.",
    next_help_heading = "Subscription",
    after_help = after_help(&SUB_DOC),
    mut_arg("property", |a| a
        .help(property_help(&["subscribe", "connect", "will"]))
        .long_help(property_long_help(&["subscribe", "connect", "will"]))),
    // mut_arg moved -D last: move -d and --quiet after it, so Diagnostics stays the last heading.
    mut_arg("debug", |a| a),
    mut_arg("quiet", |a| a)
)]
pub struct SubArgs {
    /// Topic filter to subscribe to (repeatable; + and # wildcards)
    #[arg(short = 't', long = "topic", value_name = "FILTER", value_hint = ValueHint::Other)]
    pub topics: Vec<String>,

    /// Quality of service for every filter: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0, value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub qos: u8,

    /// Do not print messages whose topic matches FILTER (repeatable; wildcards allowed)
    #[arg(short = 'T', long = "filter-out", value_name = "FILTER", help_heading = "Selection", value_hint = ValueHint::Other)]
    pub filter_out: Vec<String>,

    /// Exit after N messages
    #[arg(short = 'C', long = "count", value_name = "N", value_parser = whole::<u64>(1, u64::MAX), help_heading = "Stopping", value_hint = ValueHint::Other)]
    pub count: Option<u64>,

    /// Exit with code 27 after this long: seconds (10) or a duration (1m30s)
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS", value_parser = parse_timeout, help_heading = "Stopping", value_hint = ValueHint::Other)]
    pub timeout: Option<Duration>,

    /// Do not print retained messages (on MQTT 5 the broker is asked not to send them)
    #[arg(short = 'R', long = "no-retained", conflicts_with_all = ["retained_only", "retain_handling"], help_heading = "Selection")]
    pub no_retained: bool,

    /// Print only retained messages; exit at the first live one
    #[arg(long, help_heading = "Selection")]
    pub retained_only: bool,

    /// Exit once subscribed (with -c this creates a durable session)
    #[arg(short = 'E', long = "exit-on-subscribe", help_heading = "Stopping")]
    pub exit_on_subscribe: bool,

    /// Unsubscribe from FILTER after subscribing (repeatable; cleans a durable session)
    #[arg(short = 'U', long = "unsubscribe", value_name = "FILTER", value_hint = ValueHint::Other)]
    pub unsubscribe: Vec<String>,

    /// Clear every retained message received (publishes an empty retained message to its topic)
    #[arg(long)]
    pub remove_retained: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Print only this percentage of messages, chosen at random (0.1 to 100)
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent, help_heading = "Selection", value_hint = ValueHint::Other)]
    pub random_filter: Option<f64>,

    /// MQTT 5: do not receive our own publications
    #[arg(long, help_heading = "MQTT 5 subscription options")]
    pub no_local: bool,

    /// MQTT 5: keep the retain flag as published on live messages
    #[arg(long, help_heading = "MQTT 5 subscription options")]
    pub retain_as_published: bool,

    /// MQTT 5: retained messages 0 = on every subscribe, 1 = for new subscriptions only, 2 = never
    #[arg(long, value_name = "0|1|2", help_heading = "MQTT 5 subscription options", value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub retain_handling: Option<u8>,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

// `mqtk rr` (not a doc comment, which would become the command's about).
#[derive(Debug, Args)]
#[command(
    long_about = "Subscribe to the response topic (-e), then publish the request to -t with the \
                  Response Topic and Correlation Data properties, and print the response whose \
                  correlation data matches (-C N: the first N); messages with other correlation \
                  data are ignored and counted. MQTT 5 only. No reconnect: a lost connection \
                  ends the run.",
    next_help_heading = "Request",
    after_help = after_help(&RR_DOC),
    mut_arg("property", |a| a
        .help(property_help(&["publish", "subscribe", "connect", "will"]))
        .long_help(property_long_help(&["publish", "subscribe", "connect", "will"]))),
    // mut_arg moved -D last: move -d and --quiet after it, so Diagnostics stays the last heading.
    mut_arg("debug", |a| a),
    mut_arg("quiet", |a| a)
)]
pub struct RrArgs {
    /// Topic to publish the request to
    #[arg(short = 't', long, value_name = "TOPIC", value_hint = ValueHint::Other)]
    pub topic: Option<String>,

    /// Response topic: subscribed to before the request is sent, and sent as its Response Topic
    #[arg(short = 'e', long, value_name = "TOPIC", value_hint = ValueHint::Other)]
    pub response_topic: Option<String>,

    #[command(flatten)]
    pub payload: PayloadArgs,

    /// Quality of service of the request and of the response subscription: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0, value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub qos: u8,

    /// Exit 0 after N matching responses
    #[arg(short = 'C', long = "count", value_name = "N", default_value_t = 1, value_parser = whole::<u64>(1, u64::MAX), help_heading = "Responses", value_hint = ValueHint::Other)]
    pub count: u64,

    /// Exit with code 27 after this long: seconds (10) or a duration (1m30s) [default: wait forever]
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS", value_parser = parse_timeout, help_heading = "Responses", value_hint = ValueHint::Other)]
    pub timeout: Option<Duration>,

    /// Accepted for mosquitto_rr's scripts: rr never takes a retained message for a response
    #[arg(short = 'R', long = "no-retained", help_heading = "Responses")]
    pub no_retained: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

// `mqtk ping` (not a doc comment, which would become the command's about).
#[derive(Debug, Args)]
#[command(
    long_about = "Connect (timing DNS, TCP, TLS, WebSocket and CONNECT/CONNACK), then send a \
                  probe every INTERVAL and print its round trip, and a ping(8) summary at the \
                  end. Exit 0 when every probe was answered, 76 when some were lost.",
    next_help_heading = "Probes",
    after_help = after_help(&PING_DOC)
)]
pub struct PingArgs {
    /// Number of probes; 0 = until Ctrl-C
    #[arg(short = 'c', long, value_name = "COUNT", default_value_t = 4, value_hint = ValueHint::Other, value_parser = whole::<u64>(0, u64::MAX))]
    pub count: u64,

    /// Time between probes: seconds (0.5) or a duration (250ms)
    #[arg(short = 'i', long, value_name = "INTERVAL", default_value = "1s", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub interval: Duration,

    /// Send no probe after this long, whatever the count (probes in flight get --timeout)
    #[arg(short = 'w', long, value_name = "DEADLINE", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub deadline: Option<Duration>,

    /// A probe (and the connection) without an answer after this long is lost
    #[arg(long, value_name = "TIMEOUT", default_value = "2s", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub timeout: Duration,

    /// What a probe is: PINGREQ/PINGRESP, a PUBLISH to ourselves, or a whole new connection
    #[arg(long, value_enum, default_value_t = ProbeKind::Pingreq)]
    pub probe: ProbeKind,

    /// QoS of the publish probe: 0, 1 or 2 (1 and 2 also time the broker's acknowledgement)
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0, value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub qos: u8,

    /// Topic of the publish probe, for brokers with ACLs [default: mqtk/ping/<pid>-<random>]
    #[arg(long, value_name = "TOPIC", value_hint = ValueHint::Other)]
    pub topic: Option<String>,

    /// Wait for the broker instead of probing it: retry connecting every 200 ms until a
    /// CONNACK comes (exit 0 at once) or DURATION has passed (exit with the last failure)
    ///
    /// Each attempt is still bounded by --connect-timeout (and --timeout). A broker that
    /// refuses the login (or a TLS failure) ends the wait at once; "server unavailable" and
    /// "server busy" are retried. -d prints one line per attempt.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, conflicts_with_all = ["count", "interval", "deadline", "probe", "qos", "topic"], value_hint = ValueHint::Other)]
    pub wait: Option<Duration>,

    /// Print the broker's capabilities from its CONNACK (MQTT 5 announces them)
    #[arg(long, help_heading = "Output")]
    pub info: bool,

    /// Print JSON lines: the connection, one object per probe, a summary
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Client id [default: mqtk- and random characters]
    #[arg(long = "id", value_name = "ID", help_heading = "Session", value_hint = ValueHint::Other)]
    pub id: Option<String>,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `mqtk ping --probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeKind {
    /// PINGREQ → PINGRESP on one connection
    Pingreq,
    /// PUBLISH to a topic this connection subscribes to (the broker's routing time)
    Publish,
    /// A fresh connection per probe (the whole handshake)
    Connect,
}

/// A duration more than zero: seconds (`0.5`) or humantime (`500ms`).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_seconds_or_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err("give more than zero seconds (0.5) or a duration (250ms)".to_string()),
    }
}

/// `--payload-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PayloadFormatArg {
    Auto,
    Text,
    Base64,
    Hex,
}

// `mqtk bench`: one of four load shapes. (Not a doc comment: it would be the command's about,
// replacing the variant's once the deferred flags are defined.)
#[derive(Debug, Args)]
#[command(after_help = after_help(&BENCH_DOC))]
pub struct BenchArgs {
    #[command(subcommand)]
    pub mode: BenchMode,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum BenchMode {
    /// Open N connections (at --connect-rate), hold them with keepalive pings, time CONNACK
    #[command(disable_help_flag = true, after_help = after_help(&BENCH_CONN_DOC))]
    Conn(BenchConnArgs),

    /// N publishers; with QoS 1/2 also time PUBLISH → PUBACK/PUBCOMP
    #[command(name = "pub", disable_help_flag = true, after_help = after_help(&BENCH_PUB_DOC))]
    Publish(BenchPubArgs),

    /// N subscribers counting (and timing, when payloads carry mqtk's header) what arrives
    #[command(name = "sub", disable_help_flag = true, after_help = after_help(&BENCH_SUB_DOC))]
    Subscribe(BenchSubArgs),

    /// Publishers and subscribers in one process: end-to-end latency, exact loss accounting
    #[command(name = "pubsub", disable_help_flag = true, after_help = after_help(&BENCH_PUBSUB_DOC))]
    PubSub(BenchPubSubArgs),

    /// Merge the JSON reports of a sharded run's shards into the report of one run
    #[command(disable_help_flag = true, after_help = after_help(&BENCH_MERGE_DOC))]
    Merge(BenchMergeArgs),

    /// Draw reports as SVG: the latency distribution, and rate and p99 over time
    #[command(disable_help_flag = true, after_help = after_help(&BENCH_PLOT_DOC))]
    Plot(BenchPlotArgs),
}

#[derive(Debug, Args)]
pub struct BenchMergeArgs {
    /// The shards' reports (--json FILE), or - for lines on stdin (kubectl logs): lines that are not reports are skipped
    #[arg(value_name = "REPORT", required = true, value_hint = ValueHint::FilePath)]
    pub reports: Vec<PathBuf>,

    /// Also write the merged report as JSON to FILE (- = stdout, instead of the text report)
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub json: Option<PathBuf>,

    /// Also write the merged headline latency's HdrHistogram interval log to FILE
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub hlog: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchPlotArgs {
    /// Reports to draw (--json FILE of a run or a merge), overlaid
    #[arg(value_name = "REPORT", required = true, value_hint = ValueHint::FilePath)]
    pub reports: Vec<PathBuf>,

    /// The SVG file to write
    #[arg(short = 'o', long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct BenchConnArgs {
    /// Number of connections
    #[arg(short = 'c', long, value_name = "N", default_value_t = 1, value_parser = whole::<u32>(1, u32::MAX as u64), help_heading = "Clients", value_hint = ValueHint::Other)]
    pub clients: u32,

    #[command(flatten)]
    pub run: BenchRunArgs,
}

#[derive(Debug, Args)]
pub struct BenchPubArgs {
    /// Number of publishers
    #[arg(short = 'c', long, value_name = "N", default_value_t = 1, value_parser = whole::<u32>(1, u32::MAX as u64), help_heading = "Clients", value_hint = ValueHint::Other)]
    pub clients: u32,

    #[command(flatten)]
    pub publish: BenchPublishArgs,

    #[command(flatten)]
    pub run: BenchRunArgs,
}

#[derive(Debug, Args)]
pub struct BenchSubArgs {
    /// Number of subscribers
    #[arg(short = 'c', long, value_name = "N", default_value_t = 1, value_parser = whole::<u32>(1, u32::MAX as u64), help_heading = "Clients", value_hint = ValueHint::Other)]
    pub clients: u32,

    /// Topic template the publishers use; the default filter is derived from it
    #[arg(short = 't', long, value_name = "TEMPLATE", default_value = "bench/%i", help_heading = "Subscribing", value_hint = ValueHint::Other)]
    pub topic: String,

    /// Subscription QoS: 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0, value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true, help_heading = "Subscribing")]
    pub qos: u8,

    #[command(flatten)]
    pub subscribe: BenchSubscribeArgs,

    #[command(flatten)]
    pub run: BenchRunArgs,
}

#[derive(Debug, Args)]
pub struct BenchPubSubArgs {
    /// Number of publishers
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = whole::<u32>(1, u32::MAX as u64), help_heading = "Clients", value_hint = ValueHint::Other)]
    pub publishers: u32,

    /// Number of subscribers
    #[arg(long, value_name = "M", default_value_t = 1, value_parser = whole::<u32>(1, u32::MAX as u64), help_heading = "Clients", value_hint = ValueHint::Other)]
    pub subscribers: u32,

    #[command(flatten)]
    pub publish: BenchPublishArgs,

    #[command(flatten)]
    pub subscribe: BenchSubscribeArgs,

    #[command(flatten)]
    pub search: BenchSearchArgs,

    #[command(flatten)]
    pub run: BenchRunArgs,
}

// The capacity search: rates stepped until the service level is no longer met.
#[derive(Debug, Args)]
#[command(next_help_heading = "Capacity search")]
pub struct BenchSearchArgs {
    /// Find the highest rate that meets --slo: steps of --warmup + --duration each, doubling from --rate (default 1000/s), then halving the interval between the last pass and the first failure
    #[arg(long)]
    pub find_max: bool,

    /// The service level each step must meet, with no message lost: p50, p90, p99, p99.9, p99.99 or max, <= and a duration, e.g. 'p99<=20ms'
    #[arg(long, value_name = "EXPR", default_value = "p99<=20ms", requires = "find_max", value_hint = ValueHint::Other)]
    pub slo: String,

    /// Stop the search when the pass and the failure are this close (percent of the pass)
    #[arg(long, value_name = "PERCENT", default_value_t = 5.0, requires = "find_max", value_parser = parse_percent, value_hint = ValueHint::Other)]
    pub precision: f64,
}

// What the publishers send and how fast.
#[derive(Debug, Args)]
#[command(next_help_heading = "Publishing")]
pub struct BenchPublishArgs {
    /// Topic template: %i client number, %c client id, %n message number
    #[arg(short = 't', long, value_name = "TEMPLATE", default_value = "bench/%i", value_hint = ValueHint::Other)]
    pub topic: String,

    /// Payload size in bytes, mqtk's 32-byte header included
    #[arg(short = 's', long, value_name = "BYTES", default_value_t = 64, value_hint = ValueHint::Other, value_parser = whole::<u32>(0, u32::MAX as u64))]
    pub size: u32,

    /// QoS of the publishes (and of the subscriptions in pubsub): 0, 1 or 2
    #[arg(short = 'q', long, value_name = "QOS", default_value_t = 0, value_parser = offer(whole::<u8>(0, 2), QOS_VALUES), hide_possible_values = true)]
    pub qos: u8,

    /// Publish with the retain flag
    #[arg(short = 'r', long)]
    pub retain: bool,

    /// QoS 1/2 messages each publisher keeps unacknowledged at most (capped by the broker's receive maximum)
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = whole::<u16>(1, 65_535), value_hint = ValueHint::Other)]
    pub inflight: u16,

    /// Messages per second across all publishers, spread evenly (open loop) [default: as fast as possible]
    #[arg(long, value_name = "N", value_parser = parse_rate, conflicts_with = "interval", value_hint = ValueHint::Other)]
    pub rate: Option<f64>,

    /// Time between two messages of one publisher (open loop), e.g. 10ms
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub interval: Option<Duration>,

    /// Messages per publisher, then stop [default: run for --duration]
    #[arg(long, value_name = "N", value_parser = whole::<u64>(1, u64::MAX), conflicts_with = "duration", value_hint = ValueHint::Other)]
    pub count: Option<u64>,
}

// What the subscribers subscribe to.
#[derive(Debug, Args)]
#[command(next_help_heading = "Subscribing")]
pub struct BenchSubscribeArgs {
    /// Subscription filter (%i and %c allowed) [default: the topic template, each % field → +]
    #[arg(long, value_name = "FILTER", value_hint = ValueHint::Other)]
    pub filter: Option<String>,

    /// Subscribe as members of this shared-subscription group ($share/GROUP/filter)
    #[arg(long, value_name = "GROUP", value_hint = ValueHint::Other)]
    pub shared: Option<String>,
}

// How the run is paced and reported, for every mode.
#[derive(Debug, Args)]
#[command(next_help_heading = "Run")]
pub struct BenchRunArgs {
    /// Measure for this long after the warmup [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub duration: Option<Duration>,

    /// Run this long before measuring (its messages are sent and counted, not timed)
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration, value_hint = ValueHint::Other)]
    pub warmup: Duration,

    /// Then wait at most this long for acknowledgements and deliveries (a hard cap: what is still arriving then counts as outstanding, not lost)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_positive_duration, value_hint = ValueHint::Other)]
    pub drain: Duration,

    /// New connections per second while ramping up [default: as fast as the broker accepts]
    #[arg(long, value_name = "N", value_parser = parse_rate, value_hint = ValueHint::Other)]
    pub connect_rate: Option<f64>,

    /// Client ids are this prefix and a number [default: mqtk-bench-PID-; shards: mqtk-bench-RUN-]
    #[arg(long, value_name = "PREFIX", value_hint = ValueHint::Other)]
    pub id_prefix: Option<String>,

    /// The first client's number (%i); give each concurrent mqtk its own range
    #[arg(long, value_name = "N", default_value_t = 0, value_hint = ValueHint::Other, value_parser = whole::<u32>(0, u32::MAX as u64))]
    pub start_number: u32,

    /// Write the whole report as JSON to FILE, created before any client connects (- = stdout, instead of the text report)
    #[arg(long, value_name = "FILE", help_heading = "Output", value_hint = ValueHint::FilePath)]
    pub json: Option<PathBuf>,

    /// Worker threads, each with its own event loop [default: the number of CPUs; 1 at QoS 1/2]
    #[arg(long, value_name = "N", value_parser = whole::<u16>(1, 256), value_hint = ValueHint::Other)]
    pub threads: Option<u16>,

    /// Also write the headline latency as an HdrHistogram interval log (one histogram a second) to FILE
    #[arg(long, value_name = "FILE", help_heading = "Output", value_hint = ValueHint::FilePath)]
    pub hlog: Option<PathBuf>,

    /// Spread the clients' sockets over these local source addresses, round-robin (past the ~28 000 ports per address pair)
    #[arg(long, value_name = "ADDR[,ADDR…]", value_delimiter = ',', value_hint = ValueHint::Other)]
    pub bind: Vec<std::net::IpAddr>,

    /// Run shard I of N (from 0): this process runs its contiguous slice of the clients; merge the shards' --json reports with mqtk bench merge
    #[arg(long, value_name = "I/N", value_parser = parse_shard, help_heading = "Shards", value_hint = ValueHint::Other)]
    pub shard: Option<(u32, u32)>,

    /// The number of shards when --shard is not given; this shard's index is JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job's pods)
    #[arg(long, value_name = "N", env = "MQTK_SHARDS", value_parser = whole::<u32>(1, 1_000_000), help_heading = "Shards", value_hint = ValueHint::Other)]
    pub shards: Option<u32>,

    /// Start sending at TIME (RFC 3339, or +DURATION from now) once connected: shards on machines with synced clocks start together
    #[arg(long, value_name = "TIME", value_parser = parse_start_at, help_heading = "Shards", value_hint = ValueHint::Other)]
    pub start_at: Option<StartAt>,

    /// Once connected, wait for every shard of run RUN through the broker (retained messages under mqtk/bench/RUN/), then start together
    #[arg(long, value_name = "RUN", help_heading = "Shards", value_hint = ValueHint::Other)]
    pub barrier: Option<String>,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// -W: mosquitto's whole seconds, or a humantime duration; more than zero.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    parse_positive_duration(text)
        .map_err(|_| "give -W more than zero seconds (10) or a duration (1m30s)".to_string())
}

/// --shard: `I/N` with I from 0 to N-1.
pub fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((index, count)) if (1..=1_000_000).contains(&count) && index < count => {
            Ok((index, count))
        }
        _ => Err(
            "give I/N with 0 <= I < N <= 1000000, e.g. 0/4 for the first of 4 shards".to_string(),
        ),
    }
}

/// --start-at's time, and whether it was given relative to now (which shards started at
/// different moments would each read differently).
#[derive(Debug, Clone, Copy)]
pub struct StartAt {
    pub at: std::time::SystemTime,
    pub relative: bool,
}

/// --start-at: an RFC 3339 time, or `+DURATION` from now.
pub fn parse_start_at(text: &str) -> Result<StartAt, String> {
    if let Some(after) = text.strip_prefix('+') {
        let after = humantime::parse_duration(after)
            .map_err(|_| "give +DURATION such as +30s, or an RFC 3339 time".to_string())?;
        return Ok(StartAt {
            at: std::time::SystemTime::now() + after,
            relative: true,
        });
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| StartAt {
            at: at.into(),
            relative: false,
        })
        .map_err(|_| {
            "give an RFC 3339 time such as 2026-11-30T18:00:00Z, or +30s from now".to_string()
        })
}

/// --random-filter: a percentage from 0.1 to 100.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.1..=100.0).contains(&p) => Ok(p),
        _ => Err("give a percentage from 0.1 to 100".to_string()),
    }
}

/// A humantime duration such as `10s` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|_| "give a duration such as 10s, 250ms or 1m30s".to_string())
}

/// mosquitto's float seconds (`0.5`) or a humantime duration (`500ms`).
pub fn parse_seconds_or_duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| "give zero or more seconds (0.5) or a duration (500ms)".to_string());
    }
    humantime::parse_duration(text)
        .map_err(|_| "give seconds (0.5) or a duration such as 500ms or 1m30s".to_string())
}

/// A positive, finite message rate.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate >= 0.001 => Ok(rate),
        _ => Err("give messages per second, at least 0.001, e.g. 100".to_string()),
    }
}

/// A value parser for a whole number from `min` to `max` whose error says the range in
/// words ("give 0, 1 or 2", "give a whole number of 1 or more"), never Rust's
/// "0 is not in 1..18446744073709551615" or "invalid digit found in string".
pub fn whole<T>(min: u64, max: u64) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
{
    move |text: &str| {
        let range = if max - min < 3 {
            let all: Vec<String> = (min..=max).map(|n| n.to_string()).collect();
            match all.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("give {} or {last}", rest.join(", "))
                }
                _ => format!("give {min}"),
            }
        } else if max >= u64::from(u32::MAX) {
            format!("give a whole number of {min} or more")
        } else {
            format!("give a whole number from {min} to {max}")
        };
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => T::try_from(n).map_err(|_| range.clone()),
            Ok(n) if n > max && max >= u64::from(u32::MAX) => {
                Err(format!("{range}, at most {max}"))
            }
            Err(_) if digits => Err(format!("{range}, at most {max}")),
            _ => Err(range),
        }
    }
}

/// The complete clap command, for completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn repeat_delay_accepts_float_seconds_and_humantime() {
        assert_eq!(
            parse_seconds_or_duration("0.5"),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            parse_seconds_or_duration("250ms"),
            Ok(Duration::from_millis(250))
        );
        assert!(parse_seconds_or_duration("-1").is_err());
        assert!(parse_seconds_or_duration("soon").is_err());
    }

    #[test]
    fn whole_numbers_say_their_range_in_words() {
        let qos = whole::<u8>(0, 2);
        assert_eq!(qos("2"), Ok(2));
        assert_eq!(qos("3"), Err("give 0, 1 or 2".to_string()));
        let repeat = whole::<u64>(1, u64::MAX);
        assert_eq!(
            repeat("0"),
            Err("give a whole number of 1 or more".to_string())
        );
        assert_eq!(
            repeat("x"),
            Err("give a whole number of 1 or more".to_string())
        );
        assert!(repeat("99999999999999999999999")
            .unwrap_err()
            .contains("at most"));
        let port = whole::<u16>(1, 65_535);
        assert_eq!(
            port("65536"),
            Err("give a whole number from 1 to 65535".to_string())
        );
    }
}

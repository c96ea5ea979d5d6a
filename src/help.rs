//! The reference text that `--help` and the man pages share: each command's examples and
//! notes, the `-D` property help per command, the environment variables and the config
//! file. `cli` puts it at the end of `--help`; `gen` renders the same definitions as the
//! man pages' EXAMPLES, ENVIRONMENT, FILES and EXIT STATUS sections.

use clap::builder::{PossibleValue, TypedValueParser};

/// One example: what it does, and the command line (a shell line; `mqtk` may sit in a pipe).
#[derive(Debug, Clone, Copy)]
pub struct Example {
    pub what: &'static str,
    pub command: &'static str,
}

const fn ex(what: &'static str, command: &'static str) -> Example {
    Example { what, command }
}

/// What one command's `--help` ends with, and what its man page adds to clap's sections.
#[derive(Debug)]
pub struct CommandDoc {
    /// The command as typed: `mqtk`, `mqtk pub`, `mqtk bench conn`.
    pub name: &'static str,
    /// A reference block printed as is (fixed-width, e.g. sub's -F fields); may be empty.
    pub notes: &'static str,
    /// The title of `notes` in the man page.
    pub notes_title: &'static str,
    /// The exit status in one paragraph (the man page adds the whole table).
    pub exit_status: &'static str,
    /// 3 to 6 examples, run-ready.
    pub examples: &'static [Example],
}

pub const MQTK_DOC: CommandDoc = CommandDoc {
    name: "mqtk",
    notes: "",
    notes_title: "",
    exit_status: "Exit status: 0 on success; mosquitto's codes where scripts rely on them (27 for \
                  sub and rr -W, the CONNACK code when the broker refuses the connection), mqtk's own \
                  (64-78, 130) otherwise. Every code is listed in `man mqtk` and in the README. \
                  Run as mosquitto_pub, mosquitto_sub or mosquitto_rr (a symlink), mqtk exits with \
                  mosquitto's codes: 1 for any other error.",
    examples: &[
        ex(
            "Publish one message and wait for the broker's acknowledgement",
            "mqtk pub -t sensors/door -m open -q 1",
        ),
        ex(
            "Print every message under sensors/, topic first",
            "mqtk sub -t 'sensors/#' -v",
        ),
        ex(
            "Is the broker up, and how fast does it answer?",
            "mqtk ping -h broker.local -c 3",
        ),
        ex(
            "10 publishers, one subscriber, 20 seconds: rates, latency, losses",
            "mqtk bench pubsub --publishers 10 --subscribers 1 --duration 20s",
        ),
    ],
};

pub const PUB_DOC: CommandDoc = CommandDoc {
    name: "mqtk pub",
    notes: "",
    notes_title: "",
    exit_status: "Exit status: 0 when every message was sent and, at QoS 1/2, acknowledged; the \
                  CONNACK code when the broker refuses the connection; 65 for a bad --jsonl \
                  line; 73 when an outage outlasts --reconnect-limit; 74 when the broker \
                  rejects a publish; 130 on Ctrl-C or SIGTERM. As mosquitto_pub: 1 instead of \
                  64-78.",
    examples: &[
        ex(
            "One message, acknowledged by the broker before mqtk exits 0",
            "mqtk pub -h broker.local -t sensors/door -m open -q 1",
        ),
        ex(
            "A binary file, retained",
            "mqtk pub -t firmware/latest -f image.bin -r -q 1",
        ),
        ex(
            "Clear a retained message",
            "mqtk pub -t firmware/latest -r -n",
        ),
        ex(
            "One message per line of stdin over one connection, at most 500 per second",
            "tail -f app.log | mqtk pub -t logs/app -l -q 1 --rate 500",
        ),
        ex(
            "Replay what `mqtk sub --json` captured: each line its own topic, QoS and retain",
            "mqtk pub --jsonl < capture.jsonl",
        ),
        ex(
            "MQTT 5 properties in mosquitto's syntax (any -D selects MQTT 5)",
            "mqtk pub -t cmd/x -m '{\"on\":true}' -D publish content-type application/json",
        ),
    ],
};

/// The `-F` fields, for `sub` and `rr`.
const FORMAT_NOTES: &str = "\
-F FORMAT fields (as mosquitto_sub and mosquitto_rr 2.1):
  %t topic   %p payload   %l length   %q QoS   %r retain   %m message id   %%  a %
  %x %X payload in hex (%.2x: groups of 2 digits, %.2:x with ':' between them)
  %d %f payload as an 8-byte double / 4-byte float
  %j JSON (payload escaped)   %J JSON (payload embedded)
  %I ISO-8601 local time  %U Unix time with nanoseconds
  MQTT 5: %A topic alias  %C content type  %D correlation data  %E expiry interval
          %F payload format  %P user properties  %R response topic  %S subscription id
  Flags and sizes: %-10t (left), %010l (zero padding), %10.3t (width and precision)
  @Y @m @d @H @M @S ... strftime fields of the local time, @N nanoseconds, @@ an @
  Escapes: \\n \\t \\r \\0 \\a \\e \\v \\\\";

pub const SUB_DOC: CommandDoc = CommandDoc {
    name: "mqtk sub",
    notes: FORMAT_NOTES,
    notes_title: "FORMAT",
    exit_status: "Exit status: 0 when done (-C, -E, --retained-only), 27 when -W expires, 130 on \
                  Ctrl-C or SIGTERM; the CONNACK code when the broker refuses the connection, 75 when a \
                  subscription is refused. As mosquitto_sub: 1 instead of 64-78, and 0 on \
                  Ctrl-C once connected.",
    examples: &[
        ex(
            "Wait for one message, at most 10 s (exit 27 on timeout, as mosquitto)",
            "mqtk sub -t devices/42/ready -C 1 -W 10",
        ),
        ex(
            "Watch a tree, topic first, hiding the noisy branch",
            "mqtk sub -t 'sensors/#' -v -T 'sensors/debug/#'",
        ),
        ex(
            "Lines for awk: ISO time, topic, QoS, payload in hex",
            "mqtk sub -t 'sensors/#' -F '%I %t %q %x'",
        ),
        ex(
            "Capture as JSON lines (replay with mqtk pub --jsonl)",
            "mqtk sub -t 'plant/#' --json > capture.jsonl",
        ),
        ex(
            "Clear every retained message under a prefix",
            "mqtk sub -t 'old/#' --remove-retained --retained-only -W 5",
        ),
        ex(
            "Create a durable session now (then run it again without -E to collect)",
            "mqtk sub -c -i collector -q 1 -t 'jobs/#' -E",
        ),
    ],
};

pub const RR_DOC: CommandDoc = CommandDoc {
    name: "mqtk rr",
    notes: FORMAT_NOTES,
    notes_title: "FORMAT",
    exit_status: "Exit status: 0 once -C responses (default 1) arrived; 27 when -W expires first \
                  (the message says how many arrived); 64 for -V 311 or 31 (rr speaks MQTT 5 \
                  only); 73 when the connection is lost (rr does not reconnect); 74 when the \
                  broker rejects the request, 75 when it refuses the response subscription; the \
                  CONNACK code when the broker refuses the connection; 130 on Ctrl-C or SIGTERM.",
    examples: &[
        ex(
            "Ask and wait for the answer, at most 5 s (exit 27 on timeout, as mosquitto_rr)",
            "mqtk rr -t svc/clock/get -e svc/clock/reply/cli1 -m now -W 5",
        ),
        ex(
            "A JSON request from a file at QoS 1, the response as a JSON line",
            "mqtk rr -t api/users/get -e api/reply/cli1 -f query.json -q 1 --json",
        ),
        ex(
            "Collect three answers (several responders), topic first, within 10 s",
            "mqtk rr -t fleet/ping -e fleet/pong/cli1 -n -C 3 -W 10 -v",
        ),
        ex(
            "Your own correlation data; -d shows the responses that carry another",
            "mqtk rr -t rpc/add -e rpc/add/reply -m '[1,2]' -d -D publish correlation-data req-7",
        ),
    ],
};

pub const PING_DOC: CommandDoc = CommandDoc {
    name: "mqtk ping",
    notes: "",
    notes_title: "",
    exit_status: "Exit status: 0 when every probe was answered, 76 when some were lost (the \
                  summary is printed either way); the CONNACK code when the broker refuses the \
                  connection; 68, 69, 71 or 72 when it cannot be reached. With --wait: 0 as \
                  soon as a CONNACK comes, else the last attempt's code (69 refused, 71 no \
                  CONNACK, 68 unknown host).",
    examples: &[
        ex(
            "Four PINGREQ round trips, one second apart, and ping(8)'s summary",
            "mqtk ping -h broker.local",
        ),
        ex(
            "CI: wait up to 30 s for the broker to accept connections, then go on",
            "mqtk ping --wait 30s -h broker",
        ),
        ex(
            "A healthcheck: one probe, answered within 2 s or exit 76",
            "mqtk ping -c 1 --timeout 2s -h broker.local",
        ),
        ex(
            "Routing time: a QoS 1 publish to ourselves every 200 ms, on a topic the broker's ACL allows",
            "mqtk ping --probe publish -q 1 -c 10 -i 0.2 --topic health/mqtk",
        ),
        ex(
            "A whole TLS handshake per probe, each phase timed",
            "mqtk ping --probe connect -L mqtts://broker.example.com -c 5",
        ),
        ex(
            "What an MQTT 5 broker announces in its CONNACK",
            "mqtk ping --info -V 5 -c 1",
        ),
    ],
};

const BENCH_EXIT: &str = "Exit status: 0 when every client connected and stayed, nothing was \
                          rejected or lost, and a paced run got its load through; 77 when some \
                          client failed or was disconnected, a publish was rejected or \
                          unacknowledged, or a message was lost or still on its way when --drain \
                          ran out (the report says which); 79 when a --rate or --interval run was \
                          overloaded: less than 95 % of the offered rate got through, or latency \
                          grew through the run (an unpaced run says OVERLOAD and exits 0); 130 on \
                          Ctrl-C or SIGTERM (after the partial report); the connection's own code \
                          (69, 5, 135...) when no client could connect. The report's fields: \
                          docs/bench-report.md.";

pub const BENCH_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench",
    notes: "",
    notes_title: "",
    exit_status: BENCH_EXIT,
    examples: &[
        ex(
            "Fan-in: 10 publishers on bench/0..9, one subscriber on bench/+, 20 s",
            "mqtk bench pubsub --publishers 10 --subscribers 1 -t 'bench/%i' --duration 20s",
        ),
        ex(
            "5 000 msg/s offered at QoS 1, latency corrected for the schedule",
            "mqtk bench pubsub --publishers 50 --subscribers 2 -q 1 --rate 5000 --warmup 5s --duration 60s",
        ),
        ex(
            "10 000 connections at 2 000 new ones per second, held for a minute",
            "mqtk bench conn -c 10000 --connect-rate 2000 --duration 1m",
        ),
        ex(
            "Time a fleet that publishes with `mqtk bench pub` elsewhere; JSON report",
            "mqtk bench sub -c 4 -t 'fleet/%i' --shared readers -V 5 --duration 5m --json fleet.json",
        ),
    ],
};

pub const BENCH_CONN_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench conn",
    notes: "",
    notes_title: "",
    exit_status: BENCH_EXIT,
    examples: &[
        ex(
            "10 000 connections at 2 000 new ones per second, held for a minute",
            "mqtk bench conn -c 10000 --connect-rate 2000 --duration 1m",
        ),
        ex(
            "1 000 TLS connections: the handshake's cost in the connect latency",
            "mqtk bench conn -c 1000 -L mqtts://broker.example.com --duration 30s",
        ),
        ex(
            "500 idle clients pinging every 5 s for 5 minutes, report as JSON",
            "mqtk bench conn -c 500 -k 5 --duration 5m --json conn.json",
        ),
    ],
};

pub const BENCH_PUB_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench pub",
    notes: "",
    notes_title: "",
    exit_status: BENCH_EXIT,
    examples: &[
        ex(
            "10 publishers at QoS 0, as fast as the socket takes it, for 30 s",
            "mqtk bench pub -c 10 --duration 30s",
        ),
        ex(
            "PUBLISH -> PUBACK latency at a steady 2 000 msg/s",
            "mqtk bench pub -c 20 -q 1 --rate 2000 --duration 1m",
        ),
        ex(
            "A fleet of 100 devices, one 256-byte message per second each (time it with bench sub)",
            "mqtk bench pub -c 100 -t 'fleet/%i' --interval 1s -s 256 --duration 5m",
        ),
    ],
};

pub const BENCH_SUB_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench sub",
    notes: "",
    notes_title: "",
    exit_status: BENCH_EXIT,
    examples: &[
        ex(
            "4 subscribers on fleet/+ for 5 minutes: rate, latency, gaps",
            "mqtk bench sub -c 4 -t 'fleet/%i' --duration 5m",
        ),
        ex(
            "The same as one MQTT 5 shared-subscription group, report as JSON",
            "mqtk bench sub -c 4 -t 'fleet/%i' --shared readers -V 5 --duration 5m --json fleet.json",
        ),
        ex(
            "Count what arrives under plant/ for a minute (other payloads are counted, not timed)",
            "mqtk bench sub --filter 'plant/#' --duration 1m",
        ),
    ],
};

pub const BENCH_PUBSUB_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench pubsub",
    notes: "",
    notes_title: "",
    exit_status: BENCH_EXIT,
    examples: &[
        ex(
            "Fan-in: 10 publishers on bench/0..9, one subscriber on bench/+, 20 s",
            "mqtk bench pubsub --publishers 10 --subscribers 1 -t 'bench/%i' --duration 20s",
        ),
        ex(
            "Fan-out: one publisher at 100 msg/s, 20 subscribers",
            "mqtk bench pubsub --publishers 1 --subscribers 20 -t bench/all --rate 100 --duration 30s",
        ),
        ex(
            "Pairs: publisher i to subscriber i only, 1 000 messages each",
            "mqtk bench pubsub --publishers 10 --subscribers 10 -t 'pair/%i' --filter 'pair/%i' --count 1000",
        ),
        ex(
            "5 000 msg/s offered at QoS 1 after a 5 s warmup",
            "mqtk bench pubsub --publishers 50 --subscribers 2 -q 1 --rate 5000 --warmup 5s --duration 60s",
        ),
    ],
};

pub const BENCH_MERGE_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench merge",
    notes: "Shards of one run (mqtk bench ... --shard I/N --json FILE) merge into the report one \
            process would have written: counts add, latency percentiles come from the summed \
            histograms, and loss is accounted across shards. A shard whose report is missing is \
            reported as that shard's failure: its clients count as failed, not its messages as \
            lost. Running shards: docs/kubernetes.md.",
    notes_title: "Merging",
    exit_status: "Exit status: as the run's: 0 when everything went through, 77 when a client \
                  or shard failed or a message was lost, 79 when a paced run was overloaded; 65 \
                  when an input is not a bench report or the reports are not shards of one run \
                  (the line names the file); 66 when a file cannot be read or written.",
    examples: &[
        ex(
            "Four shards' reports into one text report and one JSON report",
            "mqtk bench merge shard-0.json shard-1.json shard-2.json shard-3.json --json run.json",
        ),
        ex(
            "A Kubernetes Indexed Job's shards (each ran with --json -)",
            "kubectl logs -l job-name=mqtk-bench --tail=-1 | mqtk bench merge -",
        ),
        ex(
            "Three shards' reports, and the merged latency as an HdrHistogram interval log",
            "mqtk bench merge c0.json c1.json c2.json --hlog run.hlog",
        ),
    ],
};

pub const BENCH_PLOT_DOC: CommandDoc = CommandDoc {
    name: "mqtk bench plot",
    notes: "",
    notes_title: "",
    exit_status: "Exit status: 0 when the SVG was written; 65 when a report cannot be drawn; 66 \
                  when a file cannot be read or the SVG cannot be written.",
    examples: &[
        ex(
            "QoS 0 and QoS 1 runs overlaid",
            "mqtk bench plot qos0.json qos1.json -o latency.svg",
        ),
        ex(
            "A sharded run's merged report (mqtk bench merge ... --json merged.json)",
            "mqtk bench plot merged.json -o merged.svg",
        ),
        ex(
            "Three brokers under the same load, side by side",
            "mqtk bench plot mosquitto.json emqx.json nanomq.json -o brokers.svg",
        ),
    ],
};

/// Every command's documentation, in man page order.
pub const COMMAND_DOCS: &[&CommandDoc] = &[
    &MQTK_DOC,
    &PUB_DOC,
    &SUB_DOC,
    &RR_DOC,
    &PING_DOC,
    &BENCH_DOC,
    &BENCH_CONN_DOC,
    &BENCH_PUB_DOC,
    &BENCH_SUB_DOC,
    &BENCH_PUBSUB_DOC,
    &BENCH_MERGE_DOC,
    &BENCH_PLOT_DOC,
];

/// The documentation of the command typed as `name` (`mqtk bench conn`).
pub fn doc_for(name: &str) -> Option<&'static CommandDoc> {
    COMMAND_DOCS.iter().copied().find(|doc| doc.name == name)
}

/// What `--help` prints after the flags: the notes, the exit status, then the examples.
pub fn after_help(doc: &CommandDoc) -> String {
    let header = clap::builder::styling::Styles::default()
        .get_header()
        .to_owned();
    let mut text = String::new();
    if !doc.notes.is_empty() {
        text.push_str(doc.notes);
        text.push_str("\n\n");
    }
    text.push_str(doc.exit_status);
    text.push_str(&format!("\n\n{header}Examples:{header:#}"));
    for example in doc.examples {
        text.push_str(&format!("\n  # {}\n  {}\n", example.what, example.command));
    }
    text.truncate(text.trim_end().len());
    text
}

/// The MQTT 5 properties of each packet `-D` can name, in mosquitto's spelling.
pub const PROPERTY_NAMES: &[(&str, &str)] = &[
    (
        "publish",
        "content-type, correlation-data, message-expiry-interval, payload-format-indicator, \
         response-topic, topic-alias (reused after the first message, as mosquitto), user-property",
    ),
    ("subscribe", "subscription-identifier, user-property"),
    (
        "connect",
        "session-expiry-interval, receive-maximum, maximum-packet-size, topic-alias-maximum, \
         request-problem-information, request-response-information, user-property",
    ),
    (
        "will",
        "will-delay-interval, content-type, correlation-data, message-expiry-interval, \
         payload-format-indicator, response-topic, user-property",
    ),
];

/// The packets whose properties `ping` and `bench` set.
pub const CONNECT_WILL: &[&str] = &["connect", "will"];

/// `-D` in one line, for a command that sets properties on `packets`.
pub fn property_help(packets: &[&str]) -> String {
    format!(
        "MQTT 5 property: -D {} NAME VALUE (repeatable; selects MQTT 5)",
        packets.join("|")
    )
}

/// `-D` in full: the property names of each packet.
pub fn property_long_help(packets: &[&str]) -> String {
    let mut text = property_help(packets);
    text.push_str("\n\nNAME, in mosquitto's spelling, for each packet:");
    for packet in packets {
        if let Some((_, names)) = PROPERTY_NAMES.iter().find(|(p, _)| p == packet) {
            text.push_str(&format!("\n\n{packet}: {names}"));
        }
    }
    text.push_str(&format!(
        "\n\nuser-property takes a name and a value: -D {} user-property NAME VALUE.",
        packets[0]
    ));
    text
}

/// The values shell completions offer for a QoS.
pub const QOS_VALUES: &[&str] = &["0", "1", "2"];

/// A value parser that leaves parsing, and its error messages, to `inner`, and only tells
/// shell completions (and nothing else) which values to offer.
#[derive(Clone)]
pub struct Offer<P> {
    inner: P,
    values: &'static [&'static str],
}

/// `inner`, with `values` offered to shell completions.
pub fn offer<P>(inner: P, values: &'static [&'static str]) -> Offer<P> {
    Offer { inner, values }
}

impl<P: TypedValueParser> TypedValueParser for Offer<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.inner.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.values.iter().map(|v| PossibleValue::new(*v))))
    }
}

/// Every environment variable mqtk reads, with what it stands for. A flag beats its
/// variable; a variable beats the config file.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("MQTK_HOST", "broker host (-h)"),
    ("MQTK_PORT", "broker port (-p)"),
    ("MQTK_URL", "broker URL (-L)"),
    ("MQTK_UNIX", "the broker's unix socket (--unix)"),
    ("MQTK_PROXY", "proxy URL (--proxy)"),
    ("MQTK_PROTOCOL_VERSION", "MQTT version: 31, 311 or 5 (-V)"),
    ("MQTK_KEEPALIVE", "keepalive in seconds (-k)"),
    (
        "MQTK_CONNECT_TIMEOUT",
        "give up connecting after this long (--connect-timeout)",
    ),
    ("MQTK_USERNAME", "user name (-u)"),
    (
        "MQTK_PASSWORD",
        "password, kept off the command line (-P shows in ps); -P and --password-file win over it",
    ),
    (
        "MQTK_PASSWORD_FILE",
        "a file whose first line is the password (--password-file)",
    ),
    ("MQTK_CAFILE", "CA certificates to trust (--cafile)"),
    ("MQTK_CAPATH", "folder of CA certificates (--capath)"),
    ("MQTK_CERT", "client certificate (--cert)"),
    ("MQTK_KEY", "client private key (--key)"),
    ("MQTK_PROFILE", "the config file profile to use (--profile)"),
    (
        "MQTK_CONFIG",
        "the config file to read instead of $XDG_CONFIG_HOME/mqtk/config.toml",
    ),
    (
        "XDG_CONFIG_HOME",
        "the folder holding mqtk/config.toml (default: ~/.config), and mosquitto's options \
         files when mqtk runs as mosquitto_pub, mosquitto_sub or mosquitto_rr",
    ),
    (
        "MQTK_SHARDS",
        "bench: the number of shards when --shard is not given (--shards)",
    ),
    (
        "JOB_COMPLETION_INDEX",
        "bench: this shard's index with --shards (a Kubernetes Indexed Job sets it in each pod)",
    ),
    (
        "SSLKEYLOGFILE",
        "append the TLS secrets to this file, as --tls-keylog does (the flag wins; warns \
         unless --quiet; does not switch TLS on)",
    ),
];

/// The files mqtk reads on its own.
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/mqtk/config.toml",
        "the config file (~/.config/mqtk/config.toml when XDG_CONFIG_HOME is unset; MQTK_CONFIG \
         names another): [default] applies to every run, [profile.NAME] is laid over it by \
         --profile NAME; keys are the long connection flag names (host, port, url, username, \
         password-file, cafile, ...). Precedence: flag > environment > profile > [default] > \
         built-in default.",
    ),
    (
        "$XDG_CONFIG_HOME/mosquitto_pub",
        "mosquitto's options file, read only when mqtk runs as mosquitto_pub (a symlink; \
         likewise mosquitto_sub and mosquitto_rr), from ~/.config/mosquitto_pub when \
         XDG_CONFIG_HOME is unset: one option per line, # comments, read before the command \
         line, which wins. -o FILE names another file, under any name. Its options count as \
         flags: above the environment and the config file.",
    ),
];

#[cfg(test)]
mod tests {
    use clap::{Parser, ValueHint};

    use super::*;
    use crate::cli::Cli;

    /// The flags that name a file (or, `DirPath`, a folder): the only ones completed with
    /// file names.
    const PATH_FLAGS: &[&str] = &[
        "file",
        "unix",
        "password_file",
        "cafile",
        "capath",
        "cert",
        "key",
        "json",
        "hlog",
        "reports",
        "output",
        "out_dir",
        "tls_keylog",
        "options_file",
    ];

    fn all_commands(cmd: &clap::Command, out: &mut Vec<clap::Command>) {
        out.push(cmd.clone());
        for sub in cmd.get_subcommands() {
            all_commands(sub, out);
        }
    }

    #[test]
    fn completions_offer_values_or_nothing_and_file_names_only_for_files() {
        let mut root = crate::cli::command();
        root.build();
        let mut commands = Vec::new();
        all_commands(&root, &mut commands);
        for cmd in commands {
            for arg in cmd.get_arguments() {
                if !arg.get_num_args().is_some_and(|n| n.takes_values()) {
                    continue;
                }
                let id = arg.get_id().as_str();
                let where_ = format!("{} --{}", cmd.get_name(), arg.get_long().unwrap_or(id));
                let hint = arg.get_value_hint();
                if PATH_FLAGS.contains(&id) {
                    assert!(
                        matches!(hint, ValueHint::FilePath | ValueHint::DirPath),
                        "{where_}: a path, give it ValueHint::FilePath or DirPath"
                    );
                } else if arg.get_possible_values().is_empty() {
                    assert_eq!(
                        hint,
                        ValueHint::Other,
                        "{where_}: no file names: give it value_hint = ValueHint::Other \
                         (or offer its values)"
                    );
                }
            }
        }
    }

    #[test]
    fn enumerated_flags_offer_their_values() {
        let mut root = crate::cli::command();
        root.build();
        let values = |path: &[&str], id: &str| -> Vec<String> {
            let mut cmd = &root;
            for name in path {
                cmd = cmd.find_subcommand(name).unwrap();
            }
            let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
            arg.get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect()
        };
        assert_eq!(values(&["pub"], "qos"), ["0", "1", "2"]);
        assert_eq!(values(&["sub"], "retain_handling"), ["0", "1", "2"]);
        assert_eq!(values(&["rr"], "qos"), ["0", "1", "2"]);
        assert_eq!(values(&["sub"], "protocol_version"), ["31", "311", "5"]);
        assert_eq!(values(&["ping"], "tls_version"), ["tlsv1.2", "tlsv1.3"]);
        assert_eq!(
            values(&["ping"], "probe"),
            ["pingreq", "publish", "connect"]
        );
        assert_eq!(
            values(&["sub"], "payload_format"),
            ["auto", "text", "base64", "hex"]
        );
        assert_eq!(values(&["bench", "pubsub"], "qos"), ["0", "1", "2"]);
        assert_eq!(values(&["bench", "conn"], "will_qos"), ["0", "1", "2"]);
    }

    /// Offering values to completions changes neither what parses nor the error messages.
    #[test]
    fn offered_values_leave_parsing_alone() {
        let error = |args: &[&str]| {
            Cli::try_parse_from(args)
                .map(|_| ())
                .unwrap_err()
                .render()
                .to_string()
                .lines()
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            error(&["mqtk", "pub", "-q", "3"]),
            "error: invalid value '3' for '--qos <QOS>': give 0, 1 or 2"
        );
        // -V and --tls-version are checked later, with mqtk's own messages: any text parses.
        for args in [
            &["mqtk", "pub", "-V", "mqttv5"][..],
            &["mqtk", "pub", "-V", "4"],
            &["mqtk", "pub", "--tls-version", "tlsv1.1"],
            &["mqtk", "sub", "--retain-handling", "2"],
        ] {
            assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
    }

    #[test]
    fn property_help_names_the_packets_of_each_command() {
        let mut root = crate::cli::command();
        root.build();
        let help = |path: &[&str]| {
            let mut cmd = &root;
            for name in path {
                cmd = cmd.find_subcommand(name).unwrap();
            }
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_id() == "property")
                .unwrap();
            arg.get_help().unwrap().to_string()
        };
        assert!(help(&["pub"]).contains("-D publish|connect|will NAME VALUE"));
        assert!(help(&["sub"]).contains("-D subscribe|connect|will NAME VALUE"));
        assert!(help(&["rr"]).contains("-D publish|subscribe|connect|will NAME VALUE"));
        assert!(help(&["ping"]).contains("-D connect|will NAME VALUE"));
        assert!(help(&["bench", "pub"]).contains("-D connect|will NAME VALUE"));
        assert!(property_long_help(&["subscribe"]).contains("subscription-identifier"));
    }
}

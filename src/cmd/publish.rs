//! `mqtk pub`: publishes one message, a repeated message, one message per stdin line or one
//! per JSON line, keeping a window of QoS 1/2 messages in flight; reconnects through broker
//! restarts (resuming a kept session, or sending unacknowledged messages again), and exits 0
//! only when the broker has acknowledged every one of them.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{BufRead, Read};
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::{PayloadArgs, PubArgs};
use crate::conn::{codes, validate_topic, ConnectOptions, ProtocolVersion};
use crate::engine::client::{disconnect_text, final_disconnect, Backoff, Client, Stop};
use crate::engine::packets::Message;
use crate::engine::session::Event;
use crate::error::Failure;
use crate::output::jsonl::JsonMessage;
use crate::output::stdio::stderr;

/// Lines handed from the stdin reader thread to the publisher in one batch.
const LINE_BATCH: usize = 256;
/// How long one outage may last before pub gives up, unless --reconnect-limit.
const DEFAULT_RECONNECT_LIMIT: Duration = Duration::from_secs(300);
/// QoS 1/2 window slots pub waits for before writing more, when many messages wait.
const MIN_BATCH: usize = 64;
/// Bytes queued for the socket before pub stops taking input and waits for the write.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// What to publish, validated.
#[derive(Debug)]
pub struct PubOptions {
    pub conn: ConnectOptions,
    /// The -t topic (required except for --jsonl, whose lines may carry their own).
    pub topic: Option<String>,
    pub input: Input,
    pub qos: u8,
    pub retain: bool,
    /// Messages per second, if limited.
    pub rate: Option<f64>,
    /// `-D publish …` properties.
    pub properties: Option<PublishProperties>,
}

/// Where the payloads come from.
#[derive(Debug)]
pub enum Input {
    /// One payload (-m, -f, -s, -n), sent `count` times `delay` apart.
    Single {
        payload: Bytes,
        count: u64,
        delay: Duration,
    },
    /// One message per stdin line (-l).
    Lines,
    /// One JSON object per stdin line (--jsonl).
    JsonLines,
}

impl PubOptions {
    /// Validates the flags; reads -f and -s input before any connection is made.
    pub fn from_args(args: &PubArgs) -> Result<PubOptions, Failure> {
        let mut conn = ConnectOptions::from_args(&args.conn, &args.session)?;
        conn.max_inflight = args.max_inflight.unwrap_or(default_window(&conn, args));
        if conn.properties.subscribe.is_some() {
            return Err(Failure::Usage(
                "-D subscribe: mqtk pub sends no SUBSCRIBE; give -D publish properties".into(),
            ));
        }
        let topic = args.topic.clone().or(conn.url_topic.clone());
        if let Some(topic) = &topic {
            validate_topic(topic, "-t/--topic")?;
        } else if !args.jsonl {
            return Err(Failure::Usage(
                "-t/--topic is required (or give it in -L mqtt://host/topic)".into(),
            ));
        }
        if args.repeat_delay.is_some() && args.repeat.is_none() {
            return Err(Failure::Usage("--repeat-delay needs --repeat N".into()));
        }
        if args.repeat.is_some() && (args.stdin_line || args.jsonl) {
            return Err(Failure::Usage(
                "--repeat works with -m, -f, -s or -n, not with -l or --jsonl".into(),
            ));
        }
        let single = |payload: Bytes| Input::Single {
            payload,
            count: args.repeat.unwrap_or(1),
            delay: args.repeat_delay.unwrap_or_default(),
        };
        let input = if let Some(payload) = read_payload(&args.payload, conn.max_outgoing)? {
            single(payload)
        } else if args.stdin_line {
            Input::Lines
        } else if args.jsonl {
            Input::JsonLines
        } else {
            return Err(Failure::Usage(
                "give the message: -m, -f, -s, -l, -n or --jsonl".into(),
            ));
        };
        if let (Input::Single { payload, .. }, Some(topic)) = (&input, &topic) {
            let properties = conn.properties.publish.as_ref();
            check_size(payload.len(), topic, properties, conn.max_outgoing)
                .map_err(|why| Failure::Data(format!("the message is too large: {why}")))?;
        }
        if conn.reconnect_limit.is_none() {
            conn.reconnect_limit = Some(DEFAULT_RECONNECT_LIMIT);
        }
        Ok(PubOptions {
            topic,
            input,
            qos: args.qos,
            retain: args.retain,
            rate: args.rate,
            properties: conn.properties.publish.clone(),
            conn,
        })
    }
}

/// The in-flight window when -M is not given. A broker holds each incoming QoS 2 message
/// until PUBREL and disconnects a client that exceeds its receive maximum; MQTT 5 brokers
/// announce that maximum (and rumqttc obeys it), 3.1.1 brokers cannot, so QoS 2 over 3.1.1
/// uses mosquitto's default of 20. QoS 1 messages are acknowledged at once and get 1000.
fn default_window(conn: &ConnectOptions, args: &PubArgs) -> u16 {
    let may_send_qos2 = args.qos == 2 || args.jsonl;
    if conn.version == ProtocolVersion::V311 && may_send_qos2 {
        20
    } else {
        1000
    }
}

/// The payload of -m, -f, -s or -n (`pub` and `rr`), read before any connection is made;
/// None when none of them is given.
pub(crate) fn read_payload(args: &PayloadArgs, limit: u32) -> Result<Option<Bytes>, Failure> {
    let payload = if let Some(message) = &args.message {
        Bytes::from(os_bytes(message.clone()))
    } else if let Some(path) = &args.file {
        let flag = format!("-f/--file {}", crate::error::shorten_path(path));
        let file = std::fs::File::open(path)
            .map_err(|e| Failure::NoInput(format!("{flag}: {}", crate::error::io_reason(&e))))?;
        read_limited(file, limit, &flag)?
    } else if args.stdin_file {
        read_limited(std::io::stdin().lock(), limit, "-s/--stdin-file")?
    } else if args.null_message {
        Bytes::new()
    } else {
        return Ok(None);
    };
    Ok(Some(payload))
}

/// Reads a whole payload, at most the packet limit: a larger one (or an endless one,
/// `/dev/zero`) fails once the limit is passed, without reading the rest.
fn read_limited(input: impl Read, limit: u32, flag: &str) -> Result<Bytes, Failure> {
    let mut bytes = Vec::new();
    input
        .take(u64::from(limit) + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Failure::NoInput(format!(
                "{flag}: cannot read: {}",
                crate::error::io_reason(&e)
            ))
        })?;
    if bytes.len() > limit as usize {
        return Err(Failure::Data(format!(
            "{flag}: the message is larger than the maximum packet size of {limit} bytes (--max-packet-size)"
        )));
    }
    Ok(Bytes::from(bytes))
}

#[cfg(unix)]
fn os_bytes(text: std::ffi::OsString) -> Vec<u8> {
    std::os::unix::ffi::OsStringExt::into_vec(text)
}

#[cfg(not(unix))]
fn os_bytes(text: std::ffi::OsString) -> Vec<u8> {
    text.to_string_lossy().into_owned().into_bytes()
}

/// Checks that a PUBLISH fits in `max` bytes: fixed header, topic, packet id, properties
/// (counted generously) and payload.
pub(crate) fn check_size(
    payload: usize,
    topic: &str,
    properties: Option<&PublishProperties>,
    max: u32,
) -> Result<(), String> {
    let overhead = 5 + 2 + topic.len() + 2 + 5 + properties.map_or(0, properties_len);
    if payload.saturating_add(overhead) > max as usize {
        return Err(format!(
            "a {payload}-byte payload does not fit the maximum packet size of {max} bytes"
        ));
    }
    Ok(())
}

/// An upper bound of the encoded size of PUBLISH properties.
fn properties_len(p: &PublishProperties) -> usize {
    let text = |t: &Option<String>| t.as_ref().map_or(0, |t| 3 + t.len());
    5 * 4
        + text(&p.content_type)
        + text(&p.response_topic)
        + p.correlation_data.as_ref().map_or(0, |d| 3 + d.len())
        + p.user_properties
            .iter()
            .map(|(k, v)| 5 + k.len() + v.len())
            .sum::<usize>()
        + 5 * p.subscription_identifiers.len()
}

/// Counts of what happened to the messages, for the exit decision and the messages.
#[derive(Debug, Default)]
struct Tally {
    /// Messages handed to the session (the last one's number).
    submitted: u64,
    /// QoS 1/2 messages the broker rejected (MQTT 5 reason >= 0x80).
    rejected: u64,
}

/// One message the input produced, numbered from 1.
struct Item {
    number: u64,
    topic: Bytes,
    qos: u8,
    retain: bool,
    payload: Bytes,
    properties: Option<PublishProperties>,
}

/// Where pub's messages come from, read as the session has room.
struct Source {
    /// Items ready to send.
    ready: VecDeque<Item>,
    /// Raw lines waiting to become items (-l, --jsonl).
    lines: Option<mpsc::Receiver<std::io::Result<Vec<Bytes>>>>,
    /// Lines read so far.
    read: u64,
    /// -m/-f/-s/-n: copies still to produce.
    repeats_left: u64,
    /// The input has ended (or failed: `error`).
    ended: bool,
    error: Option<Failure>,
    /// The earliest instant the next message may go (--rate, --repeat-delay).
    due: Option<Instant>,
}

/// Runs `mqtk pub`.
pub async fn run(args: &PubArgs) -> anyhow::Result<()> {
    let opts = PubOptions::from_args(args)?;
    let quiet = opts.conn.quiet;
    let publisher = tokio::select! {
        biased;
        _ = super::interrupted() => {
            if !quiet {
                stderr!("mqtk: interrupted while connecting: no message was sent");
            }
            return Err(Failure::Interrupted.into());
        }
        publisher = Publisher::start(opts) => publisher?,
    };
    publisher.run().await
}

struct Publisher {
    opts: PubOptions,
    client: Client,
    source: Source,
    tally: Tally,
    pacer: Pacer,
    /// The topic alias from `-D publish topic-alias` is set up with the broker.
    alias_sent: bool,
    /// `-t` as the bytes every message shares (a clone per message is a reference count).
    topic: Bytes,
}

impl Publisher {
    async fn start(opts: PubOptions) -> Result<Publisher, Failure> {
        let mut client = Client::connect(&opts.conn, opts.conn.max_inflight).await?;
        if let Some(failure) = refuse_before_publishing(&opts, &client) {
            // Say goodbye properly, then fail: nothing was sent.
            client.disconnect(opts.conn.connect_timeout).await;
            return Err(failure);
        }
        let (repeats_left, lines) = match &opts.input {
            Input::Single { count, .. } => (*count, None),
            Input::Lines | Input::JsonLines => (0, Some(spawn_stdin_reader())),
        };
        Ok(Publisher {
            pacer: Pacer::new(opts.rate),
            source: Source {
                ready: VecDeque::new(),
                lines,
                read: 0,
                repeats_left,
                ended: false,
                error: None,
                due: None,
            },
            tally: Tally::default(),
            alias_sent: false,
            topic: Bytes::from(opts.topic.clone().unwrap_or_default().into_bytes()),
            client,
            opts,
        })
    }

    async fn run(mut self) -> anyhow::Result<()> {
        let interrupt = super::interrupted();
        tokio::pin!(interrupt);
        let mut backoff = Backoff::new(
            self.opts.conn.reconnect_max_delay,
            self.opts.conn.reconnect_limit,
        );
        loop {
            if let Err(failure) = self.feed() {
                self.source.error.get_or_insert(failure);
                self.source.ended = true;
                self.source.ready.clear();
            }
            if self.source.ended
                && self.source.ready.is_empty()
                && self.client.session().in_flight() == 0
                && self.client.unwritten() == 0
            {
                break;
            }
            let want_input = !self.source.ended
                && self.source.ready.is_empty()
                && self.source.lines.is_some()
                && self.can_send();
            // Pacing is what holds the next message back: wake at its time (which may have
            // passed since `feed` looked; then at once).
            let due = self.source.due.filter(|_| {
                self.can_send() && (!self.source.ready.is_empty() || self.source.repeats_left > 0)
            });
            let until_written = self.client.unwritten() > 0;
            let far = Instant::now() + Duration::from_secs(86_400);
            let mut polled = tokio::select! {
                biased;
                _ = &mut interrupt => {
                    if !self.opts.conn.quiet {
                        stderr!("mqtk: interrupted: {}", self.progress());
                    }
                    return Err(Failure::Interrupted.into());
                }
                event = self.client.next_or_written(until_written) => event,
                batch = recv_lines(&mut self.source.lines), if want_input => {
                    match batch {
                        Some(Ok(batch)) => self.take_lines(batch),
                        Some(Err(e)) => {
                            self.source.error = Some(Failure::NoInput(format!("cannot read stdin: {e}")));
                            self.source.ended = true;
                        }
                        None => self.source.ended = true,
                    }
                    Ok(None)
                }
                _ = tokio::time::sleep_until(due.unwrap_or(far)), if due.is_some() => Ok(None),
            };
            // Acks come in bursts: handle the ones already read in one go.
            loop {
                match polled {
                    Ok(Some(event)) => {
                        if let Err(failure) = self.handle(event) {
                            return Err(failure.into());
                        }
                        polled = self.client.next_buffered();
                    }
                    Ok(None) => break,
                    Err(Stop::Fatal(failure)) => return Err(self.fail(failure).into()),
                    Err(Stop::Lost(failure)) => {
                        if self.source.error.is_some() && self.client.session().in_flight() == 0 {
                            // The input failed and nothing is left to settle.
                            return self.finish().await;
                        }
                        self.reconnect(failure, &mut backoff, &mut interrupt)
                            .await?;
                        break;
                    }
                }
            }
        }
        self.finish().await
    }

    /// Says goodbye and decides the exit.
    async fn finish(&mut self) -> anyhow::Result<()> {
        self.client.disconnect(self.opts.conn.connect_timeout).await;
        if self.tally.rejected > 0 {
            return Err(self.rejected().into());
        }
        match self.source.error.take() {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }

    /// The session takes another message now: connected, room in the window, the socket
    /// keeping up.
    fn can_send(&self) -> bool {
        self.client.is_connected()
            && self.client.has_room()
            && self.client.unwritten() < WRITE_HIGH_WATER
    }

    /// Hands ready messages to the session while it has room and pacing allows.
    fn feed(&mut self) -> Result<(), Failure> {
        // With messages in flight and many waiting, wait for a batch of acks before writing
        // again: one larger write instead of one per ack that trickles in (measured: fewer
        // syscalls and less kernel time per message when the broker is busy).
        let session = self.client.session();
        let batch = MIN_BATCH.min(session.window() / 4).max(1);
        if session.in_flight() > 0 && self.source.ready.len() >= batch && session.room() < batch {
            return Ok(());
        }
        loop {
            if !self.can_send() {
                return Ok(());
            }
            if let Some(due) = self.source.due {
                if due > Instant::now() {
                    return Ok(());
                }
            }
            if self.source.ready.is_empty() {
                self.produce_single();
            }
            let Some(item) = self.source.ready.pop_front() else {
                return Ok(());
            };
            self.send(item)?;
            let pace = self.pacer.next_due();
            let repeat = match &self.opts.input {
                Input::Single { delay, .. } if !delay.is_zero() => Some(Instant::now() + *delay),
                _ => None,
            };
            self.source.due = pace.max(repeat);
        }
    }

    /// -m/-f/-s/-n: the next copy.
    fn produce_single(&mut self) {
        let Input::Single { payload, .. } = &self.opts.input else {
            return;
        };
        if self.source.repeats_left == 0 {
            self.source.ended = true;
            return;
        }
        self.source.read += 1;
        self.source.repeats_left -= 1;
        self.source.ended = self.source.repeats_left == 0;
        self.source.ready.push_back(Item {
            number: self.source.read,
            topic: self.topic.clone(),
            qos: self.opts.qos,
            retain: self.opts.retain,
            payload: payload.clone(),
            properties: None,
        });
    }

    /// Turns a batch of stdin lines into messages (a bad line ends the input).
    fn take_lines(&mut self, batch: Vec<Bytes>) {
        let json = matches!(self.opts.input, Input::JsonLines);
        let max_packet = self.client.max_outgoing();
        for line in batch {
            self.source.read += 1;
            let number = self.source.read;
            let item = if json {
                self.json_item(&line, number, max_packet)
            } else {
                let topic = self.opts.topic.as_deref().unwrap_or_default();
                check_size(line.len(), topic, self.opts.properties.as_ref(), max_packet)
                    .map_err(|why| Failure::Data(format!("stdin line {number}: {why}")))
                    .map(|()| {
                        Some(Item {
                            number,
                            topic: self.topic.clone(),
                            qos: self.opts.qos,
                            retain: self.opts.retain,
                            payload: line,
                            properties: None,
                        })
                    })
            };
            match item {
                Ok(Some(item)) => self.source.ready.push_back(item),
                Ok(None) => {}
                Err(failure) => {
                    self.source.error = Some(failure);
                    self.source.ended = true;
                    return;
                }
            }
        }
    }

    fn json_item(
        &self,
        line: &[u8],
        number: u64,
        max_packet: u32,
    ) -> Result<Option<Item>, Failure> {
        let bad = |why: String| Failure::Data(format!("--jsonl line {number}: {why}"));
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let message: JsonMessage = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
        let topic = match message.topic.as_deref().or(self.opts.topic.as_deref()) {
            Some(topic) => topic.to_string(),
            None => return Err(bad("no \"topic\" (and no -t default)".into())),
        };
        validate_topic(&topic, "\"topic\"").map_err(|e| bad(e.to_string()))?;
        let payload = message.payload_bytes().map_err(bad)?;
        let qos = message.qos.unwrap_or(self.opts.qos);
        if qos > 2 {
            return Err(bad(format!("\"qos\" is 0, 1 or 2, not {qos}")));
        }
        let max_qos = self.client.limits().max_qos;
        if qos > max_qos {
            return Err(bad(format!(
                "\"qos\" {qos}: {} accepts QoS up to {max_qos}",
                self.opts.conn.broker_display()
            )));
        }
        let properties = match &message.properties {
            Some(_) if self.opts.conn.version != ProtocolVersion::V5 => {
                return Err(bad("\"properties\" need MQTT 5: add -V 5".into()))
            }
            Some(props) => Some(props.to_publish().map_err(bad)?),
            None => None,
        };
        let counted = properties.as_ref().or(self.opts.properties.as_ref());
        check_size(payload.len(), &topic, counted, max_packet).map_err(bad)?;
        let retain = message.retain.unwrap_or(self.opts.retain);
        if retain && !self.client.limits().retain_available {
            return Err(bad(format!(
                "\"retain\": {} does not support retained messages",
                self.opts.conn.broker_display()
            )));
        }
        Ok(Some(Item {
            number,
            topic: Bytes::from(topic.into_bytes()),
            qos,
            retain,
            payload,
            properties,
        }))
    }

    /// Publishes one item, applying `-D publish` properties and the topic alias.
    fn send(&mut self, item: Item) -> Result<(), Failure> {
        let mut properties = item.properties.or_else(|| self.opts.properties.clone());
        let mut topic = item.topic;
        if let Some(props) = &mut properties {
            if props.topic_alias.is_some() {
                if self.opts.topic.is_some() && topic == self.topic {
                    // As mosquitto_pub: the first message sets up topic and alias, the
                    // next ones send the alias alone.
                    if self.alias_sent {
                        topic = Bytes::new();
                    }
                    self.alias_sent = true;
                } else {
                    // The alias belongs to -t; another topic must not rebind it.
                    props.topic_alias = None;
                }
            }
        }
        let message = Message {
            topic,
            payload: item.payload,
            qos: item.qos,
            retain: item.retain,
            dup: false,
            pkid: 0,
            properties,
        };
        self.client
            .publish(message, item.number)
            .map_err(|e| Failure::Data(format!("message {}: {e}", item.number)))?;
        self.tally.submitted = item.number;
        Ok(())
    }

    fn handle(&mut self, event: Event) -> Result<(), Failure> {
        match event {
            Event::Published {
                token,
                reason,
                reason_string,
            } => {
                if reason < 0x80 {
                    return Ok(());
                }
                self.tally.rejected += 1;
                if !self.opts.conn.quiet {
                    let detail = reason_string.map(|t| format!(": {t}")).unwrap_or_default();
                    stderr!(
                        "mqtk: message {token} rejected by the broker: {} (0x{reason:02x}){detail}",
                        codes::reason_text(reason)
                    );
                }
            }
            Event::Disconnect {
                reason,
                reason_string,
            } => {
                // The link is down now; the next poll reports it lost and pub reconnects,
                // unless the reason says reconnecting cannot help.
                let text = disconnect_text(reason, reason_string);
                if final_disconnect(reason) {
                    return Err(Failure::ConnectionLost(format!(
                        "{text}; {}",
                        self.progress()
                    )));
                }
                if !self.opts.conn.quiet {
                    stderr!("mqtk: {text}");
                }
            }
            Event::Message(_) | Event::SubAck { .. } | Event::UnsubAck { .. } | Event::PingResp => {
            }
        }
        Ok(())
    }

    /// QoS 1/2 messages sent and not acknowledged.
    fn unconfirmed(&self) -> u64 {
        self.client.session().in_flight() as u64
    }

    /// Where the messages stand: for a user who must decide what to send again.
    fn progress(&self) -> String {
        let unconfirmed = self.unconfirmed();
        let queued = self.source.ready.len();
        let first_open = self
            .client
            .session()
            .unfinished_tokens()
            .first()
            .copied()
            .or(self.source.ready.front().map(|item| item.number))
            .unwrap_or(self.tally.submitted + 1);
        let unit = match self.opts.input {
            Input::Single { .. } => "message",
            Input::Lines | Input::JsonLines => "stdin line",
        };
        let mut text = format!(
            "{unconfirmed} of {} messages sent were not acknowledged",
            self.tally.submitted
        );
        if queued > 0 {
            text.push_str(&format!(", {queued} read and not sent"));
        }
        if unconfirmed > 0 || queued > 0 || !self.source.ended {
            text.push_str(&format!(
                "; resume from {unit} {first_open} (the first not known to be delivered)"
            ));
            if matches!(self.opts.input, Input::Lines | Input::JsonLines) {
                text.push_str(&format!(
                    " (stdin after line {} was not read)",
                    self.source.read
                ));
            }
        }
        text
    }

    /// A failure that ends the run, with where the messages stand.
    fn fail(&self, failure: Failure) -> Failure {
        match failure {
            Failure::Protocol(m) => Failure::Protocol(format!("{m}; {}", self.progress())),
            Failure::ConnectionLost(m) => {
                Failure::ConnectionLost(format!("{m}; {}", self.progress()))
            }
            other => other,
        }
    }

    /// Reconnects after a lost connection, as the backoff allows; Err ends the run.
    async fn reconnect<F: Future<Output = ()>>(
        &mut self,
        lost: Failure,
        backoff: &mut Backoff,
        interrupt: &mut Pin<&mut F>,
    ) -> Result<(), Failure> {
        let stop = async {
            interrupt.as_mut().await;
            Failure::Interrupted
        };
        match self.client.reconnect_after(lost, backoff, stop).await {
            Ok(resumed) => {
                // Topic aliases die with the connection: the next message sets it up again.
                self.alias_sent = false;
                if !self.opts.conn.quiet {
                    let again = resumed.resend.len();
                    let how = if resumed.subscriptions_kept {
                        format!("session kept, {again} unfinished messages resumed")
                    } else {
                        format!("new session, {again} unacknowledged messages sent again")
                    };
                    stderr!(
                        "mqtk: reconnected to {} ({how})",
                        self.opts.conn.broker_display()
                    );
                }
                Ok(())
            }
            Err(Failure::Interrupted) => {
                if !self.opts.conn.quiet {
                    stderr!("mqtk: interrupted while reconnecting: {}", self.progress());
                }
                Err(Failure::Interrupted)
            }
            Err(failure) => Err(self.fail(failure)),
        }
    }

    fn rejected(&self) -> Failure {
        Failure::PublishRejected(format!(
            "{} of {} messages were rejected by the broker",
            self.tally.rejected, self.tally.submitted
        ))
    }
}

async fn recv_lines(
    lines: &mut Option<mpsc::Receiver<std::io::Result<Vec<Bytes>>>>,
) -> Option<std::io::Result<Vec<Bytes>>> {
    match lines {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What the CONNACK rules out before anything is sent: a QoS or retain flag the broker
/// does not support, a payload above its maximum packet size, a topic alias above its
/// topic-alias maximum.
fn refuse_before_publishing(opts: &PubOptions, client: &Client) -> Option<Failure> {
    let broker = opts.conn.broker_display();
    let limits = client.limits();
    if !matches!(opts.input, Input::JsonLines) {
        if let Err(why) = limits.check_qos(opts.qos, &broker) {
            return Some(Failure::Usage(why));
        }
    }
    if opts.retain && !limits.retain_available {
        return Some(Failure::Usage(format!(
            "-r/--retain: {broker} does not support retained messages (CONNACK Retain Available 0)"
        )));
    }
    if let (Input::Single { payload, .. }, Some(topic)) = (&opts.input, &opts.topic) {
        let max = client.max_outgoing();
        if let Err(why) = check_size(payload.len(), topic, opts.properties.as_ref(), max) {
            return Some(Failure::Data(format!(
                "the message is too large for {broker}: {why}"
            )));
        }
    }
    let alias = opts.properties.as_ref().and_then(|p| p.topic_alias)?;
    let allowed = limits.topic_alias_max;
    (alias > allowed).then(|| {
        Failure::Usage(format!(
            "-D publish topic-alias {alias}: {broker} accepts topic aliases up to {allowed}"
        ))
    })
}

/// Open-loop pacing: message i goes out at start + i / rate, whatever the previous ones did.
struct Pacer {
    interval: Option<Duration>,
    next: Option<Instant>,
}

impl Pacer {
    fn new(rate: Option<f64>) -> Pacer {
        Pacer {
            interval: rate.map(|r| Duration::from_secs_f64(1.0 / r)),
            next: None,
        }
    }

    /// Called after each send: when the next message is due (None: at once).
    fn next_due(&mut self) -> Option<Instant> {
        let interval = self.interval?;
        let next = self.next.unwrap_or_else(Instant::now) + interval;
        self.next = Some(next);
        Some(next)
    }
}

/// Reads stdin on a thread (blocking reads stay off the runtime) and hands over batches of
/// lines, newline removed. The bounded channel stops reading while the broker is behind, so
/// an endless stream uses bounded memory.
fn spawn_stdin_reader() -> mpsc::Receiver<std::io::Result<Vec<Bytes>>> {
    let (tx, rx) = mpsc::channel(8);
    std::thread::spawn(move || {
        let mut input = std::io::BufReader::with_capacity(256 * 1024, std::io::stdin().lock());
        let mut batch = Vec::with_capacity(LINE_BATCH);
        loop {
            let mut line = Vec::new();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                    }
                    batch.push(Bytes::from(line));
                    // Hand over full batches, and whatever is there when stdin has no more yet.
                    if batch.len() >= LINE_BATCH || input.buffer().is_empty() {
                        if tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
                            return;
                        }
                        batch.reserve(LINE_BATCH);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Ok(batch));
        }
    });
    rx
}

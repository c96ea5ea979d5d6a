//! `mqtk pub`: publishes one message, a repeated message, one message per stdin line or one
//! per JSON line, keeping a window of QoS 1/2 messages in flight, and exits 0 only when the
//! broker has acknowledged every one of them.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::PubArgs;
use crate::conn::client::{self, Client, Event, Sent};
use crate::conn::{validate_topic, ConnectOptions, ProtocolVersion, MAX_PACKET_SIZE};
use crate::error::Failure;
use crate::output::jsonl::JsonMessage;

/// Lines handed from the stdin reader thread to the publisher in one batch.
const LINE_BATCH: usize = 256;

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
        let input = if let Some(message) = &args.message {
            single(Bytes::from(os_bytes(message.clone())))
        } else if let Some(path) = &args.file {
            let bytes = std::fs::read(path)
                .map_err(|e| Failure::NoInput(format!("-f/--file {}: {e}", path.display())))?;
            single(Bytes::from(bytes))
        } else if args.stdin_file {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    Failure::NoInput(format!("-s/--stdin-file: cannot read stdin: {e}"))
                })?;
            single(Bytes::from(bytes))
        } else if args.null_message {
            single(Bytes::new())
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
            check_size(payload.len(), topic, properties, MAX_PACKET_SIZE)
                .map_err(|why| Failure::Data(format!("the message is too large: {why}")))?;
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
fn check_size(
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
    /// PUBLISH packets written to the socket.
    written: u64,
    /// QoS 0 ones among them (complete once written).
    written_qos0: u64,
    acked: u64,
    rejected: u64,
    /// Packet id → message number, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    await_ack: HashMap<u16, u64>,
    /// Packet id → message number, QoS 2 after PUBREC, waiting for PUBCOMP. Kept apart
    /// because rumqttc hands such an id to the next message while PUBCOMP is still due.
    await_comp: HashMap<u16, u64>,
    /// An MQTT 5 PUBREC rejection: rumqttc never frees its in-flight slot (rumqttc #1060),
    /// so the run must stop taking new messages.
    qos2_rejected: bool,
}

impl Tally {
    fn unconfirmed(&self, submitted: u64) -> u64 {
        submitted.saturating_sub(self.acked + self.rejected + self.written_qos0)
    }

    fn outstanding(&self) -> bool {
        !self.await_ack.is_empty() || !self.await_comp.is_empty()
    }

    fn record(&mut self, event: &Event, conn: &ConnectOptions) -> Result<(), Failure> {
        match event {
            Event::Sent(Sent::Publish(0)) => {
                self.written += 1;
                self.written_qos0 += 1;
            }
            Event::Sent(Sent::Publish(pkid)) => {
                self.written += 1;
                if self.await_ack.insert(*pkid, self.written).is_some() {
                    return Err(Failure::Internal(format!(
                        "packet id {pkid} reused while unacknowledged"
                    )));
                }
            }
            Event::PubAck {
                pkid,
                reason,
                reason_string,
            } => {
                if let Some(number) = self.await_ack.remove(pkid) {
                    self.settle(number, *reason, reason_string.as_deref(), conn);
                }
            }
            Event::PubRec {
                pkid,
                reason,
                reason_string,
            } => {
                if let Some(number) = self.await_ack.remove(pkid) {
                    if *reason >= 0x80 {
                        self.qos2_rejected = conn.version == ProtocolVersion::V5;
                        self.settle(number, *reason, reason_string.as_deref(), conn);
                    } else {
                        self.await_comp.insert(*pkid, number);
                    }
                }
            }
            Event::PubComp { pkid, reason } => {
                if let Some(number) = self.await_comp.remove(pkid) {
                    self.settle(number, *reason, None, conn);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Counts a final answer for message `number`, printing rejections.
    fn settle(&mut self, number: u64, reason: u8, text: Option<&str>, conn: &ConnectOptions) {
        if reason < 0x80 {
            self.acked += 1;
            return;
        }
        self.rejected += 1;
        if !conn.quiet {
            let detail = text.map(|t| format!(": {t}")).unwrap_or_default();
            eprintln!(
                "mqtk: message {number} rejected by the broker: {} (0x{reason:02x}){detail}",
                crate::conn::codes::reason_text(reason)
            );
        }
    }
}

/// What the producer task reports when it stops.
struct Produced {
    count: u64,
    error: Option<Failure>,
}

/// Runs `mqtk pub`.
pub async fn run(args: &PubArgs) -> anyhow::Result<()> {
    let opts = PubOptions::from_args(args)?;
    publish(opts).await
}

async fn publish(opts: PubOptions) -> anyhow::Result<()> {
    let opts = Arc::new(opts);
    let (client, events, connack) = client::connect(&opts.conn).await?;
    let max_packet = connack
        .max_packet_size()
        .unwrap_or(MAX_PACKET_SIZE)
        .min(MAX_PACKET_SIZE);
    if let Some(failure) = refuse_before_publishing(&opts, &connack, max_packet) {
        // Say goodbye properly, then fail: nothing was sent.
        let (mut rx, _) = events.spawn(16);
        client::close(&client, &mut rx, opts.conn.connect_timeout).await;
        return Err(failure.into());
    }

    let (mut rx, _driver) = events.spawn(1024);
    let submitted = Arc::new(AtomicU64::new(0));
    let mut producer = tokio::spawn(produce(
        client.clone(),
        opts.clone(),
        max_packet,
        submitted.clone(),
    ));
    let mut produced: Option<Produced> = None;
    let mut tally = Tally::default();
    let interrupt = super::interrupted();
    tokio::pin!(interrupt);

    let lost = loop {
        if let Some(done) = &produced {
            if tally.written >= done.count && !tally.outstanding() {
                break None;
            }
        }
        if tally.qos2_rejected && produced.is_none() {
            // Take no more messages; wait for the ones already written, then stop.
            producer.abort();
            produced = Some(Produced {
                count: 0,
                error: None,
            });
        }
        tokio::select! {
            biased;
            _ = &mut interrupt => {
                let n = submitted.load(Ordering::Relaxed);
                if !opts.conn.quiet {
                    eprintln!("mqtk: interrupted: {} of {n} messages not acknowledged", tally.unconfirmed(n));
                }
                return Err(Failure::Interrupted.into());
            }
            result = &mut producer, if produced.is_none() => {
                produced = Some(result.unwrap_or_else(|e| Produced {
                    count: submitted.load(Ordering::Relaxed),
                    error: Some(Failure::Internal(format!("the message producer failed: {e}"))),
                }));
            }
            event = rx.recv() => match event {
                Some(Ok(event)) => {
                    if let Event::ServerDisconnect { reason, reason_string } = &event {
                        break Some(Failure::ConnectionLost(format!(
                            "the broker closed the connection: {} (0x{reason:02x}){}",
                            crate::conn::codes::reason_text(*reason),
                            reason_string.as_deref().map(|t| format!(": {t}")).unwrap_or_default()
                        )));
                    }
                    if let Err(e) = tally.record(&event, &opts.conn) {
                        break Some(e);
                    }
                }
                Some(Err(fault)) => break Some(fault.into_failure(&opts.conn, true)),
                None => break Some(Failure::ConnectionLost("the connection's event loop stopped".into())),
            },
        }
    };

    let n = submitted.load(Ordering::Relaxed);
    if let Some(lost) = lost {
        producer.abort();
        let unconfirmed = tally.unconfirmed(n);
        if unconfirmed == 0 && tally.rejected > 0 && produced.is_some() {
            // mosquitto closes the connection after rejecting a publish; the rejection is the news.
            return Err(rejected(&tally, n).into());
        }
        return Err(Failure::ConnectionLost(format!(
            "{lost}; {unconfirmed} of {n} messages were not acknowledged"
        ))
        .into());
    }

    client::close(&client, &mut rx, opts.conn.connect_timeout).await;
    if tally.rejected > 0 {
        let mut failure = rejected(&tally, n);
        if tally.qos2_rejected && tally.written < n {
            // rumqttc cannot send more after an MQTT 5 QoS 2 rejection (rumqttc #1060).
            failure = Failure::PublishRejected(format!(
                "{failure}; {} messages after it were not sent",
                n - tally.written
            ));
        }
        return Err(failure.into());
    }
    match produced.and_then(|p| p.error) {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}

/// What the CONNACK rules out before anything is sent: a payload above the broker's maximum
/// packet size, a topic alias above its topic-alias maximum.
fn refuse_before_publishing(
    opts: &PubOptions,
    connack: &client::ConnAckInfo,
    max_packet: u32,
) -> Option<Failure> {
    if let (Input::Single { payload, .. }, Some(topic)) = (&opts.input, &opts.topic) {
        if let Err(why) = check_size(payload.len(), topic, opts.properties.as_ref(), max_packet) {
            return Some(Failure::Data(format!(
                "the message is too large for {}: {why}",
                opts.conn.broker_display()
            )));
        }
    }
    let alias = opts.properties.as_ref().and_then(|p| p.topic_alias)?;
    let allowed = connack
        .properties
        .as_ref()
        .and_then(|p| p.topic_alias_max)
        .unwrap_or(0);
    (alias > allowed).then(|| {
        Failure::Usage(format!(
            "-D publish topic-alias {alias}: {} accepts topic aliases up to {allowed}",
            opts.conn.broker_display()
        ))
    })
}

fn rejected(tally: &Tally, submitted: u64) -> Failure {
    Failure::PublishRejected(format!(
        "{} of {submitted} messages were rejected by the broker",
        tally.rejected
    ))
}

/// Feeds the messages into the client, paced by --rate, until the input ends.
async fn produce(
    client: Client,
    opts: Arc<PubOptions>,
    max_packet: u32,
    submitted: Arc<AtomicU64>,
) -> Produced {
    let mut pacer = Pacer::new(opts.rate);
    let mut sender = Sender {
        client,
        opts: &opts,
        alias_sent: false,
        submitted: &submitted,
    };
    let error = match &opts.input {
        Input::Single {
            payload,
            count,
            delay,
        } => {
            let topic = opts.topic.as_deref().unwrap_or_default();
            let mut outcome = None;
            for i in 0..*count {
                if i > 0 && !delay.is_zero() {
                    tokio::time::sleep(*delay).await;
                }
                pacer.wait().await;
                if let Err(e) = sender
                    .send(topic, opts.qos, opts.retain, payload.clone(), None)
                    .await
                {
                    outcome = Some(e);
                    break;
                }
            }
            outcome
        }
        Input::Lines | Input::JsonLines => {
            let json = matches!(opts.input, Input::JsonLines);
            let mut lines = spawn_stdin_reader();
            let mut number = 0u64;
            let mut outcome = None;
            'batches: while let Some(batch) = lines.recv().await {
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(e) => {
                        outcome = Some(Failure::NoInput(format!("cannot read stdin: {e}")));
                        break;
                    }
                };
                for line in batch {
                    number += 1;
                    pacer.wait().await;
                    let result = if json {
                        sender.send_json(&line, number, max_packet).await
                    } else {
                        let topic = opts.topic.as_deref().unwrap_or_default();
                        match check_size(line.len(), topic, opts.properties.as_ref(), max_packet) {
                            Ok(()) => sender.send(topic, opts.qos, opts.retain, line, None).await,
                            Err(why) => Err(Failure::Data(format!("stdin line {number}: {why}"))),
                        }
                    };
                    if let Err(e) = result {
                        outcome = Some(e);
                        break 'batches;
                    }
                }
            }
            outcome
        }
    };
    Produced {
        count: submitted.load(Ordering::Relaxed),
        error,
    }
}

/// Publishes through the client, applying `-D publish` properties and topic aliases.
struct Sender<'a> {
    client: Client,
    opts: &'a PubOptions,
    /// Whether the topic alias from `-D publish topic-alias` has been set up with the broker.
    alias_sent: bool,
    submitted: &'a AtomicU64,
}

impl Sender<'_> {
    async fn send(
        &mut self,
        topic: &str,
        qos: u8,
        retain: bool,
        payload: Bytes,
        line_properties: Option<PublishProperties>,
    ) -> Result<(), Failure> {
        let mut properties = line_properties.or_else(|| self.opts.properties.clone());
        let mut topic = topic;
        if let Some(props) = &mut properties {
            if props.topic_alias.is_some() {
                if Some(topic) == self.opts.topic.as_deref() {
                    // As mosquitto_pub: the first message sets up topic and alias, the
                    // next ones send the alias alone.
                    if self.alias_sent {
                        topic = "";
                    }
                    self.alias_sent = true;
                } else {
                    // The alias belongs to -t; another topic must not rebind it.
                    props.topic_alias = None;
                }
            }
        }
        self.client
            .publish(topic, qos, retain, payload, properties)
            .await?;
        self.submitted.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn send_json(
        &mut self,
        line: &[u8],
        number: u64,
        max_packet: u32,
    ) -> Result<(), Failure> {
        let bad = |why: String| Failure::Data(format!("--jsonl line {number}: {why}"));
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
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
        self.send(&topic, qos, retain, payload, properties).await
    }
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

    async fn wait(&mut self) {
        let Some(interval) = self.interval else {
            return;
        };
        let now = Instant::now();
        let due = self.next.unwrap_or(now);
        if due > now {
            tokio::time::sleep_until(due).await;
        }
        self.next = Some(due + interval);
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

//! `mqtk ping`: ping(8) for MQTT brokers. Opens a connection with every phase timed, then
//! sends a probe every interval (PINGREQ, a PUBLISH to a topic it subscribes to, or a
//! whole new connection), prints each round trip, and ends with ping(8)'s summary.
//! Probes are timed on a bare engine link (`engine::link`), from the write of the probe's
//! bytes to the read of the answer. `--wait` only waits for the broker: it retries the
//! connection until a CONNACK comes, then exits without probing.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::cli::{PingArgs, ProbeKind, SessionArgs};
use crate::conn::{ConnectOptions, ProtocolVersion};
use crate::engine::link::{self, Link, LinkError};
use crate::engine::packets::{ConnAck, Message, Packet, Subscription};
use crate::engine::session::{Limits, Session};
use crate::engine::transport::Phases;
use crate::error::Failure;
use crate::output::escape::Escape;
use crate::output::ping::{self as report, Record, Stats};
use crate::output::stdio::{stderr, Stdout, StdoutWatch};

/// `mqtk ping`, validated.
#[derive(Debug)]
pub struct PingOptions {
    pub conn: ConnectOptions,
    /// None: until Ctrl-C (or -w).
    pub count: Option<u64>,
    pub interval: Duration,
    pub deadline: Option<Duration>,
    pub timeout: Duration,
    pub probe: ProbeKind,
    pub qos: u8,
    /// `--topic`: the publish probe's topic (None: one made up per run).
    pub topic: Option<String>,
    /// `--wait`: retry connecting for this long, then exit without probes.
    pub wait: Option<Duration>,
    pub info: bool,
    pub json: bool,
    /// The keepalive sent in CONNECT: long enough that probes, not keepalive, drive traffic.
    pub keepalive: Duration,
}

impl PingOptions {
    pub fn from_args(args: &PingArgs) -> Result<PingOptions, Failure> {
        let session = SessionArgs {
            id: args.id.clone(),
            ..SessionArgs::default()
        };
        let mut conn = ConnectOptions::from_args(&args.conn, &session)?;
        if args.qos > 0 && args.probe != ProbeKind::Publish {
            return Err(Failure::Usage(
                "-q sets the QoS of --probe publish; add --probe publish".into(),
            ));
        }
        if let Some(topic) = &args.topic {
            if args.probe != ProbeKind::Publish {
                return Err(Failure::Usage(
                    "--topic sets the topic of --probe publish; add --probe publish".into(),
                ));
            }
            crate::conn::validate_topic(topic, "--topic")?;
        }
        // Each connection attempt is also bounded by the probe timeout.
        conn.connect_timeout = conn.connect_timeout.min(args.timeout);
        // Keepalive 0 (off) stays off; otherwise never shorter than two intervals, so the
        // broker does not drop a connection whose probes are further apart than it.
        let keepalive = if conn.keepalive.is_zero() {
            Duration::ZERO
        } else {
            conn.keepalive
                .max(args.interval * 2)
                .min(Duration::from_secs(u64::from(u16::MAX)))
        };
        Ok(PingOptions {
            count: (args.count > 0).then_some(args.count),
            interval: args.interval,
            deadline: args.deadline,
            timeout: args.timeout,
            probe: args.probe,
            qos: args.qos,
            topic: args.topic.clone(),
            wait: args.wait,
            info: args.info,
            json: args.json,
            keepalive,
            conn,
        })
    }
}

/// Runs `mqtk ping`.
pub async fn run(args: &PingArgs) -> anyhow::Result<()> {
    let opts = PingOptions::from_args(args)?;
    let started = Instant::now();
    let (connection, phases, connack) = tokio::select! {
        biased;
        _ = super::interrupted() => return Err(Failure::Interrupted.into()),
        opened = open_or_wait(&opts) => opened?,
    };
    let topic = opts.topic.clone().unwrap_or_default();
    let mut pinger = Pinger {
        out: Stdout::new(4096),
        output_error: None,
        broker: opts.conn.broker_display(),
        opts,
        connection: None,
        outstanding: VecDeque::new(),
        rtts: Vec::new(),
        acks: Vec::new(),
        transmitted: 0,
        received: 0,
        next_pkid: 1,
        topic,
    };
    pinger.emit(&Record::Connection(
        pinger.connection_record(&phases, &connack, false),
    ));
    if pinger.opts.info {
        let v5 = pinger.opts.conn.version == ProtocolVersion::V5;
        pinger.emit(&Record::Info(report::Info::from_connack(
            connack.properties.as_ref(),
            v5,
        )));
    }
    if pinger.opts.wait.is_some() {
        // The broker is up: that was all --wait asked.
        connection.close(CLOSE_LIMIT).await;
        return match pinger.output_error.take() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        };
    }
    match pinger.opts.probe {
        ProbeKind::Connect => connection.close(CLOSE_LIMIT).await,
        _ => pinger.attach(connection).await?,
    }
    pinger.run(started).await
}

async fn open_or_wait(opts: &PingOptions) -> Result<(Link, Phases, ConnAck), Failure> {
    match opts.wait {
        Some(wait) => wait_for_broker(opts, wait).await,
        None => open(opts).await,
    }
}

/// The pause between two `--wait` attempts.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// `--wait`: connects again every [`RETRY_PAUSE`] after a failure worth retrying, each
/// attempt bounded by --connect-timeout and by what is left of `wait`. No attempt starts
/// after `wait`; the last failure is returned, noting how many attempts were made.
async fn wait_for_broker(
    opts: &PingOptions,
    wait: Duration,
) -> Result<(Link, Phases, ConnAck), Failure> {
    let started = Instant::now();
    let deadline = started + wait;
    let broker = opts.conn.broker_display();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        let mut conn = opts.conn.clone();
        let cut = left < conn.connect_timeout;
        conn.connect_timeout = conn.connect_timeout.min(left).max(Duration::from_millis(1));
        let failure = match link::connect(&conn, &conn.client_id, opts.keepalive, None).await {
            Ok(opened) => {
                if opts.conn.debug {
                    stderr!(
                        "mqtk: debug: --wait: attempt {attempt}: connected after {}",
                        human(started.elapsed())
                    );
                }
                return Ok(opened);
            }
            // The wait ran out during this attempt, not --connect-timeout.
            Err(Failure::ConnectTimeout(_)) if cut => Failure::ConnectTimeout(format!(
                "no CONNACK from {broker} before --wait {} ran out",
                humantime::format_duration(wait)
            )),
            Err(failure) => failure,
        };
        let retry = worth_retrying(&failure);
        let next = Instant::now() + RETRY_PAUSE;
        if !retry || next >= deadline {
            let note = if retry {
                format!(
                    " (--wait: {attempt} attempt{} in {})",
                    if attempt == 1 { "" } else { "s" },
                    human(started.elapsed())
                )
            } else {
                String::new()
            };
            if opts.conn.debug {
                stderr!("mqtk: debug: --wait: attempt {attempt}: {failure}; giving up");
            }
            return Err(noted(failure, &note));
        }
        if opts.conn.debug {
            stderr!(
                "mqtk: debug: --wait: attempt {attempt}: {failure}; again in {} ({} left)",
                human(RETRY_PAUSE),
                human(deadline.saturating_duration_since(Instant::now()))
            );
        }
        tokio::time::sleep_until(next).await;
    }
}

/// Failures a broker that is starting (or a name not yet registered) gives: refused or
/// timed-out connections, DNS, and CONNACK "server unavailable" (3 in MQTT 3.1.1, 0x88)
/// or "server busy" (0x89). A login refusal, TLS or a usage error will not get better.
fn worth_retrying(failure: &Failure) -> bool {
    match failure {
        Failure::Dns(_) | Failure::Unreachable(_) | Failure::ConnectTimeout(_) => true,
        Failure::Refused { code, .. } => matches!(code, 3 | 0x88 | 0x89),
        _ => false,
    }
}

/// The same failure (and exit code) with `note` appended to its message.
fn noted(failure: Failure, note: &str) -> Failure {
    if note.is_empty() {
        return failure;
    }
    match failure {
        Failure::Dns(m) => Failure::Dns(m + note),
        Failure::Unreachable(m) => Failure::Unreachable(m + note),
        Failure::ConnectTimeout(m) => Failure::ConnectTimeout(m + note),
        Failure::Refused { code, reason } => Failure::Refused {
            code,
            reason: reason + note,
        },
        other => other,
    }
}

/// 200ms, 1.4s: short durations for the --wait trace.
fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Opens a connection within --connect-timeout (itself at most --timeout).
async fn open(opts: &PingOptions) -> Result<(Link, Phases, ConnAck), Failure> {
    let (link, phases, connack) =
        link::connect(&opts.conn, &opts.conn.client_id, opts.keepalive, None).await?;
    if opts.probe == ProbeKind::Publish {
        let limits = Limits::from_connack(&connack).map_err(Failure::Protocol)?;
        if let Err(why) = limits.check_qos(opts.qos, &opts.conn.broker_display()) {
            link.close(CLOSE_LIMIT).await;
            return Err(Failure::Usage(why));
        }
    }
    Ok((link, phases, connack))
}

/// How long a closing connection may take to say goodbye.
const CLOSE_LIMIT: Duration = Duration::from_secs(1);

/// A probe waiting for its answer.
struct Pending {
    seq: u64,
    sent: Instant,
    expires: Instant,
    /// Lost already; kept (PINGREQ only) so a late PINGRESP is matched to it, not to a
    /// later probe.
    expired: bool,
    /// Publish probes: our packet id, and what has come back so far.
    pkid: u16,
    rtt: Option<Duration>,
    ack: Option<Duration>,
}

struct Pinger {
    opts: PingOptions,
    broker: String,
    connection: Option<Link>,
    outstanding: VecDeque<Pending>,
    rtts: Vec<f64>,
    acks: Vec<f64>,
    transmitted: u64,
    received: u64,
    next_pkid: u16,
    /// The publish probe's topic.
    topic: String,
    out: Stdout,
    /// Writing stdout failed: the run ends (quietly, when the pipe was closed).
    output_error: Option<io::Error>,
}

impl Pinger {
    /// Prints a record as a line (a JSON line with --json) and flushes it.
    fn emit(&mut self, record: &Record) {
        if self.output_error.is_some() {
            return;
        }
        let written = if self.opts.json {
            let line = serde_json::to_string(record).map_err(io::Error::from);
            line.and_then(|line| {
                self.out.write_shown(line.as_bytes(), Escape::Json)?;
                self.out.write_all(b"\n")?;
                self.out.flush()
            })
        } else {
            self.out.line(&record.text())
        };
        if let Err(e) = written {
            self.output_error = Some(e);
        }
    }

    fn connection_record(
        &self,
        phases: &Phases,
        connack: &ConnAck,
        reconnect: bool,
    ) -> report::Connection {
        report::Connection {
            broker: self.broker.clone(),
            address: phases.address.map(|a| a.to_string()),
            protocol: self.opts.conn.version.as_str(),
            probe: match self.opts.probe {
                ProbeKind::Pingreq => "pingreq",
                ProbeKind::Publish => "publish",
                ProbeKind::Connect => "connect",
            },
            phases_ms: phases.into(),
            total_ms: report::ms(phases.total()),
            session_present: connack.session_present,
            assigned_client_id: connack
                .properties
                .as_ref()
                .and_then(|p| p.assigned_client_identifier.clone()),
            reconnect,
        }
    }

    /// Takes over an open connection; publish probes subscribe to their topic first.
    async fn attach(&mut self, mut connection: Link) -> Result<(), Failure> {
        if self.opts.probe == ProbeKind::Publish {
            if self.topic.is_empty() {
                self.topic = format!("mqtk/ping/{}-{}", std::process::id(), rand::random::<u32>());
            }
            let lost = |e: LinkError| {
                Failure::ConnectionLost(format!("connection to {} lost: {e}", self.broker))
            };
            connection
                .send(&Packet::Subscribe {
                    pkid: 1,
                    subscription: Subscription {
                        filters: vec![self.topic.clone()],
                        qos: self.opts.qos,
                        ..Subscription::default()
                    },
                })
                .await
                .map_err(lost)?;
            let deadline = Instant::now() + self.opts.timeout;
            loop {
                let answer = tokio::time::timeout_at(deadline, connection.next()).await;
                match answer {
                    Err(_) => {
                        return Err(Failure::Timeout(format!(
                            "no SUBACK from {} within {}",
                            self.broker,
                            humantime::format_duration(self.opts.timeout)
                        )))
                    }
                    Ok(Err(e)) => return Err(lost(e)),
                    Ok(Ok((Packet::SubAck { codes, .. }, _))) => {
                        if let Some(&code) = codes.first().filter(|&&c| c >= 0x80) {
                            return Err(Failure::SubscribeRejected(format!(
                                "the broker refused the subscription to '{}' (0x{code:02x})",
                                self.topic
                            )));
                        }
                        break;
                    }
                    Ok(Ok(_)) => {}
                }
            }
        }
        self.connection = Some(connection);
        Ok(())
    }

    async fn run(&mut self, started: Instant) -> anyhow::Result<()> {
        let interrupt = super::interrupted();
        tokio::pin!(interrupt);
        let stdout = StdoutWatch::new();
        let far = Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600);
        let deadline = self.opts.deadline.map_or(far, |d| started + d);
        let first_probe = Instant::now();
        let mut next_probe = first_probe;
        loop {
            if let Some(e) = self.output_error.take() {
                // `| head -1` had enough: nothing more can be shown.
                if let Some(connection) = self.connection.take() {
                    connection.close(CLOSE_LIMIT).await;
                }
                return Err(e.into());
            }
            let more =
                self.opts.count.is_none_or(|n| self.transmitted < n) && Instant::now() < deadline;
            let waiting = self.outstanding.iter().any(|p| !p.expired);
            if !more && !waiting {
                break;
            }
            let next_expiry = self
                .outstanding
                .iter()
                .filter(|p| !p.expired)
                .map(|p| p.expires)
                .min();
            let listening = self.connection.is_some() && self.opts.probe != ProbeKind::Connect;
            tokio::select! {
                biased;
                _ = &mut interrupt => break,
                closed = stdout.closed() => self.output_error = Some(closed),
                // At the -w deadline no new probe goes out (`more` turns false); the
                // probes in flight still get their --timeout.
                _ = tokio::time::sleep_until(deadline), if more && self.opts.deadline.is_some() => {}
                _ = tokio::time::sleep_until(next_expiry.unwrap_or(far)), if next_expiry.is_some() => {
                    let message = format!("no answer within {}", humantime::format_duration(self.opts.timeout));
                    self.expire(Instant::now(), &message);
                }
                _ = tokio::time::sleep_until(next_probe), if more => {
                    self.probe().await;
                    next_probe = (next_probe + self.opts.interval).max(Instant::now());
                }
                incoming = recv(&mut self.connection), if listening => match incoming {
                    Ok((packet, at)) => self.answer(packet, at).await,
                    Err(e) => self.connection_lost(&e.to_string()),
                },
            }
        }
        // Whatever is still unanswered (Ctrl-C, -w) counts as lost.
        self.expire(far, "stopped before an answer came");
        if let Some(connection) = self.connection.take() {
            connection.close(CLOSE_LIMIT).await;
        }
        let lost = self.transmitted - self.received;
        let summary = report::Summary {
            broker: self.broker.clone(),
            transmitted: self.transmitted,
            received: self.received,
            lost,
            loss_percent: if self.transmitted == 0 {
                0.0
            } else {
                lost as f64 * 100.0 / self.transmitted as f64
            },
            time_ms: report::ms(first_probe.elapsed()),
            rtt_ms: Stats::of(&self.rtts),
            ack_ms: Stats::of(&self.acks),
        };
        if !self.opts.json {
            if let Err(e) = self.out.line("") {
                return Err(e.into());
            }
        }
        self.emit(&Record::Summary(summary));
        if let Some(e) = self.output_error.take() {
            return Err(e.into());
        }
        if lost > 0 {
            return Err(Failure::ProbesLost(format!(
                "{lost} of {} probes got no answer",
                self.transmitted
            ))
            .into());
        }
        Ok(())
    }

    /// Sends the next probe (reconnecting first if the connection was lost).
    async fn probe(&mut self) {
        self.transmitted += 1;
        let seq = self.transmitted;
        if self.opts.probe == ProbeKind::Connect {
            return self.connect_probe(seq).await;
        }
        if self.connection.is_none() {
            match open(&self.opts).await {
                Ok((connection, phases, connack)) => {
                    let record = self.connection_record(&phases, &connack, true);
                    self.emit(&Record::Connection(record));
                    if let Err(e) = self.attach(connection).await {
                        return self.lost_now(seq, &e.to_string());
                    }
                }
                Err(e) => return self.lost_now(seq, &format!("not connected: {e}")),
            }
        }
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        let (packet, pkid) = match self.opts.probe {
            ProbeKind::Publish => {
                let pkid = if self.opts.qos == 0 {
                    0
                } else {
                    // 1 is the SUBSCRIBE's; cycle through 2..=65535.
                    self.next_pkid = if self.next_pkid == u16::MAX {
                        2
                    } else {
                        self.next_pkid + 1
                    };
                    self.next_pkid
                };
                let packet = Packet::Publish(Message {
                    pkid,
                    topic: Bytes::from(self.topic.clone().into_bytes()),
                    qos: self.opts.qos,
                    payload: Bytes::copy_from_slice(&seq.to_be_bytes()),
                    ..Message::default()
                });
                (packet, pkid)
            }
            _ => (Packet::PingReq, 0),
        };
        match connection.send(&packet).await {
            Ok(sent) => self.outstanding.push_back(Pending {
                seq,
                sent,
                expires: sent + self.opts.timeout,
                expired: false,
                pkid,
                rtt: None,
                ack: None,
            }),
            Err(e) => {
                self.connection_lost(&e.to_string());
                self.lost_now(seq, "the connection was lost");
            }
        }
    }

    async fn connect_probe(&mut self, seq: u64) {
        match open(&self.opts).await {
            Ok((connection, phases, _)) => {
                connection.close(CLOSE_LIMIT).await;
                let rtt = phases.total();
                self.received += 1;
                self.rtts.push(report::ms(rtt));
                self.emit(&Record::Probe(report::Probe {
                    seq,
                    rtt_ms: Some(report::ms(rtt)),
                    ack_ms: None,
                    phases_ms: Some((&phases).into()),
                    lost: false,
                    error: None,
                }));
            }
            Err(e) => self.lost_now(seq, &e.to_string()),
        }
    }

    fn lost_now(&mut self, seq: u64, why: &str) {
        self.emit(&Record::Probe(report::Probe {
            seq,
            rtt_ms: None,
            ack_ms: None,
            phases_ms: None,
            lost: true,
            error: Some(why.to_string()),
        }));
    }

    /// Marks every unanswered probe that expires by `now` as lost.
    fn expire(&mut self, now: Instant, why: &str) {
        let mut lost = Vec::new();
        for pending in self.outstanding.iter_mut() {
            if !pending.expired && pending.expires <= now {
                pending.expired = true;
                lost.push(pending.seq);
            }
        }
        // Publish answers are matched by sequence number: expired ones need not wait.
        if self.opts.probe == ProbeKind::Publish {
            self.outstanding.retain(|p| !p.expired);
        }
        for seq in lost {
            self.lost_now(seq, why);
        }
    }

    fn connection_lost(&mut self, why: &str) {
        self.connection = None;
        let now = Instant::now();
        for pending in self.outstanding.iter_mut() {
            pending.expires = pending.expires.min(now);
        }
        self.expire(now, &format!("connection lost: {why}"));
        self.outstanding.clear();
        if !self.opts.conn.quiet {
            stderr!("mqtk: connection to {} lost: {why}", self.broker);
        }
    }

    async fn answer(&mut self, packet: Packet, at: Instant) {
        let reply = match packet {
            Packet::PingResp => {
                if let Some(pending) = self.outstanding.pop_front() {
                    if !pending.expired {
                        self.complete(pending.seq, at - pending.sent, None);
                    }
                }
                None
            }
            Packet::Publish(Message {
                pkid, qos, payload, ..
            }) => {
                if let Ok(bytes) = <[u8; 8]>::try_from(payload.as_ref()) {
                    let seq = u64::from_be_bytes(bytes);
                    if let Some(p) = self.outstanding.iter_mut().find(|p| p.seq == seq) {
                        p.rtt.get_or_insert(at - p.sent);
                    }
                }
                Session::ack(qos, pkid)
            }
            Packet::PubAck { pkid, .. } | Packet::PubComp { pkid, .. } => {
                if let Some(p) = self
                    .outstanding
                    .iter_mut()
                    .find(|p| p.pkid == pkid && pkid != 0)
                {
                    p.ack.get_or_insert(at - p.sent);
                }
                None
            }
            Packet::PubRec { pkid, .. } => Some(Packet::PubRel { pkid }),
            Packet::PubRel { pkid } => Some(Packet::PubComp { pkid, reason: 0 }),
            Packet::Disconnect { reason, .. } => {
                self.connection_lost(&format!(
                    "the broker sent DISCONNECT: {} (0x{reason:02x})",
                    crate::conn::codes::reason_text(reason)
                ));
                None
            }
            _ => None,
        };
        if let (Some(reply), Some(connection)) = (reply, self.connection.as_mut()) {
            if let Err(e) = connection.send(&reply).await {
                self.connection_lost(&e.to_string());
            }
        }
        // A publish probe is done when its message came back (and, at QoS 1/2, was acked).
        let needs_ack = self.opts.qos > 0;
        while let Some(index) = self
            .outstanding
            .iter()
            .position(|p| p.rtt.is_some() && (p.ack.is_some() || !needs_ack))
        {
            if let Some(p) = self.outstanding.remove(index) {
                if let Some(rtt) = p.rtt {
                    self.complete(p.seq, rtt, p.ack);
                }
            }
        }
    }

    fn complete(&mut self, seq: u64, rtt: Duration, ack: Option<Duration>) {
        self.received += 1;
        self.rtts.push(report::ms(rtt));
        if let Some(ack) = ack {
            self.acks.push(report::ms(ack));
        }
        self.emit(&Record::Probe(report::Probe {
            seq,
            rtt_ms: Some(report::ms(rtt)),
            ack_ms: ack.map(report::ms),
            phases_ms: None,
            lost: false,
            error: None,
        }));
    }
}

/// The next packet, when connected (the select! guard makes sure we are).
async fn recv(connection: &mut Option<Link>) -> Result<(Packet, Instant), LinkError> {
    match connection {
        Some(connection) => connection.next().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn options(args: &[&str]) -> Result<PingOptions, Failure> {
        let mut argv = vec!["mqtk", "ping"];
        argv.extend_from_slice(args);
        let cli = crate::cli::Cli::try_parse_from(argv).unwrap();
        match cli.command {
            crate::cli::Command::Ping(args) => PingOptions::from_args(&args),
            _ => unreachable!(),
        }
    }

    #[test]
    fn keepalive_outlasts_the_interval_and_timeout_bounds_connecting() {
        let opts = options(&["-i", "100s", "--timeout", "3s"]).unwrap();
        assert_eq!(opts.keepalive, Duration::from_secs(200));
        assert_eq!(opts.conn.connect_timeout, Duration::from_secs(3));
        assert_eq!(opts.count, Some(4));
        let opts = options(&["-c", "0", "-k", "0"]).unwrap();
        assert_eq!((opts.count, opts.keepalive), (None, Duration::ZERO));
        assert!(options(&["-q", "1"]).is_err());
    }

    #[test]
    fn topic_needs_the_publish_probe_and_wait_is_kept() {
        let opts = options(&["--probe", "publish", "--topic", "health/x"]).unwrap();
        assert_eq!(opts.topic.as_deref(), Some("health/x"));
        assert!(options(&["--topic", "health/x"]).is_err());
        assert!(options(&["--probe", "publish", "--topic", ""]).is_err());
        let opts = options(&["--wait", "30s"]).unwrap();
        assert_eq!(opts.wait, Some(Duration::from_secs(30)));
    }

    #[test]
    fn wait_retries_what_a_starting_broker_gives_and_keeps_the_exit_code() {
        let refused = |code| Failure::Refused {
            code,
            reason: "r".into(),
        };
        for f in [
            Failure::Unreachable("u".into()),
            Failure::Dns("d".into()),
            Failure::ConnectTimeout("t".into()),
            refused(3),
            refused(0x88),
            refused(0x89),
        ] {
            assert!(worth_retrying(&f), "{f:?}");
        }
        for f in [
            refused(5),
            refused(0x86),
            refused(0x87),
            Failure::Tls("t".into()),
            Failure::Usage("u".into()),
        ] {
            assert!(!worth_retrying(&f), "{f:?}");
        }
        let f = noted(
            Failure::Unreachable("refused".into()),
            " (--wait: 3 attempts)",
        );
        assert_eq!(f.exit_code(), 69);
        assert_eq!(f.to_string(), "refused (--wait: 3 attempts)");
    }
}

//! `mqtk sub`: subscribes, prints each message as it arrives (buffered in bursts, flushed
//! when the stream pauses), acknowledges QoS 1/2 messages only once they are written out,
//! and survives a lost connection by reconnecting with backoff and resubscribing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::{PayloadFormatArg, SubArgs};
use crate::conn::client::{self, Client, Event, Events, Fault, Message, Sent, Subscription};
use crate::conn::{codes, filter_matches, validate_filter, ConnectOptions, ProtocolVersion};
use crate::error::Failure;
use crate::output::{format, PayloadFormat, Printer, Received, Style};

/// Events handled between two flushes of the output, at most: bounds the delay of a line
/// when messages never stop arriving.
const BATCH: usize = 1024;
/// First wait before reconnecting; doubled after each failed attempt up to the cap.
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(10);
/// How long to wait, when done, for our acks and the broker's PUBRELs and PUBACKs.
const SETTLE_LIMIT: Duration = Duration::from_secs(5);

/// `mqtk sub`, validated.
#[derive(Debug)]
pub struct SubOptions {
    pub conn: ConnectOptions,
    pub subscription: Subscription,
    pub unsubscribe: Vec<String>,
    pub filter_out: Vec<String>,
    pub count: Option<u64>,
    pub timeout: Option<Duration>,
    pub hide_retained: bool,
    pub retained_only: bool,
    pub exit_on_subscribe: bool,
    pub remove_retained: bool,
    /// Percentage of messages printed.
    pub random_filter: Option<f64>,
    pub style: Style,
    pub payload_format: PayloadFormat,
    pub eol: bool,
    pub pretty: bool,
}

impl SubOptions {
    pub fn from_args(args: &SubArgs) -> Result<SubOptions, Failure> {
        let v5_flag = if args.no_local {
            Some("--no-local")
        } else if args.retain_as_published {
            Some("--retain-as-published")
        } else if args.retain_handling.is_some() {
            Some("--retain-handling")
        } else {
            None
        };
        let mut conn = ConnectOptions::from_args_with_v5_flag(&args.conn, &args.session, v5_flag)?;
        conn.manual_acks = true;
        // Our own publishes are only --remove-retained's empty messages.
        conn.max_inflight = 100;
        if conn.properties.publish.is_some() {
            return Err(Failure::Usage(
                "-D publish: mqtk sub publishes nothing; give -D subscribe properties".into(),
            ));
        }
        let mut filters = args.topics.clone();
        if filters.is_empty() {
            filters.extend(conn.url_topic.clone());
        }
        if filters.is_empty() && args.unsubscribe.is_empty() {
            return Err(Failure::Usage(
                "give a topic filter with -t (or -U to unsubscribe, or -L mqtt://host/filter)"
                    .into(),
            ));
        }
        for filter in &filters {
            validate_filter(filter, "-t/--topic")?;
        }
        for filter in &args.filter_out {
            validate_filter(filter, "-T/--filter-out")?;
            if filter.starts_with("$share/") {
                return Err(Failure::Usage(format!(
                    "-T/--filter-out '{filter}': give the topic pattern, without $share/GROUP/"
                )));
            }
        }
        for filter in &args.unsubscribe {
            validate_filter(filter, "-U/--unsubscribe")?;
        }
        let retain_handling = match (args.retain_handling, args.no_retained) {
            (Some(rh), _) => rh,
            (None, true) => 2,
            (None, false) => 0,
        };
        let style = if let Some(text) = &args.format {
            Style::Format(format::parse(text).map_err(|e| Failure::Usage(e.describe(text)))?)
        } else if args.json {
            Style::Json
        } else if args.verbose {
            Style::Verbose
        } else {
            Style::Payload
        };
        Ok(SubOptions {
            subscription: Subscription {
                filters,
                qos: args.qos,
                no_local: args.no_local,
                retain_as_published: args.retain_as_published,
                retain_handling: if conn.version == ProtocolVersion::V5 {
                    retain_handling
                } else {
                    0
                },
                properties: conn.properties.subscribe.clone(),
            },
            unsubscribe: args.unsubscribe.clone(),
            filter_out: args.filter_out.clone(),
            count: args.count,
            timeout: args.timeout,
            hide_retained: args.no_retained,
            retained_only: args.retained_only,
            exit_on_subscribe: args.exit_on_subscribe,
            remove_retained: args.remove_retained,
            random_filter: args.random_filter.filter(|p| *p < 100.0),
            style,
            payload_format: match args.payload_format {
                PayloadFormatArg::Auto => PayloadFormat::Auto,
                PayloadFormatArg::Text => PayloadFormat::Text,
                PayloadFormatArg::Base64 => PayloadFormat::Base64,
                PayloadFormatArg::Hex => PayloadFormat::Hex,
            },
            eol: !args.no_newline,
            pretty: args.pretty,
            conn,
        })
    }
}

/// Runs `mqtk sub`.
pub async fn run(args: &SubArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let opts = SubOptions::from_args(args)?;
    let deadline = opts.timeout.map(|t| started + t);
    let connecting = client::connect(&opts.conn);
    let (client, events, _connack) = match deadline {
        Some(deadline) => match tokio::time::timeout_at(deadline, connecting).await {
            Ok(connected) => connected?,
            Err(_) => return Err(timed_out(&opts, 0).into()),
        },
        None => connecting.await?,
    };
    let printer = Printer::new(
        opts.style.clone(),
        opts.payload_format,
        opts.eol,
        opts.pretty,
    );
    let mut subscriber = Subscriber {
        stamp: printer.uses_time(),
        client,
        printer,
        awaiting_pubrel: HashSet::new(),
        unsolicited: HashSet::new(),
        requests: VecDeque::new(),
        counted: 0,
        subscribes_pending: 0,
        unsubscribes_pending: 0,
        removals_queued: 0,
        removals: HashSet::new(),
        removal_echoes: HashMap::new(),
        removals_failed: 0,
        done: false,
        opts,
    };
    subscriber.run(events, deadline).await
}

/// A request for the event loop, queued here and handed over without ever waiting: the
/// event loop may itself be waiting for us to read its events.
#[derive(Debug, Clone)]
enum Request {
    /// Acknowledge an incoming QoS 1/2 message (after the output was flushed).
    Ack(u8, u16),
    Subscribe,
    Unsubscribe(String),
    /// --remove-retained: an empty retained QoS 1 message to this topic.
    Remove(String),
}

struct Subscriber {
    opts: SubOptions,
    client: Client,
    printer: Printer,
    /// Stamp messages with the wall clock (only formats that show it pay for it).
    stamp: bool,
    /// Incoming QoS 2 packet ids we handled and acknowledged (PUBREC) whose PUBREL has not
    /// arrived: a PUBLISH with one of these ids and the dup flag is a resend.
    awaiting_pubrel: HashSet<u16>,
    /// Packet ids of PUBRELs (or other acks) rumqttc did not expect, from an earlier
    /// connection of this session: rumqttc is told to accept them after a reconnect.
    unsolicited: HashSet<u16>,
    /// Requests not yet handed to the event loop, in order.
    requests: VecDeque<Request>,
    /// Messages that count for -C.
    counted: u64,
    subscribes_pending: usize,
    unsubscribes_pending: usize,
    /// --remove-retained publishes queued but not yet written.
    removals_queued: usize,
    /// Packet ids of --remove-retained publishes written and not yet acknowledged.
    removals: HashSet<u16>,
    /// Echoes still expected of our removals (an empty live message per cleared topic).
    removal_echoes: HashMap<String, u32>,
    removals_failed: u64,
    /// The run has reached its end (-C count, -E subscribed, --retained-only's live
    /// message); what remains is settling acknowledgements.
    done: bool,
}

/// How a batch of events ended, when it ended the connection or the run.
enum Outcome {
    Failed(Failure),
    /// The connection dropped: reconnect.
    Lost(Fault),
}

type EventRx = mpsc::Receiver<Result<Event, Fault>>;

/// A connection that lasted this long resets the reconnect backoff; a shorter one (say,
/// another client taking over our client id each time) keeps it growing.
const STABLE: Duration = Duration::from_secs(5);

impl Subscriber {
    async fn run(&mut self, events: Events, deadline: Option<Instant>) -> anyhow::Result<()> {
        let (mut rx, mut driver) = events.spawn(BATCH);
        self.queue_subscriptions(true);
        self.send_requests();
        let interrupt = super::interrupted();
        tokio::pin!(interrupt);
        let far = Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600);
        let deadline_at = deadline.unwrap_or(far);
        let mut backoff = BACKOFF_START;
        let mut connected_at = Instant::now();
        let mut settle_by: Option<Instant> = None;

        loop {
            if self.done {
                if self.settled() {
                    break;
                }
                settle_by.get_or_insert_with(|| Instant::now() + SETTLE_LIMIT);
            }
            let outcome = tokio::select! {
                biased;
                _ = &mut interrupt => {
                    self.drain_ready(&mut rx).await;
                    self.finish(&mut rx).await;
                    return Err(Failure::Interrupted.into());
                }
                _ = tokio::time::sleep_until(deadline_at), if !self.done => {
                    self.finish(&mut rx).await;
                    return Err(timed_out(&self.opts, self.counted).into());
                }
                _ = tokio::time::sleep_until(settle_by.unwrap_or(far)), if settle_by.is_some() => break,
                _ = tokio::time::sleep(Duration::from_millis(1)), if !self.requests.is_empty() => {
                    self.send_requests();
                    None
                }
                first = rx.recv() => self.handle_batch(first, &mut rx)?,
            };
            match outcome {
                None => {}
                Some(Outcome::Failed(failure)) => {
                    self.finish(&mut rx).await;
                    return Err(failure.into());
                }
                Some(Outcome::Lost(fault)) => {
                    self.printer.flush()?;
                    if self.done {
                        // Done already; only the settling was cut short.
                        break;
                    }
                    if let Some(pkid) = fault.unsolicited_pkid() {
                        // Most likely a PUBREL from an earlier connection of this session.
                        self.unsolicited.insert(pkid);
                    }
                    let failure = fault.into_failure(&self.opts.conn, true);
                    if matches!(failure, Failure::Refused { .. } | Failure::Tls(_)) {
                        return Err(failure.into());
                    }
                    if connected_at.elapsed() >= STABLE {
                        backoff = BACKOFF_START;
                    }
                    if !self.opts.conn.quiet {
                        eprintln!(
                            "mqtk: {failure}; reconnecting in {}",
                            humantime::format_duration(backoff)
                        );
                    }
                    // Acks belong to the connection that is gone: the broker resends what
                    // was not acknowledged.
                    self.requests.retain(|r| !matches!(r, Request::Ack(..)));
                    let mut events = driver.await.map_err(|e| {
                        Failure::Internal(format!("the connection's event loop failed: {e}"))
                    })?;
                    events.drop_stale_acks();
                    events.expect_pubrel(
                        self.awaiting_pubrel
                            .iter()
                            .chain(&self.unsolicited)
                            .copied(),
                    );
                    tokio::select! {
                        biased;
                        _ = &mut interrupt => return Err(Failure::Interrupted.into()),
                        _ = tokio::time::sleep_until(deadline_at) => {
                            return Err(timed_out(&self.opts, self.counted).into());
                        }
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_CAP);
                    connected_at = Instant::now();
                    (rx, driver) = events.spawn(BATCH);
                }
            }
        }
        self.finish(&mut rx).await;
        let unconfirmed =
            self.removals_failed + (self.removals.len() + self.removals_queued) as u64;
        if unconfirmed > 0 {
            return Err(Failure::PublishRejected(format!(
                "{unconfirmed} retained messages could not be removed (--remove-retained)"
            ))
            .into());
        }
        Ok(())
    }

    /// Queues the SUBSCRIBE (and, the first time, the -U UNSUBSCRIBEs).
    fn queue_subscriptions(&mut self, first: bool) {
        if !self.opts.subscription.filters.is_empty() {
            self.requests.push_back(Request::Subscribe);
            self.subscribes_pending += 1;
        }
        if first {
            for filter in &self.opts.unsubscribe {
                self.requests
                    .push_back(Request::Unsubscribe(filter.clone()));
                self.unsubscribes_pending += 1;
            }
        }
    }

    /// Hands queued requests to the event loop, in order, until its channel is full.
    fn send_requests(&mut self) {
        while let Some(request) = self.requests.front() {
            let sent = match request {
                Request::Ack(qos, pkid) => self.client.try_ack(*qos, *pkid),
                Request::Subscribe => self.client.try_subscribe(&self.opts.subscription),
                Request::Unsubscribe(filter) => self.client.try_unsubscribe(filter),
                Request::Remove(topic) => {
                    let sent = self.client.try_publish(topic, 1, true, bytes::Bytes::new());
                    if sent {
                        self.removals_queued -= 1;
                    }
                    sent
                }
            };
            if !sent {
                break;
            }
            self.requests.pop_front();
        }
    }

    /// Handles `first` and whatever else is already waiting, then flushes the output once
    /// and hands over the acknowledgements of what was written.
    fn handle_batch(
        &mut self,
        first: Option<Result<Event, Fault>>,
        rx: &mut EventRx,
    ) -> anyhow::Result<Option<Outcome>> {
        let mut next = first;
        let mut handled = 0;
        let outcome = loop {
            let event = match next.take() {
                None => {
                    break Some(Outcome::Failed(Failure::ConnectionLost(
                        "the connection's event loop stopped".into(),
                    )))
                }
                Some(Err(fault)) => break Some(Outcome::Lost(fault)),
                Some(Ok(event)) => event,
            };
            if let Some(failure) = self.handle_event(event)? {
                break Some(Outcome::Failed(failure));
            }
            handled += 1;
            if handled >= BATCH {
                break None;
            }
            match rx.try_recv() {
                Ok(event) => next = Some(event),
                Err(_) => break None,
            }
        };
        self.printer.flush()?;
        if !matches!(outcome, Some(Outcome::Lost(_))) {
            self.send_requests();
        }
        Ok(outcome)
    }

    /// Handles the events already received (on Ctrl-C: print what has arrived).
    async fn drain_ready(&mut self, rx: &mut EventRx) {
        while let Ok(Ok(event)) = rx.try_recv() {
            if !matches!(self.handle_event(event), Ok(None)) {
                break;
            }
        }
    }

    /// One event; a returned failure ends the run.
    fn handle_event(&mut self, event: Event) -> anyhow::Result<Option<Failure>> {
        match event {
            Event::Publish(message) => self.handle_message(&message)?,
            Event::ConnAck(info) => {
                let kept = info.session_present;
                if !self.opts.conn.quiet {
                    eprintln!(
                        "mqtk: reconnected to {}{}",
                        self.opts.conn.broker_display(),
                        if kept {
                            " (session kept)"
                        } else {
                            "; subscribing again"
                        }
                    );
                }
                if kept {
                    // A SUBSCRIBE or UNSUBSCRIBE lost with the connection is not resent
                    // by rumqttc: send it again.
                    if self.subscribes_pending > 0 {
                        self.subscribes_pending = 0;
                        self.queue_subscriptions(false);
                    }
                    if self.unsubscribes_pending > 0 {
                        self.unsubscribes_pending = 0;
                        for filter in self.opts.unsubscribe.clone() {
                            self.requests.push_back(Request::Unsubscribe(filter));
                            self.unsubscribes_pending += 1;
                        }
                    }
                } else {
                    self.awaiting_pubrel.clear();
                    self.unsolicited.clear();
                    // Removals in flight are gone; the retained messages come back with
                    // the new subscription and are removed again.
                    self.removals.clear();
                    self.requests.retain(|r| !matches!(r, Request::Remove(_)));
                    self.removals_queued = 0;
                    self.subscribes_pending = 0;
                    self.requests.retain(|r| !matches!(r, Request::Subscribe));
                    self.queue_subscriptions(false);
                }
                self.send_requests();
            }
            Event::SubAck { codes, .. } => {
                self.subscribes_pending = self.subscribes_pending.saturating_sub(1);
                if let Some(failure) = self.check_suback(&codes) {
                    return Ok(Some(failure));
                }
                self.check_subscribed();
            }
            Event::UnsubAck { .. } => {
                self.unsubscribes_pending = self.unsubscribes_pending.saturating_sub(1);
                self.check_subscribed();
            }
            Event::Sent(Sent::Publish(pkid)) if self.opts.remove_retained => {
                self.removals.insert(pkid);
            }
            // Only our --remove-retained publishes are acknowledged to us (the guard
            // forgets the packet id whatever the reason code).
            Event::PubAck { pkid, reason, .. } if self.removals.remove(&pkid) && reason >= 0x80 => {
                self.removals_failed += 1;
                if !self.opts.conn.quiet {
                    eprintln!(
                        "mqtk: a retained message was not removed: {} (0x{reason:02x})",
                        codes::reason_text(reason)
                    );
                }
            }
            Event::PubRel { pkid } => {
                self.awaiting_pubrel.remove(&pkid);
                self.unsolicited.remove(&pkid);
            }
            Event::ServerDisconnect {
                reason,
                reason_string,
            } => {
                let text = format!(
                    "the broker closed the connection: {} (0x{reason:02x}){}",
                    codes::reason_text(reason),
                    reason_string.map(|t| format!(": {t}")).unwrap_or_default()
                );
                if reason == 0x8E {
                    // Another client took our id: reconnecting would only fight it.
                    return Ok(Some(Failure::ConnectionLost(format!(
                        "{text}; another client connected with client id '{}'",
                        self.opts.conn.client_id
                    ))));
                }
                if !self.opts.conn.quiet {
                    eprintln!("mqtk: {text}");
                }
            }
            _ => {}
        }
        Ok(None)
    }

    fn check_suback(&self, codes: &[u8]) -> Option<Failure> {
        let filters = &self.opts.subscription.filters;
        for (filter, &code) in filters.iter().zip(codes) {
            if code >= 0x80 {
                let text = if self.opts.conn.version == ProtocolVersion::V5 {
                    codes::reason_text(code)
                } else {
                    "failure"
                };
                return Some(Failure::SubscribeRejected(format!(
                    "the broker refused the subscription to '{filter}': {text} (0x{code:02x})"
                )));
            }
            if code < self.opts.subscription.qos && !self.opts.conn.quiet {
                eprintln!(
                    "mqtk: the broker granted QoS {code} for '{filter}' (asked for {})",
                    self.opts.subscription.qos
                );
            }
        }
        None
    }

    fn check_subscribed(&mut self) {
        if self.opts.exit_on_subscribe
            && self.subscribes_pending == 0
            && self.unsubscribes_pending == 0
            && !self.done
        {
            self.done = true;
        }
    }

    fn handle_message(&mut self, message: &Message) -> anyhow::Result<()> {
        if message.qos == 2 && message.dup && self.awaiting_pubrel.contains(&message.pkid) {
            // A resend of a message already handled: acknowledge it again, print nothing.
            self.requests.push_back(Request::Ack(2, message.pkid));
            return Ok(());
        }
        if self.done {
            // Not acknowledged: a durable session keeps it for the next run.
            return Ok(());
        }
        let topic = String::from_utf8_lossy(&message.topic);
        if !message.retain && message.payload.is_empty() {
            if let Some(left) = self.removal_echoes.get_mut(topic.as_ref()) {
                // The broker forwarding our own removal: not news.
                *left -= 1;
                if *left == 0 {
                    self.removal_echoes.remove(topic.as_ref());
                }
                self.accept(message);
                return Ok(());
            }
        }
        if self.opts.retained_only && !message.retain {
            // Ends the run; left unacknowledged, so a durable session keeps it.
            self.done = true;
            return Ok(());
        }
        let filtered_out = self
            .opts
            .filter_out
            .iter()
            .any(|f| filter_matches(f, &topic));
        let hidden = self.opts.hide_retained && message.retain;
        if self.opts.remove_retained
            && message.retain
            && !message.payload.is_empty()
            && !filtered_out
            && !hidden
        {
            self.requests.push_back(Request::Remove(topic.to_string()));
            self.removals_queued += 1;
            *self.removal_echoes.entry(topic.to_string()).or_default() += 1;
        }
        self.accept(message);
        if hidden || filtered_out {
            return Ok(());
        }
        let sampled_out = self
            .opts
            .random_filter
            .is_some_and(|percent| rand::random::<f64>() * 100.0 >= percent);
        if !sampled_out {
            let time = if self.stamp {
                SystemTime::now()
            } else {
                SystemTime::UNIX_EPOCH
            };
            let received = Received::new(message, topic, time);
            if let Some(warning) = self.printer.print(&received)? {
                if !self.opts.conn.quiet {
                    eprintln!("mqtk: {warning}");
                }
            }
        }
        self.counted += 1;
        if self.opts.count == Some(self.counted) {
            self.done = true;
        }
        Ok(())
    }

    /// Queues the acknowledgement of a handled message (handed over after the next flush).
    fn accept(&mut self, message: &Message) {
        if message.qos == 2 {
            self.awaiting_pubrel.insert(message.pkid);
        }
        if message.qos > 0 {
            self.requests
                .push_back(Request::Ack(message.qos, message.pkid));
        }
    }

    /// Nothing of ours is still in flight: requests handed over, PUBRELs and removal
    /// PUBACKs received.
    fn settled(&self) -> bool {
        self.requests.is_empty() && self.awaiting_pubrel.is_empty() && self.removals.is_empty()
    }

    /// Flushes, hands over what requests it can, and disconnects.
    async fn finish(&mut self, rx: &mut EventRx) {
        let _ = self.printer.flush();
        self.send_requests();
        client::close(&self.client, rx, Duration::from_secs(2)).await;
    }
}

fn timed_out(opts: &SubOptions, counted: u64) -> Failure {
    let limit = humantime::format_duration(opts.timeout.unwrap_or_default());
    let received = match opts.count {
        Some(n) => format!("{counted} of {n} messages (-C)"),
        None if counted == 1 => "1 message".into(),
        None => format!("{counted} messages"),
    };
    Failure::Timeout(format!("timed out after {limit} (-W) with {received}"))
}

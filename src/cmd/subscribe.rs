//! `mqtk sub`: subscribes, prints each message as it arrives (buffered in bursts, flushed
//! when the stream pauses), acknowledges QoS 1/2 messages only once they are written out,
//! and survives a lost connection by reconnecting at once (then with backoff), resuming a
//! kept session or subscribing again, and saying on stderr what an outage may have cost.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::cli::SubArgs;
use crate::conn::{codes, filter_matches, validate_filter, ConnectOptions, ProtocolVersion};
use crate::engine::client::{disconnect_text, final_disconnect, Backoff, Client, Stop};
use crate::engine::packets::{Message, Subscription};
use crate::engine::session::Event;
use crate::error::Failure;
use crate::output::stdio::{stderr, StdoutWatch};
use crate::output::{PrintOptions, Printer};

/// Events handled between two flushes of the output, at most: bounds the delay of a line
/// when messages never stop arriving.
const BATCH: usize = 1024;
/// How long to wait, when done, for our acks and the broker's PUBRELs and PUBACKs.
const SETTLE_LIMIT: Duration = Duration::from_secs(5);
/// Connections lost in a row while a SUBSCRIBE waited for its SUBACK before sub takes it
/// as the broker's answer to the subscription.
const SUBSCRIBE_LOSSES: u32 = 3;
/// QoS 1/2 messages sub keeps in flight (only --remove-retained's empty messages).
const WINDOW: u16 = 100;

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
    /// How messages are printed (-v, -F, --json...).
    pub print: PrintOptions,
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
        let conn = ConnectOptions::from_args_with_v5_flag(&args.conn, &args.session, v5_flag)?;
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
                    "-T/--filter-out '{}': give the topic pattern, without $share/GROUP/",
                    crate::error::shorten(filter)
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
        let print = PrintOptions::from_args(&args.output)?;
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
            print,
            conn,
        })
    }
}

/// Runs `mqtk sub`.
pub async fn run(args: &SubArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let opts = SubOptions::from_args(args)?;
    let deadline = opts.timeout.map(|t| started + t);
    let far = started + Duration::from_secs(10 * 365 * 24 * 3600);
    let client = tokio::select! {
        biased;
        _ = super::interrupted() => return Err(Failure::Interrupted.into()),
        connected = tokio::time::timeout_at(deadline.unwrap_or(far), Client::connect(&opts.conn, WINDOW)) => match connected {
            Ok(connected) => connected?,
            Err(_) => return Err(timed_out(&opts, 0).into()),
        },
    };
    let printer = opts.print.printer();
    let mut subscriber = Subscriber {
        client,
        printer,
        acks: Vec::new(),
        counted: 0,
        subscribe_losses: 0,
        removals: VecDeque::new(),
        removal_echoes: HashMap::new(),
        removals_failed: 0,
        done: false,
        output_error: None,
        opts,
    };
    subscriber.run(deadline).await
}

struct Subscriber {
    opts: SubOptions,
    client: Client,
    printer: Printer,
    /// Acknowledgements of the messages handled since the last flush: sent after it.
    acks: Vec<(u8, u16)>,
    /// Messages that count for -C.
    counted: u64,
    /// Connections lost in a row while a SUBSCRIBE was unanswered.
    subscribe_losses: u32,
    /// --remove-retained: topics whose retained message is still to be cleared.
    removals: VecDeque<String>,
    /// Echoes still expected of our removals (an empty live message per cleared topic).
    removal_echoes: HashMap<String, u32>,
    removals_failed: u64,
    /// Writing the output failed (a closed pipe ends the run quietly: main decides).
    output_error: Option<std::io::Error>,
    /// The run has reached its end (-C count, -E subscribed, --retained-only's live
    /// message); what remains is settling acknowledgements.
    done: bool,
}

impl Subscriber {
    async fn run(&mut self, deadline: Option<Instant>) -> anyhow::Result<()> {
        self.subscribe(true);
        let interrupt = super::interrupted();
        tokio::pin!(interrupt);
        let far = Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600);
        let deadline_at = deadline.unwrap_or(far);
        let mut backoff = Backoff::new(
            self.opts.conn.reconnect_max_delay,
            self.opts.conn.reconnect_limit,
        );
        let mut settle_by: Option<Instant> = None;
        // `| head -1` may have had enough while no message comes: end then, not at the
        // next message.
        let stdout = StdoutWatch::new();

        loop {
            self.send_removals();
            if self.done {
                if self.settled() {
                    break;
                }
                settle_by.get_or_insert_with(|| Instant::now() + SETTLE_LIMIT);
            }
            let until_written = self.done && self.client.unwritten() > 0;
            let outcome = tokio::select! {
                biased;
                _ = &mut interrupt => {
                    self.finish().await;
                    return Err(Failure::Interrupted.into());
                }
                _ = tokio::time::sleep_until(deadline_at), if !self.done => {
                    self.finish().await;
                    return Err(timed_out(&self.opts, self.counted).into());
                }
                _ = tokio::time::sleep_until(settle_by.unwrap_or(far)), if settle_by.is_some() => break,
                closed = stdout.closed() => {
                    self.finish().await;
                    return Err(closed.into());
                }
                event = self.client.next_or_written(until_written) => event,
            };
            let lost = match outcome {
                Ok(Some(first)) => match self.handle_burst(first) {
                    Ok(()) => continue,
                    Err(Stop::Fatal(failure)) => {
                        self.finish().await;
                        return Err(self.fatal(failure));
                    }
                    Err(Stop::Lost(failure)) => failure,
                },
                Ok(None) => continue,
                Err(Stop::Fatal(failure)) => {
                    self.finish().await;
                    return Err(failure.into());
                }
                Err(Stop::Lost(failure)) => failure,
            };
            self.printer.flush()?;
            self.acks.clear();
            if self.done {
                // Done already; only the settling was cut short.
                break;
            }
            if self.client.session().subscribing() {
                self.subscribe_losses += 1;
                if self.subscribe_losses >= SUBSCRIBE_LOSSES {
                    return Err(Failure::SubscribeRejected(format!(
                        "{lost}: the broker closed the connection {} times in answer to SUBSCRIBE ({}): it does not accept the subscription",
                        self.subscribe_losses,
                        self.filters_text()
                    ))
                    .into());
                }
            }
            tokio::select! {
                biased;
                closed = stdout.closed() => {
                    self.finish().await;
                    return Err(closed.into());
                }
                reconnected = self.reconnect(lost, &mut backoff, &mut interrupt, deadline_at) => reconnected?,
            }
        }
        self.finish().await;
        let unconfirmed = self.removals_failed
            + self.removals.len() as u64
            + self.client.session().in_flight() as u64;
        if unconfirmed > 0 {
            return Err(Failure::PublishRejected(format!(
                "{unconfirmed} retained messages could not be removed (--remove-retained)"
            ))
            .into());
        }
        Ok(())
    }

    fn filters_text(&self) -> String {
        self.opts
            .subscription
            .filters
            .iter()
            .map(|f| format!("'{}'", crate::engine::packets::printable(f.as_bytes())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Sends the SUBSCRIBE (and, the first time, the -U UNSUBSCRIBEs).
    fn subscribe(&mut self, first: bool) {
        if !self.opts.subscription.filters.is_empty() {
            self.client.subscribe(self.opts.subscription.clone());
        }
        if first {
            for filter in self.opts.unsubscribe.clone() {
                self.client.unsubscribe(vec![filter]);
            }
        }
    }

    /// Reconnects as the backoff allows (within -W); Err ends the run.
    async fn reconnect<F: Future<Output = ()>>(
        &mut self,
        lost: Failure,
        backoff: &mut Backoff,
        interrupt: &mut Pin<&mut F>,
        deadline: Instant,
    ) -> Result<(), Failure> {
        let timeout = timed_out(&self.opts, self.counted);
        let stop = async {
            tokio::select! {
                biased;
                _ = interrupt.as_mut() => Failure::Interrupted,
                _ = tokio::time::sleep_until(deadline) => timeout,
            }
        };
        let resumed = self.client.reconnect_after(lost, backoff, stop).await?;
        let quiet = self.opts.conn.quiet;
        let broker = self.opts.conn.broker_display();
        if resumed.subscriptions_kept {
            if !quiet {
                stderr!("mqtk: reconnected to {broker} (session kept)");
            }
            return Ok(());
        }
        if !quiet {
            let keep = if self.opts.conn.clean_session {
                "; to keep them, use a session: -c -i ID"
            } else {
                ""
            };
            stderr!(
                "mqtk: reconnected to {broker}; subscribing again (a new session: messages published while disconnected were not received{keep})"
            );
        }
        // The session layer dropped its requests: subscribe again, and clear again the
        // retained messages that come back.
        self.subscribe(false);
        self.removals.clear();
        self.removal_echoes.clear();
        Ok(())
    }

    /// Sends queued --remove-retained publishes while the window has room.
    fn send_removals(&mut self) {
        while self.client.is_connected() && self.client.has_room() {
            let Some(topic) = self.removals.pop_front() else {
                return;
            };
            let message = Message {
                topic: Bytes::from(topic.into_bytes()),
                qos: 1,
                retain: true,
                ..Message::default()
            };
            if let Err(failure) = self.client.publish(message, 0) {
                self.removals_failed += 1;
                if !self.opts.conn.quiet {
                    stderr!("mqtk: a retained message was not removed: {failure}");
                }
            }
        }
    }

    /// Handles `first` and whatever else was read with it, then flushes the output once
    /// and acknowledges what was written.
    fn handle_burst(&mut self, first: Event) -> Result<(), Stop> {
        let mut next = Some(first);
        let mut handled = 0;
        let mut result = Ok(());
        while let Some(event) = next.take() {
            if let Err(stop) = self.handle_event(event) {
                result = Err(stop);
                break;
            }
            handled += 1;
            if handled >= BATCH {
                break;
            }
            match self.client.next_buffered() {
                Ok(event) => next = event,
                Err(stop) => {
                    result = Err(stop);
                    break;
                }
            }
        }
        if let Err(e) = self.printer.flush() {
            return Err(self.output_failed(e));
        }
        for (qos, pkid) in self.acks.drain(..) {
            self.client.ack(qos, pkid);
        }
        result
    }

    /// One event; Err ends the connection (Lost) or the run (Fatal).
    fn handle_event(&mut self, event: Event) -> Result<(), Stop> {
        match event {
            Event::Message(message) => {
                if let Err(e) = self.handle_message(&message) {
                    return Err(self.output_failed(e));
                }
            }
            Event::SubAck { codes, .. } => {
                self.subscribe_losses = 0;
                if let Some(failure) = self.check_suback(&codes) {
                    return Err(Stop::Fatal(failure));
                }
                self.check_subscribed();
            }
            Event::UnsubAck { .. } => {
                self.check_subscribed();
            }
            // Only our --remove-retained publishes are acknowledged to us.
            Event::Published { reason, .. } => {
                if reason >= 0x80 {
                    self.removals_failed += 1;
                    if !self.opts.conn.quiet {
                        stderr!(
                            "mqtk: a retained message was not removed: {} (0x{reason:02x})",
                            codes::reason_text(reason)
                        );
                    }
                }
            }
            Event::Disconnect {
                reason,
                reason_string,
            } => {
                let text = disconnect_text(reason, reason_string);
                if reason == 0x8E {
                    // Another client took our id: reconnecting would only fight it.
                    return Err(Stop::Fatal(Failure::ConnectionLost(format!(
                        "{text}; another client connected with client id '{}'",
                        self.opts.conn.client_id
                    ))));
                }
                if final_disconnect(reason) {
                    return Err(Stop::Fatal(Failure::ConnectionLost(text)));
                }
                return Err(Stop::Lost(Failure::ConnectionLost(text)));
            }
            Event::PingResp => {}
        }
        Ok(())
    }

    fn check_suback(&self, codes: &[u8]) -> Option<Failure> {
        let filters = &self.opts.subscription.filters;
        if codes.len() != filters.len() {
            return Some(Failure::Protocol(format!(
                "{}: SUBACK has {} codes for {} filters",
                self.opts.conn.broker_display(),
                codes.len(),
                filters.len()
            )));
        }
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
                stderr!(
                    "mqtk: the broker granted QoS {code} for '{filter}' (asked for {})",
                    self.opts.subscription.qos
                );
            }
        }
        None
    }

    fn check_subscribed(&mut self) {
        if self.opts.exit_on_subscribe
            && self.client.session().requests_pending() == 0
            && !self.done
        {
            self.done = true;
        }
    }

    fn handle_message(&mut self, message: &Message) -> std::io::Result<()> {
        if self.done {
            // Not acknowledged: a durable session keeps it for the next run.
            self.client.decline(message.qos, message.pkid);
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
            self.client.decline(message.qos, message.pkid);
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
            self.removals.push_back(topic.to_string());
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
            if let Some(warning) = self.printer.print_message(message, topic)? {
                if !self.opts.conn.quiet {
                    stderr!("mqtk: {warning}");
                }
            }
        }
        self.counted += 1;
        if self.opts.count == Some(self.counted) {
            self.done = true;
        }
        Ok(())
    }

    /// Acknowledges a handled message after the next flush.
    fn accept(&mut self, message: &Message) {
        if message.qos > 0 {
            self.acks.push((message.qos, message.pkid));
        }
    }

    /// Nothing of ours is still in flight: acks written, PUBRELs and removal PUBACKs
    /// received.
    fn settled(&self) -> bool {
        self.acks.is_empty()
            && self.client.unwritten() == 0
            && self.client.session().awaiting_release() == 0
            && self.client.session().in_flight() == 0
            && self.removals.is_empty()
    }

    /// Keeps a failed write of the output for [`Subscriber::fatal`]. What was not written
    /// is not acknowledged: a durable session delivers it again.
    fn output_failed(&mut self, e: std::io::Error) -> Stop {
        let text = format!("cannot write the output: {e}");
        self.acks.clear();
        self.output_error = Some(e);
        Stop::Fatal(Failure::Internal(text))
    }

    /// The error that ends the run: the output's own when writing it failed.
    fn fatal(&mut self, failure: Failure) -> anyhow::Error {
        match self.output_error.take() {
            Some(e) => e.into(),
            None => failure.into(),
        }
    }

    /// Flushes and disconnects.
    async fn finish(&mut self) {
        let _ = self.printer.flush();
        for (qos, pkid) in self.acks.drain(..) {
            self.client.ack(qos, pkid);
        }
        self.client.disconnect(Duration::from_secs(2)).await;
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

//! The session layer at work: a [`Client`] drives one [`Session`] over a [`Link`] that it
//! replaces on reconnect. It answers the protocol by itself (PUBREL → PUBCOMP, PUBREC →
//! PUBREL, repeated QoS 2 deliveries, PINGREQ when the link is quiet), declares the link
//! lost when the broker goes silent (1.5 × keepalive at most) or leaves a message or request
//! unanswered past `--ack-timeout`, and hands the command only what it must decide on.
//! [`Backoff`] is the reconnect policy `pub` and `sub` share.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::link::{self, Link, LinkError};
use super::packets::{Message, Packet, Subscription};
use super::session::{Event, KeepAlive, Limits, Resumed, Session};
use crate::conn::ConnectOptions;
use crate::error::Failure;
use crate::output::stdio::stderr;

/// Set once a [`Client`] got its first CONNACK: under the name `mosquitto_sub`, an
/// interrupt exits 0 after it and 255 before it, as mosquitto_sub does.
static CONNECTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True once a [`Client`] of this process has connected.
pub fn connected_once() -> bool {
    CONNECTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Why [`Client::next`] returned no event.
#[derive(Debug)]
pub enum Stop {
    /// The connection is gone; [`Client::reconnect`] may bring it back.
    Lost(Failure),
    /// Reconnecting would not help (a protocol error): the command ends.
    Fatal(Failure),
}

/// A session with a broker, connected or between connections.
pub struct Client {
    opts: ConnectOptions,
    link: Option<Link>,
    session: Session,
    keepalive: KeepAlive,
    /// The id CONNECT uses: `-i`, or what the broker assigned (MQTT 5) so that a kept
    /// session is found again.
    client_id: String,
}

impl Client {
    /// Connects (one attempt: a first failure is the user's to fix) and starts the session.
    /// `window` is the most QoS 1/2 messages the command keeps in flight.
    pub async fn connect(opts: &ConnectOptions, window: u16) -> Result<Client, Failure> {
        let mut client = Client {
            opts: opts.clone(),
            link: None,
            session: Session::new(!opts.clean_session, window),
            keepalive: KeepAlive::new(opts.keepalive),
            client_id: opts.client_id.clone(),
        };
        client.reconnect().await?;
        CONNECTED.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(client)
    }

    /// One connection attempt; on success the session resends what it must.
    pub async fn reconnect(&mut self) -> Result<Resumed, Failure> {
        self.link = None;
        let (mut link, _phases, connack) =
            link::connect(&self.opts, &self.client_id, self.opts.keepalive, None).await?;
        let now = Instant::now();
        let resumed = self
            .session
            .connected(&connack, now)
            .map_err(Failure::Protocol)?;
        let limits = self.session.limits();
        if let Some(max) = limits.max_packet_size {
            link.limit_outgoing(max);
        }
        if let Some(id) = &limits.assigned_client_id {
            self.client_id = id.clone();
        }
        self.keepalive = KeepAlive::new(match limits.server_keep_alive {
            Some(seconds) => Duration::from_secs(seconds.into()),
            None => self.opts.keepalive,
        });
        for packet in &resumed.resend {
            link.queue(packet).map_err(Failure::Data)?;
        }
        self.link = Some(link);
        Ok(resumed)
    }

    /// Reconnects after `lost` as `backoff` allows, saying so on stderr (unless `--quiet`):
    /// failures a retry may cure are retried, the others end it at once, as does `stop`
    /// (its failure is returned: an interrupt, `-W`). When one outage outlasts
    /// `--reconnect-limit` it fails with a connection-lost line naming the last failure.
    pub async fn reconnect_after(
        &mut self,
        lost: Failure,
        backoff: &mut Backoff,
        stop: impl Future<Output = Failure>,
    ) -> Result<Resumed, Failure> {
        let quiet = self.opts.quiet;
        if !quiet {
            stderr!("mqtk: {lost}");
        }
        tokio::pin!(stop);
        let mut last = lost;
        loop {
            let Some(delay) = backoff.delay(Instant::now()) else {
                let outage =
                    Duration::from_millis(backoff.outage(Instant::now()).as_millis() as u64);
                return Err(Failure::ConnectionLost(format!(
                    "gave up reconnecting after {} (--reconnect-limit): {last}",
                    humantime::format_duration(outage)
                )));
            };
            if !quiet && !delay.is_zero() {
                stderr!(
                    "mqtk: reconnecting in {}",
                    humantime::format_duration(delay)
                );
            }
            let attempt = tokio::select! {
                biased;
                stopped = &mut stop => return Err(stopped),
                attempt = async {
                    tokio::time::sleep(delay).await;
                    self.reconnect().await
                } => attempt,
            };
            match attempt {
                Ok(resumed) => {
                    backoff.reset();
                    return Ok(resumed);
                }
                Err(
                    failure @ (Failure::Refused { .. }
                    | Failure::Tls(_)
                    | Failure::Protocol(_)
                    | Failure::Usage(_)
                    | Failure::Data(_)),
                ) => return Err(failure),
                Err(failure) => {
                    if !quiet {
                        stderr!("mqtk: {failure}");
                    }
                    last = failure;
                }
            }
        }
    }

    pub fn limits(&self) -> &Limits {
        self.session.limits()
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    /// The largest packet the broker takes now (ours, lowered by its CONNACK).
    pub fn max_outgoing(&self) -> u32 {
        let theirs = self.limits().max_packet_size.unwrap_or(u32::MAX);
        self.opts.max_outgoing.min(theirs)
    }

    /// Room for another QoS 1/2 message.
    pub fn has_room(&self) -> bool {
        self.session.has_room()
    }

    /// Queues a message (kept by the session until acknowledged, and sent on reconnect if
    /// the link is down). `token` names it in [`Event::Published`].
    pub fn publish(&mut self, message: Message, token: u64) -> Result<(), Failure> {
        let packet = self.session.publish(message, token, Instant::now());
        if let Some(link) = &mut self.link {
            if let Err(why) = link.queue(&packet) {
                if let Packet::Publish(m) = &packet {
                    self.session.forget(m.pkid);
                }
                return Err(Failure::Data(why));
            }
        }
        Ok(())
    }

    pub fn subscribe(&mut self, subscription: Subscription) {
        let packet = self.session.subscribe(subscription, Instant::now());
        self.queue(&packet);
    }

    pub fn unsubscribe(&mut self, filters: Vec<String>) {
        let packet = self.session.unsubscribe(filters, Instant::now());
        self.queue(&packet);
    }

    /// Acknowledges a delivered message (after the command has written it out).
    pub fn ack(&mut self, qos: u8, pkid: u16) {
        if let Some(packet) = Session::ack(qos, pkid) {
            self.queue(&packet);
        }
    }

    /// Leaves a delivered message unacknowledged: the broker keeps it for the session.
    pub fn decline(&mut self, qos: u8, pkid: u16) {
        self.session.decline(qos, pkid);
    }

    fn queue(&mut self, packet: &Packet) {
        if let Some(link) = &mut self.link {
            // Acks and requests are small: only a broker maximum below a few bytes refuses
            // them, and then the ack timeout reports the stall.
            let _ = link.queue(packet);
        }
    }

    /// Bytes queued and not yet written.
    pub fn unwritten(&self) -> usize {
        self.link.as_ref().map_or(0, Link::unwritten)
    }

    /// The next event the command must see, writing queued packets meanwhile, keeping the
    /// link alive and watching its health; with `until_written` it also returns (None) once
    /// everything queued is written, so the command can queue more. Cancel-safe.
    pub async fn next_or_written(&mut self, until_written: bool) -> Result<Option<Event>, Stop> {
        loop {
            let Some(link) = &mut self.link else {
                return Err(Stop::Lost(self.lost_text("not connected")));
            };
            let ack_deadline = self
                .session
                .oldest_unanswered()
                .map(|sent| sent + self.opts.ack_timeout);
            let ping_deadline = self.keepalive.deadline(link.last_write(), link.last_read());
            let deadline = [ack_deadline, ping_deadline].into_iter().flatten().min();
            let far = Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                read = link.next_or_written(until_written) => {
                    let packet = match read {
                        Ok(Some((packet, _))) => packet,
                        Ok(None) => return Ok(None),
                        Err(e) => return Err(self.broken(e)),
                    };
                    if let Some(event) = self.on_packet(packet)? {
                        return Ok(Some(event));
                    }
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    let now = Instant::now();
                    if ack_deadline.is_some_and(|at| at <= now) {
                        self.link = None;
                        return Err(Stop::Lost(self.lost_text(&format!(
                            "no acknowledgement within {} (--ack-timeout)",
                            humantime::format_duration(self.opts.ack_timeout)
                        ))));
                    }
                    if ping_deadline.is_some_and(|at| at <= now) {
                        if self.keepalive.ping_sent.is_some() {
                            self.link = None;
                            return Err(Stop::Lost(self.lost_text(&format!(
                                "no answer to PINGREQ within {} (the broker is not responding; -k sets the keepalive)",
                                humantime::format_duration(self.keepalive.interval / 2)
                            ))));
                        }
                        self.keepalive.ping_sent = Some(now);
                        self.queue(&Packet::PingReq);
                    }
                }
            }
        }
    }

    /// An event from what was already read, if any: no I/O, for handling a burst in one go.
    pub fn next_buffered(&mut self) -> Result<Option<Event>, Stop> {
        loop {
            let Some(link) = &mut self.link else {
                return Ok(None);
            };
            match link.next_buffered() {
                Ok(Some(packet)) => {
                    if let Some(event) = self.on_packet(packet)? {
                        return Ok(Some(event));
                    }
                }
                Ok(None) => return Ok(None),
                Err(e) => return Err(self.broken(e)),
            }
        }
    }

    /// Lets the session answer a packet; returns what the command must see.
    fn on_packet(&mut self, packet: Packet) -> Result<Option<Event>, Stop> {
        let handled = match self.session.handle(packet) {
            Ok(handled) => handled,
            Err(why) => return Err(self.protocol_error(why)),
        };
        if let Some(reply) = &handled.reply {
            self.queue(reply);
        }
        match handled.event {
            Some(Event::PingResp) => {
                self.keepalive.ping_sent = None;
                Ok(None)
            }
            Some(Event::Disconnect {
                reason,
                reason_string,
            }) => {
                self.link = None;
                Ok(Some(Event::Disconnect {
                    reason,
                    reason_string,
                }))
            }
            event => Ok(event),
        }
    }

    fn lost_text(&self, why: &str) -> Failure {
        Failure::ConnectionLost(format!(
            "connection to {} lost: {why}",
            self.opts.broker_display()
        ))
    }

    fn broken(&mut self, e: LinkError) -> Stop {
        match e {
            LinkError::Protocol(why) => self.protocol_error(why),
            LinkError::Io(e) => {
                self.link = None;
                Stop::Lost(self.lost_text(&LinkError::Io(e).to_string()))
            }
        }
    }

    fn protocol_error(&mut self, why: String) -> Stop {
        // Leave at once: the broker and we disagree about the session.
        self.link = None;
        Stop::Fatal(Failure::Protocol(format!(
            "{}: {why}",
            self.opts.broker_display()
        )))
    }

    /// Ends the session politely: DISCONNECT after what is queued, within `limit`.
    pub async fn disconnect(&mut self, limit: Duration) {
        if let Some(link) = self.link.take() {
            link.close(limit).await;
        }
    }
}

/// What a DISCONNECT from the broker said, for messages.
pub fn disconnect_text(reason: u8, reason_string: Option<String>) -> String {
    format!(
        "the broker closed the connection: {} (0x{reason:02x}){}",
        crate::conn::codes::reason_text(reason),
        reason_string.map(|t| format!(": {t}")).unwrap_or_default()
    )
}

/// A DISCONNECT reason after which reconnecting cannot help: the client or what it sends
/// is refused (MQTT 5 reason codes), or another client took over the session.
pub fn final_disconnect(reason: u8) -> bool {
    matches!(
        reason,
        0x81 | 0x82
            | 0x87
            | 0x8A
            | 0x8E
            | 0x90
            | 0x93
            | 0x94
            | 0x95
            | 0x97
            | 0x99
            | 0x9A
            | 0x9B
            | 0x9E
            | 0xA1
            | 0xA2
    )
}

/// When to try again after a lost connection: at once, then 0.2 s doubling up to the cap;
/// back to "at once" after a successful CONNACK. Gives up when one outage has lasted
/// longer than the limit.
#[derive(Debug, Clone)]
pub struct Backoff {
    cap: Duration,
    limit: Option<Duration>,
    next: Duration,
    outage_started: Option<Instant>,
}

const FIRST_DELAY: Duration = Duration::from_millis(200);

impl Backoff {
    pub fn new(cap: Duration, limit: Option<Duration>) -> Backoff {
        Backoff {
            cap,
            limit,
            next: Duration::ZERO,
            outage_started: None,
        }
    }

    /// The wait before the next attempt, or None when the outage has lasted too long.
    pub fn delay(&mut self, now: Instant) -> Option<Duration> {
        let started = *self.outage_started.get_or_insert(now);
        if let Some(limit) = self.limit {
            if limit.is_zero() || now.duration_since(started) + self.next > limit {
                return None;
            }
        }
        let delay = self.next;
        self.next = if delay.is_zero() {
            FIRST_DELAY.min(self.cap)
        } else {
            (delay * 2).min(self.cap)
        };
        Some(delay)
    }

    /// How long the current outage has lasted.
    pub fn outage(&self, now: Instant) -> Duration {
        self.outage_started
            .map_or(Duration::ZERO, |at| now.duration_since(at))
    }

    /// Connected again.
    pub fn reset(&mut self) {
        self.next = Duration::ZERO;
        self.outage_started = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_retries_at_once_then_doubles_to_the_cap_and_gives_up_at_the_limit() {
        let t0 = Instant::now();
        let mut b = Backoff::new(Duration::from_secs(1), Some(Duration::from_secs(3)));
        let delays: Vec<_> = (0..5).map(|_| b.delay(t0).unwrap()).collect();
        assert_eq!(
            delays,
            [0, 200, 400, 800, 1000].map(Duration::from_millis).to_vec()
        );
        assert_eq!(b.delay(t0 + Duration::from_secs(3)), None);
        b.reset();
        assert_eq!(b.delay(t0 + Duration::from_secs(10)), Some(Duration::ZERO));
        let mut never = Backoff::new(Duration::from_secs(10), Some(Duration::ZERO));
        assert_eq!(never.delay(t0), None);
    }
}

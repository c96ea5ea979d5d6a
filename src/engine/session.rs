//! The session layer's state machine, with no socket: which QoS 1/2 messages and
//! SUBSCRIBE/UNSUBSCRIBE requests await an answer, which incoming QoS 2 messages await
//! their PUBREL, and the limits the broker announced. It follows the MQTT spec across
//! reconnects: after a CONNACK that kept the session it resends unacknowledged PUBLISHes
//! with DUP and pending PUBRELs; after one that did not, it resends them as new messages
//! (at least once). It answers every PUBREL with PUBCOMP, known id or not, and calls an
//! ack for a packet id it never sent, or of the wrong kind, a protocol error.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::packets::{ConnAck, Message, Packet, Subscription};

/// How far a QoS 1/2 message we sent has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Written; PUBACK (QoS 1) or PUBREC (QoS 2) due.
    AwaitAck,
    /// QoS 2 after PUBREC: our PUBREL is sent, PUBCOMP due.
    AwaitComp,
}

#[derive(Debug, Clone)]
struct Outgoing {
    message: Message,
    /// The command's number for the message (a stdin line, a repeat).
    token: u64,
    stage: Stage,
    /// Order of sending, so resends keep it.
    sequence: u64,
    sent_at: Instant,
}

#[derive(Debug, Clone)]
enum Request {
    Subscribe(Subscription),
    Unsubscribe(Vec<String>),
}

/// What the broker announced in CONNACK (MQTT 5), with the spec's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub max_qos: u8,
    pub retain_available: bool,
    /// The largest packet the broker accepts.
    pub max_packet_size: Option<u32>,
    pub topic_alias_max: u16,
    pub receive_max: u16,
    pub server_keep_alive: Option<u16>,
    pub assigned_client_id: Option<String>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_qos: 2,
            retain_available: true,
            max_packet_size: None,
            topic_alias_max: 0,
            receive_max: u16::MAX,
            server_keep_alive: None,
            assigned_client_id: None,
        }
    }
}

impl Limits {
    /// Refuses a QoS above the broker's Maximum QoS, as mosquitto_pub does, before
    /// anything is sent (the broker would drop the connection).
    pub fn check_qos(&self, qos: u8, broker: &str) -> Result<(), String> {
        if qos <= self.max_qos {
            return Ok(());
        }
        Err(format!(
            "-q {qos}: {broker} accepts QoS up to {} (CONNACK Maximum QoS), not QoS {qos}: use -q {}",
            self.max_qos, self.max_qos
        ))
    }

    /// The limits a CONNACK announces; Receive Maximum 0 is a protocol error.
    pub fn from_connack(connack: &ConnAck) -> Result<Limits, String> {
        let mut limits = Limits::default();
        let Some(p) = &connack.properties else {
            return Ok(limits);
        };
        if p.receive_max == Some(0) {
            return Err("the broker announced Receive Maximum 0, which MQTT 5 forbids".into());
        }
        if p.max_packet_size == Some(0) {
            return Err("the broker announced Maximum Packet Size 0, which MQTT 5 forbids".into());
        }
        if let Some(qos) = p.max_qos {
            limits.max_qos = qos.min(2);
        }
        if let Some(retain) = p.retain_available {
            limits.retain_available = retain != 0;
        }
        limits.max_packet_size = p.max_packet_size;
        limits.topic_alias_max = p.topic_alias_max.unwrap_or(0);
        limits.receive_max = p.receive_max.unwrap_or(u16::MAX);
        limits.server_keep_alive = p.server_keep_alive;
        limits.assigned_client_id = p.assigned_client_identifier.clone();
        Ok(limits)
    }
}

/// What an incoming packet means for the command.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new message: print it, then acknowledge it with [`Session::ack`].
    Message(Message),
    /// A QoS 1/2 message of ours has its final answer; `reason` >= 0x80 is a rejection.
    Published {
        token: u64,
        reason: u8,
        reason_string: Option<String>,
    },
    SubAck {
        filters: Vec<String>,
        codes: Vec<u8>,
    },
    UnsubAck {
        filters: Vec<String>,
    },
    PingResp,
    /// The broker closed the connection with this reason (MQTT 5).
    Disconnect {
        reason: u8,
        reason_string: Option<String>,
    },
}

/// The answer to one incoming packet: what to send back, and what to tell the command.
#[derive(Debug, Default, PartialEq)]
pub struct Handled {
    pub reply: Option<Packet>,
    pub event: Option<Event>,
}

/// How a CONNACK left the session.
#[derive(Debug, Default, PartialEq)]
pub struct Resumed {
    /// The broker kept our subscriptions: no need to subscribe again.
    pub subscriptions_kept: bool,
    /// Packets to send first: resent PUBLISHes, PUBRELs, SUBSCRIBEs.
    pub resend: Vec<Packet>,
}

/// The state of one MQTT session, across connections.
#[derive(Debug)]
pub struct Session {
    /// We asked the broker to keep the session (`-c`).
    keep: bool,
    /// In-flight messages at most, as the command wants.
    window: u16,
    limits: Limits,
    next_pkid: u16,
    next_sequence: u64,
    outgoing: HashMap<u16, Outgoing>,
    /// (sequence, packet id) in the order sent: the front is the oldest unanswered message
    /// once entries that were answered since are skipped.
    order: VecDeque<(u64, u16)>,
    requests: HashMap<u16, (Request, Instant)>,
    /// Incoming QoS 2 messages delivered and not yet released by the broker.
    awaiting_pubrel: HashSet<u16>,
    /// Topic aliases the broker set up on this connection (MQTT 5).
    incoming_aliases: HashMap<u16, bytes::Bytes>,
    /// Topic aliases we set up, so a message resent on a new connection (where no alias
    /// exists yet) carries its topic again.
    outgoing_aliases: HashMap<u16, bytes::Bytes>,
}

impl Session {
    pub fn new(keep: bool, window: u16) -> Session {
        Session {
            keep,
            window: window.max(1),
            limits: Limits::default(),
            next_pkid: 0,
            next_sequence: 0,
            outgoing: HashMap::new(),
            order: VecDeque::new(),
            requests: HashMap::new(),
            awaiting_pubrel: HashSet::new(),
            incoming_aliases: HashMap::new(),
            outgoing_aliases: HashMap::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A CONNACK arrived (success): applies its limits and says what to resend.
    pub fn connected(&mut self, connack: &ConnAck, now: Instant) -> Result<Resumed, String> {
        self.limits = Limits::from_connack(connack)?;
        // Topic aliases live as long as one connection.
        self.incoming_aliases.clear();
        let kept = self.keep && connack.session_present;
        if !kept {
            // A new session: the broker forgot its QoS 2 state and our subscriptions.
            self.awaiting_pubrel.clear();
            self.requests.clear();
        }
        let mut resend = Vec::new();
        let mut inflight: Vec<&mut Outgoing> = self.outgoing.values_mut().collect();
        inflight.sort_by_key(|o| o.sequence);
        for o in inflight {
            o.sent_at = now;
            match (o.stage, kept) {
                (Stage::AwaitComp, true) => resend.push(Packet::PubRel {
                    pkid: o.message.pkid,
                }),
                (Stage::AwaitAck, true) => {
                    let mut message = with_topic(&o.message, &self.outgoing_aliases);
                    message.dup = true;
                    resend.push(Packet::Publish(message));
                }
                (_, false) => {
                    // The broker may or may not have passed it on: send it again.
                    o.stage = Stage::AwaitAck;
                    resend.push(Packet::Publish(with_topic(
                        &o.message,
                        &self.outgoing_aliases,
                    )));
                }
            }
        }
        let mut requests: Vec<(&u16, &mut (Request, Instant))> = self.requests.iter_mut().collect();
        requests.sort_by_key(|(pkid, _)| **pkid);
        for (pkid, (request, sent_at)) in requests {
            *sent_at = now;
            resend.push(request_packet(*pkid, request));
        }
        Ok(Resumed {
            subscriptions_kept: kept,
            resend,
        })
    }

    /// Room for one more QoS 1/2 message: the command's window and the broker's Receive
    /// Maximum.
    pub fn has_room(&self) -> bool {
        self.outgoing.len() < self.window()
    }

    /// The in-flight window in force: the command's, lowered to the broker's Receive Maximum.
    pub fn window(&self) -> usize {
        usize::from(self.window.min(self.limits.receive_max))
    }

    /// How many more QoS 1/2 messages fit in the window now.
    pub fn room(&self) -> usize {
        self.window().saturating_sub(self.outgoing.len())
    }

    /// QoS 1/2 messages sent and not yet completed.
    pub fn in_flight(&self) -> usize {
        self.outgoing.len()
    }

    /// The tokens of the messages not yet completed, lowest first.
    pub fn unfinished_tokens(&self) -> Vec<u64> {
        let mut tokens: Vec<u64> = self.outgoing.values().map(|o| o.token).collect();
        tokens.sort_unstable();
        tokens
    }

    /// Incoming QoS 2 messages whose PUBREL has not arrived.
    pub fn awaiting_release(&self) -> usize {
        self.awaiting_pubrel.len()
    }

    /// Requests (SUBSCRIBE/UNSUBSCRIBE) not yet answered.
    pub fn requests_pending(&self) -> usize {
        self.requests.len()
    }

    /// A SUBSCRIBE waits for its SUBACK.
    pub fn subscribing(&self) -> bool {
        self.requests
            .values()
            .any(|(request, _)| matches!(request, Request::Subscribe(_)))
    }

    /// When the oldest unanswered message or request was sent.
    pub fn oldest_unanswered(&mut self) -> Option<Instant> {
        let mut oldest_message = None;
        while let Some(&(sequence, pkid)) = self.order.front() {
            match self.outgoing.get(&pkid) {
                Some(o) if o.sequence == sequence => {
                    oldest_message = Some(o.sent_at);
                    break;
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
        let requests = self.requests.values().map(|(_, at)| *at);
        oldest_message.into_iter().chain(requests).min()
    }

    /// A free packet id (never 0, never one in use by a message or request).
    fn allocate(&mut self) -> u16 {
        loop {
            self.next_pkid = self.next_pkid.wrapping_add(1);
            if self.next_pkid == 0 {
                continue;
            }
            if !self.outgoing.contains_key(&self.next_pkid)
                && !self.requests.contains_key(&self.next_pkid)
            {
                return self.next_pkid;
            }
        }
    }

    /// The PUBLISH for a message of the command; QoS 1/2 needs [`Session::has_room`].
    pub fn publish(&mut self, mut message: Message, token: u64, now: Instant) -> Packet {
        if let Some(alias) = message.properties.as_ref().and_then(|p| p.topic_alias) {
            if !message.topic.is_empty() {
                self.outgoing_aliases.insert(alias, message.topic.clone());
            }
        }
        if message.qos > 0 {
            message.pkid = self.allocate();
            message.dup = false;
            self.next_sequence += 1;
            self.order.push_back((self.next_sequence, message.pkid));
            self.outgoing.insert(
                message.pkid,
                Outgoing {
                    message: message.clone(),
                    token,
                    stage: Stage::AwaitAck,
                    sequence: self.next_sequence,
                    sent_at: now,
                },
            );
        } else {
            message.pkid = 0;
        }
        Packet::Publish(message)
    }

    pub fn subscribe(&mut self, subscription: Subscription, now: Instant) -> Packet {
        let pkid = self.allocate();
        let request = Request::Subscribe(subscription);
        let packet = request_packet(pkid, &request);
        self.requests.insert(pkid, (request, now));
        packet
    }

    pub fn unsubscribe(&mut self, filters: Vec<String>, now: Instant) -> Packet {
        let pkid = self.allocate();
        let request = Request::Unsubscribe(filters);
        let packet = request_packet(pkid, &request);
        self.requests.insert(pkid, (request, now));
        packet
    }

    /// The acknowledgement of a delivered message (PUBACK or PUBREC; none at QoS 0).
    pub fn ack(qos: u8, pkid: u16) -> Option<Packet> {
        match qos {
            1 => Some(Packet::PubAck {
                pkid,
                reason: 0,
                reason_string: None,
            }),
            2 => Some(Packet::PubRec {
                pkid,
                reason: 0,
                reason_string: None,
            }),
            _ => None,
        }
    }

    /// Handles one packet from the broker; Err is a protocol error.
    pub fn handle(&mut self, packet: Packet) -> Result<Handled, String> {
        let event = |event| {
            Ok(Handled {
                reply: None,
                event: Some(event),
            })
        };
        match packet {
            Packet::Publish(message) => self.incoming(message),
            Packet::PubRel { pkid } => {
                // Known or not (an earlier connection's PUBCOMP may have been lost), the
                // answer is PUBCOMP.
                self.awaiting_pubrel.remove(&pkid);
                Ok(Handled {
                    reply: Some(Packet::PubComp { pkid, reason: 0 }),
                    event: None,
                })
            }
            Packet::PubAck {
                pkid,
                reason,
                reason_string,
            } => match self.outgoing.get(&pkid) {
                Some(o) if o.message.qos == 1 && o.stage == Stage::AwaitAck => {
                    let token = o.token;
                    self.outgoing.remove(&pkid);
                    event(Event::Published {
                        token,
                        reason,
                        reason_string,
                    })
                }
                Some(o) if o.message.qos == 2 => Err(format!(
                    "the broker answered a QoS 2 PUBLISH (m{pkid}) with PUBACK: it does not support QoS 2 (use -q 1)"
                )),
                _ => Err(format!("the broker sent PUBACK for packet id {pkid}, which has no QoS 1 message in flight")),
            },
            Packet::PubRec {
                pkid,
                reason,
                reason_string,
            } => match self.outgoing.get_mut(&pkid) {
                Some(o) if o.message.qos == 2 => {
                    if reason >= 0x80 {
                        let token = o.token;
                        self.outgoing.remove(&pkid);
                        return event(Event::Published {
                            token,
                            reason,
                            reason_string,
                        });
                    }
                    // A repeated PUBREC (after a resend) is answered again.
                    o.stage = Stage::AwaitComp;
                    Ok(Handled {
                        reply: Some(Packet::PubRel { pkid }),
                        event: None,
                    })
                }
                Some(_) => Err(format!(
                    "the broker answered a QoS 1 PUBLISH (m{pkid}) with PUBREC"
                )),
                None => Err(format!(
                    "the broker sent PUBREC for packet id {pkid}, which has no QoS 2 message in flight"
                )),
            },
            Packet::PubComp { pkid, reason } => match self.outgoing.get(&pkid) {
                Some(o) if o.stage == Stage::AwaitComp => {
                    let token = o.token;
                    self.outgoing.remove(&pkid);
                    event(Event::Published {
                        token,
                        reason,
                        reason_string: None,
                    })
                }
                _ => Err(format!(
                    "the broker sent PUBCOMP for packet id {pkid}, which has no released QoS 2 message"
                )),
            },
            Packet::SubAck { pkid, codes } => match self.requests.remove(&pkid) {
                Some((Request::Subscribe(subscription), _)) => event(Event::SubAck {
                    filters: subscription.filters,
                    codes,
                }),
                other => {
                    if let Some(request) = other {
                        self.requests.insert(pkid, request);
                    }
                    Err(format!(
                        "the broker sent SUBACK for packet id {pkid}, which has no SUBSCRIBE in flight"
                    ))
                }
            },
            Packet::UnsubAck { pkid } => match self.requests.remove(&pkid) {
                Some((Request::Unsubscribe(filters), _)) => event(Event::UnsubAck { filters }),
                other => {
                    if let Some(request) = other {
                        self.requests.insert(pkid, request);
                    }
                    Err(format!(
                        "the broker sent UNSUBACK for packet id {pkid}, which has no UNSUBSCRIBE in flight"
                    ))
                }
            },
            Packet::PingResp => event(Event::PingResp),
            Packet::Disconnect {
                reason,
                reason_string,
            } => event(Event::Disconnect {
                reason,
                reason_string,
            }),
            Packet::ConnAck(_) => Err("the broker sent a second CONNACK".into()),
            Packet::Subscribe { .. } | Packet::Unsubscribe { .. } | Packet::PingReq => {
                Err(format!("the broker sent {packet}, which only clients send"))
            }
        }
    }

    fn incoming(&mut self, mut message: Message) -> Result<Handled, String> {
        if let Some(alias) = message.properties.as_ref().and_then(|p| p.topic_alias) {
            if message.topic.is_empty() {
                match self.incoming_aliases.get(&alias) {
                    Some(topic) => message.topic = topic.clone(),
                    None => {
                        return Err(format!(
                        "the broker sent a PUBLISH with topic alias {alias}, which it never set up"
                    ))
                    }
                }
            } else {
                self.incoming_aliases.insert(alias, message.topic.clone());
            }
        }
        match message.qos {
            0 => {}
            1 | 2 if message.pkid == 0 => {
                return Err(format!(
                    "the broker sent a QoS {} PUBLISH with packet id 0",
                    message.qos
                ))
            }
            1 => {}
            2 => {
                if !self.awaiting_pubrel.insert(message.pkid) {
                    // Delivered already (its PUBREC was lost): acknowledge, do not repeat.
                    return Ok(Handled {
                        reply: Session::ack(2, message.pkid),
                        event: None,
                    });
                }
            }
            qos => return Err(format!("the broker sent a PUBLISH with QoS {qos}")),
        }
        Ok(Handled {
            reply: None,
            event: Some(Event::Message(message)),
        })
    }

    /// Forgets a message of ours that could not be sent (too large for the link).
    pub fn forget(&mut self, pkid: u16) {
        self.outgoing.remove(&pkid);
    }

    /// Forgets an incoming QoS 2 message the command did not take (it stays with the
    /// broker, unacknowledged, for the next connection of the session).
    pub fn decline(&mut self, qos: u8, pkid: u16) {
        if qos == 2 {
            self.awaiting_pubrel.remove(&pkid);
        }
    }
}

/// The message with its topic restored when it was sent as an alias alone: on a new
/// connection the alias has to be set up again.
fn with_topic(message: &Message, aliases: &HashMap<u16, bytes::Bytes>) -> Message {
    let mut message = message.clone();
    if message.topic.is_empty() {
        let alias = message.properties.as_ref().and_then(|p| p.topic_alias);
        if let Some(topic) = alias.and_then(|a| aliases.get(&a)) {
            message.topic = topic.clone();
        }
    }
    message
}

fn request_packet(pkid: u16, request: &Request) -> Packet {
    match request {
        Request::Subscribe(subscription) => Packet::Subscribe {
            pkid,
            subscription: subscription.clone(),
        },
        Request::Unsubscribe(filters) => Packet::Unsubscribe {
            pkid,
            filters: filters.clone(),
        },
    }
}

/// Keepalive bookkeeping: when to send PINGREQ and when silence means the link is dead.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    pub interval: Duration,
    pub ping_sent: Option<Instant>,
}

impl KeepAlive {
    pub fn new(interval: Duration) -> KeepAlive {
        KeepAlive {
            interval,
            ping_sent: None,
        }
    }

    /// The next instant something must happen: a PINGREQ is due (nothing written or read
    /// for a keepalive) or an unanswered one has waited half a keepalive, so a silent
    /// broker is detected at most 1.5 keepalives after it last spoke. None: no keepalive.
    pub fn deadline(&self, last_write: Instant, last_read: Instant) -> Option<Instant> {
        if self.interval.is_zero() {
            return None;
        }
        Some(match self.ping_sent {
            Some(at) => at + self.interval / 2,
            None => last_write.min(last_read) + self.interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn message(qos: u8) -> Message {
        Message {
            topic: Bytes::from_static(b"t"),
            payload: Bytes::from_static(b"p"),
            qos,
            ..Message::default()
        }
    }

    fn connack(session_present: bool) -> ConnAck {
        ConnAck {
            session_present,
            ..ConnAck::default()
        }
    }

    fn pkid(packet: &Packet) -> u16 {
        match packet {
            Packet::Publish(m) => m.pkid,
            Packet::Subscribe { pkid, .. } | Packet::PubRel { pkid } => *pkid,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn qos1_completes_on_puback() {
        let now = Instant::now();
        let mut s = Session::new(false, 10);
        let p = s.publish(message(1), 7, now);
        let id = pkid(&p);
        assert_ne!(id, 0);
        let handled = s
            .handle(Packet::PubAck {
                pkid: id,
                reason: 0,
                reason_string: None,
            })
            .unwrap();
        assert_eq!(
            handled.event,
            Some(Event::Published {
                token: 7,
                reason: 0,
                reason_string: None
            })
        );
        assert_eq!(s.in_flight(), 0);
    }

    #[test]
    fn qos2_runs_rec_rel_comp() {
        let now = Instant::now();
        let mut s = Session::new(false, 10);
        let id = pkid(&s.publish(message(2), 1, now));
        let rec = s
            .handle(Packet::PubRec {
                pkid: id,
                reason: 0,
                reason_string: None,
            })
            .unwrap();
        assert_eq!(rec.reply, Some(Packet::PubRel { pkid: id }));
        let comp = s
            .handle(Packet::PubComp {
                pkid: id,
                reason: 0,
            })
            .unwrap();
        assert!(matches!(
            comp.event,
            Some(Event::Published { token: 1, .. })
        ));
    }

    #[test]
    fn puback_to_qos2_and_unknown_acks_are_protocol_errors() {
        let now = Instant::now();
        let mut s = Session::new(false, 10);
        let id = pkid(&s.publish(message(2), 1, now));
        let err = s
            .handle(Packet::PubAck {
                pkid: id,
                reason: 0,
                reason_string: None,
            })
            .unwrap_err();
        assert!(err.contains("QoS 2"), "{err}");
        assert!(s
            .handle(Packet::PubAck {
                pkid: 999,
                reason: 0,
                reason_string: None
            })
            .is_err());
        assert!(s
            .handle(Packet::PubComp {
                pkid: 998,
                reason: 0
            })
            .is_err());
        assert!(s
            .handle(Packet::SubAck {
                pkid: 997,
                codes: vec![0]
            })
            .is_err());
    }

    #[test]
    fn unknown_pubrel_is_answered_with_pubcomp() {
        let mut s = Session::new(true, 10);
        for id in 1..=5 {
            let handled = s.handle(Packet::PubRel { pkid: id }).unwrap();
            assert_eq!(
                handled.reply,
                Some(Packet::PubComp {
                    pkid: id,
                    reason: 0
                })
            );
            assert_eq!(handled.event, None);
        }
    }

    #[test]
    fn resumed_session_resends_publish_with_dup_and_pubrel() {
        let now = Instant::now();
        let mut s = Session::new(true, 10);
        s.connected(&connack(false), now).unwrap();
        let a = pkid(&s.publish(message(1), 1, now));
        let b = pkid(&s.publish(message(2), 2, now));
        s.handle(Packet::PubRec {
            pkid: b,
            reason: 0,
            reason_string: None,
        })
        .unwrap();
        let c = pkid(&s.publish(message(2), 3, now));
        let resumed = s.connected(&connack(true), now).unwrap();
        assert!(resumed.subscriptions_kept);
        assert_eq!(resumed.resend.len(), 3);
        match &resumed.resend[0] {
            Packet::Publish(m) => assert!(m.dup && m.pkid == a),
            other => panic!("{other:?}"),
        }
        assert_eq!(resumed.resend[1], Packet::PubRel { pkid: b });
        match &resumed.resend[2] {
            Packet::Publish(m) => assert!(m.dup && m.pkid == c && m.qos == 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_new_session_resends_everything_as_new_messages() {
        let now = Instant::now();
        let mut s = Session::new(false, 10);
        let a = pkid(&s.publish(message(2), 1, now));
        s.handle(Packet::PubRec {
            pkid: a,
            reason: 0,
            reason_string: None,
        })
        .unwrap();
        s.subscribe(
            Subscription {
                filters: vec!["x".into()],
                ..Subscription::default()
            },
            now,
        );
        // Session present although we asked for a clean one: not trusted.
        let resumed = s.connected(&connack(true), now).unwrap();
        assert!(!resumed.subscriptions_kept);
        assert_eq!(resumed.resend.len(), 1);
        match &resumed.resend[0] {
            Packet::Publish(m) => assert!(!m.dup && m.pkid == a),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.requests_pending(), 0);
    }

    #[test]
    fn duplicate_qos2_delivery_is_acknowledged_not_repeated() {
        let mut s = Session::new(true, 10);
        let mut m = message(2);
        m.pkid = 5;
        let first = s.handle(Packet::Publish(m.clone())).unwrap();
        assert!(matches!(first.event, Some(Event::Message(_))));
        m.dup = true;
        let again = s.handle(Packet::Publish(m.clone())).unwrap();
        assert_eq!(again.event, None);
        assert!(matches!(again.reply, Some(Packet::PubRec { pkid: 5, .. })));
        s.handle(Packet::PubRel { pkid: 5 }).unwrap();
        // Released: the same id is a new message now.
        m.dup = false;
        let next = s.handle(Packet::Publish(m)).unwrap();
        assert!(matches!(next.event, Some(Event::Message(_))));
    }

    #[test]
    fn topic_aliases_resolve_incoming_and_survive_a_reconnect_outgoing() {
        use rumqttc::v5::mqttbytes::v5::PublishProperties;
        let now = Instant::now();
        let mut s = Session::new(false, 10);
        let aliased = |topic: &'static [u8]| Message {
            topic: Bytes::from_static(topic),
            properties: Some(PublishProperties {
                topic_alias: Some(3),
                ..PublishProperties::default()
            }),
            ..message(0)
        };
        s.handle(Packet::Publish(aliased(b"a/b"))).unwrap();
        match s.handle(Packet::Publish(aliased(b""))).unwrap().event {
            Some(Event::Message(m)) => assert_eq!(&m.topic[..], b"a/b"),
            other => panic!("{other:?}"),
        }
        s.connected(&connack(false), now).unwrap();
        assert!(s.handle(Packet::Publish(aliased(b""))).is_err());

        let mut first = aliased(b"out/x");
        first.qos = 1;
        s.publish(first, 1, now);
        let mut second = aliased(b"");
        second.qos = 1;
        s.publish(second, 2, now);
        let resumed = s.connected(&connack(false), now).unwrap();
        for packet in resumed.resend {
            match packet {
                Packet::Publish(m) => assert_eq!(&m.topic[..], b"out/x"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn receive_maximum_limits_the_window_and_zero_is_an_error() {
        use rumqttc::v5::mqttbytes::v5::ConnAckProperties;
        let now = Instant::now();
        let mut s = Session::new(false, 100);
        let mut ack = connack(false);
        let mut props = ConnAckProperties {
            session_expiry_interval: None,
            receive_max: Some(2),
            max_qos: Some(1),
            retain_available: None,
            max_packet_size: None,
            assigned_client_identifier: None,
            topic_alias_max: None,
            reason_string: None,
            user_properties: Vec::new(),
            wildcard_subscription_available: None,
            subscription_identifiers_available: None,
            shared_subscription_available: None,
            server_keep_alive: None,
            response_information: None,
            server_reference: None,
            authentication_method: None,
            authentication_data: None,
        };
        ack.properties = Some(props.clone());
        s.connected(&ack, now).unwrap();
        assert_eq!(s.limits().max_qos, 1);
        assert_eq!((s.window(), s.room()), (2, 2));
        s.publish(message(1), 1, now);
        assert!(s.has_room());
        s.publish(message(1), 2, now);
        assert!(!s.has_room());
        assert_eq!(s.room(), 0);
        props.receive_max = Some(0);
        ack.properties = Some(props);
        assert!(s
            .connected(&ack, now)
            .unwrap_err()
            .contains("Receive Maximum 0"));
    }

    #[test]
    fn packet_ids_skip_zero_and_ids_in_use() {
        let now = Instant::now();
        let mut s = Session::new(false, u16::MAX);
        s.next_pkid = u16::MAX - 1;
        let a = pkid(&s.publish(message(1), 1, now));
        let b = pkid(&s.publish(message(1), 2, now));
        assert_eq!((a, b), (u16::MAX, 1));
        s.next_pkid = 0;
        let c = pkid(&s.publish(message(1), 3, now));
        assert_eq!(c, 2);
        assert_eq!(s.unfinished_tokens(), vec![1, 2, 3]);
    }

    #[test]
    fn keepalive_detects_silence_within_one_and_a_half_intervals() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(Duration::from_secs(10));
        assert_eq!(k.deadline(t0, t0), Some(t0 + Duration::from_secs(10)));
        k.ping_sent = Some(t0 + Duration::from_secs(10));
        assert_eq!(k.deadline(t0, t0), Some(t0 + Duration::from_secs(15)));
        assert_eq!(KeepAlive::new(Duration::ZERO).deadline(t0, t0), None);
    }
}

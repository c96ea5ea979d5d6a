//! The packet layer: mqtk's one packet model ([`Packet`]) and its codec for MQTT 3.1,
//! 3.1.1 and 5. rumqttc's mqttbytes encodes and decodes everything except CONNECT for
//! 3.1/3.1.1 (written here: rumqttc cannot say "MQIsdp" level 3, and drops empty
//! passwords); incoming packets above the size limit are refused from their fixed header,
//! before a byte of their body is read. [`Packet`]'s `Display` is the `-d` trace.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;
use rumqttc::v5::mqttbytes::v5::{ConnAckProperties, PublishProperties, SubscribeProperties};

use crate::conn::{codes, ConnectOptions, ProtocolVersion};

/// A PUBLISH, sent or received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub topic: Bytes,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub pkid: u16,
    /// MQTT 5 only.
    pub properties: Option<PublishProperties>,
}

/// One SUBSCRIBE: every filter at one QoS, with the MQTT 5 options (ignored before 5).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subscription {
    pub filters: Vec<String>,
    pub qos: u8,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// 0 send retained messages, 1 only for a new subscription, 2 never.
    pub retain_handling: u8,
    pub properties: Option<SubscribeProperties>,
}

/// What the broker said in CONNACK. `code` is 0 on success, else the 3.1.1 return code
/// (1-5) or the MQTT 5 reason code (>= 0x80).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnAck {
    pub session_present: bool,
    pub code: u8,
    /// MQTT 5 only.
    pub properties: Option<ConnAckProperties>,
}

/// Every packet a client sends or receives after CONNECT.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    ConnAck(ConnAck),
    Publish(Message),
    /// `reason` is 0 before MQTT 5.
    PubAck {
        pkid: u16,
        reason: u8,
        reason_string: Option<String>,
    },
    PubRec {
        pkid: u16,
        reason: u8,
        reason_string: Option<String>,
    },
    PubRel {
        pkid: u16,
    },
    PubComp {
        pkid: u16,
        reason: u8,
    },
    Subscribe {
        pkid: u16,
        subscription: Subscription,
    },
    SubAck {
        pkid: u16,
        codes: Vec<u8>,
    },
    Unsubscribe {
        pkid: u16,
        filters: Vec<String>,
    },
    UnsubAck {
        pkid: u16,
    },
    PingReq,
    PingResp,
    Disconnect {
        reason: u8,
        reason_string: Option<String>,
    },
}

/// Why bytes from the broker could not be read as a packet.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The fixed header announces a packet above the limit (its size in bytes).
    TooLarge { size: usize, limit: u32 },
    /// Not a well-formed packet of the protocol spoken.
    Malformed(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { size, limit } => write!(
                f,
                "the broker sent a packet of {} ({size} bytes), above the limit of {} ({limit} bytes; raise it with --max-packet-size)",
                mib(*size as u64),
                mib(u64::from(*limit))
            ),
            DecodeError::Malformed(why) => write!(f, "the broker sent a malformed packet: {why}"),
        }
    }
}

/// A size in MiB, for messages.
fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1_048_576.0)
}

/// Encodes and decodes packets of one protocol version within size limits.
#[derive(Debug, Clone, Copy)]
pub struct Codec {
    pub version: ProtocolVersion,
    /// The largest packet accepted from the broker (announced in an MQTT 5 CONNECT).
    pub max_incoming: u32,
    /// The largest packet sent: ours, lowered to the broker's CONNACK maximum.
    pub max_outgoing: u32,
}

impl Codec {
    pub fn new(opts: &ConnectOptions) -> Codec {
        Codec {
            version: opts.version,
            max_incoming: opts.max_incoming,
            max_outgoing: opts.max_outgoing,
        }
    }

    fn v5(&self) -> bool {
        self.version == ProtocolVersion::V5
    }

    /// Appends CONNECT for these options and this client id and keepalive (seconds).
    pub fn encode_connect(
        &self,
        opts: &ConnectOptions,
        client_id: &str,
        keep_alive: u16,
        out: &mut BytesMut,
    ) -> Result<(), String> {
        match self.version {
            ProtocolVersion::V31 | ProtocolVersion::V311 => {
                encode_v3_connect(opts, client_id, keep_alive, out);
                Ok(())
            }
            ProtocolVersion::V5 => {
                let mut properties = opts.properties.connect.clone();
                if let Some(expiry) = opts.session_expiry {
                    properties
                        .get_or_insert_with(v5::ConnectProperties::new)
                        .session_expiry_interval = Some(expiry);
                }
                let props = properties.get_or_insert_with(v5::ConnectProperties::new);
                if props.max_packet_size.is_none() {
                    props.max_packet_size = Some(self.max_incoming);
                }
                let connect = v5::Connect {
                    keep_alive,
                    client_id: client_id.to_string(),
                    clean_start: opts.clean_session,
                    properties,
                };
                let will = opts.will.as_ref().map(|w| {
                    v5::LastWill::new(
                        w.topic.clone(),
                        w.payload.clone(),
                        v5_qos(w.qos),
                        w.retain,
                        opts.properties.will.clone(),
                    )
                });
                let login = opts.username.as_ref().map(|user| {
                    let pass = opts.password.as_ref().map(|p| p.0.clone());
                    v5::Login::new(user.clone(), pass.unwrap_or_default())
                });
                v5::Packet::Connect(connect, will, login)
                    .write(out, None)
                    .map(drop)
                    .map_err(|e| crate::error::plain(&format!("{e:?}")))
            }
        }
    }

    /// Appends one packet; fails when it is above the outgoing limit.
    pub fn encode(&self, packet: &Packet, out: &mut BytesMut) -> Result<(), String> {
        if let Packet::Publish(m) = packet {
            if m.properties.is_none() {
                return self.encode_plain_publish(m, out);
            }
        }
        let limit = self.max_outgoing;
        let too_large =
            || format!("the packet is larger than the broker's maximum of {limit} bytes");
        if self.v5() {
            match to_v5(packet).write(out, Some(limit)) {
                Ok(_) => Ok(()),
                Err(rumqttc::v5::mqttbytes::Error::OutgoingPacketTooLarge { .. }) => {
                    Err(too_large())
                }
                Err(e) => Err(crate::error::plain(&format!("{e:?}"))),
            }
        } else {
            match to_v4(packet).write(out, limit as usize) {
                Ok(_) => Ok(()),
                Err(rumqttc::mqttbytes::Error::OutgoingPacketTooLarge { .. }) => Err(too_large()),
                Err(e) => Err(crate::error::plain(&format!("{e:?}"))),
            }
        }
    }

    /// PUBLISH without properties, written in place (the hot path of `pub`).
    fn encode_plain_publish(&self, m: &Message, out: &mut BytesMut) -> Result<(), String> {
        let remaining = 2
            + m.topic.len()
            + if m.qos > 0 { 2 } else { 0 }
            + usize::from(self.v5())
            + m.payload.len();
        let size = 1 + varint_len(remaining) + remaining;
        if size > self.max_outgoing as usize {
            return Err(format!(
                "a {size}-byte PUBLISH is larger than the maximum of {} bytes",
                self.max_outgoing
            ));
        }
        out.reserve(size);
        out.put_u8(0x30 | (u8::from(m.dup) << 3) | (m.qos << 1) | u8::from(m.retain));
        put_varint(out, remaining);
        out.put_u16(m.topic.len() as u16);
        out.put_slice(&m.topic);
        if m.qos > 0 {
            out.put_u16(m.pkid);
        }
        if self.v5() {
            out.put_u8(0);
        }
        out.put_slice(&m.payload);
        Ok(())
    }

    /// Splits the next whole packet off `buf`; Ok(None) when more bytes are needed.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let Some((remaining, header_len)) = read_varint(&buf[1..])? else {
            return Ok(None);
        };
        let size = 1 + header_len + remaining;
        if size > self.max_incoming as usize {
            return Err(DecodeError::TooLarge {
                size,
                limit: self.max_incoming,
            });
        }
        if buf.len() < size {
            return Ok(None);
        }
        if first >> 4 == 14 && self.v5() && remaining < 2 {
            // rumqttc swallows the short forms `e0 00` and `e0 01 rc` (the second is what
            // mosquitto >= 2.0.15 sends on a session takeover).
            let frame = buf.split_to(size);
            let reason = if remaining == 1 { frame[2] } else { 0 };
            return Ok(Some(Packet::Disconnect {
                reason,
                reason_string: None,
            }));
        }
        let malformed = |e: String| DecodeError::Malformed(e);
        let packet = if self.v5() {
            from_v5(v5::Packet::read(buf, None).map_err(|e| malformed(words(&e.to_string())))?)
        } else {
            from_v4(
                v4::Packet::read(buf, usize::MAX).map_err(|e| malformed(words(&e.to_string())))?,
            )
        };
        packet.map(Some).ok_or_else(|| {
            DecodeError::Malformed(format!(
                "packet type {} is not one a broker sends",
                first >> 4
            ))
        })
    }
}

/// CONNECT for MQTT 3.1 ("MQIsdp", level 3) and 3.1.1 ("MQTT", level 4): the same layout.
fn encode_v3_connect(opts: &ConnectOptions, client_id: &str, keep_alive: u16, out: &mut BytesMut) {
    let (name, level): (&[u8], u8) = match opts.version {
        ProtocolVersion::V31 => (b"MQIsdp", 3),
        _ => (b"MQTT", 4),
    };
    let mut flags = 0u8;
    let mut body = BytesMut::new();
    body.put_u16(name.len() as u16);
    body.put_slice(name);
    body.put_u8(level);
    let flags_at = body.len();
    body.put_u8(0);
    body.put_u16(keep_alive);
    put_string(&mut body, client_id.as_bytes());
    if opts.clean_session {
        flags |= 0x02;
    }
    if let Some(will) = &opts.will {
        flags |= 0x04 | (will.qos.min(2) << 3) | (u8::from(will.retain) << 5);
        put_string(&mut body, will.topic.as_bytes());
        put_string(&mut body, &will.payload);
    }
    if let Some(user) = &opts.username {
        flags |= 0x80;
        put_string(&mut body, user.as_bytes());
        if let Some(pass) = &opts.password {
            flags |= 0x40;
            put_string(&mut body, pass.0.as_bytes());
        }
    }
    body[flags_at] = flags;
    out.put_u8(0x10);
    put_varint(out, body.len());
    out.put_slice(&body);
}

fn put_string(out: &mut BytesMut, bytes: &[u8]) {
    out.put_u16(bytes.len() as u16);
    out.put_slice(bytes);
}

/// Appends MQTT's variable-length integer.
pub(crate) fn put_varint(out: &mut BytesMut, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.put_u8(byte);
        if n == 0 {
            break;
        }
    }
}

fn varint_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// The remaining length and the number of bytes it took; None when incomplete.
fn read_varint(bytes: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().enumerate().take(4) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= 4 {
        return Err(DecodeError::Malformed(
            "a remaining length of more than 4 bytes".into(),
        ));
    }
    Ok(None)
}

pub(crate) fn v4_qos(qos: u8) -> rumqttc::QoS {
    match qos {
        0 => rumqttc::QoS::AtMostOnce,
        1 => rumqttc::QoS::AtLeastOnce,
        _ => rumqttc::QoS::ExactlyOnce,
    }
}

pub(crate) fn v5_qos(qos: u8) -> rumqttc::v5::mqttbytes::QoS {
    use rumqttc::v5::mqttbytes::QoS;
    match qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn to_v4(packet: &Packet) -> v4::Packet {
    match packet {
        Packet::Publish(m) => {
            let mut p = v4::Publish::from_bytes(
                String::from_utf8_lossy(&m.topic).into_owned(),
                v4_qos(m.qos),
                m.payload.clone(),
            );
            p.pkid = m.pkid;
            p.retain = m.retain;
            p.dup = m.dup;
            v4::Packet::Publish(p)
        }
        Packet::PubAck { pkid, .. } => v4::Packet::PubAck(v4::PubAck::new(*pkid)),
        Packet::PubRec { pkid, .. } => v4::Packet::PubRec(v4::PubRec::new(*pkid)),
        Packet::PubRel { pkid } => v4::Packet::PubRel(v4::PubRel::new(*pkid)),
        Packet::PubComp { pkid, .. } => v4::Packet::PubComp(v4::PubComp::new(*pkid)),
        Packet::Subscribe { pkid, subscription } => {
            let filters = subscription
                .filters
                .iter()
                .map(|f| v4::SubscribeFilter::new(f.clone(), v4_qos(subscription.qos)))
                .collect();
            v4::Packet::Subscribe(v4::Subscribe {
                pkid: *pkid,
                filters,
            })
        }
        Packet::Unsubscribe { pkid, filters } => v4::Packet::Unsubscribe(v4::Unsubscribe {
            pkid: *pkid,
            topics: filters.clone(),
        }),
        Packet::PingReq => v4::Packet::PingReq,
        Packet::Disconnect { .. } => v4::Packet::Disconnect,
        // Packets only a broker sends: never encoded by a client.
        Packet::ConnAck(_) | Packet::SubAck { .. } | Packet::UnsubAck { .. } | Packet::PingResp => {
            v4::Packet::PingReq
        }
    }
}

fn to_v5(packet: &Packet) -> v5::Packet {
    use v5::RetainForwardRule;
    match packet {
        Packet::Publish(m) => {
            let mut p = v5::Publish::new(
                String::new(),
                v5_qos(m.qos),
                m.payload.clone(),
                m.properties.clone(),
            );
            p.topic = m.topic.clone();
            p.pkid = m.pkid;
            p.retain = m.retain;
            p.dup = m.dup;
            v5::Packet::Publish(p)
        }
        Packet::PubAck { pkid, .. } => v5::Packet::PubAck(v5::PubAck::new(*pkid, None)),
        Packet::PubRec { pkid, .. } => v5::Packet::PubRec(v5::PubRec::new(*pkid, None)),
        Packet::PubRel { pkid } => v5::Packet::PubRel(v5::PubRel::new(*pkid, None)),
        Packet::PubComp { pkid, .. } => v5::Packet::PubComp(v5::PubComp::new(*pkid, None)),
        Packet::Subscribe { pkid, subscription } => {
            let filters = subscription
                .filters
                .iter()
                .map(|path| v5::Filter {
                    path: path.clone(),
                    qos: v5_qos(subscription.qos),
                    nolocal: subscription.no_local,
                    preserve_retain: subscription.retain_as_published,
                    retain_forward_rule: match subscription.retain_handling {
                        0 => RetainForwardRule::OnEverySubscribe,
                        1 => RetainForwardRule::OnNewSubscribe,
                        _ => RetainForwardRule::Never,
                    },
                })
                .collect();
            v5::Packet::Subscribe(v5::Subscribe {
                pkid: *pkid,
                filters,
                properties: subscription.properties.clone(),
            })
        }
        Packet::Unsubscribe { pkid, filters } => v5::Packet::Unsubscribe(v5::Unsubscribe {
            pkid: *pkid,
            filters: filters.clone(),
            properties: None,
        }),
        Packet::PingReq => v5::Packet::PingReq(v5::PingReq),
        Packet::Disconnect { .. } => v5::Packet::Disconnect(v5::Disconnect::new(
            v5::DisconnectReasonCode::NormalDisconnection,
        )),
        Packet::ConnAck(_) | Packet::SubAck { .. } | Packet::UnsubAck { .. } | Packet::PingResp => {
            v5::Packet::PingReq(v5::PingReq)
        }
    }
}

/// The packets a broker may send; None for the ones only a client sends.
fn from_v4(packet: v4::Packet) -> Option<Packet> {
    Some(match packet {
        v4::Packet::ConnAck(ack) => Packet::ConnAck(ConnAck {
            session_present: ack.session_present,
            code: codes::v4_connack(ack.code),
            properties: None,
        }),
        v4::Packet::Publish(p) => Packet::Publish(Message {
            topic: Bytes::from(p.topic.into_bytes()),
            payload: p.payload,
            qos: p.qos as u8,
            retain: p.retain,
            dup: p.dup,
            pkid: p.pkid,
            properties: None,
        }),
        v4::Packet::PubAck(a) => Packet::PubAck {
            pkid: a.pkid,
            reason: 0,
            reason_string: None,
        },
        v4::Packet::PubRec(r) => Packet::PubRec {
            pkid: r.pkid,
            reason: 0,
            reason_string: None,
        },
        v4::Packet::PubRel(r) => Packet::PubRel { pkid: r.pkid },
        v4::Packet::PubComp(c) => Packet::PubComp {
            pkid: c.pkid,
            reason: 0,
        },
        v4::Packet::SubAck(s) => Packet::SubAck {
            pkid: s.pkid,
            codes: s
                .return_codes
                .iter()
                .map(|c| match c {
                    v4::SubscribeReasonCode::Success(qos) => *qos as u8,
                    v4::SubscribeReasonCode::Failure => 0x80,
                })
                .collect(),
        },
        v4::Packet::UnsubAck(u) => Packet::UnsubAck { pkid: u.pkid },
        v4::Packet::PingResp => Packet::PingResp,
        v4::Packet::Disconnect => Packet::Disconnect {
            reason: 0,
            reason_string: None,
        },
        v4::Packet::Connect(_)
        | v4::Packet::Subscribe(_)
        | v4::Packet::Unsubscribe(_)
        | v4::Packet::PingReq => return None,
    })
}

fn from_v5(packet: v5::Packet) -> Option<Packet> {
    use v5::SubscribeReasonCode as S;
    Some(match packet {
        v5::Packet::ConnAck(ack) => Packet::ConnAck(ConnAck {
            session_present: ack.session_present,
            code: codes::v5_connack(ack.code),
            properties: ack.properties,
        }),
        v5::Packet::Publish(p) => Packet::Publish(Message {
            topic: p.topic,
            payload: p.payload,
            qos: p.qos as u8,
            retain: p.retain,
            dup: p.dup,
            pkid: p.pkid,
            properties: p.properties,
        }),
        v5::Packet::PubAck(a) => Packet::PubAck {
            pkid: a.pkid,
            reason: codes::puback(a.reason),
            reason_string: a.properties.and_then(|p| p.reason_string),
        },
        v5::Packet::PubRec(r) => Packet::PubRec {
            pkid: r.pkid,
            reason: codes::pubrec(r.reason),
            reason_string: r.properties.and_then(|p| p.reason_string),
        },
        v5::Packet::PubRel(r) => Packet::PubRel { pkid: r.pkid },
        v5::Packet::PubComp(c) => Packet::PubComp {
            pkid: c.pkid,
            reason: codes::pubcomp(c.reason),
        },
        v5::Packet::SubAck(s) => Packet::SubAck {
            pkid: s.pkid,
            codes: s
                .return_codes
                .iter()
                .map(|c| match c {
                    S::Success(qos) => *qos as u8,
                    S::Failure | S::Unspecified => 0x80,
                    S::ImplementationSpecific => 0x83,
                    S::NotAuthorized => 0x87,
                    S::TopicFilterInvalid => 0x8F,
                    S::PkidInUse => 0x91,
                    S::QuotaExceeded => 0x97,
                    S::SharedSubscriptionsNotSupported => 0x9E,
                    S::SubscriptionIdNotSupported => 0xA1,
                    S::WildcardSubscriptionsNotSupported => 0xA2,
                })
                .collect(),
        },
        v5::Packet::UnsubAck(u) => Packet::UnsubAck { pkid: u.pkid },
        v5::Packet::PingResp(_) => Packet::PingResp,
        v5::Packet::Disconnect(d) => Packet::Disconnect {
            reason: d.reason_code as u8,
            reason_string: d.properties.and_then(|p| p.reason_string),
        },
        _ => return None,
    })
}

/// rumqttc's error text as a clause: lower-case first letter, no Rust notation.
fn words(text: &str) -> String {
    let text = crate::error::plain(text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// A topic as the trace shows it: control characters escaped (the terminal is not the
/// broker's to drive), long ones shortened.
pub fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len().min(200));
    for (i, c) in text.chars().enumerate() {
        if i >= 200 {
            out.push('…');
            break;
        }
        if c.is_control() {
            crate::output::escape::escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Packet::ConnAck(ack) => write!(
                f,
                "CONNACK (session present: {}, code {})",
                ack.session_present, ack.code
            ),
            Packet::Publish(m) => write!(
                f,
                "PUBLISH (d{}, q{}, r{}, m{}, '{}', ... ({} bytes))",
                u8::from(m.dup),
                m.qos,
                u8::from(m.retain),
                m.pkid,
                printable(&m.topic),
                m.payload.len()
            ),
            Packet::PubAck { pkid, reason, .. } => write!(f, "PUBACK (m{pkid}, rc{reason})"),
            Packet::PubRec { pkid, reason, .. } => write!(f, "PUBREC (m{pkid}, rc{reason})"),
            Packet::PubRel { pkid } => write!(f, "PUBREL (m{pkid})"),
            Packet::PubComp { pkid, reason } => write!(f, "PUBCOMP (m{pkid}, rc{reason})"),
            Packet::Subscribe { pkid, subscription } => {
                write!(f, "SUBSCRIBE (m{pkid}")?;
                for filter in &subscription.filters {
                    write!(
                        f,
                        ", '{}' q{}",
                        printable(filter.as_bytes()),
                        subscription.qos
                    )?;
                }
                f.write_str(")")
            }
            Packet::SubAck { pkid, codes } => write!(f, "SUBACK (m{pkid}, codes {codes:?})"),
            Packet::Unsubscribe { pkid, filters } => {
                write!(f, "UNSUBSCRIBE (m{pkid}")?;
                for filter in filters {
                    write!(f, ", '{}'", printable(filter.as_bytes()))?;
                }
                f.write_str(")")
            }
            Packet::UnsubAck { pkid } => write!(f, "UNSUBACK (m{pkid})"),
            Packet::PingReq => f.write_str("PINGREQ"),
            Packet::PingResp => f.write_str("PINGRESP"),
            Packet::Disconnect { reason, .. } => write!(f, "DISCONNECT (rc{reason})"),
        }
    }
}

/// The `-d` line for a CONNECT (the password is never shown).
pub fn describe_connect(opts: &ConnectOptions, client_id: &str, keep_alive: u16) -> String {
    format!(
        "CONNECT to {} (MQTT {}, client id '{}', clean {}, keepalive {keep_alive}s, user {}, password {}{})",
        opts.broker_display(),
        opts.version,
        printable(client_id.as_bytes()),
        opts.clean_session,
        opts.username.as_deref().map(|u| printable(u.as_bytes())).unwrap_or_else(|| "none".into()),
        if opts.password.is_some() { "given (hidden)" } else { "none" },
        opts.will
            .as_ref()
            .map(|w| format!(", will on '{}'", printable(w.topic.as_bytes())))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(version: ProtocolVersion) -> Codec {
        Codec {
            version,
            max_incoming: 1024,
            max_outgoing: 1024,
        }
    }

    #[test]
    fn plain_publish_matches_rumqttc_for_every_version() {
        for version in [
            ProtocolVersion::V31,
            ProtocolVersion::V311,
            ProtocolVersion::V5,
        ] {
            let c = codec(version);
            let message = Message {
                topic: Bytes::from_static(b"a/b"),
                payload: Bytes::from_static(b"hello"),
                qos: 1,
                retain: true,
                dup: true,
                pkid: 7,
                properties: None,
            };
            let mut ours = BytesMut::new();
            c.encode(&Packet::Publish(message.clone()), &mut ours)
                .unwrap();
            let mut theirs = BytesMut::new();
            if version == ProtocolVersion::V5 {
                to_v5(&Packet::Publish(message.clone()))
                    .write(&mut theirs, None)
                    .unwrap();
            } else {
                to_v4(&Packet::Publish(message.clone()))
                    .write(&mut theirs, 1024)
                    .unwrap();
            }
            assert_eq!(ours, theirs, "{version}");
            assert_eq!(c.decode(&mut ours).unwrap(), Some(Packet::Publish(message)));
        }
    }

    #[test]
    fn a_header_above_the_limit_is_refused_before_its_body_arrives() {
        let mut buf = BytesMut::from(&[0x30u8, 0xff, 0xff, 0xff, 0x7f][..]);
        assert_eq!(
            codec(ProtocolVersion::V311).decode(&mut buf),
            Err(DecodeError::TooLarge {
                size: 268_435_460,
                limit: 1024
            })
        );
    }

    #[test]
    fn partial_packets_wait_for_more_bytes() {
        let c = codec(ProtocolVersion::V311);
        let mut buf = BytesMut::from(&[0x40u8][..]);
        assert_eq!(c.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&[2, 0]);
        assert_eq!(c.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&[9, 0xd0, 0]);
        assert_eq!(
            c.decode(&mut buf),
            Ok(Some(Packet::PubAck {
                pkid: 9,
                reason: 0,
                reason_string: None
            }))
        );
        assert_eq!(c.decode(&mut buf), Ok(Some(Packet::PingResp)));
        assert!(buf.is_empty());
    }

    #[test]
    fn short_v5_disconnects_are_read() {
        let c = codec(ProtocolVersion::V5);
        let mut buf = BytesMut::from(&[0xe0u8, 1, 0x8e, 0xe0, 0][..]);
        assert!(matches!(
            c.decode(&mut buf),
            Ok(Some(Packet::Disconnect { reason: 0x8e, .. }))
        ));
        assert!(matches!(
            c.decode(&mut buf),
            Ok(Some(Packet::Disconnect { reason: 0, .. }))
        ));
    }

    #[test]
    fn oversized_publishes_are_not_encoded() {
        let c = codec(ProtocolVersion::V311);
        let message = Message {
            topic: Bytes::from_static(b"t"),
            payload: Bytes::from(vec![0u8; 2000]),
            ..Message::default()
        };
        let mut out = BytesMut::new();
        assert!(c.encode(&Packet::Publish(message), &mut out).is_err());
        assert!(out.is_empty());
    }
}

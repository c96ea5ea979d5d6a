//! The few MQTT packets a bench client sends and reads at rate, encoded and decoded in place:
//! a PUBLISH is written straight into the connection's write buffer (topic, header and the
//! shared filler, no allocation), and incoming frames are split off the read buffer without
//! copying the payload. Connection setup (CONNECT/CONNACK, SUBSCRIBE) goes through
//! `conn::raw` and rumqttc's codec; only the hot path lives here.

use bytes::{Buf, BufMut, BytesMut};

use crate::engine::packets::put_varint;
use crate::output::stdio::stderr;

/// An incoming packet, reduced to what the bench counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame<'a> {
    Publish {
        qos: u8,
        pkid: u16,
        payload: &'a [u8],
    },
    PubAck {
        pkid: u16,
        reason: u8,
    },
    PubRec {
        pkid: u16,
        reason: u8,
    },
    PubRel {
        pkid: u16,
    },
    PubComp {
        pkid: u16,
    },
    PingResp,
    Disconnect {
        reason: u8,
    },
    /// Any other packet type (its first byte).
    Other(u8),
}

impl std::fmt::Display for Frame<'_> {
    /// The `-d` trace's words for a frame.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Publish { qos, pkid, payload } => write!(
                f,
                "PUBLISH (q{qos}, m{pkid}, ... ({} bytes))",
                payload.len()
            ),
            Frame::PubAck { pkid, reason } => write!(f, "PUBACK (m{pkid}, rc{reason})"),
            Frame::PubRec { pkid, reason } => write!(f, "PUBREC (m{pkid}, rc{reason})"),
            Frame::PubRel { pkid } => write!(f, "PUBREL (m{pkid})"),
            Frame::PubComp { pkid } => write!(f, "PUBCOMP (m{pkid})"),
            Frame::PingResp => f.write_str("PINGRESP"),
            Frame::Disconnect { reason } => write!(f, "DISCONNECT (rc{reason})"),
            Frame::Other(0xC0) => f.write_str("PINGREQ"),
            Frame::Other(first) => write!(f, "packet type {}", first >> 4),
        }
    }
}

/// Prints the `-d` trace of the packets a bench client is about to write (the ones it
/// reads are traced as they are decoded), with the client's id.
pub fn trace_sent(client: &str, bytes: &[u8], v5: bool) {
    let mut at = 0;
    while let Ok(Some((frame, len))) = decode(&bytes[at..], v5, usize::MAX) {
        stderr!("mqtk: debug: {client}: sending {frame}");
        at += len;
    }
}

/// A malformed frame: the connection cannot be read any further.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed(pub &'static str);

/// What stays the same for every PUBLISH of one publisher.
#[derive(Debug, Clone, Copy)]
pub struct PublishSpec<'a> {
    pub topic: &'a [u8],
    pub qos: u8,
    pub retain: bool,
    /// MQTT 5 framing (an empty property list).
    pub v5: bool,
}

/// Appends one PUBLISH. The payload is `header` followed by `filler` (either may be empty).
pub fn encode_publish(
    out: &mut BytesMut,
    spec: &PublishSpec,
    pkid: u16,
    header: &[u8],
    filler: &[u8],
) {
    let PublishSpec {
        topic,
        qos,
        retain,
        v5,
    } = *spec;
    let remaining = 2
        + topic.len()
        + if qos > 0 { 2 } else { 0 }
        + usize::from(v5)
        + header.len()
        + filler.len();
    out.reserve(remaining + 5);
    out.put_u8(0x30 | (qos << 1) | u8::from(retain));
    put_varint(out, remaining);
    out.put_u16(topic.len() as u16);
    out.put_slice(topic);
    if qos > 0 {
        out.put_u16(pkid);
    }
    if v5 {
        out.put_u8(0); // no properties
    }
    out.put_slice(header);
    out.put_slice(filler);
}

/// Appends a two-byte-id acknowledgement: PUBACK (0x40), PUBREC (0x50), PUBREL (0x62) or
/// PUBCOMP (0x70). Success needs no reason code in MQTT 5 either.
pub fn encode_ack(out: &mut BytesMut, first_byte: u8, pkid: u16) {
    out.put_u8(first_byte);
    out.put_u8(2);
    out.put_u16(pkid);
}

pub const PUBACK: u8 = 0x40;
pub const PUBREC: u8 = 0x50;
pub const PUBREL: u8 = 0x62;
pub const PUBCOMP: u8 = 0x70;
pub const PINGREQ: [u8; 2] = [0xC0, 0];

/// Decodes the packet at the start of `buf` without copying: the frame (a PUBLISH's payload
/// borrows from `buf`) and how many bytes it took; None while the packet is incomplete.
pub fn decode(buf: &[u8], v5: bool, max: usize) -> Result<Option<(Frame<'_>, usize)>, Malformed> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let (mut length, mut shift, mut header_len) = (0usize, 0, 1);
    loop {
        let Some(&byte) = buf.get(header_len) else {
            return Ok(None);
        };
        length |= usize::from(byte & 0x7f) << shift;
        header_len += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err(Malformed("remaining length over 4 bytes"));
        }
    }
    if header_len + length > max {
        return Err(Malformed("a packet above --max-packet-size"));
    }
    let Some(mut body) = buf.get(header_len..header_len + length) else {
        return Ok(None);
    };
    let short = Malformed("packet shorter than its fields");
    let frame = match first >> 4 {
        3 => {
            let qos = (first >> 1) & 3;
            if body.len() < 2 {
                return Err(short);
            }
            let topic_len = usize::from(body.get_u16());
            if body.len() < topic_len + if qos > 0 { 2 } else { 0 } {
                return Err(short);
            }
            body.advance(topic_len);
            let pkid = if qos > 0 { body.get_u16() } else { 0 };
            if v5 {
                let properties = read_varint(&mut body).ok_or(short.clone())?;
                if body.len() < properties {
                    return Err(short);
                }
                body.advance(properties);
            }
            Frame::Publish {
                qos,
                pkid,
                payload: body,
            }
        }
        4..=7 => {
            if body.len() < 2 {
                return Err(short);
            }
            let pkid = body.get_u16();
            let reason = if body.is_empty() { 0 } else { body.get_u8() };
            match first >> 4 {
                4 => Frame::PubAck { pkid, reason },
                5 => Frame::PubRec { pkid, reason },
                6 => Frame::PubRel { pkid },
                _ => Frame::PubComp { pkid },
            }
        }
        13 => Frame::PingResp,
        14 => Frame::Disconnect {
            reason: body.first().copied().unwrap_or(0),
        },
        _ => Frame::Other(first),
    };
    Ok(Some((frame, header_len + length)))
}

fn read_varint(body: &mut &[u8]) -> Option<usize> {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        if body.is_empty() || shift > 21 {
            return None;
        }
        let byte = body.get_u8();
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::mqttbytes::v4;
    use rumqttc::v5::mqttbytes::v5;

    /// What we encode, rumqttc's codec decodes to the same fields (3.1.1 and 5).
    #[test]
    fn publish_matches_rumqttcs_codec() {
        for (qos, retain) in [(0u8, false), (1, true), (2, false)] {
            let mut out = BytesMut::new();
            let spec = PublishSpec {
                topic: b"bench/7",
                qos,
                retain,
                v5: false,
            };
            encode_publish(&mut out, &spec, 42, b"HEAD", b"filler");
            let packet = v4::Packet::read(&mut out, 1 << 20).unwrap();
            let v4::Packet::Publish(p) = packet else {
                panic!("{packet:?}")
            };
            assert_eq!(
                (p.topic.as_str(), p.qos as u8, p.retain),
                ("bench/7", qos, retain)
            );
            assert_eq!(p.payload.as_ref(), b"HEADfiller");
            assert_eq!(p.pkid, if qos > 0 { 42 } else { 0 });

            let mut out = BytesMut::new();
            let spec = PublishSpec { v5: true, ..spec };
            encode_publish(&mut out, &spec, 42, b"HEAD", b"filler");
            let packet = v5::Packet::read(&mut out, None).unwrap();
            let v5::Packet::Publish(p) = packet else {
                panic!("{packet:?}")
            };
            assert_eq!(
                (p.topic.as_ref(), p.payload.as_ref()),
                (&b"bench/7"[..], &b"HEADfiller"[..])
            );
        }
        // A payload long enough for a 3-byte remaining length.
        let filler = vec![7u8; 20_000];
        let mut out = BytesMut::new();
        let spec = PublishSpec {
            topic: b"t",
            qos: 1,
            retain: false,
            v5: false,
        };
        encode_publish(&mut out, &spec, 1, b"", &filler);
        let v4::Packet::Publish(p) = v4::Packet::read(&mut out, 1 << 20).unwrap() else {
            panic!()
        };
        assert_eq!(p.payload.len(), 20_000);
    }

    /// What rumqttc encodes, we decode, split frame by frame out of one buffer.
    #[test]
    fn decodes_a_stream_of_frames() {
        let mut buf = BytesMut::new();
        let mut publish = v4::Publish::new("a/b", rumqttc::QoS::AtLeastOnce, vec![1, 2, 3]);
        publish.pkid = 9;
        v4::Packet::Publish(publish)
            .write(&mut buf, 1 << 20)
            .unwrap();
        v4::Packet::PubAck(v4::PubAck::new(5))
            .write(&mut buf, 1 << 20)
            .unwrap();
        v4::Packet::PubRel(v4::PubRel::new(6))
            .write(&mut buf, 1 << 20)
            .unwrap();
        v4::Packet::PingResp.write(&mut buf, 1 << 20).unwrap();
        let whole = buf.clone();
        let mut frames = Vec::new();
        let mut at = 0;
        while let Some((frame, len)) = decode(&buf[at..], false, 1 << 20).unwrap() {
            frames.push(frame);
            at += len;
        }
        assert_eq!(
            frames,
            [
                Frame::Publish {
                    qos: 1,
                    pkid: 9,
                    payload: &[1, 2, 3]
                },
                Frame::PubAck { pkid: 5, reason: 0 },
                Frame::PubRel { pkid: 6 },
                Frame::PingResp,
            ]
        );
        assert_eq!(at, buf.len());
        // Fed one byte at a time, the same frames come out.
        let mut partial = BytesMut::new();
        let mut count = 0;
        for byte in whole {
            partial.put_u8(byte);
            while let Some((_, len)) = decode(&partial, false, 1 << 20).unwrap() {
                partial.advance(len);
                count += 1;
            }
        }
        assert_eq!(count, 4);
    }

    #[test]
    fn v5_publish_properties_are_skipped_and_garbage_is_an_error() {
        let mut buf = BytesMut::new();
        let props = v5::PublishProperties {
            user_properties: vec![("k".into(), "v".into())],
            ..Default::default()
        };
        let mut publish = v5::Publish::new(
            "t",
            rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
            vec![9],
            Some(props),
        );
        publish.pkid = 3;
        v5::Packet::Publish(publish).write(&mut buf, None).unwrap();
        assert_eq!(
            decode(&buf, true, 1 << 20).unwrap(),
            Some((
                Frame::Publish {
                    qos: 2,
                    pkid: 3,
                    payload: &[9]
                },
                buf.len()
            ))
        );
        let garbage = [0x30, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert!(decode(&garbage, false, 1 << 20).is_err());
        let huge = [0x30u8, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(
            decode(&huge, false, 1 << 20),
            Err(Malformed("a packet above --max-packet-size"))
        );
        let short = [0x32, 0x02, 0x00, 0x05];
        assert!(decode(&short, false, 1 << 20).is_err());
    }

    #[test]
    fn acks_encode_as_the_standard_says() {
        let mut out = BytesMut::new();
        encode_ack(&mut out, PUBREL, 0x0102);
        assert_eq!(out.as_ref(), [0x62, 2, 1, 2]);
    }
}

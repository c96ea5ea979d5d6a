//! MQTT 3.1.1 on the wire, by hand: the four packets the reference sends (CONNECT with a
//! clean session, SUBSCRIBE at QoS 0, PUBLISH at QoS 0, DISCONNECT), the two answers it
//! waits for (CONNACK, SUBACK), and a frame splitter that finds whole packets in a byte
//! stream. Also the layout of the reference's payload header.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// Packet types (the high nibble of the first byte).
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const SUBACK: u8 = 9;

/// Appends MQTT's variable-length "remaining length" (1 to 4 bytes).
fn put_remaining_length(out: &mut Vec<u8>, mut len: usize) {
    assert!(len < 268_435_456, "MQTT packets are at most 256 MiB");
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// CONNECT: protocol "MQTT" level 4, clean session, no will, no credentials, keepalive 0
/// (no PINGREQ needed for a run of seconds).
pub fn connect(client_id: &str) -> Vec<u8> {
    let mut body = Vec::new();
    put_str(&mut body, "MQTT");
    body.push(4); // protocol level 3.1.1
    body.push(0x02); // clean session
    body.extend_from_slice(&0u16.to_be_bytes()); // keepalive
    put_str(&mut body, client_id);
    let mut packet = vec![0x10];
    put_remaining_length(&mut packet, body.len());
    packet.extend_from_slice(&body);
    packet
}

/// SUBSCRIBE (packet id 1) to one filter at QoS 0.
pub fn subscribe(filter: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&1u16.to_be_bytes());
    put_str(&mut body, filter);
    body.push(0); // requested QoS
    let mut packet = vec![0x82];
    put_remaining_length(&mut packet, body.len());
    packet.extend_from_slice(&body);
    packet
}

pub const DISCONNECT: [u8; 2] = [0xE0, 0x00];

/// A QoS 0 PUBLISH of `size` payload bytes (filled with '.'), and where its payload starts,
/// so the header can be rewritten in place for every message.
pub fn publish(topic: &str, size: usize) -> (Vec<u8>, usize) {
    let mut packet = vec![0x30];
    put_remaining_length(&mut packet, 2 + topic.len() + size);
    put_str(&mut packet, topic);
    let start = packet.len();
    packet.resize(start + size, b'.');
    (packet, start)
}

/// The reference's payload header, integers big-endian: bytes 0-1 `RF`, 2-3 zero, 4-7
/// publisher number, 8-15 sequence number from 0, 16-23 intended send time, 24-31 actual send
/// time (both ns since the run's monotonic base, std::time::Instant).
pub const HEADER_LEN: usize = 32;
pub const MAGIC: [u8; 2] = *b"RF";

pub struct Header {
    pub publisher: u32,
    pub seq: u64,
    pub intended_ns: u64,
    pub sent_ns: u64,
}

pub fn put_header(payload: &mut [u8], h: &Header) {
    payload[0..2].copy_from_slice(&MAGIC);
    payload[2..4].copy_from_slice(&[0, 0]);
    payload[4..8].copy_from_slice(&h.publisher.to_be_bytes());
    payload[8..16].copy_from_slice(&h.seq.to_be_bytes());
    payload[16..24].copy_from_slice(&h.intended_ns.to_be_bytes());
    payload[24..32].copy_from_slice(&h.sent_ns.to_be_bytes());
}

pub fn read_header(payload: &[u8]) -> Option<Header> {
    if payload.len() < HEADER_LEN || payload[0..2] != MAGIC {
        return None;
    }
    let u64_at = |i: usize| u64::from_be_bytes(payload[i..i + 8].try_into().unwrap());
    Some(Header {
        publisher: u32::from_be_bytes(payload[4..8].try_into().unwrap()),
        seq: u64_at(8),
        intended_ns: u64_at(16),
        sent_ns: u64_at(24),
    })
}

/// One whole packet found in a buffer: its first byte, and where its body lies.
pub struct Frame {
    pub first: u8,
    pub body: std::ops::Range<usize>,
}

/// The packet starting at `buf[0]` if all of it is there: Ok(Some((frame, its length))),
/// Ok(None) when more bytes are needed, Err on a malformed length.
pub fn split(buf: &[u8]) -> io::Result<Option<(Frame, usize)>> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = 1;
    loop {
        if i > 4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "remaining length over 4 bytes",
            ));
        }
        let Some(&byte) = buf.get(i) else {
            return Ok(None);
        };
        len |= ((byte & 0x7f) as usize) << shift;
        shift += 7;
        i += 1;
        if byte & 0x80 == 0 {
            break;
        }
    }
    if buf.len() < i + len {
        return Ok(None);
    }
    Ok(Some((
        Frame {
            first: buf[0],
            body: i..i + len,
        },
        i + len,
    )))
}

/// The payload of a QoS 0 PUBLISH body (topic skipped), None for QoS 1/2 or a short body.
pub fn publish_payload(first: u8, body: &[u8]) -> Option<&[u8]> {
    if (first >> 1) & 3 != 0 || body.len() < 2 {
        return None;
    }
    let topic_len = u16::from_be_bytes([body[0], body[1]]) as usize;
    body.get(2 + topic_len..)
}

/// Reads one whole packet (for the handshake answers, before the hot loop).
pub fn read_packet(stream: &mut TcpStream) -> io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 1];
    stream.read_exact(&mut head)?;
    let mut len = 0usize;
    let mut shift = 0;
    for _ in 0..4 {
        let mut b = [0u8; 1];
        stream.read_exact(&mut b)?;
        len |= ((b[0] & 0x7f) as usize) << shift;
        shift += 7;
        if b[0] & 0x80 == 0 {
            let mut body = vec![0u8; len];
            stream.read_exact(&mut body)?;
            return Ok((head[0], body));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "remaining length over 4 bytes",
    ))
}

/// TCP connect with TCP_NODELAY, CONNECT, and a CONNACK that accepts.
pub fn open(addr: &str, client_id: &str) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.write_all(&connect(client_id))?;
    let (first, body) = read_packet(&mut stream)?;
    if first >> 4 != CONNACK || body.len() != 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected CONNACK, got 0x{first:02x}"),
        ));
    }
    if body[1] != 0 {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("CONNACK return code {}", body[1]),
        ));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_length_and_split() {
        let (mut p, start) = publish("a/b", 200);
        put_header(
            &mut p[start..],
            &Header {
                publisher: 7,
                seq: 9,
                intended_ns: 11,
                sent_ns: 13,
            },
        );
        assert_eq!(&p[..3], &[0x30, 205, 1]); // 2 + 3 + 200 = 205 → 0xCD 0x01
        let (frame, len) = split(&p).unwrap().unwrap();
        assert_eq!(len, p.len());
        assert!(split(&p[..len - 1]).unwrap().is_none());
        let h = read_header(publish_payload(frame.first, &p[frame.body]).unwrap()).unwrap();
        assert_eq!(
            (h.publisher, h.seq, h.intended_ns, h.sent_ns),
            (7, 9, 11, 13)
        );
    }

    #[test]
    fn connect_and_subscribe_bytes() {
        assert_eq!(
            connect("x"),
            [0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 0, 0, 1, b'x']
        );
        assert_eq!(subscribe("t/+"), [0x82, 8, 0, 1, 0, 3, b't', b'/', b'+', 0]);
    }
}

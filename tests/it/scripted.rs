//! A scripted MQTT broker for behaviours mosquitto never shows: it listens on 127.0.0.1:0,
//! serves connections one after another, hands each to the test's script (a closure that
//! reads whole packets and answers what it likes, built with the packet helpers below),
//! and records every packet in both directions so a test can assert on the wire.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long one read waits for the client before the script gives up on it.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A client packet bigger than this is a test bug; refuse instead of allocating it.
const MAX_CLIENT_PACKET: usize = 16 << 20;

pub const CONNECT: u8 = 1;
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const PUBACK: u8 = 4;
pub const PUBREC: u8 = 5;
pub const PUBREL: u8 = 6;
pub const PUBCOMP: u8 = 7;
pub const SUBSCRIBE: u8 = 8;
pub const SUBACK: u8 = 9;
pub const UNSUBSCRIBE: u8 = 10;
pub const UNSUBACK: u8 = 11;
pub const PINGREQ: u8 = 12;
pub const PINGRESP: u8 = 13;
pub const DISCONNECT: u8 = 14;

/// The name of a packet type, for messages.
pub fn name(kind: u8) -> &'static str {
    [
        "RESERVED",
        "CONNECT",
        "CONNACK",
        "PUBLISH",
        "PUBACK",
        "PUBREC",
        "PUBREL",
        "PUBCOMP",
        "SUBSCRIBE",
        "SUBACK",
        "UNSUBSCRIBE",
        "UNSUBACK",
        "PINGREQ",
        "PINGRESP",
        "DISCONNECT",
        "AUTH",
    ][usize::from(kind & 0x0f)]
}

/// One whole MQTT packet: the fixed header's first byte and the variable header + payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    pub first: u8,
    pub body: Vec<u8>,
}

impl Packet {
    pub fn kind(&self) -> u8 {
        self.first >> 4
    }

    pub fn name(&self) -> &'static str {
        name(self.kind())
    }

    /// QoS bits of a PUBLISH.
    pub fn qos(&self) -> u8 {
        (self.first >> 1) & 3
    }

    /// DUP flag of a PUBLISH.
    pub fn dup(&self) -> bool {
        self.first & 0x08 != 0
    }

    /// The packet identifier, for the packet types that carry one (the same place in
    /// MQTT 3.1, 3.1.1 and 5: properties come after it).
    pub fn packet_id(&self) -> Option<u16> {
        let at = match self.kind() {
            PUBLISH if self.qos() > 0 => 2 + usize::from(self.u16_at(0)?),
            PUBACK | PUBREC | PUBREL | PUBCOMP | SUBSCRIBE | SUBACK | UNSUBSCRIBE | UNSUBACK => 0,
            _ => return None,
        };
        self.u16_at(at)
    }

    /// Topic of a PUBLISH.
    pub fn topic(&self) -> Option<String> {
        (self.kind() == PUBLISH).then(|| self.string_at(0))?
    }

    /// Protocol name and level of a CONNECT: ("MQIsdp", 3), ("MQTT", 4) or ("MQTT", 5).
    pub fn protocol(&self) -> Option<(String, u8)> {
        if self.kind() != CONNECT {
            return None;
        }
        let name = self.string_at(0)?;
        let level = *self.body.get(2 + name.len())?;
        Some((name, level))
    }

    /// Clean session (clean start) flag of a CONNECT.
    pub fn clean(&self) -> bool {
        let (name, _) = self.protocol().expect("CONNECT");
        self.body[3 + name.len()] & 0x02 != 0
    }

    /// Client id of a CONNECT.
    pub fn client_id(&self) -> Option<String> {
        let (name, level) = self.protocol()?;
        // name, level, flags, keepalive
        let mut at = 2 + name.len() + 1 + 1 + 2;
        if level == 5 {
            let (len, used) = varint(&self.body[at..])?;
            at += used + len;
        }
        self.string_at(at)
    }

    /// The QoS each filter of a SUBSCRIBE asks for (`v5`: the packet has properties).
    pub fn requested_qos(&self, v5: bool) -> Vec<u8> {
        let mut at = 2;
        if v5 {
            let (len, used) = varint(&self.body[at..]).expect("SUBSCRIBE properties");
            at += used + len;
        }
        let mut qos = Vec::new();
        while let Some(len) = self.u16_at(at) {
            at += 2 + usize::from(len);
            qos.push(self.body[at] & 3);
            at += 1;
        }
        qos
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let bytes = self.body.get(at..at + 2)?;
        Some(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn string_at(&self, at: usize) -> Option<String> {
        let len = usize::from(self.u16_at(at)?);
        let bytes = self.body.get(at + 2..at + 2 + len)?;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    /// Parses one packet at the start of `bytes` (for recording what a script sent).
    fn parse(bytes: &[u8]) -> Option<Packet> {
        let (len, used) = varint(bytes.get(1..)?)?;
        let body = bytes.get(1 + used..1 + used + len)?.to_vec();
        Some(Packet {
            first: bytes[0],
            body,
        })
    }
}

/// A variable byte integer at the start of `bytes`: (value, bytes used).
fn varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// `len` as a variable byte integer.
fn encode_len(mut len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (len % 128) as u8;
        len /= 128;
        if len == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A packet: `first`, the remaining length, `body`.
pub fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend(encode_len(body.len()));
    out.extend_from_slice(body);
    out
}

/// MQTT 3.1 / 3.1.1 CONNACK: `20 02 sp rc`.
pub fn connack(session_present: bool, code: u8) -> Vec<u8> {
    vec![0x20, 2, u8::from(session_present), code]
}

/// MQTT 5 CONNACK with these properties (see `receive_maximum`, `maximum_qos`).
pub fn connack_v5(session_present: bool, code: u8, properties: &[u8]) -> Vec<u8> {
    let mut body = vec![u8::from(session_present), code];
    body.extend(encode_len(properties.len()));
    body.extend_from_slice(properties);
    frame(0x20, &body)
}

/// MQTT 5 property Receive Maximum (0x21).
pub fn receive_maximum(n: u16) -> Vec<u8> {
    let [hi, lo] = n.to_be_bytes();
    vec![0x21, hi, lo]
}

/// MQTT 5 property Maximum QoS (0x24).
pub fn maximum_qos(qos: u8) -> Vec<u8> {
    vec![0x24, qos]
}

/// SUBACK with one return code per filter (MQTT 3.1.1; `v5` adds the empty properties).
pub fn suback(v5: bool, packet_id: u16, codes: &[u8]) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if v5 {
        body.push(0);
    }
    body.extend_from_slice(codes);
    frame(0x90, &body)
}

/// PUBACK: `40 02 id`.
pub fn puback(packet_id: u16) -> Vec<u8> {
    frame(0x40, &packet_id.to_be_bytes())
}

/// PUBREC: `50 02 id`.
pub fn pubrec(packet_id: u16) -> Vec<u8> {
    frame(0x50, &packet_id.to_be_bytes())
}

/// PUBREL: `62 02 id`.
pub fn pubrel(packet_id: u16) -> Vec<u8> {
    frame(0x62, &packet_id.to_be_bytes())
}

/// PUBCOMP: `70 02 id`.
pub fn pubcomp(packet_id: u16) -> Vec<u8> {
    frame(0x70, &packet_id.to_be_bytes())
}

/// PINGRESP: `d0 00`.
pub fn pingresp() -> Vec<u8> {
    vec![0xd0, 0]
}

/// MQTT 5 DISCONNECT with a reason code: `e0 01 rc`.
pub fn disconnect_v5(reason: u8) -> Vec<u8> {
    vec![0xe0, 1, reason]
}

/// PUBLISH (MQTT 3.1.1; `v5` adds the empty properties); `packet_id` is ignored at QoS 0.
pub fn publish(v5: bool, topic: &str, payload: &[u8], qos: u8, packet_id: u16) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic.as_bytes());
    if qos > 0 {
        body.extend_from_slice(&packet_id.to_be_bytes());
    }
    if v5 {
        body.push(0);
    }
    body.extend_from_slice(payload);
    frame(0x30 | (qos << 1), &body)
}

/// One packet on the wire, in either direction.
#[derive(Debug, Clone)]
pub enum Seen {
    /// The client sent this on connection `conn` (numbered from 1).
    In { conn: usize, packet: Packet },
    /// The script sent these bytes.
    Out { conn: usize, bytes: Vec<u8> },
    /// The script for connection `conn` stopped with an error (timeout, closed socket).
    Error { conn: usize, error: String },
}

type Wire = Arc<Mutex<Vec<Seen>>>;

/// One accepted connection, as the script sees it.
pub struct Conn {
    /// 1 for the first connection, 2 for the next…
    pub number: usize,
    /// Whether the CONNECT read on this connection said MQTT 5.
    pub v5: bool,
    /// `expect` and `hold` answer every SUBSCRIBE with a SUBACK granting what was asked.
    pub grant_subscriptions: bool,
    socket: TcpStream,
    wire: Wire,
}

impl Conn {
    /// The next packet from the client (recorded).
    pub fn read(&mut self) -> io::Result<Packet> {
        let mut first = [0u8; 1];
        self.socket.read_exact(&mut first)?;
        let mut len_bytes = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            self.socket.read_exact(&mut byte)?;
            len_bytes.push(byte[0]);
            if byte[0] & 0x80 == 0 || len_bytes.len() == 4 {
                break;
            }
        }
        let (len, _) = varint(&len_bytes)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad remaining length"))?;
        if len > MAX_CLIENT_PACKET {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("client packet of {len} bytes"),
            ));
        }
        let mut body = vec![0u8; len];
        self.socket.read_exact(&mut body)?;
        let packet = Packet {
            first: first[0],
            body,
        };
        if let Some((_, level)) = packet.protocol() {
            self.v5 = level == 5;
        }
        self.wire.lock().unwrap().push(Seen::In {
            conn: self.number,
            packet: packet.clone(),
        });
        Ok(packet)
    }

    /// Sends these bytes (recorded).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.wire.lock().unwrap().push(Seen::Out {
            conn: self.number,
            bytes: bytes.to_vec(),
        });
        self.socket.write_all(bytes)?;
        self.socket.flush()
    }

    /// Reads until a packet of type `kind` arrives and returns it; on the way, answers
    /// PINGREQ (and SUBSCRIBE if `grant_subscriptions`); anything else is only recorded.
    pub fn expect(&mut self, kind: u8) -> io::Result<Packet> {
        loop {
            let packet = self.read().map_err(|e| {
                io::Error::new(e.kind(), format!("waiting for {}: {e}", name(kind)))
            })?;
            if packet.kind() == kind {
                return Ok(packet);
            }
            self.answer(&packet)?;
        }
    }

    /// Reads the CONNECT and accepts it: CONNACK (MQTT 5 form for a v5 CONNECT).
    pub fn accept(&mut self, session_present: bool) -> io::Result<Packet> {
        let connect = self.expect(CONNECT)?;
        let connack = if self.v5 {
            connack_v5(session_present, 0, &[])
        } else {
            connack(session_present, 0)
        };
        self.send(&connack)?;
        Ok(connect)
    }

    /// Reads a SUBSCRIBE and grants every filter the QoS it asked for.
    pub fn grant_subscribe(&mut self) -> io::Result<Packet> {
        let subscribe = self.expect(SUBSCRIBE)?;
        self.send_suback(&subscribe)?;
        Ok(subscribe)
    }

    /// Keeps the connection open, answering PINGREQ (and SUBSCRIBE if
    /// `grant_subscriptions`), until the client closes it.
    pub fn hold(&mut self) -> io::Result<()> {
        loop {
            match self.read() {
                Ok(packet) => self.answer(&packet)?,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn answer(&mut self, packet: &Packet) -> io::Result<()> {
        match packet.kind() {
            PINGREQ => self.send(&pingresp()),
            SUBSCRIBE if self.grant_subscriptions => self.send_suback(packet),
            _ => Ok(()),
        }
    }

    fn send_suback(&mut self, subscribe: &Packet) -> io::Result<()> {
        let id = subscribe.packet_id().expect("SUBSCRIBE has a packet id");
        let granted = subscribe.requested_qos(self.v5);
        self.send(&suback(self.v5, id, &granted))
    }
}

/// The broker: owns the listener thread; stops accepting on drop.
pub struct Scripted {
    pub port: u16,
    wire: Wire,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Scripted {
    /// Listens on 127.0.0.1:0 and runs `script` on each connection in turn (the next one
    /// is accepted when the script returns; the socket is closed then). An error the
    /// script returns is recorded in the transcript.
    pub fn start<F>(mut script: F) -> Scripted
    where
        F: FnMut(&mut Conn) -> io::Result<()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let wire = Wire::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_wire, thread_connections, thread_stop) =
            (wire.clone(), connections.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                let socket = match listener.accept() {
                    Ok((socket, _)) => socket,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => break,
                };
                socket.set_nonblocking(false).unwrap();
                socket.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                socket.set_nodelay(true).unwrap();
                let number = thread_connections.fetch_add(1, Ordering::SeqCst) + 1;
                let mut conn = Conn {
                    number,
                    v5: false,
                    grant_subscriptions: false,
                    socket,
                    wire: thread_wire.clone(),
                };
                if let Err(e) = script(&mut conn) {
                    thread_wire.lock().unwrap().push(Seen::Error {
                        conn: number,
                        error: e.to_string(),
                    });
                }
            }
        });
        Scripted {
            port,
            wire,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every packet the client sent, with the connection it came on.
    pub fn received(&self) -> Vec<(usize, Packet)> {
        self.wire
            .lock()
            .unwrap()
            .iter()
            .filter_map(|seen| match seen {
                Seen::In { conn, packet } => Some((*conn, packet.clone())),
                _ => None,
            })
            .collect()
    }

    /// The packets of type `kind` the client sent on connection `conn`.
    pub fn received_on(&self, conn: usize, kind: u8) -> Vec<Packet> {
        self.received()
            .into_iter()
            .filter(|(c, p)| *c == conn && p.kind() == kind)
            .map(|(_, p)| p)
            .collect()
    }

    /// One line per packet in both directions, for assertion messages.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for seen in self.wire.lock().unwrap().iter() {
            match seen {
                Seen::In { conn, packet } => {
                    let id = packet.packet_id().map(|id| format!(" id {id}"));
                    writeln!(
                        out,
                        "  conn {conn} client → {} (first byte {:#04x}, {} bytes){}",
                        packet.name(),
                        packet.first,
                        packet.body.len(),
                        id.unwrap_or_default()
                    )
                }
                Seen::Out { conn, bytes } => {
                    let what = match Packet::parse(bytes) {
                        Some(p) => {
                            let id = p.packet_id().map(|id| format!(" id {id}"));
                            format!("{}{}", p.name(), id.unwrap_or_default())
                        }
                        None => format!("{} (header only)", name(bytes[0] >> 4)),
                    };
                    let head: Vec<String> =
                        bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
                    writeln!(out, "  conn {conn} script → {what} [{}]", head.join(" "))
                }
                Seen::Error { conn, error } => {
                    writeln!(out, "  conn {conn} script stopped: {error}")
                }
            }
            .unwrap();
        }
        out
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // A script still blocked on a read ends by its timeout; do not wait for it.
        drop(self.thread.take());
    }
}

#[test]
fn packets_round_trip_through_the_helpers() {
    let p = Packet::parse(&publish(false, "a/b", b"hi", 2, 7)).unwrap();
    assert_eq!(
        (p.kind(), p.qos(), p.packet_id(), p.topic()),
        (PUBLISH, 2, Some(7), Some("a/b".to_string()))
    );
    let p = Packet::parse(&pubrel(300)).unwrap();
    assert_eq!((p.first, p.packet_id()), (0x62, Some(300)));
    assert_eq!(
        connack_v5(true, 0, &receive_maximum(0)),
        [0x20, 6, 1, 0, 3, 0x21, 0, 0]
    );
    assert_eq!(frame(0x30, &[0; 200])[1..3], [0xc8, 0x01]);
    // MQTT 3.1 CONNECT: "MQIsdp", level 3, clean, keepalive 60, client id "c".
    let mut body = vec![0, 6];
    body.extend_from_slice(b"MQIsdp");
    body.extend_from_slice(&[3, 0x02, 0, 60, 0, 1, b'c']);
    let p = Packet::parse(&frame(0x10, &body)).unwrap();
    assert_eq!(p.protocol(), Some(("MQIsdp".to_string(), 3)));
    assert!(p.clean());
    assert_eq!(p.client_id(), Some("c".to_string()));
}

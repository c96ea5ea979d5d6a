//! A TCP relay on 127.0.0.1:0 in front of a broker port that loses every PUBLISH on its way
//! to the clients (everything else, and everything the clients send, passes untouched):
//! a broker that drops QoS 0 messages, as mosquitto does for a client whose outgoing queue
//! is full (`max_queued_messages`) and as any broker may under memory pressure. It frames
//! the broker's byte stream by MQTT's fixed header, so it works for 3.1.1 and 5 alike.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub struct DropRelay {
    pub port: u16,
    dropped: Arc<AtomicU64>,
}

impl DropRelay {
    pub fn start(target: u16) -> DropRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let port = listener.local_addr().unwrap().port();
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(client, server));
                let counter = counter.clone();
                std::thread::spawn(move || drop_publishes(s2, c2, &counter));
            }
        });
        DropRelay { port, dropped }
    }

    /// PUBLISH packets lost so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// Client to broker: bytes as they come.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}

/// Broker to client: whole packets, PUBLISH left out.
fn drop_publishes(mut from: TcpStream, mut to: TcpStream, dropped: &AtomicU64) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        let mut at = 0;
        while let Some(len) = packet_len(&pending[at..]) {
            let packet = &pending[at..at + len];
            if packet[0] >> 4 == 3 {
                dropped.fetch_add(1, Ordering::SeqCst);
            } else if to.write_all(packet).is_err() {
                return;
            }
            at += len;
        }
        pending.drain(..at);
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// The length of the whole packet at the start of `bytes`, once all of it is there.
fn packet_len(bytes: &[u8]) -> Option<usize> {
    let (mut length, mut shift) = (0usize, 0);
    for (i, &byte) in bytes.iter().enumerate().skip(1).take(4) {
        length |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let total = i + 1 + length;
            return (bytes.len() >= total).then_some(total);
        }
        shift += 7;
    }
    None
}

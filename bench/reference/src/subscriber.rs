//! The subscriber: one connection on its own thread, subscribed to `PREFIX/+` at QoS 0,
//! reading with blocking reads. Every read is stamped once on arrival; each whole PUBLISH
//! frame that read completed is matched to its publisher's sequence (duplicates and foreign
//! payloads counted apart) and, when intended after the warmup, timed against its intended
//! and its actual send time.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::wire;

/// What the subscriber saw over the run.
pub struct Received {
    /// Distinct messages of our publishers.
    pub received: u64,
    pub duplicates: u64,
    /// PUBLISH frames without the reference's header or from an unknown publisher/sequence.
    pub foreign: u64,
    /// Distinct messages intended after the warmup (the timed ones).
    pub measured: u64,
    /// arrival − intended, ns, one per timed message.
    pub corrected: Vec<u64>,
    /// arrival − actual send, ns.
    pub uncorrected: Vec<u64>,
}

pub struct Subscriber {
    stream: TcpStream,
    base: Instant,
    warmup_end_ns: u64,
    /// seen[publisher][seq]
    seen: Vec<Vec<bool>>,
    progress: Arc<AtomicU64>,
}

impl Subscriber {
    /// Connects and subscribes (SUBACK granted) before returning, so nothing is missed once
    /// publishing starts. `scheduled[i]` is how many messages publisher i will send.
    pub fn connect(
        addr: &str,
        client_id: &str,
        filter: &str,
        base: Instant,
        scheduled: &[u64],
        progress: Arc<AtomicU64>,
    ) -> io::Result<Self> {
        let mut stream = wire::open(addr, client_id)?;
        stream.write_all(&wire::subscribe(filter))?;
        let (first, body) = wire::read_packet(&mut stream)?;
        if first >> 4 != wire::SUBACK || body.len() != 3 || body[2] >= 0x80 {
            return Err(io::Error::other(format!(
                "SUBSCRIBE {filter} not granted (packet 0x{first:02x}, body {body:?})"
            )));
        }
        let seen = scheduled.iter().map(|&n| vec![false; n as usize]).collect();
        Ok(Subscriber {
            stream,
            base,
            warmup_end_ns: u64::MAX,
            seen,
            progress,
        })
    }

    /// Another handle on the socket, for the main thread to DISCONNECT and shut it down,
    /// which ends `run`'s blocking read.
    pub fn handle(&self) -> io::Result<TcpStream> {
        self.stream.try_clone()
    }

    /// Reads until the connection ends (shut down by the main thread), timing the messages
    /// intended at or after `warmup_end_ns`.
    pub fn run(mut self, warmup_end_ns: u64) -> Received {
        self.warmup_end_ns = warmup_end_ns;
        let expected: u64 = self.seen.iter().map(|s| s.len() as u64).sum();
        let mut out = Received {
            received: 0,
            duplicates: 0,
            foreign: 0,
            measured: 0,
            corrected: Vec::with_capacity(expected as usize),
            uncorrected: Vec::with_capacity(expected as usize),
        };
        let mut buf = vec![0u8; 256 * 1024];
        let (mut start, mut end) = (0usize, 0usize);
        loop {
            if end == buf.len() {
                if start > 0 {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    start = 0;
                } else {
                    let grown = buf.len() * 2; // one frame larger than the buffer
                    buf.resize(grown, 0);
                }
            }
            let n = match self.stream.read(&mut buf[end..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break, // shut down by the main thread
            };
            let arrival = self.base.elapsed().as_nanos() as u64;
            end += n;
            loop {
                let found = match wire::split(&buf[start..end]) {
                    Ok(found) => found,
                    Err(e) => {
                        eprintln!("subscriber: {e}");
                        return out;
                    }
                };
                let Some((frame, len)) = found else { break };
                if frame.first >> 4 == wire::PUBLISH {
                    let body = &buf[start + frame.body.start..start + frame.body.end];
                    self.record(frame.first, body, arrival, &mut out);
                }
                start += len;
            }
            if start == end {
                start = 0;
                end = 0;
            }
        }
        out
    }

    fn record(&mut self, first: u8, body: &[u8], arrival: u64, out: &mut Received) {
        let header = wire::publish_payload(first, body).and_then(wire::read_header);
        let Some(h) = header else {
            out.foreign += 1;
            return;
        };
        let Some(slot) = self
            .seen
            .get_mut(h.publisher as usize)
            .and_then(|s| s.get_mut(h.seq as usize))
        else {
            out.foreign += 1;
            return;
        };
        if *slot {
            out.duplicates += 1;
            return;
        }
        *slot = true;
        out.received += 1;
        self.progress.store(out.received, Ordering::Relaxed);
        if h.intended_ns >= self.warmup_end_ns {
            out.measured += 1;
            out.corrected.push(arrival.saturating_sub(h.intended_ns));
            out.uncorrected.push(arrival.saturating_sub(h.sent_ns));
        }
    }
}

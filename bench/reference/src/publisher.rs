//! The publishers: N connections driven by the calling thread on an open-loop schedule.
//! Publisher i sends its k-th message at t0 + interval·i/N + k·interval (as `mqtk bench
//! pubsub --interval` spreads its publishers); the thread sleeps until about 200 µs before
//! that instant, spins for the rest, stamps the actual send time into the payload and writes
//! the whole PUBLISH. A late message goes out at once: the schedule never slips.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::wire;

pub struct Schedule {
    pub publishers: u32,
    pub interval_ns: u64,
    /// Sending ends here, counted from t0: messages intended at or after it are not sent.
    pub end_ns: u64,
    /// Sleep until this long before a send instant, spin the rest (the kernel's timer slack
    /// and wake-up take some tens of µs). When sends are closer together than this (10
    /// publishers every 1 ms: 100 µs), the thread never sleeps.
    pub spin_ns: u64,
}

impl Schedule {
    pub fn offset(&self, i: u32) -> u64 {
        (self.interval_ns as u128 * i as u128 / self.publishers as u128) as u64
    }

    /// Messages publisher i sends: those intended before the end.
    pub fn scheduled(&self, i: u32) -> u64 {
        let offset = self.offset(i);
        if offset >= self.end_ns {
            0
        } else {
            (self.end_ns - offset).div_ceil(self.interval_ns)
        }
    }
}

pub struct Sent {
    pub sent: u64,
    /// Sent messages intended after the warmup.
    pub measured: u64,
    /// actual − intended send time, ns, of the messages intended after the warmup.
    pub lateness: Vec<u64>,
    pub error: Option<String>,
}

fn now_ns(base: Instant) -> u64 {
    base.elapsed().as_nanos() as u64
}

fn wait_until(base: Instant, target: u64, spin: u64) {
    loop {
        let now = now_ns(base);
        if now >= target {
            return;
        }
        let left = target - now;
        if left > spin {
            std::thread::sleep(Duration::from_nanos(left - spin));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Runs the schedule from `t0_ns` (ns since `base`) on the given connections, then sends
/// each a DISCONNECT.
pub fn run(
    streams: &mut [TcpStream],
    topics: &[String],
    size: usize,
    schedule: &Schedule,
    base: Instant,
    t0_ns: u64,
    warmup_end_ns: u64,
) -> Sent {
    let n = schedule.publishers;
    let counts: Vec<u64> = (0..n).map(|i| schedule.scheduled(i)).collect();
    let offsets: Vec<u64> = (0..n).map(|i| schedule.offset(i)).collect();
    let mut packets: Vec<(Vec<u8>, usize)> =
        topics.iter().map(|t| wire::publish(t, size)).collect();
    let rounds = counts.iter().copied().max().unwrap_or(0);
    let measured_cap: u64 = counts.iter().sum();
    let mut out = Sent {
        sent: 0,
        measured: 0,
        lateness: Vec::with_capacity(measured_cap as usize),
        error: None,
    };
    // Offsets are below one interval, so (k, i) order is time order.
    'schedule: for k in 0..rounds {
        for i in 0..n as usize {
            if k >= counts[i] {
                continue;
            }
            let intended = t0_ns + offsets[i] + k * schedule.interval_ns;
            wait_until(base, intended, schedule.spin_ns);
            let (packet, start) = &mut packets[i];
            let sent_ns = now_ns(base);
            let header = wire::Header {
                publisher: i as u32,
                seq: k,
                intended_ns: intended,
                sent_ns,
            };
            wire::put_header(&mut packet[*start..], &header);
            if let Err(e) = streams[i].write_all(packet) {
                out.error = Some(format!("publisher {i}: {e}"));
                break 'schedule;
            }
            out.sent += 1;
            if intended >= warmup_end_ns {
                out.measured += 1;
                out.lateness.push(sent_ns - intended);
            }
        }
    }
    for stream in streams.iter_mut() {
        let _ = stream.write_all(&wire::DISCONNECT);
    }
    out
}

/// Opens publisher i's connection for each i.
pub fn connect_all(addr: &str, id_prefix: &str, n: u32) -> io::Result<Vec<TcpStream>> {
    (0..n)
        .map(|i| wire::open(addr, &format!("{id_prefix}pub{i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_counts_match_mqtk() {
        // 10 publishers every 1 ms for 11 s: offsets 0, 0.1 ms, ... 0.9 ms; 11 000 each.
        let s = Schedule {
            publishers: 10,
            interval_ns: 1_000_000,
            end_ns: 11_000_000_000,
            spin_ns: 0,
        };
        assert_eq!(s.offset(0), 0);
        assert_eq!(s.offset(3), 300_000);
        assert_eq!(s.offset(9), 900_000);
        assert!((0..10).all(|i| s.scheduled(i) == 11_000));
        let s = Schedule {
            publishers: 3,
            interval_ns: 10,
            end_ns: 25,
            spin_ns: 0,
        };
        // Offsets 0, 3 and 6: intended before 25 are 0, 10, 20 / 3, 13, 23 / 6, 16.
        assert_eq!([s.scheduled(0), s.scheduled(1), s.scheduled(2)], [3, 3, 2]);
    }
}

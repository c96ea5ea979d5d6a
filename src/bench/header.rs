//! The header at the start of every bench payload, so a subscriber (ours, or anyone's) can
//! tell who sent a message, which one it was, and when it was meant to go and went.
//!
//! Layout, 32 bytes, integers big-endian; the rest of the payload is filler:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | magic `MQ` (0x4D 0x51) |
//! | 2 | 1 | layout version, 1 |
//! | 3 | 1 | flags, 0 |
//! | 4 | 4 | publisher index |
//! | 8 | 8 | sequence number of this publisher's message, from 0 |
//! | 16 | 8 | intended send time, ns since the Unix epoch |
//! | 24 | 8 | actual send time, ns since the Unix epoch |
//!
//! Times come from [`BenchClock`]: a monotonic clock anchored once to the wall clock, so
//! they never go backwards within a run and other processes on the host can compare them.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub const HEADER_LEN: usize = 32;
const MAGIC: [u8; 2] = *b"MQ";
const VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub publisher: u32,
    pub seq: u64,
    pub intended_ns: u64,
    pub sent_ns: u64,
}

impl Header {
    /// Writes the header into the first [`HEADER_LEN`] bytes of `out`.
    /// Panics if `out` is shorter (payload sizes are validated to be at least that).
    pub fn write(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&MAGIC);
        out[2] = VERSION;
        out[3] = 0;
        out[4..8].copy_from_slice(&self.publisher.to_be_bytes());
        out[8..16].copy_from_slice(&self.seq.to_be_bytes());
        out[16..24].copy_from_slice(&self.intended_ns.to_be_bytes());
        out[24..32].copy_from_slice(&self.sent_ns.to_be_bytes());
    }

    /// Reads a header; None when the payload does not start with one.
    pub fn read(payload: &[u8]) -> Option<Header> {
        let bytes = payload.get(..HEADER_LEN)?;
        if bytes[0..2] != MAGIC || bytes[2] != VERSION {
            return None;
        }
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let mut publisher = [0u8; 4];
        publisher.copy_from_slice(&bytes[4..8]);
        Some(Header {
            publisher: u32::from_be_bytes(publisher),
            seq: u64_at(8),
            intended_ns: u64_at(16),
            sent_ns: u64_at(24),
        })
    }
}

/// A monotonic nanosecond clock on the Unix-epoch scale.
#[derive(Debug, Clone, Copy)]
pub struct BenchClock {
    origin: Instant,
    origin_ns: u64,
}

impl BenchClock {
    pub fn new() -> BenchClock {
        let origin = Instant::now();
        let origin_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        BenchClock { origin, origin_ns }
    }

    pub fn now_ns(&self) -> u64 {
        self.at_ns(Instant::now())
    }

    pub fn at_ns(&self, instant: Instant) -> u64 {
        self.origin_ns + instant.saturating_duration_since(self.origin).as_nanos() as u64
    }

    /// `instant` in microseconds since the Unix epoch: the report's times, which shards on
    /// different machines line up by.
    pub fn at_us(&self, instant: tokio::time::Instant) -> u64 {
        self.at_ns(instant.into_std()) / 1000
    }

    /// The instant a wall-clock time falls on (`--start-at`); times before this clock
    /// began are its beginning.
    pub fn instant_at(&self, at: SystemTime) -> tokio::time::Instant {
        let unix_ns = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let after = unix_ns.saturating_sub(self.origin_ns);
        tokio::time::Instant::from_std(self.origin + std::time::Duration::from_nanos(after))
    }
}

impl Default for BenchClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_maps_instants_to_wall_time_and_back() {
        let clock = BenchClock::new();
        use std::time::Duration;
        let later = tokio::time::Instant::from_std(clock.origin + Duration::from_millis(1500));
        assert_eq!(clock.at_us(later), clock.origin_ns / 1000 + 1_500_000);
        let wall = UNIX_EPOCH + Duration::from_micros(clock.at_us(later));
        let back = clock.instant_at(wall);
        assert!(later.duration_since(back) < Duration::from_micros(1));
    }

    #[test]
    fn round_trips_and_rejects_foreign_payloads() {
        let header = Header {
            publisher: 7,
            seq: 1 << 40,
            intended_ns: 1_795_440_191_000_000_000,
            sent_ns: 1_795_440_191_000_001_234,
        };
        let mut payload = vec![0xAA; 64];
        header.write(&mut payload);
        assert_eq!(Header::read(&payload), Some(header));
        assert_eq!(&payload[..4], b"MQ\x01\x00");
        assert_eq!(payload[32], 0xAA, "filler untouched");
        assert_eq!(Header::read(&payload[..31]), None);
        assert_eq!(
            Header::read(b"hello world, this is not a bench payload"),
            None
        );
        let mut other_version = payload.clone();
        other_version[2] = 2;
        assert_eq!(Header::read(&other_version), None);
    }

    #[test]
    fn clock_is_monotonic_on_the_epoch_scale() {
        let clock = BenchClock::new();
        let a = clock.now_ns();
        let b = clock.now_ns();
        assert!(b >= a);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert!(a.abs_diff(wall) < 1_000_000_000);
    }
}

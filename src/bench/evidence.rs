//! What a bench report carries besides its summary, so that shards' reports merge into
//! exactly the report one process would have written: each shard's clock and window, each
//! publisher's counts and audience, each subscriber's sequence state per publisher. Times
//! are microseconds since the Unix epoch (`BenchClock::at_us`): shards on different machines
//! share no `Instant`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::header::BenchClock;
use super::plan::{Pace, Plan, Stop};
use super::stats::{ranges, Sequence};
use super::worker::{PublisherOutcome, SubscriberOutcome};

/// Everything beyond the summary a merge needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// One per shard (one for an unsharded run); a merged report lists them all.
    pub shards: Vec<ShardRecord>,
    pub publishers: Vec<PublisherRecord>,
    pub subscribers: Vec<SubscriberRecord>,
}

/// Which part of a sharded run a process is: `index` of `count`, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOf {
    pub index: u32,
    pub count: u32,
}

impl ShardOf {
    pub const WHOLE: ShardOf = ShardOf { index: 0, count: 1 };

    /// This shard's contiguous slice of `total` clients (in the plan's order): the first
    /// `total % count` shards take one more.
    pub fn slice(self, total: usize) -> Range<usize> {
        let (index, count) = (self.index as usize, self.count.max(1) as usize);
        let at = |i: usize| i * (total / count) + i.min(total % count);
        at(index)..at(index + 1)
    }

    pub fn is_whole(self) -> bool {
        self.count <= 1
    }
}

/// How a process's drain after sending ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrainEnd {
    /// Everything came in (or every client was gone).
    Settled,
    /// The cap (--drain after the schedule's end) came first.
    Cut,
    /// The cap came first while messages were still arriving: what had not arrived is
    /// outstanding, not lost.
    CutWhileArriving,
}

/// One shard's part of the run: when it ran, what it connected, how it ended. A shard
/// that sent no report is listed with `reported: false` and its clients count as failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    /// Its slice of the clients, by position in the run's order: `[from, to)`.
    pub clients: [u64; 2],
    pub reported: bool,
    /// The machine it ran on.
    pub host: Option<String>,
    pub started_at: Option<String>,
    /// The first connection attempt.
    pub start_us: u64,
    pub last_connected_us: Option<u64>,
    /// When sending began (the schedule's origin); null if it never did.
    pub t0_us: Option<u64>,
    /// The measured window: from the end of the warmup to when sending stopped.
    pub window_from_us: Option<u64>,
    pub window_to_us: Option<u64>,
    pub end_us: u64,
    pub drain: DrainEnd,
    pub interrupted: bool,
    pub connected: u64,
    /// Clients whose task failed (a bug in mqtk): their counts are missing.
    pub crashed: u64,
}

impl ShardRecord {
    /// The entry for a shard whose report never came: its clients are failures.
    pub fn missing(shard: ShardOf, total_clients: u64) -> ShardRecord {
        let slice = shard.slice(total_clients as usize);
        ShardRecord {
            index: shard.index,
            count: shard.count,
            clients: [slice.start as u64, slice.end as u64],
            reported: false,
            host: None,
            started_at: None,
            start_us: 0,
            last_connected_us: None,
            t0_us: None,
            window_from_us: None,
            window_to_us: None,
            end_us: 0,
            drain: DrainEnd::Settled,
            interrupted: false,
            connected: 0,
            crashed: 0,
        }
    }

    pub fn client_count(&self) -> u64 {
        self.clients[1].saturating_sub(self.clients[0])
    }
}

/// One publisher: what it sent and had acknowledged, and who should have received it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherRecord {
    pub index: u32,
    pub number: u32,
    /// Deliveries each message should make (a shared group: one).
    pub fanout: u32,
    /// The subscribers (by index) whose filter matches its topic, as ranges `[from, to)`.
    pub audience: Vec<[u64; 2]>,
    /// What its schedule asks of it (`--count`, or a paced schedule's share); null: unbounded.
    pub scheduled: Option<u64>,
    pub sent: u64,
    pub sent_measured: u64,
    pub acked: u64,
    pub acked_measured: u64,
    /// Rejections by reason code.
    pub rejected: BTreeMap<u8, u64>,
    /// Sequence numbers sent but never acknowledged (or rejected).
    pub unacked: Vec<u64>,
    pub max_lag_us: u64,
    pub due: u64,
    pub final_lag_us: u64,
    pub last_sent_us: Option<u64>,
    pub last_acked_us: Option<u64>,
}

impl PublisherRecord {
    /// Whether subscriber `index` should have received this publisher's messages.
    pub fn reaches(&self, index: u32) -> bool {
        let index = u64::from(index);
        self.audience
            .iter()
            .any(|&[from, to]| (from..to).contains(&index))
    }
}

/// One subscriber: what it received of each publisher (by number).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberRecord {
    pub index: u32,
    pub sequences: BTreeMap<u32, Sequence>,
    pub received_measured: u64,
    pub foreign: u64,
    pub size_min: Option<u64>,
    pub size_max: Option<u64>,
    pub stale: u64,
    pub last_received_us: Option<u64>,
}

pub fn publisher_record(plan: &Plan, clock: &BenchClock, p: PublisherOutcome) -> PublisherRecord {
    let audience = plan
        .publisher(p.index)
        .map(|spec| ranges(spec.audience.iter().map(|&i| u64::from(i))))
        .unwrap_or_default();
    PublisherRecord {
        index: p.index,
        number: p.number,
        fanout: p.fanout,
        audience,
        scheduled: plan.scheduled(p.index),
        sent: p.sent,
        sent_measured: p.sent_measured,
        acked: p.acked,
        acked_measured: p.acked_measured,
        rejected: p.rejected,
        unacked: p.unacked,
        max_lag_us: p.max_lag.as_micros() as u64,
        due: p.due,
        final_lag_us: p.final_lag.as_micros() as u64,
        last_sent_us: p.last_sent.map(|at| clock.at_us(at)),
        last_acked_us: p.last_acked.map(|at| clock.at_us(at)),
    }
}

pub fn subscriber_record(clock: &BenchClock, s: SubscriberOutcome) -> SubscriberRecord {
    SubscriberRecord {
        index: s.index,
        sequences: s.sequences.into_iter().collect(),
        received_measured: s.received_measured,
        foreign: s.foreign,
        size_min: s.sizes.map(|(min, _)| min),
        size_max: s.sizes.map(|(_, max)| max),
        stale: s.stale,
        last_received_us: s.last_received.map(|at| clock.at_us(at)),
    }
}

/// What the report's accounting needs of the run's settings: the same whether it comes
/// from the plan (one process) or from the shards' reports (a merge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub mode: super::plan::Mode,
    pub qos: u8,
    pub publishers: u32,
    pub subscribers: u32,
    pub shared: bool,
    pub pace: Pace,
    pub stop: Stop,
    pub warmup: Duration,
    pub drain: Duration,
}

impl Shape {
    /// Messages per second offered by the schedule; None when unlimited.
    pub fn offered_rate(&self) -> Option<f64> {
        match self.pace {
            Pace::Unlimited => None,
            Pace::Rate(rate) => Some(rate),
            Pace::Interval(interval) => Some(self.publishers as f64 / interval.as_secs_f64()),
        }
    }

    /// The time between two messages of one publisher, and publisher `index`'s offset from
    /// the start (so the publishers' messages interleave evenly).
    pub fn schedule(&self, index: u32) -> Option<(Duration, Duration)> {
        let publishers = self.publishers.max(1) as f64;
        match self.pace {
            Pace::Unlimited => None,
            Pace::Rate(rate) => Some((
                Duration::from_secs_f64(publishers / rate),
                Duration::from_secs_f64(index as f64 / rate),
            )),
            Pace::Interval(interval) => {
                Some((interval, interval.mul_f64(index as f64 / publishers)))
            }
        }
    }

    /// Messages publisher `index` is asked to send: `--count`, or those a paced schedule
    /// puts before the end; None when neither bounds it.
    pub fn scheduled(&self, index: u32) -> Option<u64> {
        match (self.stop, self.schedule(index)) {
            (Stop::Count(count), _) => Some(count),
            (Stop::Duration(duration), Some((period, offset))) => {
                let time = self.warmup + duration;
                Some(if time > offset {
                    (time - offset)
                        .as_nanos()
                        .div_ceil(period.as_nanos().max(1)) as u64
                } else {
                    0
                })
            }
            (Stop::Duration(_), None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_slice_the_clients_contiguously_and_completely() {
        for (total, count) in [(12, 4), (10, 3), (2, 5), (100_000, 5), (0, 2)] {
            let mut next = 0;
            for index in 0..count {
                let slice = ShardOf { index, count }.slice(total);
                assert_eq!(slice.start, next, "{total} over {count}");
                assert!(slice.len() <= total / count as usize + 1);
                next = slice.end;
            }
            assert_eq!(next, total);
        }
        assert_eq!(ShardOf { index: 1, count: 3 }.slice(10), 4..7);
        assert_eq!(ShardOf::WHOLE.slice(7), 0..7);
    }
}

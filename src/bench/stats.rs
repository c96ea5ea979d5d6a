//! Bench statistics: latency in HDR histograms (nanoseconds, 3 significant digits, never a
//! sort of samples) summarised as min / percentiles / max / mean / stdev, and the accounting
//! of one publisher's sequence as seen by one subscriber: received, duplicated, reordered,
//! lost.

use std::collections::HashSet;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The longest latency recorded exactly; longer ones are clamped to it (and counted).
const MAX_NS: u64 = 3_600_000_000_000;

/// A latency histogram in nanoseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    histogram: Histogram<u64>,
    clamped: u64,
}

/// A latency histogram's summary, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub min_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p99_9_us: f64,
    pub p99_99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    pub stdev_us: f64,
}

impl Latency {
    pub fn new() -> Latency {
        Latency {
            histogram: Histogram::new_with_bounds(1, MAX_NS, 3)
                .expect("constant histogram bounds are valid"),
            clamped: 0,
        }
    }

    pub fn record(&mut self, ns: u64) {
        let value = ns.clamp(1, MAX_NS);
        if value != ns.max(1) {
            self.clamped += 1;
        }
        // Within the bounds by construction.
        let _ = self.histogram.record(value);
    }

    pub fn merge(&mut self, other: &Latency) {
        let _ = self.histogram.add(&other.histogram);
        self.clamped += other.clamped;
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// None when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        let h = &self.histogram;
        if h.is_empty() {
            return None;
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Some(LatencySummary {
            count: h.len(),
            min_us: us(h.min()),
            p50_us: us(h.value_at_quantile(0.50)),
            p90_us: us(h.value_at_quantile(0.90)),
            p99_us: us(h.value_at_quantile(0.99)),
            p99_9_us: us(h.value_at_quantile(0.999)),
            p99_99_us: us(h.value_at_quantile(0.9999)),
            max_us: us(h.max()),
            mean_us: h.mean() / 1000.0,
            stdev_us: h.stdev() / 1000.0,
        })
    }
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

/// What one arrival meant for its sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The next number expected.
    InOrder,
    /// Later than expected: the numbers in between are missing (for now).
    AfterGap,
    /// A missing number arriving late.
    Reordered,
    /// A number already received.
    Duplicate,
}

/// One publisher's sequence (numbers from 0) as received by one subscriber.
#[derive(Debug, Clone, Default)]
pub struct Sequence {
    next: u64,
    missing: HashSet<u64>,
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

impl Sequence {
    /// A sequence whose numbers before `first` are not expected (a subscriber that joined
    /// a running publisher).
    pub fn starting_at(first: u64) -> Sequence {
        Sequence {
            next: first,
            ..Sequence::default()
        }
    }

    pub fn record(&mut self, seq: u64) -> Arrival {
        if seq == self.next {
            self.next += 1;
            self.received += 1;
            Arrival::InOrder
        } else if seq > self.next {
            self.missing.extend(self.next..seq);
            self.next = seq + 1;
            self.received += 1;
            Arrival::AfterGap
        } else if self.missing.remove(&seq) {
            self.received += 1;
            self.reordered += 1;
            Arrival::Reordered
        } else {
            self.duplicates += 1;
            Arrival::Duplicate
        }
    }

    /// Whether number `seq` has arrived.
    pub fn has(&self, seq: u64) -> bool {
        seq < self.next && !self.missing.contains(&seq)
    }

    /// Numbers missing between arrivals (after the last arrival nothing is known).
    pub fn gaps(&self) -> u64 {
        self.missing.len() as u64
    }

    /// Messages of the first `expected` numbers that never arrived.
    pub fn lost(&self, expected: u64) -> u64 {
        expected.saturating_sub(self.received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut latency = Latency::new();
        // 1..=10_000 µs, one sample each.
        for us in 1..=10_000u64 {
            latency.record(us * 1000);
        }
        let s = latency.summary().unwrap();
        assert_eq!(s.count, 10_000);
        assert_eq!(s.min_us, 1.0);
        let close = |got: f64, want: f64| (got - want).abs() / want < 0.001;
        assert!(close(s.p50_us, 5000.0), "{}", s.p50_us);
        assert!(close(s.p90_us, 9000.0), "{}", s.p90_us);
        assert!(close(s.p99_us, 9900.0), "{}", s.p99_us);
        assert!(close(s.p99_9_us, 9990.0), "{}", s.p99_9_us);
        assert!(close(s.max_us, 10_000.0), "{}", s.max_us);
        assert!(close(s.mean_us, 5000.5), "{}", s.mean_us);
        assert!(close(s.stdev_us, 2886.75), "{}", s.stdev_us);
        assert_eq!(Latency::new().summary(), None);
    }

    #[test]
    fn merge_adds_counts_and_keeps_extremes() {
        let mut a = Latency::new();
        let mut b = Latency::new();
        a.record(1_000);
        b.record(5_000_000);
        b.record(0);
        a.merge(&b);
        let s = a.summary().unwrap();
        assert_eq!(s.count, 3);
        assert_eq!(s.min_us, 0.001);
        assert!((s.max_us - 5000.0).abs() < 5.0);
    }

    #[test]
    fn sequence_counts_gaps_reorders_and_duplicates() {
        let mut seq = Sequence::default();
        let arrivals: Vec<Arrival> = [0, 1, 3, 2, 2, 5, 7]
            .iter()
            .map(|&n| seq.record(n))
            .collect();
        assert_eq!(
            arrivals,
            [
                Arrival::InOrder,
                Arrival::InOrder,
                Arrival::AfterGap,
                Arrival::Reordered,
                Arrival::Duplicate,
                Arrival::AfterGap,
                Arrival::AfterGap,
            ]
        );
        assert_eq!((seq.received, seq.duplicates, seq.reordered), (6, 1, 1));
        // 0..=9 were sent: 4, 6, 8 and 9 never came.
        assert_eq!(seq.lost(10), 4);
        assert!(seq.has(3) && seq.has(7) && !seq.has(4) && !seq.has(8));
        assert_eq!(seq.gaps(), 2);
        // Joined at 100: nothing before it is missing.
        let mut late = Sequence::starting_at(100);
        assert_eq!(late.record(100), Arrival::InOrder);
        assert_eq!(late.record(102), Arrival::AfterGap);
        assert_eq!((late.received, late.gaps()), (2, 1));
        assert_eq!(Sequence::default().lost(3), 3);
    }
}

//! What `mqtk bench` reports: the report's shape (the `--json` document; every key is
//! documented in docs/bench-report.md and frozen by a test) and its aligned text form on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::bench::evidence::{Evidence, ShardRecord};
use crate::bench::stats::LatencySummary;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub mqtk_version: String,
    pub mode: String,
    pub broker: String,
    /// RFC 3339, local time with offset.
    pub started_at: String,
    /// Ctrl-C ended the run early: the numbers cover what happened until then.
    pub interrupted: bool,
    pub config: Config,
    /// Seconds from the first connection attempt to the end of the report's data.
    pub elapsed_s: f64,
    /// Seconds from the first connection attempt to the last CONNACK (SUBACK).
    pub ramp_up_s: f64,
    /// Seconds of the measured window (after the warmup, until the last send or delivery).
    pub measured_s: f64,
    pub clients: Clients,
    pub messages: Messages,
    pub rates: Rates,
    pub schedule: Schedule,
    /// Why the broker (or the path to it) did not keep up, in one line; null when it did.
    pub overload: Option<String>,
    pub latency: Latencies,
    /// Each latency's whole histogram (ns), for merging runs and for HdrHistogram's tools.
    pub histograms: Histograms,
    /// What mqtk itself spent, per worker thread.
    pub io: Vec<ThreadIo>,
    pub series: Vec<Second>,
    /// What a merge of shards' reports needs beyond the above (docs/bench-report.md).
    pub evidence: Evidence,
}

/// One worker thread of mqtk: its clients, its CPU and context switches over its whole life
/// (connecting included), and how many reads and writes carried the messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThreadIo {
    /// The shard (process) the thread belonged to.
    pub shard: u32,
    pub publishers: u32,
    pub subscribers: u32,
    pub idle: u32,
    pub cpu_s: f64,
    pub voluntary_context_switches: u64,
    pub involuntary_context_switches: u64,
    pub publisher_writes: u64,
    pub publisher_write_bytes: u64,
    pub subscriber_reads: u64,
    pub subscriber_read_bytes: u64,
    /// Flat-out QoS 0 pubsub: times a publisher's window was full (it waited for a
    /// delivery), and times it waited in vain for 250 ms (what was in flight was dropped).
    pub gate_waits: u64,
    pub gate_timeouts: u64,
}

/// HdrHistogram V2 compressed base64 ("HISTF..."), values in nanoseconds; null when empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Histograms {
    pub connect: Option<String>,
    pub ack: Option<String>,
    pub e2e_corrected: Option<String>,
    pub e2e_uncorrected: Option<String>,
    pub send_lateness: Option<String>,
}

/// The run's settings, as given or defaulted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub clients: u32,
    pub publishers: u32,
    pub subscribers: u32,
    pub protocol: String,
    pub topic: Option<String>,
    pub filter: Option<String>,
    pub shared: Option<String>,
    pub qos: u8,
    pub retain: bool,
    /// Payload bytes of our publishers (null in `sub`: see `messages.size_min`).
    pub size: Option<u64>,
    pub inflight: u16,
    pub rate: Option<f64>,
    pub interval_ms: Option<f64>,
    pub count: Option<u64>,
    pub duration_s: Option<f64>,
    pub warmup_s: f64,
    pub drain_s: f64,
    pub connect_rate: Option<f64>,
    pub id_prefix: String,
    pub start_number: u32,
    pub keepalive_s: u64,
    pub threads: usize,
    /// The send buffer asked for each socket (flat-out QoS 0); null: the system's.
    pub send_buffer_bytes: Option<u64>,
    /// Flat-out QoS 0 pubsub: a subscriber's pause between reads while messages stream in.
    pub read_pause_ms: Option<f64>,
    /// Flat-out QoS 0 pubsub: messages each publisher may send beyond the newest one a
    /// subscriber received.
    pub in_flight_window: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Clients {
    pub total: u64,
    pub connected: u64,
    pub failed: u64,
    pub connect_failures: BTreeMap<String, u64>,
    pub disconnected: u64,
    pub disconnects: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Messages {
    pub scheduled: Option<u64>,
    pub sent: u64,
    pub acked: u64,
    pub rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub unacked: u64,
    pub expected: Option<u64>,
    /// `pubsub`: deliveries not in yet when the drain's cap ended it while messages were
    /// still arriving (not counted as lost).
    pub outstanding: Option<u64>,
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub lost: Option<u64>,
    pub lost_unacked: Option<u64>,
    pub lost_after_ack: Option<u64>,
    pub gaps: Option<u64>,
    pub foreign: u64,
    /// `pubsub`: messages with mqtk's header meant before this run began: an earlier run's
    /// leftovers on the same topics, not counted as received.
    pub stale: Option<u64>,
    /// The smallest and largest payload the subscribers received (null: none received).
    pub size_min: Option<u64>,
    pub size_max: Option<u64>,
}

/// Messages (connections) per second over the measured window; null when not applicable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rates {
    pub offered: Option<f64>,
    pub sent: Option<f64>,
    pub acked: Option<f64>,
    pub received: Option<f64>,
    pub connects: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    /// True when the generator could not keep the schedule: messages went unsent, sending
    /// ended late, or the send lateness p99 exceeded `lateness_limit_us`.
    pub behind: bool,
    /// The send lateness p99 above which the schedule counts as not kept (paced runs).
    pub lateness_limit_us: Option<f64>,
    /// Scheduled messages never sent.
    pub unsent: Option<u64>,
    /// The latest any message went out, compared with its intended time.
    pub max_lag_ms: Option<f64>,
    /// How late the schedule was when sending ended.
    pub final_lag_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latencies {
    pub connect: Option<LatencySummary>,
    pub ack: Option<LatencySummary>,
    pub e2e_corrected: Option<LatencySummary>,
    pub e2e_uncorrected: Option<LatencySummary>,
    /// Paced runs: mqtk's own delay, actual − intended send time of each measured message.
    pub send_lateness: Option<LatencySummary>,
}

/// One second of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the first connection attempt (the end of this second).
    pub t_s: u64,
    pub connected: u64,
    pub sent: u64,
    pub acked: u64,
    pub received: u64,
    pub errors: u64,
    /// The subscribers' read calls and bytes, the publishers' write calls and bytes.
    pub subscriber_reads: u64,
    pub subscriber_read_bytes: u64,
    pub publisher_writes: u64,
    pub publisher_write_bytes: u64,
    /// The mode's headline latency this second (conn: connect; pub: ack; sub, pubsub: corrected end to end).
    pub p99_us: Option<f64>,
    /// The end of this second, in microseconds since the Unix epoch (shards' seconds line up by it).
    pub at_us: u64,
    /// This second's headline latency histogram (as in `histograms`); null when empty.
    pub latency: Option<String>,
}

/// A count with thin spaces between thousands: 1 234 567.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A rate with a unit-free count and `/s`.
pub fn rate(per_second: f64) -> String {
    if per_second >= 100.0 {
        format!("{}/s", count(per_second.round() as u64))
    } else {
        format!("{per_second:.2}/s")
    }
}

/// A time in µs, shown in the unit that suits it.
pub fn time_us(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1_000.0)
    } else {
        format!("{:.3} s", us / 1_000_000.0)
    }
}

impl Report {
    /// A sharded run: which part this report covers, or how the merged shards started.
    fn shards_line(&self) -> Option<String> {
        let shards = &self.evidence.shards;
        let count = shards.first()?.count;
        if count <= 1 {
            return None;
        }
        if let [one] = &shards[..] {
            return Some(format!(
                "Shard {} of {count}: clients {} to {} of {} (by position); loss is accounted when the shards' reports are merged (mqtk bench merge)",
                one.index,
                one.clients[0],
                one.clients[1].saturating_sub(1),
                self.config.clients
            ));
        }
        let reported: Vec<&ShardRecord> = shards.iter().filter(|s| s.reported).collect();
        let starts: Vec<u64> = reported.iter().filter_map(|s| s.t0_us).collect();
        let spread = match (starts.iter().min(), starts.iter().max()) {
            (Some(first), Some(last)) => format!(
                "; sending began within {} of each other",
                time_us((last - first) as f64)
            ),
            _ => String::new(),
        };
        Some(format!(
            "Merged: {} of {count} shards reported{spread}",
            reported.len()
        ))
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let c = &self.config;
        let n = |count: u32, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        let who = match self.mode.as_str() {
            "conn" => n(c.clients, "connection", "connections"),
            "pub" => n(c.publishers, "publisher", "publishers"),
            "sub" => n(c.subscribers, "subscriber", "subscribers"),
            _ => format!(
                "{} → {}",
                n(c.publishers, "publisher", "publishers"),
                n(c.subscribers, "subscriber", "subscribers")
            ),
        };
        // What ran: the size given, or (bench sub) the sizes that arrived.
        let m = &self.messages;
        let size = match (c.size, m.size_min, m.size_max) {
            (Some(size), _, _) => format!(", {size} B"),
            (None, Some(min), Some(max)) if min == max => format!(", {min} B"),
            (None, Some(min), Some(max)) => format!(", {min}-{max} B"),
            _ => String::new(),
        };
        let traffic = if self.mode == "conn" {
            String::new()
        } else {
            format!(", QoS {}{size}", c.qos)
        };
        let _ = writeln!(
            out,
            "mqtk bench {}: {who}{traffic}, {} (MQTT {}){}",
            self.mode,
            self.broker,
            c.protocol,
            if self.interrupted {
                ", interrupted"
            } else {
                ""
            }
        );
        if let Some(line) = self.shards_line() {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out);
        let mut rows: Vec<(String, String, String)> = Vec::new();
        let cl = &self.clients;
        rows.push((
            "Connected".into(),
            format!("{} of {}", count(cl.connected), count(cl.total)),
            self.rates
                .connects
                .map(|r| format!("{} over {:.2} s", rate(r), self.ramp_up_s))
                .unwrap_or_default(),
        ));
        for (reason, n) in &cl.connect_failures {
            rows.push(("  failed".into(), count(*n), reason.clone()));
        }
        for (cause, n) in &cl.disconnects {
            rows.push(("  disconnected".into(), count(*n), cause.clone()));
        }
        let r = &self.rates;
        let per_s = |x: Option<f64>| x.map(rate).unwrap_or_default();
        if c.publishers > 0 {
            let offered = match r.offered {
                Some(o) => format!("offered {}", rate(o)),
                None => match c.in_flight_window {
                    Some(window) => format!(
                        "offered: as fast as possible, at most {} per publisher in flight",
                        count(window)
                    ),
                    None => "offered: as fast as possible".into(),
                },
            };
            rows.push((
                "Sent".into(),
                count(m.sent),
                format!("{}   {offered}", per_s(r.sent)),
            ));
            if let Some(scheduled) = m.scheduled {
                rows.push(("  scheduled".into(), count(scheduled), String::new()));
            }
            if c.qos > 0 {
                rows.push(("Acknowledged".into(), count(m.acked), per_s(r.acked)));
                if m.rejected > 0 {
                    for (reason, n) in &m.rejected_by_reason {
                        rows.push(("  rejected".into(), count(*n), reason.clone()));
                    }
                }
                if m.unacked > 0 {
                    rows.push(("  unacknowledged".into(), count(m.unacked), String::new()));
                }
            }
        }
        if c.subscribers > 0 {
            let expected = m
                .expected
                .map(|e| format!("of {} expected", count(e)))
                .unwrap_or_default();
            rows.push((
                "Received".into(),
                count(m.received),
                format!("{}   {expected}", per_s(r.received)),
            ));
            if let Some(outstanding) = m.outstanding.filter(|&o| o > 0) {
                rows.push((
                    "  outstanding".into(),
                    count(outstanding),
                    "still arriving when --drain ran out (not counted as lost)".into(),
                ));
            }
            if let Some(lost) = m.lost {
                let why = match (m.lost_unacked, m.lost_after_ack) {
                    (Some(u), Some(a)) if lost > 0 && c.qos > 0 => format!(
                        "{} never acknowledged by the broker, {} dropped after it acknowledged them",
                        count(u),
                        count(a)
                    ),
                    _ => String::new(),
                };
                rows.push(("  lost".into(), count(lost), why));
            }
            if let Some(gaps) = m.gaps {
                rows.push((
                    "  gaps".into(),
                    count(gaps),
                    "numbers skipped within each publisher's sequence".into(),
                ));
            }
            rows.push(("  duplicates".into(), count(m.duplicates), String::new()));
            rows.push(("  out of order".into(), count(m.reordered), String::new()));
            if let Some(stale) = m.stale.filter(|&n| n > 0) {
                rows.push((
                    "  from an earlier run".into(),
                    count(stale),
                    "mqtk headers meant before this run began (same topics): not counted".into(),
                ));
            }
            if m.foreign > 0 {
                rows.push((
                    "  without header".into(),
                    count(m.foreign),
                    "not timed, not sequenced".into(),
                ));
            }
        }
        let s = &self.schedule;
        let lateness = self.latency.send_lateness.as_ref().map(|l| {
            format!(
                "mqtk sent messages p50 {}, p99 {}, max {} after their intended time",
                time_us(l.p50_us),
                time_us(l.p99_us),
                time_us(l.max_us)
            )
        });
        if s.behind {
            let mut what = Vec::new();
            if let (Some(l), Some(limit)) = (&self.latency.send_lateness, s.lateness_limit_us) {
                if l.p99_us > limit {
                    what.push(format!(
                        "p99 send lateness {} (limit {})",
                        time_us(l.p99_us),
                        time_us(limit)
                    ));
                }
            }
            if let Some(unsent) = s.unsent.filter(|&u| u > 0) {
                what.push(format!("{} scheduled messages not sent", count(unsent)));
            }
            if let Some(lag) = s.final_lag_ms.filter(|&l| l > 0.0) {
                what.push(format!("{} late at the end", time_us(lag * 1000.0)));
            }
            if let Some(lag) = s.max_lag_ms {
                what.push(format!("up to {} late", time_us(lag * 1000.0)));
            }
            rows.push((
                "Schedule".into(),
                "BEHIND".into(),
                format!(
                    "{}: the offered load did not go out on time; corrected latencies include mqtk's delay",
                    what.join(", ")
                ),
            ));
        } else if let Some(lateness) = lateness {
            rows.push(("Schedule".into(), "kept".into(), lateness));
        }
        if let Some(why) = &self.overload {
            rows.push(("OVERLOAD".into(), String::new(), why.clone()));
        }
        let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (label, value, note) in rows {
            let line = format!("  {label:<w0$}  {value:>w1$}   {note}");
            let _ = writeln!(out, "{}", line.trim_end());
        }

        let latencies = [
            ("connect → CONNACK", &self.latency.connect),
            ("publish → ack", &self.latency.ack),
            ("end to end (corrected)", &self.latency.e2e_corrected),
            ("end to end (uncorrected)", &self.latency.e2e_uncorrected),
            ("send lateness (mqtk)", &self.latency.send_lateness),
        ];
        let present: Vec<_> = latencies
            .iter()
            .filter_map(|(name, l)| l.as_ref().map(|l| (*name, l)))
            .collect();
        if !present.is_empty() {
            let _ = writeln!(out);
            let heads = [
                "min", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "stdev", "count",
            ];
            let table: Vec<Vec<String>> = present
                .iter()
                .map(|(_, l)| {
                    let mut cells: Vec<String> = [
                        l.min_us,
                        l.p50_us,
                        l.p90_us,
                        l.p99_us,
                        l.p99_9_us,
                        l.p99_99_us,
                        l.max_us,
                        l.mean_us,
                        l.stdev_us,
                    ]
                    .iter()
                    .map(|&us| time_us(us))
                    .collect();
                    cells.push(count(l.count));
                    cells
                })
                .collect();
            let name_width = present
                .iter()
                .map(|(n, _)| n.chars().count())
                .max()
                .unwrap_or(0);
            let widths: Vec<usize> = (0..heads.len())
                .map(|i| {
                    table
                        .iter()
                        .map(|row| row[i].chars().count())
                        .chain([heads[i].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let mut line = format!("  {:<name_width$}", "Latency");
            for (head, width) in heads.iter().zip(&widths) {
                let _ = write!(line, "  {head:>width$}");
            }
            let _ = writeln!(out, "{line}");
            for ((name, _), row) in present.iter().zip(&table) {
                let mut line = format!("  {name:<name_width$}");
                for (cell, width) in row.iter().zip(&widths) {
                    let _ = write!(line, "  {cell:>width$}");
                }
                let _ = writeln!(out, "{line}");
            }
            let (corrected, uncorrected) =
                (&self.latency.e2e_corrected, &self.latency.e2e_uncorrected);
            if corrected.is_some() && corrected == uncorrected {
                let _ = writeln!(
                    out,
                    "  {}",
                    if self.mode == "sub" {
                        "(the publishers sent unpaced, each message when it could: corrected = uncorrected)"
                    } else {
                        "(no --rate or --interval: messages go out when they can, so corrected = uncorrected)"
                    }
                );
            }
            if let Some(pause) = c.read_pause_ms {
                let _ = writeln!(
                    out,
                    "  (flat out at QoS 0 the subscribers read every {pause} ms or more while messages stream in: latencies include that wait)"
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_units_that_suit_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1 234 567");
        assert_eq!(rate(75_123.4), "75 123/s");
        assert_eq!(rate(2.5), "2.50/s");
        assert_eq!(time_us(12.34), "12.3 µs");
        assert_eq!(time_us(1_234.0), "1.23 ms");
        assert_eq!(time_us(1_500_000.0), "1.500 s");
    }
}

//! Turns what the workers hand back into the report: merged histograms, the accounting of
//! every publisher's sequence against every subscriber that should have seen it, rates over
//! the measured window, and whether the schedule was kept.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use super::evidence::{
    publisher_record, subscriber_record, DrainEnd, Evidence, PublisherRecord, Shape, ShardRecord,
    SubscriberRecord,
};
use super::header::BenchClock;
use super::plan::{Mode, Pace, Plan, Stop};
use super::stats::{Latency, Sequence};
use super::worker::{Snapshot, ThreadOutcome};
use crate::conn::codes::reason_text;
use crate::output::bench::{
    rate, time_us, Clients, Config, Histograms, Latencies, Messages, Rates, Report, Schedule,
    Second, ThreadIo,
};

/// Sending stopped this much behind the schedule (or more): the generator fell behind.
const LAG_TOLERANCE: Duration = Duration::from_millis(10);
/// The schedule counts as kept while 99 % of messages go out at most this long after their
/// intended time; beyond it, mqtk's own delay would weigh in the corrected latencies.
pub const LATENESS_LIMIT_US: f64 = 1_000.0;

/// One second of the counters.
#[derive(Debug, Clone)]
pub struct Progress {
    pub second: u64,
    pub now: Snapshot,
    pub previous: Snapshot,
    pub p99_us: Option<f64>,
    /// The second's headline latency histogram, encoded (see [`Latency::encoded`]).
    pub latency: Option<String>,
}

/// The cause shown for clients whose task failed (their counts are missing).
pub const CRASHED: &str = "mqtk's client task failed (a bug in mqtk; its counts are missing)";

/// Everything one process's report is built from.
pub struct Run<'a> {
    pub plan: &'a Plan,
    pub started_at: chrono::DateTime<chrono::Local>,
    /// Maps the instants below to wall-clock time (shards line up by it): the payloads' clock.
    pub clock: BenchClock,
    pub start: Instant,
    /// When publishing began (None when the run never got there).
    pub t0: Option<Instant>,
    /// When sending stopped (the schedule's end, the publishers' last message, or a signal).
    pub stopped: Option<Instant>,
    pub end: Instant,
    /// How the drain ended (runs that publish).
    pub drain: DrainEnd,
    pub interrupted: bool,
    pub connected: u64,
    pub outcomes: Vec<ThreadOutcome>,
    pub series: Vec<Progress>,
}

/// The totals a report is computed from: one process's, or the sum of shards' reports.
#[derive(Debug, Default)]
pub struct Totals {
    pub connect: Latency,
    pub ack: Latency,
    pub e2e_corrected: Latency,
    pub e2e_uncorrected: Latency,
    pub lateness: Latency,
    pub connect_failures: BTreeMap<String, u64>,
    pub disconnects: BTreeMap<String, u64>,
}

/// What a report is computed from: one process's run ([`parts_of`]) or the shards'
/// reports of one run (`bench merge`). Both go through [`compose`], so a merged report is
/// the report one process would have written.
pub struct Parts {
    pub shape: Shape,
    pub mode: String,
    pub broker: String,
    pub started_at: String,
    pub config: Config,
    pub totals: Totals,
    pub io: Vec<ThreadIo>,
    pub series: Vec<Second>,
    pub evidence: Evidence,
}

pub fn build(run: Run) -> Report {
    compose(parts_of(run))
}

/// One process's run as [`Parts`]: instants become wall-clock microseconds, outcomes
/// become records.
pub fn parts_of(run: Run) -> Parts {
    let plan = run.plan;
    let clock = run.clock;
    let mut totals = Totals::default();
    let mut publishers: Vec<PublisherRecord> = Vec::new();
    let mut subscribers: Vec<SubscriberRecord> = Vec::new();
    let mut crashed = 0;
    let mut io = Vec::new();
    let mut last_connected: Option<Instant> = None;
    for outcome in run.outcomes {
        crashed += outcome.crashed;
        io.push(thread_io(plan.shard.index, &outcome));
        let s = outcome.stats;
        totals.connect.merge(&s.connect);
        totals.ack.merge(&s.ack);
        totals.e2e_corrected.merge(&s.e2e_corrected);
        totals.e2e_uncorrected.merge(&s.e2e_uncorrected);
        totals.e2e_corrected.merge(&s.e2e_same);
        totals.e2e_uncorrected.merge(&s.e2e_same);
        totals.lateness.merge(&s.lateness);
        for (k, v) in s.connect_failures {
            *totals.connect_failures.entry(k).or_default() += v;
        }
        for (k, v) in s.disconnects {
            *totals.disconnects.entry(k).or_default() += v;
        }
        last_connected = last_connected.max(s.last_connected);
        publishers.extend(
            outcome
                .publishers
                .into_iter()
                .map(|p| publisher_record(plan, &clock, p)),
        );
        subscribers.extend(
            outcome
                .subscribers
                .into_iter()
                .map(|s| subscriber_record(&clock, s)),
        );
    }
    publishers.sort_by_key(|p| p.index);
    subscribers.sort_by_key(|s| s.index);
    let us = |at: Instant| clock.at_us(at);
    let shard = ShardRecord {
        index: plan.shard.index,
        count: plan.shard.count,
        clients: [plan.local.start as u64, plan.local.end as u64],
        reported: true,
        host: hostname(),
        started_at: Some(
            run.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        ),
        start_us: us(run.start),
        last_connected_us: last_connected.map(us),
        t0_us: run.t0.map(us),
        window_from_us: run.t0.map(|t0| us(t0 + plan.warmup)),
        window_to_us: run.stopped.map(us),
        end_us: us(run.end),
        drain: run.drain,
        interrupted: run.interrupted,
        connected: run.connected,
        crashed,
    };
    let series = run
        .series
        .iter()
        .map(|p| Second {
            t_s: p.second,
            connected: p.now.connected.saturating_sub(p.now.disconnected),
            sent: p.now.sent.saturating_sub(p.previous.sent),
            acked: p.now.acked.saturating_sub(p.previous.acked),
            received: p.now.received.saturating_sub(p.previous.received),
            errors: p.now.connect_failed + p.now.disconnected + p.now.rejected,
            subscriber_reads: p.now.reads.saturating_sub(p.previous.reads),
            subscriber_read_bytes: p.now.read_bytes.saturating_sub(p.previous.read_bytes),
            publisher_writes: p.now.writes.saturating_sub(p.previous.writes),
            publisher_write_bytes: p.now.write_bytes.saturating_sub(p.previous.write_bytes),
            p99_us: p.p99_us,
            at_us: us(run.start + Duration::from_secs(p.second)),
            latency: p.latency.clone(),
        })
        .collect();
    Parts {
        shape: plan.shape(),
        mode: plan.mode.name().to_string(),
        broker: broker_display(plan),
        started_at: run
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        config: config(plan),
        totals,
        io,
        series,
        evidence: Evidence {
            shards: vec![shard],
            publishers,
            subscribers,
        },
    }
}

/// The broker, or the brokers `-h`/`-L` listed.
fn broker_display(plan: &Plan) -> String {
    let names: Vec<String> = plan.each_broker().map(|b| b.broker_display()).collect();
    names.join(", ")
}

/// This machine's name, for telling shards apart.
fn hostname() -> Option<String> {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
}

/// The cause shown for clients of a shard whose report never came.
pub fn missing_shard(shard: &ShardRecord) -> String {
    format!(
        "shard {} of {} sent no report (killed or failed): its clients' counts are missing",
        shard.index, shard.count
    )
}

/// The report of [`Parts`]: merged histograms, every publisher's sequence against every
/// subscriber that should have seen it, rates over the measured window, whether the
/// schedule was kept.
pub fn compose(parts: Parts) -> Report {
    let Parts {
        shape,
        mode,
        broker,
        started_at,
        config,
        mut totals,
        io,
        series,
        evidence,
    } = parts;
    let shards = &evidence.shards;
    let publishers = &evidence.publishers;
    let subscribers = &evidence.subscribers;
    let reported: Vec<&ShardRecord> = shards.iter().filter(|s| s.reported).collect();
    let origin = reported.iter().map(|s| s.start_us).min().unwrap_or(0);
    // Seconds since the first shard's first connection attempt.
    let since_origin = |us: u64| us.saturating_sub(origin) as f64 / 1e6;
    let interrupted = reported.iter().any(|s| s.interrupted);
    let still_arriving = reported
        .iter()
        .any(|s| s.drain == DrainEnd::CutWhileArriving);
    let connected: u64 = reported.iter().map(|s| s.connected).sum();
    let crashed: u64 = reported.iter().map(|s| s.crashed).sum();
    if crashed > 0 {
        *totals.disconnects.entry(CRASHED.into()).or_default() += crashed;
    }
    for shard in shards.iter().filter(|s| !s.reported) {
        *totals
            .connect_failures
            .entry(missing_shard(shard))
            .or_default() += shard.client_count();
    }
    // A lone shard of several cannot tell what its subscribers should have received
    // from publishers elsewhere: loss is accounted once the shards are merged.
    let count = shards.first().map_or(1, |s| s.count);
    let indices: HashSet<u32> = shards.iter().map(|s| s.index).collect();
    let complete = (0..count).all(|i| indices.contains(&i));
    let all_reported = complete && shards.iter().all(|s| s.reported);
    // The publishers of the shards that reported (publishers come first in the run's
    // order): what was scheduled and offered is theirs, not a missing shard's.
    let present_publishers: Vec<std::ops::Range<u32>> = reported
        .iter()
        .map(|s| {
            let end = s.clients[1].min(u64::from(shape.publishers)) as u32;
            (s.clients[0].min(u64::from(end)) as u32)..end
        })
        .filter(|range| !range.is_empty())
        .collect();
    let present_count: u64 = present_publishers
        .iter()
        .map(|r| u64::from(r.len() as u32))
        .sum();
    let clients = Clients {
        total: shards.iter().map(ShardRecord::client_count).sum(),
        connected,
        failed: totals.connect_failures.values().sum(),
        connect_failures: std::mem::take(&mut totals.connect_failures),
        disconnected: totals.disconnects.values().sum(),
        disconnects: std::mem::take(&mut totals.disconnects),
    };
    let mut messages = account(
        &shape,
        publishers,
        subscribers,
        still_arriving,
        complete,
        all_reported,
        &present_publishers,
    );
    if interrupted && shape.pace != Pace::Unlimited {
        // Only what fell due before the signal was asked for.
        messages.scheduled = Some(publishers.iter().map(|p| p.due).sum());
    }

    let measure_start = reported.iter().filter_map(|s| s.window_from_us).min();
    let stopped = reported.iter().filter_map(|s| s.window_to_us).max();
    let end = reported.iter().map(|s| s.end_us).max().unwrap_or(origin);
    // The measured window ends with the last event it counts, but is never shorter than
    // the schedule says (--duration; --count at a paced rate also spans one more period),
    // so a run that kept its schedule reports exactly the offered rate. An interrupted run
    // covers the time it ran.
    let ran = match (measure_start, stopped) {
        (Some(from), Some(to)) => to.saturating_sub(from) as f64 / 1e6,
        _ => 0.0,
    };
    let nominal = match (shape.stop, shape.offered_rate()) {
        (Stop::Duration(d), _) => d.as_secs_f64(),
        (Stop::Count(_), Some(rate)) => 1.0 / rate,
        (Stop::Count(_), None) => 0.0,
    };
    let window = |last: Option<u64>| -> Option<f64> {
        let (from, to) = (measure_start?, last?);
        let mut seconds = to.checked_sub(from)? as f64 / 1e6;
        seconds = match shape.stop {
            _ if interrupted => seconds.max(ran),
            Stop::Duration(_) => seconds.max(nominal),
            Stop::Count(_) => seconds + nominal,
        };
        (seconds > 0.0).then_some(seconds)
    };
    let last_sent = publishers.iter().filter_map(|p| p.last_sent_us).max();
    let last_acked = publishers.iter().filter_map(|p| p.last_acked_us).max();
    let last_received = subscribers.iter().filter_map(|s| s.last_received_us).max();
    let per_second = |n: u64, last: Option<u64>| window(last).map(|s| n as f64 / s);
    let sent_measured: u64 = publishers.iter().map(|p| p.sent_measured).sum();
    let acked_measured: u64 = publishers.iter().map(|p| p.acked_measured).sum();
    let received_measured: u64 = subscribers.iter().map(|s| s.received_measured).sum();
    let last_connected = reported.iter().filter_map(|s| s.last_connected_us).max();
    let ramp_up = last_connected.map(since_origin).unwrap_or_default();
    // A lone shard, or a merge missing a shard, was offered its publishers' share.
    let offered = shape.offered_rate().map(|rate| {
        if shape.publishers == 0 || present_count == u64::from(shape.publishers) {
            rate
        } else {
            rate * present_count as f64 / f64::from(shape.publishers)
        }
    });
    let rates = Rates {
        offered,
        sent: per_second(sent_measured, last_sent),
        acked: (shape.qos > 0)
            .then(|| per_second(acked_measured, last_acked))
            .flatten(),
        received: per_second(received_measured, last_received),
        connects: (connected > 0 && ramp_up > 0.0).then(|| connected as f64 / ramp_up),
    };
    let measured_s = match shape.mode {
        Mode::Conn | Mode::Sub => window(stopped.or(Some(end))),
        Mode::Pub | Mode::PubSub => window(last_sent.max(last_received).max(last_acked)),
    }
    .unwrap_or(0.0);

    let paced = shape.pace != Pace::Unlimited;
    let max_lag_us = publishers.iter().map(|p| p.max_lag_us).max().unwrap_or(0);
    let final_lag_us = publishers.iter().map(|p| p.final_lag_us).max().unwrap_or(0);
    let unsent = messages.scheduled.map(|s| s.saturating_sub(messages.sent));
    let lateness = paced.then(|| totals.lateness.summary()).flatten();
    let too_late = lateness.is_some_and(|l| l.p99_us > LATENESS_LIMIT_US);
    let schedule = Schedule {
        behind: paced
            && (too_late
                || unsent.is_some_and(|u| u > 0)
                || final_lag_us as u128 > LAG_TOLERANCE.as_micros()),
        lateness_limit_us: paced.then_some(LATENESS_LIMIT_US),
        unsent: paced.then_some(unsent).flatten(),
        max_lag_ms: paced.then(|| max_lag_us as f64 / 1e3),
        final_lag_ms: paced.then(|| final_lag_us as f64 / 1e3),
    };
    let has_subscribers = shape.subscribers > 0;
    let latency = Latencies {
        connect: totals.connect.summary(),
        ack: (shape.qos > 0 && shape.publishers > 0)
            .then(|| totals.ack.summary())
            .flatten(),
        e2e_corrected: has_subscribers
            .then(|| totals.e2e_corrected.summary())
            .flatten(),
        e2e_uncorrected: has_subscribers
            .then(|| totals.e2e_uncorrected.summary())
            .flatten(),
        send_lateness: lateness,
    };
    let histograms = Histograms {
        connect: totals.connect.encoded(),
        ack: latency.ack.and(totals.ack.encoded()),
        e2e_corrected: latency.e2e_corrected.and(totals.e2e_corrected.encoded()),
        e2e_uncorrected: latency
            .e2e_uncorrected
            .and(totals.e2e_uncorrected.encoded()),
        send_lateness: latency.send_lateness.and(totals.lateness.encoded()),
    };

    let overload = overload(
        &shape,
        &messages,
        &rates,
        &series,
        measure_start.map(since_origin).unwrap_or(0.0),
        stopped.map(since_origin).unwrap_or(f64::MAX),
    );

    Report {
        mqtk_version: env!("CARGO_PKG_VERSION").to_string(),
        mode,
        broker,
        started_at,
        interrupted,
        config,
        elapsed_s: since_origin(end),
        ramp_up_s: ramp_up,
        measured_s,
        clients,
        messages,
        rates,
        schedule,
        overload,
        latency,
        histograms,
        io,
        series,
        evidence,
    }
}

fn thread_io(shard: u32, outcome: &ThreadOutcome) -> ThreadIo {
    let (publishers, subscribers, idle) = outcome.roles;
    let io = outcome.stats.io;
    ThreadIo {
        shard,
        publishers,
        subscribers,
        idle,
        cpu_s: outcome.usage.cpu.as_secs_f64(),
        voluntary_context_switches: outcome.usage.voluntary_switches,
        involuntary_context_switches: outcome.usage.involuntary_switches,
        publisher_writes: io.publisher_writes,
        publisher_write_bytes: io.publisher_write_bytes,
        subscriber_reads: io.subscriber_reads,
        subscriber_read_bytes: io.subscriber_read_bytes,
        gate_waits: io.gate_waits,
        gate_timeouts: io.gate_timeouts,
    }
}

/// A run is overloaded when less than this share of the offered rate got through...
const SHORTFALL: f64 = 0.95;
/// ...or when the headline latency's p99 in the last third of the measured seconds is this
/// many times that of the first third...
const GROWTH: f64 = 2.0;
/// ...and above this (growth from 50 µs to 120 µs is noise, not a queue)...
const GROWTH_FLOOR_US: f64 = 10_000.0;
/// ...judged on whole measured seconds only, at least this many in each third, a third's
/// p99 being the median of its seconds' p99s. A queue that builds keeps every later second
/// slow; a stall of the machine or the broker (tens of milliseconds on a shared host) spoils
/// one second, which the median sets aside. A partial second at either end holds a handful
/// of messages whose p99 is their maximum: one late message there read as a growing queue.
const GROWTH_SECONDS_PER_THIRD: usize = 3;

/// Whether the broker (or the path to it) did not keep up, in one line, or None.
fn overload(
    plan: &Shape,
    messages: &Messages,
    rates: &Rates,
    series: &[Second],
    measured_from_s: f64,
    measured_to_s: f64,
) -> Option<String> {
    if plan.mode == Mode::Conn {
        return None;
    }
    let sent_rate = rates
        .sent
        .map(|r| format!(" at {} sent", rate(r)))
        .unwrap_or_default();
    // The load asked for; flat out, what mqtk managed to send is the load.
    let load = match (rates.offered, rates.sent) {
        (Some(offered), _) => Some((offered, "offered")),
        (None, Some(sent)) => Some((sent, "sent")),
        _ => None,
    };
    if let Some((load, asked)) = load {
        // What reaches the end of the chain: deliveries, else acknowledgements, else sends.
        let deliveries_per_message = match (messages.expected, messages.sent) {
            (Some(expected), sent) if sent > 0 => Some(expected as f64 / sent as f64),
            _ => None,
        };
        let reached = match (plan.mode, deliveries_per_message, plan.qos) {
            (Mode::PubSub, Some(fanout), _) if fanout > 0.0 => {
                Some(("delivered", rates.received, load * fanout))
            }
            (Mode::Pub | Mode::PubSub, _, qos) if qos > 0 => {
                Some(("acknowledged", rates.acked, load))
            }
            (Mode::Pub | Mode::PubSub, _, _) if asked == "offered" => {
                Some(("sent", rates.sent, load))
            }
            _ => None,
        };
        if let Some((what, Some(achieved), target)) = reached {
            if achieved < SHORTFALL * target {
                return Some(format!(
                    "{what} {} of the {} {asked}: messages queued faster than they drained",
                    rate(achieved),
                    rate(target)
                ));
            }
        }
    }
    let (first, last) = latency_growth(series, measured_from_s, measured_to_s)?;
    let latency = match plan.mode {
        Mode::Pub => "publish → ack",
        _ => "end-to-end",
    };
    Some(format!(
        "{latency} p99 grew from {} in the first third of the run to {} in the last{sent_rate}: messages queued faster than they drained",
        time_us(first),
        time_us(last)
    ))
}

/// The headline p99 of the first and the last third of the whole seconds inside the
/// measured window `[from_s, to_s]` (seconds since the first connection attempt), when the
/// last is over [`GROWTH`] times the first and over [`GROWTH_FLOOR_US`]; None otherwise or
/// when the window holds too few whole seconds to tell a trend from one slow second.
fn latency_growth(series: &[Second], from_s: f64, to_s: f64) -> Option<(f64, f64)> {
    // A second's row covers (t_s − 1, t_s].
    let p99s: Vec<f64> = series
        .iter()
        .filter(|s| s.t_s as f64 - 1.0 >= from_s && s.t_s as f64 <= to_s)
        .filter_map(|s| s.p99_us)
        .collect();
    let third = p99s.len() / 3;
    if third < GROWTH_SECONDS_PER_THIRD {
        return None;
    }
    let median = |values: &[f64]| {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (first, last) = (median(&p99s[..third]), median(&p99s[p99s.len() - third..]));
    (last > GROWTH * first && last > GROWTH_FLOOR_US).then_some((first, last))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn config(plan: &Plan) -> Config {
    let (rate, interval_ms) = match plan.pace {
        Pace::Unlimited => (None, None),
        Pace::Rate(rate) => (Some(rate), None),
        Pace::Interval(interval) => (None, Some(ms(interval))),
    };
    let (count, duration_s) = match plan.stop {
        Stop::Count(n) => (Some(n), None),
        Stop::Duration(d) => (None, Some(d.as_secs_f64())),
    };
    let publishing = plan.publishers > 0;
    Config {
        clients: plan.total_clients() as u32,
        publishers: plan.publishers,
        subscribers: plan.subscribers,
        protocol: plan.conn.version.as_str().to_string(),
        topic: plan
            .topic
            .as_ref()
            .map(|t| t.source().to_string())
            .or_else(|| plan.topic_echo.clone()),
        filter: plan.filter.as_ref().map(|f| f.source().to_string()),
        shared: plan.shared.clone(),
        qos: plan.qos,
        retain: plan.retain,
        size: publishing.then_some(plan.size as u64),
        inflight: plan.inflight,
        rate,
        interval_ms,
        count: publishing.then_some(count).flatten(),
        duration_s: if publishing || count.is_none() {
            duration_s
        } else {
            None
        },
        warmup_s: plan.warmup.as_secs_f64(),
        drain_s: plan.drain.as_secs_f64(),
        connect_rate: plan.connect_rate,
        id_prefix: plan.id_prefix.clone(),
        start_number: plan.start_number,
        keepalive_s: plan.conn.keepalive.as_secs(),
        threads: plan.threads,
        send_buffer_bytes: plan.conn.send_buffer.map(|b| b as u64),
        read_pause_ms: (!plan.read_pause.is_zero()).then_some(plan.read_pause.as_secs_f64() * 1e3),
        in_flight_window: plan.gate_window,
    }
}

/// Sent, acknowledged, received, lost: each publisher's sequence against every subscriber
/// that should have seen it (a shared group counts as one subscriber). `complete`: every
/// shard's part is here (loss is only known then).
fn account(
    shape: &Shape,
    publishers: &[PublisherRecord],
    subscribers: &[SubscriberRecord],
    still_arriving: bool,
    complete: bool,
    all_reported: bool,
    present_publishers: &[std::ops::Range<u32>],
) -> Messages {
    let sent: u64 = publishers.iter().map(|p| p.sent).sum();
    let acked: u64 = publishers.iter().map(|p| p.acked).sum();
    let mut rejected_by_reason = BTreeMap::new();
    for p in publishers {
        for (&code, &n) in &p.rejected {
            *rejected_by_reason
                .entry(format!("{} (0x{code:02X})", reason_text(code)))
                .or_insert(0) += n;
        }
    }
    let rejected: u64 = rejected_by_reason.values().sum();
    let in_flight: u64 = publishers.iter().map(|p| p.unacked.len() as u64).sum();
    // Every present publisher's share, connected or not.
    let scheduled = present_publishers
        .iter()
        .flat_map(|range| range.clone())
        .map(|index| shape.scheduled(index))
        .sum::<Option<u64>>()
        .filter(|_| !present_publishers.is_empty());
    // With a shard's report missing, what its publishers delivered to the shards here is
    // not counted: nothing of theirs is expected either.
    let known: Option<HashSet<u32>> = (!all_reported && shape.mode == Mode::PubSub)
        .then(|| publishers.iter().map(|p| p.number).collect());
    let counted = |number: &u32| known.as_ref().is_none_or(|k| k.contains(number));
    let groups = shape.shared.then(|| shared_groups(subscribers));
    let sequences = || -> Box<dyn Iterator<Item = &Sequence>> {
        match &groups {
            Some(groups) => Box::new(
                groups
                    .iter()
                    .filter(move |(n, _)| counted(n))
                    .map(|(_, s)| s),
            ),
            None => Box::new(subscribers.iter().flat_map(move |s| {
                s.sequences
                    .iter()
                    .filter(move |(n, _)| counted(n))
                    .map(|(_, s)| s)
            })),
        }
    };
    let foreign: u64 = subscribers.iter().map(|s| s.foreign).sum();
    let mut messages = Messages {
        scheduled,
        sent,
        acked,
        rejected,
        rejected_by_reason,
        unacked: if shape.qos > 0 {
            in_flight.saturating_sub(rejected)
        } else {
            0
        },
        expected: None,
        received: sequences().map(|s| s.received).sum::<u64>() + foreign,
        duplicates: sequences().map(|s| s.duplicates).sum(),
        reordered: sequences().map(|s| s.reordered).sum(),
        outstanding: None,
        lost: None,
        lost_unacked: None,
        lost_after_ack: None,
        gaps: None,
        foreign,
        stale: (shape.mode == Mode::PubSub).then(|| subscribers.iter().map(|s| s.stale).sum()),
        size_min: subscribers.iter().filter_map(|s| s.size_min).min(),
        size_max: subscribers.iter().filter_map(|s| s.size_max).max(),
    };
    match shape.mode {
        Mode::PubSub if complete => {
            let (expected, missing, lost_unacked, tail) =
                losses(publishers, subscribers, groups.as_ref());
            // Delivery is in order per publisher: numbers missing before a later arrival
            // were dropped; those after the last arrival may still be on their way when the
            // drain was cut while messages kept coming.
            let outstanding = if still_arriving { tail } else { 0 };
            let lost = missing - outstanding;
            let lost_unacked = lost_unacked.min(lost);
            messages.expected = Some(expected);
            messages.outstanding = Some(outstanding);
            messages.lost = Some(lost);
            messages.lost_unacked = Some(lost_unacked);
            messages.lost_after_ack = Some(lost - lost_unacked);
        }
        Mode::Sub => messages.gaps = Some(sequences().map(Sequence::gaps).sum()),
        Mode::PubSub | Mode::Pub | Mode::Conn => {}
    }
    messages
}

/// With `--shared`: what the group received of each publisher (by number), all members
/// together.
fn shared_groups(subscribers: &[SubscriberRecord]) -> HashMap<u32, Sequence> {
    let numbers: HashSet<u32> = subscribers
        .iter()
        .flat_map(|s| s.sequences.keys().copied())
        .collect();
    numbers
        .into_iter()
        .map(|number| {
            let members = subscribers.iter().filter_map(|s| s.sequences.get(&number));
            (number, Sequence::group(members))
        })
        .collect()
}

/// (expected deliveries, missing, missing among the messages the broker never
/// acknowledged, missing after the last arrival at their subscriber). Subscribers whose
/// shard sent no report are not here: what they should have received is not counted.
fn losses(
    publishers: &[PublisherRecord],
    subscribers: &[SubscriberRecord],
    groups: Option<&HashMap<u32, Sequence>>,
) -> (u64, u64, u64, u64) {
    let empty = Sequence::default();
    let (mut expected, mut lost, mut lost_unacked, mut tail) = (0, 0, 0, 0);
    for p in publishers {
        // Who should have received this publisher's messages (a shared group: once), and
        // what each of them did receive of it.
        let audience: Vec<&Sequence> = match groups {
            Some(_) if p.fanout == 0 => continue,
            Some(groups) => vec![groups.get(&p.number).unwrap_or(&empty)],
            None => subscribers
                .iter()
                .filter(|s| p.reaches(s.index))
                .map(|s| s.sequences.get(&p.number).unwrap_or(&empty))
                .collect(),
        };
        for sequence in audience {
            expected += p.sent;
            lost += sequence.lost(p.sent);
            lost_unacked += p.unacked.iter().filter(|&&seq| !sequence.has(seq)).count() as u64;
            tail += p.sent - sequence.end().min(p.sent);
        }
    }
    (expected, lost, lost_unacked, tail.min(lost))
}

/// Why the run counts as degraded (exit 77), or None when everything went through.
pub fn degraded(report: &Report) -> Option<String> {
    let c = &report.clients;
    let m = &report.messages;
    let mut why = Vec::new();
    let missing: Vec<&ShardRecord> = report
        .evidence
        .shards
        .iter()
        .filter(|s| !s.reported)
        .collect();
    let missing_clients: u64 = missing.iter().map(|s| s.client_count()).sum();
    if !missing.is_empty() {
        let indices: Vec<String> = missing.iter().map(|s| s.index.to_string()).collect();
        why.push(format!(
            "shard {} of {} sent no report ({missing_clients} clients missing)",
            indices.join(", "),
            report.evidence.shards.len()
        ));
    }
    let failed = c.failed.saturating_sub(missing_clients);
    if failed > 0 {
        why.push(format!("{failed} of {} clients failed to connect", c.total));
    }
    if c.disconnected > 0 {
        why.push(format!("{} clients were disconnected", c.disconnected));
    }
    if m.rejected > 0 {
        why.push(format!("{} publishes were rejected", m.rejected));
    }
    if m.unacked > 0 {
        why.push(format!("{} publishes were never acknowledged", m.unacked));
    }
    if let Some(lost) = m.lost.filter(|&l| l > 0) {
        why.push(format!("{lost} messages were lost"));
    }
    if let Some(outstanding) = m.outstanding.filter(|&o| o > 0) {
        why.push(format!(
            "{outstanding} messages were still on their way when --drain {} ran out (give a longer --drain)",
            humantime::format_duration(Duration::from_secs_f64(report.config.drain_s))
        ));
    }
    (!why.is_empty()).then(|| format!("bench: {}", why.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Sequence;
    use crate::bench::worker::{PublisherOutcome, SubscriberOutcome};
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn plan(args: &[&str]) -> Plan {
        let cli = Cli::try_parse_from(["mqtk", "bench"].iter().chain(args)).unwrap();
        let Command::Bench(bench) = cli.command else {
            unreachable!("a bench command line")
        };
        Plan::from_args(&bench.mode).unwrap()
    }

    /// A subscriber whose task failed is a failed client in the report: what it would
    /// have received is not counted as lost by the broker.
    #[test]
    fn a_crashed_client_is_a_failure_not_a_loss() {
        let plan = plan(&["pubsub", "--publishers", "1", "--subscribers", "2"]);
        let start = Instant::now();
        let mut got_all = Sequence::default();
        for n in 0..10 {
            got_all.record(n);
        }
        let outcome = ThreadOutcome {
            crashed: 1,
            publishers: vec![PublisherOutcome {
                fanout: 2,
                sent: 10,
                ..PublisherOutcome::default()
            }],
            subscribers: vec![SubscriberOutcome {
                sequences: [(0, got_all)].into_iter().collect(),
                ..SubscriberOutcome::default()
            }],
            ..ThreadOutcome::default()
        };
        let report = build(Run {
            plan: &plan,
            started_at: chrono::Local::now(),
            clock: BenchClock::new(),
            start,
            t0: Some(start),
            stopped: Some(start),
            end: start,
            drain: DrainEnd::Settled,
            interrupted: false,
            connected: 3,
            outcomes: vec![outcome],
            series: Vec::new(),
        });
        assert_eq!(report.clients.disconnects.get(CRASHED), Some(&1));
        assert_eq!(report.clients.disconnected, 1);
        let m = &report.messages;
        assert_eq!((m.expected, m.received, m.lost), (Some(10), 10, Some(0)));
        assert!(degraded(&report).is_some_and(|why| why.contains("1 clients were disconnected")));
    }

    /// Rows for seconds 1, 2, … with these p99s (µs); the rest of each row is irrelevant here.
    fn seconds(p99s: &[f64]) -> Vec<Second> {
        p99s.iter()
            .zip(1..)
            .map(|(&p99, t_s)| Second {
                t_s,
                connected: 3,
                sent: 200,
                acked: 200,
                received: 200,
                errors: 0,
                subscriber_reads: 0,
                subscriber_read_bytes: 0,
                publisher_writes: 0,
                publisher_write_bytes: 0,
                p99_us: Some(p99),
                at_us: 0,
                latency: None,
            })
            .collect()
    }

    /// A queue that builds through the run is named; a stall that spoils one second is not,
    /// nor is a partial last second of a few messages (a 3 s run whose last 8 ms of sending
    /// met a 30 ms stall exited 79 on CI), nor a run too short to show a trend.
    #[test]
    fn latency_growth_is_a_trend_not_one_slow_second() {
        let flat = [10_500.0; 12];
        assert_eq!(latency_growth(&seconds(&flat), 0.01, 12.01), None);

        let mut queue = flat;
        for (i, p99) in queue.iter_mut().enumerate().skip(6) {
            *p99 = 25_000.0 + 10_000.0 * i as f64;
        }
        // Seconds 2..=12 lie wholly inside the window: 11, thirds of 3.
        assert_eq!(
            latency_growth(&seconds(&queue), 0.01, 12.01),
            Some((10_500.0, 125_000.0))
        );

        let mut stalled = flat;
        stalled[11] = 36_000.0;
        assert_eq!(latency_growth(&seconds(&stalled), 0.01, 12.01), None);

        // The partial second after the window (a few messages) is not part of the trend.
        let mut tail = flat.to_vec();
        tail.push(36_000.0);
        assert_eq!(latency_growth(&seconds(&tail), 0.01, 12.01), None);

        // 3 s at 200/s: seconds 2 and 3 are whole, the 4th holds the last 10 ms of sending.
        let short = [10_500.0, 10_500.0, 10_500.0, 36_000.0];
        assert_eq!(latency_growth(&seconds(&short), 0.01, 3.01), None);
        // Growth under the floor is noise.
        let small: Vec<f64> = (0..12).map(|i| 100.0 + 600.0 * i as f64).collect();
        assert_eq!(latency_growth(&seconds(&small), 0.01, 12.01), None);
    }
}

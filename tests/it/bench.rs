//! `mqtk bench` against a real mosquitto: exact counts per QoS, the achieved rate of an
//! open-loop schedule, many connections, coordinated omission made visible by a frozen
//! broker, a killed broker, Ctrl-C, usage errors, and the JSON report's frozen shape.
//! Counts are asserted, never timings (the one latency test freezes the broker for longer
//! than any noise on this machine).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::broker::Broker;
use crate::util::{assert_fails, mqtk, run, SubProcess};

// The report as the README documents it; unknown fields fail the test, so a change to the
// shape has to change this file (and the README) too.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Report {
    mqtk_version: String,
    mode: String,
    broker: String,
    started_at: String,
    interrupted: bool,
    config: Config,
    elapsed_s: f64,
    ramp_up_s: f64,
    measured_s: f64,
    clients: Clients,
    messages: Messages,
    rates: Rates,
    schedule: Schedule,
    overload: Option<String>,
    latency: Latencies,
    histograms: Histograms,
    io: Vec<ThreadIo>,
    series: Vec<Second>,
    evidence: Evidence,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
pub struct Evidence {
    pub shards: Vec<ShardRecord>,
    pub publishers: Vec<PublisherRecord>,
    pub subscribers: Vec<SubscriberRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    pub clients: [u64; 2],
    pub reported: bool,
    pub host: Option<String>,
    pub started_at: Option<String>,
    pub start_us: u64,
    pub last_connected_us: Option<u64>,
    pub t0_us: Option<u64>,
    pub window_from_us: Option<u64>,
    pub window_to_us: Option<u64>,
    pub end_us: u64,
    pub drain: String,
    pub interrupted: bool,
    pub connected: u64,
    pub crashed: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
pub struct PublisherRecord {
    pub index: u32,
    pub number: u32,
    pub fanout: u32,
    pub audience: Vec<[u64; 2]>,
    pub scheduled: Option<u64>,
    pub sent: u64,
    pub sent_measured: u64,
    pub acked: u64,
    pub acked_measured: u64,
    pub rejected: BTreeMap<String, u64>,
    pub unacked: Vec<u64>,
    pub max_lag_us: u64,
    pub due: u64,
    pub final_lag_us: u64,
    pub last_sent_us: Option<u64>,
    pub last_acked_us: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
pub struct SubscriberRecord {
    pub index: u32,
    pub sequences: BTreeMap<String, SequenceRecord>,
    pub received_measured: u64,
    pub foreign: u64,
    pub size_min: Option<u64>,
    pub size_max: Option<u64>,
    pub stale: u64,
    pub last_received_us: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
pub struct SeenRecord {
    pub base: u64,
    pub words: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
pub struct SequenceRecord {
    pub first: u64,
    pub next: u64,
    pub missing: Vec<[u64; 2]>,
    pub seen: Option<SeenRecord>,
    pub received: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Histograms {
    connect: Option<String>,
    ack: Option<String>,
    e2e_corrected: Option<String>,
    e2e_uncorrected: Option<String>,
    send_lateness: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Config {
    clients: u32,
    publishers: u32,
    subscribers: u32,
    protocol: String,
    topic: Option<String>,
    filter: Option<String>,
    shared: Option<String>,
    qos: u8,
    retain: bool,
    size: Option<u64>,
    inflight: u16,
    rate: Option<f64>,
    interval_ms: Option<f64>,
    count: Option<u64>,
    duration_s: Option<f64>,
    warmup_s: f64,
    drain_s: f64,
    connect_rate: Option<f64>,
    id_prefix: String,
    start_number: u32,
    keepalive_s: u64,
    threads: usize,
    send_buffer_bytes: Option<u64>,
    read_pause_ms: Option<f64>,
    in_flight_window: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct ThreadIo {
    shard: u32,
    publishers: u32,
    subscribers: u32,
    idle: u32,
    cpu_s: f64,
    voluntary_context_switches: u64,
    involuntary_context_switches: u64,
    publisher_writes: u64,
    publisher_write_bytes: u64,
    subscriber_reads: u64,
    subscriber_read_bytes: u64,
    gate_waits: u64,
    gate_timeouts: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Clients {
    total: u64,
    connected: u64,
    failed: u64,
    connect_failures: BTreeMap<String, u64>,
    disconnected: u64,
    disconnects: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Messages {
    scheduled: Option<u64>,
    sent: u64,
    acked: u64,
    rejected: u64,
    rejected_by_reason: BTreeMap<String, u64>,
    unacked: u64,
    expected: Option<u64>,
    outstanding: Option<u64>,
    received: u64,
    duplicates: u64,
    reordered: u64,
    lost: Option<u64>,
    lost_unacked: Option<u64>,
    lost_after_ack: Option<u64>,
    gaps: Option<u64>,
    foreign: u64,
    stale: Option<u64>,
    size_min: Option<u64>,
    size_max: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Rates {
    offered: Option<f64>,
    sent: Option<f64>,
    acked: Option<f64>,
    received: Option<f64>,
    connects: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Schedule {
    behind: bool,
    lateness_limit_us: Option<f64>,
    unsent: Option<u64>,
    max_lag_ms: Option<f64>,
    final_lag_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Latencies {
    connect: Option<Summary>,
    ack: Option<Summary>,
    e2e_corrected: Option<Summary>,
    e2e_uncorrected: Option<Summary>,
    send_lateness: Option<Summary>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Summary {
    count: u64,
    min_us: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    p99_9_us: f64,
    p99_99_us: f64,
    max_us: f64,
    mean_us: f64,
    stdev_us: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every field is parsed to freeze the shape; not all are asserted
struct Second {
    t_s: u64,
    connected: u64,
    sent: u64,
    acked: u64,
    received: u64,
    errors: u64,
    subscriber_reads: u64,
    subscriber_read_bytes: u64,
    publisher_writes: u64,
    publisher_write_bytes: u64,
    p99_us: Option<f64>,
    at_us: u64,
    latency: Option<String>,
}

/// `json` read as the frozen report shape (panics with the first field that differs), then
/// as a value for a test to look into.
pub fn frozen(json: &str) -> serde_json::Value {
    let _: Report = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("not the report's frozen shape ({e}): {json}"));
    serde_json::from_str(json).unwrap()
}

/// `mqtk bench MODE -p PORT --json - ARGS…` on 127.0.0.1.
fn bench(broker: &Broker, mode: &str, args: &[&str]) -> Command {
    bench_at(broker.port, mode, args)
}

/// The same against any port (a relay in front of the broker).
pub fn bench_at(port: u16, mode: &str, args: &[&str]) -> Command {
    let mut cmd = mqtk();
    cmd.args(["bench", mode, "-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["--json", "-", "--connect-timeout", "10s"])
        .args(args);
    cmd
}

/// Runs to the end; returns the exit code and the parsed report.
fn report_of(cmd: Command) -> (i32, Report) {
    parse_report(cmd)
}

/// Runs to the end; the exit code and the report read as `R` (the whole frozen shape here,
/// the parts another test reads elsewhere).
pub fn parse_report<R: serde::de::DeserializeOwned>(cmd: Command) -> (i32, R) {
    let out = run(cmd, b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not a report ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), report)
}

fn assert_summary_sane(name: &str, s: &Summary) {
    assert!(s.count > 0, "{name}: {s:?}");
    let ordered = [
        s.min_us,
        s.p50_us,
        s.p90_us,
        s.p99_us,
        s.p99_9_us,
        s.p99_99_us,
        s.max_us,
    ];
    assert!(
        ordered.windows(2).all(|w| w[0] <= w[1]),
        "{name}: percentiles out of order {s:?}"
    );
    assert!(s.min_us <= s.mean_us && s.mean_us <= s.max_us && s.stdev_us >= 0.0);
}

#[test]
fn pubsub_counts_every_message_exactly_at_each_qos() {
    let broker = Broker::start();
    for qos in ["0", "1", "2"] {
        let (code, r) = report_of(bench(
            &broker,
            "pubsub",
            &[
                "--publishers",
                "4",
                "--subscribers",
                "2",
                "--count",
                "500",
                "-q",
                qos,
                "-t",
                &format!("counts/{qos}/%i"),
            ],
        ));
        let m = &r.messages;
        assert_eq!(code, 0, "QoS {qos}: {r:?}");
        assert_eq!(r.clients.connected, 6, "QoS {qos}");
        assert_eq!(m.sent, 2000, "QoS {qos}");
        assert_eq!(m.expected, Some(4000), "QoS {qos}");
        assert_eq!(m.received, 4000, "QoS {qos}: {m:?}");
        assert_eq!(m.lost, Some(0), "QoS {qos}");
        assert_eq!(m.duplicates, 0, "QoS {qos}");
        assert_eq!(m.foreign, 0, "QoS {qos}");
        if qos == "0" {
            assert_eq!(m.acked, 0);
            assert!(r.latency.ack.is_none());
        } else {
            assert_eq!((m.acked, m.unacked, m.rejected), (2000, 0, 0), "QoS {qos}");
            assert_summary_sane("ack", r.latency.ack.as_ref().unwrap());
        }
        let e2e = r
            .latency
            .e2e_corrected
            .as_ref()
            .expect("end-to-end latency");
        // Every delivery is timed (no warmup): a subscriber learns t0 before it decodes
        // what a read brought, even when the read raced the phase change.
        assert_eq!(
            e2e.count, m.received,
            "QoS {qos}: {} of {} deliveries timed: {r:?}",
            e2e.count, m.received
        );
        assert_summary_sane("e2e", e2e);
        assert_summary_sane("connect", r.latency.connect.as_ref().unwrap());
    }
}

#[test]
fn fan_out_and_shared_subscriptions_are_accounted_per_audience() {
    let broker = Broker::start();
    // One topic, three subscribers: every message is expected three times.
    let (code, r) = report_of(bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "3",
            "--count",
            "200",
            "-q",
            "1",
            "-t",
            "fanout/one",
        ],
    ));
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.messages.expected, Some(1200));
    assert_eq!(r.messages.received, 1200);
    // A shared group receives each message once between its members.
    let (code, r) = report_of(bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "3",
            "--count",
            "200",
            "-q",
            "1",
            "-t",
            "shared/%i",
            "--shared",
            "g1",
            "-V",
            "5",
        ],
    ));
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.config.filter.as_deref(), Some("shared/+"));
    assert_eq!(r.messages.expected, Some(400));
    assert_eq!(r.messages.received, 400, "{:?}", r.messages);
    assert_eq!(r.messages.lost, Some(0));
    // Pairs: subscriber i listens to publisher i only.
    let (code, r) = report_of(bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "3",
            "--subscribers",
            "3",
            "--count",
            "100",
            "-t",
            "pairs/%i",
            "--filter",
            "pairs/%i",
        ],
    ));
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.messages.expected, Some(300));
    assert_eq!(r.messages.received, 300);
}

/// Flat-out QoS 0 (issue 15). What is in flight is bounded: each socket's send buffer is
/// capped, and each publisher may run at most its window ahead of the newest message a
/// subscriber got from it, so the whole run arrives within the drain (before, 10
/// publishers ended with 200 000+ messages still in kernel buffers, and 1 000 with 1.6 M).
/// And the subscriber's socket is read on a timer, every 2 ms or more, outside the event
/// loop, instead of once per packet (70 000 reads a second before, one or two messages
/// each). Paced and QoS 1 runs keep reading on every wake-up: their latency is the point,
/// and a QoS 1 subscriber's pause would hold back its acknowledgements.
#[test]
fn a_flat_out_qos0_run_reads_in_batches_and_bounds_what_is_in_flight() {
    let broker = Broker::start();
    let (code, r) = report_of(bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "10",
            "--subscribers",
            "1",
            "-q",
            "0",
            "--duration",
            "3s",
            "--drain",
            "5s",
            "-t",
            "batched/%i",
        ],
    ));
    let m = &r.messages;
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.config.send_buffer_bytes, Some(16 * 1024));
    assert_eq!(r.config.read_pause_ms, Some(2.0));
    assert_eq!(r.config.in_flight_window, Some(4096 / 10));
    assert_eq!(m.received, m.sent, "{m:?}");
    assert_eq!((m.lost, m.outstanding), (Some(0), Some(0)), "{m:?}");
    assert!(m.sent > 10_000, "{m:?}");
    let total = |f: fn(&ThreadIo) -> u64| r.io.iter().map(f).sum::<u64>();
    let (reads, read_bytes) = (
        total(|t| t.subscriber_reads),
        total(|t| t.subscriber_read_bytes),
    );
    // One poll per pause at most, each one read plus one per full 64 KiB buffer.
    let bound = (r.elapsed_s * 1000.0 / 2.0) as u64 + read_bytes / 65_536 + 50;
    assert!(
        reads <= bound,
        "{reads} reads > {bound} in {} s: {:?}",
        r.elapsed_s,
        r.io
    );
    // The publishers outran the broker: their windows filled and they waited.
    assert!(total(|t| t.gate_waits) > 0, "{:?}", r.io);
    assert_eq!(total(|t| t.gate_timeouts), 0, "{:?}", r.io);
    assert!(total(|t| t.publisher_writes) > 0, "{:?}", r.io);
    let subscriber_threads = r.io.iter().filter(|t| t.subscribers > 0).count();
    assert_eq!(subscriber_threads, 1, "{:?}", r.io);
    // The series counts the same calls second by second (up to the last full second).
    let by_second: u64 = r.series.iter().map(|s| s.subscriber_reads).sum();
    assert!(
        by_second > 0 && by_second <= reads,
        "{by_second} of {reads}"
    );
    let bytes_by_second: u64 = r.series.iter().map(|s| s.publisher_write_bytes).sum();
    assert!(bytes_by_second <= total(|t| t.publisher_write_bytes));

    for extra in [&["-q", "1"][..], &["-q", "0", "--rate", "200"][..]] {
        let mut args = vec!["--publishers", "2", "--subscribers", "1", "--count", "100"];
        args.extend_from_slice(extra);
        let (code, r) = report_of(bench(&broker, "pubsub", &args));
        assert_eq!(code, 0, "{extra:?}: {r:?}");
        assert_eq!(r.config.send_buffer_bytes, None, "{extra:?}");
        assert_eq!(r.config.read_pause_ms, None, "{extra:?}");
        assert_eq!(r.config.in_flight_window, None, "{extra:?}");
        assert_eq!(r.messages.received, 200, "{extra:?}");
    }
}

/// Flat out at QoS 0, every connection reset mid-stream by a relay (a NAT or load balancer
/// dropping its state): the polled subscriber and the gated publishers all see the reset,
/// the run ends on its own, says who was disconnected, and accounts for every message sent:
/// received, lost or outstanding, nothing else. The QoS 0 path reads and waits differently
/// from the others (a socket outside the event loop, a window on deliveries), so it gets
/// its own fault test.
#[test]
fn a_reset_mid_stream_ends_a_flat_out_qos0_run_with_every_message_accounted() {
    let broker = Broker::start();
    let relay = crate::relay::Relay::start(broker.port);
    let cmd = bench_at(
        relay.port,
        "pubsub",
        &[
            "--publishers",
            "4",
            "--subscribers",
            "1",
            "-q",
            "0",
            "--duration",
            "30s",
            "-t",
            "reset/%i",
        ],
    );
    let run = crate::util::SubProcess::spawn(cmd);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while relay.accepted() < 5 {
        assert!(std::time::Instant::now() < deadline, "{}", run.stderr());
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let messages flow before the cut (setup, not a measurement).
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(relay.reset_all(), 5);
    let done = run.finish(Duration::from_secs(60));
    let r: Report = serde_json::from_slice(&done.stdout).expect("the JSON report");
    let m = &r.messages;
    assert_eq!(done.code, 77, "{r:?}");
    assert_eq!(r.clients.connected, 5, "{r:?}");
    assert_eq!(r.clients.disconnected, 5, "{:?}", r.clients);
    assert!(m.received > 0 && m.received <= m.sent, "{m:?}");
    assert_eq!(m.expected, Some(m.sent), "{m:?}");
    assert_eq!(
        m.received + m.lost.unwrap_or(0) + m.outstanding.unwrap_or(0),
        m.sent,
        "{m:?}"
    );
    assert_eq!(m.duplicates, 0, "{m:?}");
    // The reset lost what the windows let be in flight, no more: one window per publisher,
    // and one more for each time a window was reopened after 250 ms without a delivery.
    let window = r.config.in_flight_window.expect("a window");
    let timeouts: u64 = r.io.iter().map(|t| t.gate_timeouts).sum();
    let lost = m.lost.unwrap_or(0) + m.outstanding.unwrap_or(0);
    assert!(
        lost <= window * (4 + timeouts),
        "{lost} > {window} x (4 + {timeouts})"
    );
}

/// The text report of a flat-out QoS 0 pubsub says how it bounded the run: the window per
/// publisher on the Sent line, and that latencies include the subscribers' read pause.
#[test]
fn the_text_report_names_a_flat_out_qos0_runs_window_and_read_pause() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args([
        "bench",
        "pubsub",
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port.to_string(),
    ])
    .args([
        "--publishers",
        "2",
        "--subscribers",
        "1",
        "-q",
        "0",
        "--count",
        "500",
    ]);
    let out = run(cmd, b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("offered: as fast as possible, at most 2 048 per publisher in flight"),
        "{text}"
    );
    assert!(
        text.contains("(flat out at QoS 0 the subscribers read every 2 ms or more"),
        "{text}"
    );
}

/// A broker that drops every QoS 0 delivery (a relay loses each PUBLISH on its way to the
/// subscriber) cannot hold a flat-out publisher's window shut: after 250 ms without a
/// delivery the publisher takes what it sent as lost and sends its next window. So the run
/// sends, ends on time and reports every message lost, never stalls.
#[test]
fn dropped_deliveries_do_not_stall_a_flat_out_qos0_run() {
    let broker = Broker::start();
    let relay = crate::drop_relay::DropRelay::start(broker.port);
    let (code, r) = report_of(bench_at(
        relay.port,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "1",
            "-q",
            "0",
            "--duration",
            "2s",
            "--drain",
            "1s",
            "-t",
            "dropped/%i",
        ],
    ));
    let m = &r.messages;
    let window = r.config.in_flight_window.expect("a window");
    assert_eq!(window, 2048);
    assert_eq!(code, 77, "{r:?}");
    assert_eq!(m.received, 0, "{m:?}");
    assert_eq!(m.lost, Some(m.sent), "{m:?}");
    assert!(
        relay.dropped() >= m.sent,
        "{} dropped, {m:?}",
        relay.dropped()
    );
    let timeouts: u64 = r.io.iter().map(|t| t.gate_timeouts).sum();
    // Each publisher's first window, then one more per timeout (but none after the last
    // if sending time was up by then): all it may send.
    assert!(m.sent >= window * timeouts, "{m:?} {:?}", r.io);
    assert!(m.sent <= window * (2 + timeouts), "{m:?} {:?}", r.io);
    // 2 s of sending at one window per 250 ms: about 8 timeouts per publisher.
    assert!((8..=18).contains(&timeouts), "{:?}", r.io);
    let waits: u64 = r.io.iter().map(|t| t.gate_waits).sum();
    assert_eq!(waits, timeouts, "every wait ended in a timeout: {:?}", r.io);
}

/// An open-loop schedule is kept: every scheduled message goes out, spread over the run
/// (the series, sampled by the coordinator apart from the publishers, counts 500 ± 5 % in
/// ten middle seconds: a rate too high fails as surely as one too low), and the report
/// carries mqtk's own send lateness, which is exactly what separates corrected from
/// uncorrected latency message by message.
#[test]
fn a_low_open_loop_rate_is_achieved_within_five_percent() {
    let broker = Broker::start();
    let mut cmd = bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "1",
            "--rate",
            "50",
            "--duration",
            "12s",
            "-t",
            "rate/%i",
        ],
    );
    cmd.args(["-k", "60"]);
    let (code, r) = report_of(cmd);
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.rates.offered, Some(50.0));
    assert_eq!(r.messages.scheduled, Some(600));
    assert_eq!((r.messages.sent, r.messages.received), (600, 600));
    let sent = r.rates.sent.expect("a sent rate");
    assert!(sent >= 47.5, "achieved {sent}/s of 50/s offered");
    // Ten whole seconds from the second one of sending on: 500 ± 25 messages.
    let first = r.ramp_up_s.ceil() as u64 + 1;
    let middle: u64 = r
        .series
        .iter()
        .filter(|s| (first..first + 10).contains(&s.t_s))
        .map(|s| s.sent)
        .sum();
    assert!(
        (475..=525).contains(&middle),
        "{middle} sent in 10 s at 50/s: {:?}",
        r.series
    );
    // The lateness line, and corrected = uncorrected + lateness per message: no quantile
    // of corrected exceeds that of uncorrected by more than the worst lateness (plus the
    // histograms' 0.1 % precision).
    let lateness = r
        .latency
        .send_lateness
        .as_ref()
        .expect("a send lateness row");
    assert_eq!(lateness.count, 600);
    assert_eq!(r.schedule.lateness_limit_us, Some(1000.0));
    let corrected = r.latency.e2e_corrected.as_ref().unwrap();
    let uncorrected = r.latency.e2e_uncorrected.as_ref().unwrap();
    for (c, u) in [
        (corrected.p50_us, uncorrected.p50_us),
        (corrected.p90_us, uncorrected.p90_us),
        (corrected.p99_us, uncorrected.p99_us),
    ] {
        assert!(
            c >= u * 0.999 && c <= (u + lateness.max_us) * 1.002,
            "corrected {c} µs, uncorrected {u} µs, lateness max {} µs",
            lateness.max_us
        );
    }
}

/// The text report of a paced run shows mqtk's own lateness apart from the broker's.
#[test]
fn the_text_report_shows_the_send_lateness_apart() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args(["bench", "pub", "-h", "127.0.0.1", "-p"])
        .arg(broker.port.to_string())
        .args(["-c", "2", "--rate", "200", "--count", "20", "-t", "late/%i"]);
    let out = run(cmd, b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let schedule = text
        .lines()
        .find(|l| l.trim_start().starts_with("Schedule"))
        .unwrap_or_else(|| panic!("no Schedule line: {text}"));
    assert!(
        schedule.contains("mqtk sent messages p50") || schedule.contains("BEHIND"),
        "{schedule}"
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("send lateness (mqtk)"))
        .unwrap_or_else(|| panic!("no send lateness row: {text}"));
    assert!(row.trim_end().ends_with("40"), "40 messages timed: {row}");
}

#[test]
fn conn_holds_five_hundred_connections() {
    let broker = Broker::start();
    let (code, r) = report_of(bench(&broker, "conn", &["-c", "500", "--duration", "1s"]));
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.clients.total, 500);
    assert_eq!(r.clients.connected, 500);
    assert_eq!((r.clients.failed, r.clients.disconnected), (0, 0));
    let connect = r.latency.connect.as_ref().unwrap();
    assert_eq!(connect.count, 500);
    assert_summary_sane("connect", connect);
    assert!(r.rates.connects.is_some_and(|c| c > 0.0));
    assert!(
        r.series.iter().any(|s| s.connected == 500),
        "{:?}",
        r.series
    );
}

/// The open-files limit: bench raises its soft limit to the hard one (300 connections
/// under a soft limit of 100 all connect), and refuses a client count that cannot fit under
/// the hard limit before it allocates or connects anything (usage error, the numbers named).
#[test]
fn bench_raises_the_open_files_limit_and_refuses_what_cannot_fit() {
    let broker = Broker::start();
    let under_limit = |limit: &str, args: &[&str]| {
        let mut cmd = crate::util::hermetic(Command::new("sh"));
        cmd.arg("-c")
            .arg(format!("ulimit {limit}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_mqtk"))
            .args([
                "bench",
                "conn",
                "-h",
                "127.0.0.1",
                "-p",
                &broker.port.to_string(),
            ])
            .args(args);
        cmd
    };
    let mut raised = under_limit(
        "-S -n 100",
        &["-c", "300", "--duration", "1s", "--json", "-"],
    );
    raised.stdout(std::process::Stdio::piped());
    let (code, r): (i32, Report) = parse_report(raised);
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.clients.connected, 300, "{r:?}");

    assert_fails(
        under_limit("-n 200", &["-c", "1000", "--duration", "1s"]),
        64,
        "-c 1000: the clients need 1",
    );
    let out = run(under_limit("-n 200", &["-c", "1000"]), b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("this process may open 200 (ulimit -n"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// Decodes one of the report's histograms (HdrHistogram V2 deflate, base64; ns).
fn histogram(encoded: Option<&String>) -> hdrhistogram::Histogram<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.expect("a histogram"))
        .expect("base64");
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("an HdrHistogram V2 histogram")
}

/// Injected ground truth: the broker is frozen (SIGSTOP) for S = 1 s in the middle of a
/// 10 s open-loop QoS 1 run at R = 500/s. Every message intended during the freeze waits
/// until it ends, so the corrected latency of the one intended x seconds into it is S − x:
/// R·(S − 0.5) messages take 0.5 s or more, and the worst 1 % of the run (R·10 s / 100 =
/// 50 messages, the first 0.1 s of the freeze) take at least S − 0.1 s. The publisher
/// cannot send while its 20-message window is full, so at most 20 messages wait that long
/// from their actual send: uncorrected latency stays far lower.
#[test]
fn a_frozen_broker_shows_in_corrected_latency_exactly_as_the_schedule_predicts() {
    const RATE: f64 = 500.0;
    const INFLIGHT: u64 = 20;
    let broker = Broker::start();
    let mut cmd = bench(
        &broker,
        "pubsub",
        &[
            "-q",
            "1",
            "--inflight",
            &INFLIGHT.to_string(),
            "--rate",
            &RATE.to_string(),
            "--duration",
            "10s",
            "-t",
            "frozen/%i",
        ],
    );
    cmd.args(["-k", "60", "-d"]);
    let process = SubProcess::spawn(cmd);
    process.wait_stderr("sending", Duration::from_secs(15));
    std::thread::sleep(Duration::from_millis(4000));
    let before_stop = std::time::Instant::now();
    broker.stop_signal(19); // SIGSTOP
    let stopped = std::time::Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let before_cont = std::time::Instant::now();
    broker.stop_signal(18); // SIGCONT
    let resumed = std::time::Instant::now();
    // The freeze lasted between these two bounds (each kill takes a moment to act).
    let (shortest, longest) = (before_cont - stopped, resumed - before_stop);
    let done = process.finish(Duration::from_secs(40));
    let r: Report = serde_json::from_slice(&done.stdout).expect("a report");
    assert_eq!(done.code, 0, "{}\n{r:?}", done.stderr);
    let m = &r.messages;
    assert_eq!((m.sent, m.received, m.lost), (5000, 5000, Some(0)), "{m:?}");
    let corrected = histogram(r.histograms.e2e_corrected.as_ref());
    let uncorrected = histogram(r.histograms.e2e_uncorrected.as_ref());
    // Every delivery is timed.
    assert_eq!((corrected.len(), uncorrected.len()), (5000, 5000));
    let at_least_half_second = |h: &hdrhistogram::Histogram<u64>| {
        h.count_between(h.highest_equivalent(500_000_000) + 1, u64::MAX) + h.count_at(500_000_000)
    };
    let analytic = |freeze: Duration| RATE * (freeze.as_secs_f64() - 0.5);
    let slow = at_least_half_second(&corrected) as f64;
    eprintln!(
        "freeze {shortest:?}..{longest:?}: {slow} messages >= 0.5 s, corrected p99 {} µs, uncorrected p99 {} µs",
        corrected.value_at_quantile(0.99) / 1000,
        uncorrected.value_at_quantile(0.99) / 1000
    );
    assert!(
        slow >= analytic(shortest) * 0.9 && slow <= analytic(longest) * 1.1,
        "{slow} messages took >= 0.5 s; R·(S − 0.5) = {}..{} for a freeze of {shortest:?}..{longest:?}",
        analytic(shortest),
        analytic(longest)
    );
    // The worst 1 %: the first 0.1 s of the freeze, so p99 >= S − 0.1 s (a 0.05 s margin
    // for the freeze's own start).
    let p99 = corrected.value_at_quantile(0.99) as f64 / 1e9;
    let floor = shortest.as_secs_f64() - 0.1 - 0.05;
    assert!(p99 >= floor, "corrected p99 {p99} s < {floor} s");
    assert!(
        at_least_half_second(&uncorrected) <= INFLIGHT,
        "uncorrected: {} messages >= 0.5 s from their actual send",
        at_least_half_second(&uncorrected)
    );
    let uncorrected_p99 = uncorrected.value_at_quantile(0.99) as f64 / 1e9;
    assert!(
        uncorrected_p99 < p99 / 4.0,
        "uncorrected p99 {uncorrected_p99} s"
    );
    // The run lasted over 10 s with stderr not a terminal: a line showed it was alive.
    assert!(
        done.stderr.contains("mqtk: bench: 10s/10s"),
        "no progress line off a terminal: {}",
        done.stderr
    );
}

#[test]
fn a_killed_broker_shows_disconnects_and_losses_and_fails() {
    let mut broker = Broker::start();
    let process = SubProcess::spawn(bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "1",
            "-q",
            "1",
            "--rate",
            "400",
            "--duration",
            "20s",
            "-t",
            "killed/%i",
            "-d",
        ],
    ));
    process.wait_stderr("sending", Duration::from_secs(15));
    std::thread::sleep(Duration::from_millis(1000));
    // Frozen first, so messages are surely in flight when it dies.
    broker.stop_signal(19);
    std::thread::sleep(Duration::from_millis(300));
    broker.kill();
    let done = process.finish(Duration::from_secs(30));
    let r: Report = serde_json::from_slice(&done.stdout).expect("a report");
    assert_eq!(done.code, 77, "{}", done.stderr);
    assert!(
        done.stderr.contains("3 clients were disconnected"),
        "{}",
        done.stderr
    );
    assert_eq!(r.clients.disconnected, 3, "{:?}", r.clients);
    let lost = r.messages.lost.unwrap();
    assert!(lost > 0, "{:?}", r.messages);
    assert!(r.messages.unacked > 0, "{:?}", r.messages);
    // Messages in flight when it froze were never acknowledged; a message it acknowledged
    // but had not yet forwarded is a loss after the acknowledgement. Both add up.
    let unacked_lost = r.messages.lost_unacked.unwrap();
    assert!(unacked_lost > 0, "{:?}", r.messages);
    assert_eq!(
        unacked_lost + r.messages.lost_after_ack.unwrap(),
        lost,
        "{:?}",
        r.messages
    );
    assert_eq!(
        r.messages.received + lost,
        r.messages.expected.unwrap(),
        "{:?}",
        r.messages
    );
}

/// SIGINT and SIGTERM alike: sending stops, the drain runs, the partial report covers the
/// time that ran (not the 60 s asked for), and what had fell due by then was sent.
#[test]
fn a_signal_prints_the_partial_report_of_the_time_that_ran_and_exits_130() {
    let broker = Broker::start();
    for signal in ["INT", "TERM"] {
        let process = SubProcess::spawn(bench(
            &broker,
            "pubsub",
            &[
                "--rate",
                "200",
                "--duration",
                "60s",
                "-q",
                "1",
                "-t",
                &format!("interrupt/{signal}/%i"),
                "-d",
            ],
        ));
        process.wait_stderr("sending", Duration::from_secs(15));
        std::thread::sleep(Duration::from_millis(1500));
        process.signal(signal);
        let done = process.finish(Duration::from_secs(15));
        assert_eq!(done.code, 130, "SIG{signal}: {}", done.stderr);
        let r: Report = serde_json::from_slice(&done.stdout).expect("a partial report");
        let m = &r.messages;
        assert!(r.interrupted);
        assert!(m.sent > 0);
        assert_eq!(m.received, m.sent, "SIG{signal}: drained before the report");
        // The window is the time until the signal (the test slept 1.5 s of 60).
        assert!(
            r.measured_s > 0.5 && r.measured_s < 30.0,
            "SIG{signal}: measured_s {}",
            r.measured_s
        );
        // Scheduled: what fell due before the signal; each went out.
        let scheduled = m.scheduled.expect("a paced run schedules");
        assert!(scheduled >= m.sent, "SIG{signal}: {m:?}");
        // At most what fell due in the last 0.1 s before the publisher saw the signal.
        assert!(scheduled - m.sent <= 20, "SIG{signal}: {m:?}");
        // The rate over the time that ran is the offered one, give or take the messages
        // of one scheduling hiccup; over 60 s it would be a fortieth of it.
        let sent_rate = r.rates.sent.expect("a sent rate");
        assert!(
            sent_rate > 100.0,
            "SIG{signal}: sent {sent_rate}/s of 200/s"
        );
    }
}

#[test]
fn the_json_report_echoes_the_run() {
    let broker = Broker::start();
    let (code, r) = report_of(bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "1",
            "--count",
            "50",
            "-s",
            "100",
            "-q",
            "1",
            "--id-prefix",
            "shape-",
            "--start-number",
            "7",
            "--threads",
            "1",
            "--warmup",
            "0s",
            "--inflight",
            "5",
        ],
    ));
    assert_eq!(code, 0, "{r:?}");
    assert_eq!(r.mqtk_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(r.mode, "pubsub");
    assert_eq!(r.broker, format!("127.0.0.1:{}", broker.port));
    assert!(r.started_at.contains('T'), "{}", r.started_at);
    assert!(!r.interrupted);
    assert!(r.elapsed_s >= r.ramp_up_s && r.measured_s > 0.0);
    let c = &r.config;
    assert_eq!((c.clients, c.publishers, c.subscribers), (3, 2, 1));
    assert_eq!((c.size, c.qos, c.inflight, c.threads), (Some(100), 1, 5, 1));
    assert_eq!(c.topic.as_deref(), Some("bench/%i"));
    assert_eq!(c.filter.as_deref(), Some("bench/+"));
    assert_eq!((c.id_prefix.as_str(), c.start_number), ("shape-", 7));
    assert_eq!(c.count, Some(50));
    assert_eq!(c.protocol, "3.1.1");
    assert_eq!(r.messages.sent, 100);
    assert!(r.rates.sent.is_some() && r.rates.received.is_some() && r.rates.acked.is_some());
    assert_eq!(r.rates.offered, None);
    assert_eq!(r.messages.scheduled, Some(100), "--count × publishers");
    assert_eq!(r.schedule.max_lag_ms, None, "no schedule, no lag");

    // conn has no messages: those parts are empty, not made up.
    let (code, r) = report_of(bench(&broker, "conn", &["-c", "3", "--duration", "1s"]));
    assert_eq!(code, 0);
    assert_eq!(r.messages.sent, 0);
    assert_eq!(r.messages.lost, None);
    assert!(r.latency.ack.is_none() && r.latency.e2e_corrected.is_none());
    assert_eq!(r.rates.sent, None);
}

#[test]
fn bench_sub_times_payloads_from_another_mqtk() {
    let broker = Broker::start();
    let mut sub = bench(
        &broker,
        "sub",
        &["-c", "2", "-t", "fleet/%i", "--duration", "4s"],
    );
    sub.args(["--id-prefix", "fleet-sub-", "-d"]);
    let subscribers = SubProcess::spawn(sub);
    subscribers.wait_stderr("sending", Duration::from_secs(15));
    let (code, publishers) = report_of(bench(
        &broker,
        "pub",
        &[
            "-c",
            "3",
            "--count",
            "100",
            "-t",
            "fleet/%i",
            "-q",
            "1",
            "--id-prefix",
            "fleet-pub-",
        ],
    ));
    assert_eq!(code, 0);
    assert_eq!(publishers.messages.acked, 300);
    let done = subscribers.finish(Duration::from_secs(20));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let r: Report = serde_json::from_slice(&done.stdout).expect("a report");
    assert_eq!(r.messages.received, 600, "{:?}", r.messages);
    assert_eq!(r.messages.gaps, Some(0));
    assert_eq!(r.latency.e2e_corrected.as_ref().map(|s| s.count), Some(600));
}

/// The README's `bench sub --shared` example, fed by a paced `bench pub`: the group is
/// accounted as one subscriber (no gaps where another member got the number), the title
/// says the size that arrived, and no footer claims corrected = uncorrected.
#[test]
fn bench_sub_accounts_a_shared_group_as_one_subscriber() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sub.json");
    let mut sub = mqtk();
    sub.args(["bench", "sub", "-h", "127.0.0.1", "-p"])
        .arg(broker.port.to_string())
        .args(["-c", "3", "--shared", "workers", "-t", "jobs/%i"])
        .args(["--duration", "4s", "--id-prefix", "group-sub-", "-d"])
        .arg("--json")
        .arg(&json);
    let subscribers = SubProcess::spawn(sub);
    subscribers.wait_stderr("sending", Duration::from_secs(15));
    let (code, publishers) = report_of(bench(
        &broker,
        "pub",
        &[
            "-c",
            "3",
            "--count",
            "300",
            "--rate",
            "900",
            "-t",
            "jobs/%i",
            "-q",
            "1",
            "-s",
            "80",
            "--id-prefix",
            "group-pub-",
        ],
    ));
    assert_eq!((code, publishers.messages.acked), (0, 900));
    let done = subscribers.finish(Duration::from_secs(20));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let r: Report = serde_json::from_slice(&std::fs::read(&json).unwrap()).expect("a report");
    let m = &r.messages;
    assert_eq!(
        (m.received, m.gaps, m.duplicates),
        (900, Some(0), 0),
        "{m:?}"
    );
    assert_eq!((m.size_min, m.size_max), (Some(80), Some(80)));
    assert_eq!(r.config.size, None, "bench sub sends nothing");
    let text = String::from_utf8_lossy(&done.stdout);
    let title = text.lines().next().unwrap_or_default();
    assert!(title.contains("3 subscribers, QoS 0, 80 B"), "{text}");
    assert!(!text.contains("corrected = uncorrected"), "{text}");
}

/// A broker that stops answering after 5 connections: the connect phase still ends
/// --connect-timeout after it began (clients waiting for a connect slot fail as "not
/// connected when the ramp-up ended" instead of each waiting its own timeout in turn),
/// and the five connected clients run.
#[test]
fn the_ramp_up_ends_with_the_connect_timeout_however_many_clients_wait() {
    let broker = Broker::start();
    let relay = crate::relay::Relay::start_with_limit(broker.port, 5);
    let mut cmd = mqtk();
    cmd.args(["bench", "conn", "-h", "127.0.0.1", "-p"])
        .arg(relay.port.to_string())
        .args(["-c", "300", "--threads", "1", "--duration", "1s"])
        .args(["--connect-timeout", "2s", "--json", "-"]);
    let (code, r) = report_of(cmd);
    assert_eq!(code, 77, "{r:?}");
    let c = &r.clients;
    assert_eq!((c.connected, c.failed), (5, 295), "{c:?}");
    // One shard connects 32 at a time: the 268 clients behind the first slots never get
    // one, and the 27 in them started right after the ramp-up did, so each one's own
    // timeout ends with it too: all 295 end with the ramp-up.
    assert_eq!(
        c.connect_failures
            .get("not connected when the ramp-up ended"),
        Some(&295),
        "{c:?}"
    );
    assert!(relay.held() >= 27, "{} held", relay.held());
}

/// The drain is a hard cap. Through a link that holds every chunk 1 s each way, a 2 s run
/// at 100/s has delivered only its first second when --drain 1s ends: the rest are
/// outstanding (still arriving), not lost, and the run exits 77 saying so.
#[test]
fn the_drain_ends_at_its_cap_and_counts_what_is_still_arriving_as_outstanding() {
    let broker = Broker::start();
    let relay = crate::delay_relay::DelayRelay::start(
        ([127, 0, 0, 1], broker.port).into(),
        Duration::from_secs(1),
    );
    let cmd = bench_at(
        relay.port(),
        "pubsub",
        &[
            "--rate",
            "100",
            "--duration",
            "2s",
            "--drain",
            "1s",
            "-t",
            "slow-link/%i",
        ],
    );
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let r: Report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a report ({e}): {stderr}"));
    let m = &r.messages;
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert!(
        stderr.contains("still on their way when --drain 1s ran out"),
        "{stderr}"
    );
    assert_eq!(
        (m.sent, m.expected, m.lost),
        (200, Some(200), Some(0)),
        "{m:?}"
    );
    let outstanding = m.outstanding.expect("pubsub counts outstanding");
    assert!(m.received > 0 && outstanding > 0, "{m:?}");
    assert_eq!(m.received + outstanding, 200, "{m:?}");
}

/// An earlier run's leftover on the same topics (here a retained message with mqtk's
/// header, meant in 1970) is counted apart, not as a delivery: without that it would have
/// been publisher 0's message 0, and the real one a duplicate.
#[test]
fn a_message_from_an_earlier_run_is_not_counted_as_received() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("stale");
    let mut header = Vec::from(*b"MQ\x01\x00");
    header.extend_from_slice(&0u32.to_be_bytes()); // publisher 0
    header.extend_from_slice(&0u64.to_be_bytes()); // its message 0
    header.extend_from_slice(&1u64.to_be_bytes()); // meant 1 ns after the epoch
    header.extend_from_slice(&1u64.to_be_bytes()); // and sent then
    std::fs::write(&stale, &header).unwrap();
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.port.to_string()])
        .args(["-t", "leftover/0", "-r", "-f"])
        .arg(&stale)
        .status()
        .expect("mosquitto_pub");
    assert!(status.success());
    let (code, r) = report_of(bench(
        &broker,
        "pubsub",
        &["--publishers", "1", "--count", "100", "-t", "leftover/%i"],
    ));
    let m = &r.messages;
    assert_eq!(code, 0, "{m:?}");
    assert_eq!(m.stale, Some(1), "{m:?}");
    assert_eq!(
        (m.received, m.duplicates, m.lost),
        (100, 0, Some(0)),
        "{m:?}"
    );
}

/// A paced run whose load does not get through in its window is overloaded: exit 79 and
/// one OVERLOAD line, with nothing lost. Through a link holding every chunk 1 s each way,
/// the 200 messages of a 2 s run at 100/s take until 2 s after the run to arrive, so 200
/// are delivered over about 4 s: about half the offered rate.
#[test]
fn a_paced_run_whose_load_does_not_get_through_exits_79() {
    let broker = Broker::start();
    let relay = crate::delay_relay::DelayRelay::start(
        ([127, 0, 0, 1], broker.port).into(),
        Duration::from_secs(1),
    );
    let (code, r) = report_of(bench_at(
        relay.port(),
        "pubsub",
        &[
            "--rate",
            "100",
            "--duration",
            "2s",
            "--drain",
            "5s",
            "-t",
            "overload/%i",
        ],
    ));
    let m = &r.messages;
    assert_eq!((m.sent, m.received, m.lost), (200, 200, Some(0)), "{m:?}");
    assert_eq!(code, 79, "{:?}", r.overload);
    let why = r.overload.as_deref().unwrap_or_default();
    assert!(
        why.starts_with("delivered ") && why.contains("of the 100/s offered"),
        "{why}"
    );
}

/// A queue that fills through a paced run is overloaded even when nearly the whole rate
/// gets through: a relay whose hold grows 10 ms per second (ground truth: the end-to-end
/// path grows by 2 × 10 ms each second) delays the last of 1 200 messages by about 0.25 s,
/// so 98 % of the offered 100/s is delivered, but the p99 of the last third of the run's
/// seconds (about 0.22 s) is over twice that of the first (about 0.06 s): exit 79, named
/// as latency growth, nothing lost.
#[test]
fn a_queue_growing_through_a_paced_run_exits_79() {
    let broker = Broker::start();
    let relay = crate::delay_relay::DelayRelay::growing(
        ([127, 0, 0, 1], broker.port).into(),
        Duration::from_millis(10),
    );
    let (code, r) = report_of(bench_at(
        relay.port(),
        "pubsub",
        &["--rate", "100", "--duration", "12s", "-t", "growing/%i"],
    ));
    let m = &r.messages;
    assert_eq!((m.sent, m.received, m.lost), (1200, 1200, Some(0)), "{m:?}");
    assert_eq!(code, 79, "{:?}", r.overload);
    let why = r.overload.as_deref().unwrap_or_default();
    assert!(
        why.starts_with("end-to-end p99 grew from ")
            && why.ends_with("queued faster than they drained"),
        "{why}"
    );
}

/// A stall at the very end of a short paced run is not a growing queue: the broker frozen
/// (SIGSTOP) for 120 ms across the last moments of a 3 s run at 200/s delays the handful
/// of messages delivered in the run's last, partial second. Their p99 (their maximum) was
/// once compared with a whole second's as if it were a third of the run, and a CI host's
/// stall of a few tens of milliseconds made such a run exit 79. Every message arrives and
/// nearly the whole rate gets through: exit 0, no overload.
#[test]
fn a_stall_at_the_end_of_a_short_paced_run_is_not_an_overload() {
    let broker = Broker::start();
    let mut cmd = bench(
        &broker,
        "pubsub",
        &[
            "--publishers",
            "2",
            "--subscribers",
            "1",
            "-q",
            "1",
            "--rate",
            "200",
            "--duration",
            "3s",
            "-t",
            "end-stall/%i",
        ],
    );
    cmd.arg("-d");
    let process = SubProcess::spawn(cmd);
    process.wait_stderr("sending CONNECT", Duration::from_secs(15));
    // Sending begins once the three clients are connected (a few ms) and lasts 3 s.
    std::thread::sleep(Duration::from_millis(2950));
    broker.stop_signal(19); // SIGSTOP
    std::thread::sleep(Duration::from_millis(120));
    broker.stop_signal(18); // SIGCONT
    let done = process.finish(Duration::from_secs(30));
    let r: Report = serde_json::from_slice(&done.stdout).expect("a report");
    let m = &r.messages;
    assert_eq!((m.sent, m.received, m.lost), (600, 600, Some(0)), "{m:?}");
    assert_eq!((done.code, &r.overload), (0, &None), "{}", done.stderr);
}

#[test]
fn bad_values_are_usage_errors_naming_the_flag() {
    let broker = Broker::start();
    assert_fails(bench(&broker, "pub", &["-s", "16"]), 64, "-s/--size 16");
    // The report's file is created before anything connects: no broker listens on port 1
    // of 127.0.0.2, so a check after connecting would have exited 69 instead.
    let mut unwritable = mqtk();
    unwritable.args(["bench", "pub", "-h", "127.0.0.2", "-p", "1", "--json"]);
    unwritable.arg("/nonexistent-dir/report.json");
    assert_fails(
        unwritable,
        64,
        "--json /nonexistent-dir/report.json: cannot create it",
    );
    assert_fails(
        bench(&broker, "pub", &["--count", "5", "--duration", "1s"]),
        64,
        "--count",
    );
    assert_fails(
        bench(&broker, "pub", &["-t", "a/%x"]),
        64,
        "unknown field '%x'",
    );
    assert_fails(bench(&broker, "pub", &["-t", "a/#"]), 64, "-t/--topic");
    assert_fails(
        bench(&broker, "pubsub", &["--shared", "a/b"]),
        64,
        "--shared 'a/b'",
    );
    assert_fails(bench(&broker, "pub", &["--rate", "0"]), 64, "--rate");
    // Each client's number is its own: none may wrap or repeat past u32::MAX.
    assert_fails(
        bench(&broker, "pub", &["-c", "3", "--start-number", "4294967294"]),
        64,
        "--start-number 4294967294: 3 clients would number past 4294967295; give at most 4294967293",
    );
}

#[test]
fn no_broker_at_all_is_the_connection_error() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args(["bench", "conn", "-h", "127.0.0.1", "-c", "3", "-p", "1"]);
    drop(broker);
    assert_fails(cmd, 69, "127.0.0.1:1");
}

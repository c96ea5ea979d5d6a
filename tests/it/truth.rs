//! Ground truth for the numbers mqtk reports. Latency: `mqtk bench pubsub` and `mqtk ping`
//! run first straight against a test-owned mosquitto (the baseline), then through a
//! `DelayRelay` that holds every chunk exactly D each way; every path they time crosses the
//! relay twice, so their median must move by 2·D and nothing else. Counts: what `bench
//! pubsub` says it sent and delivered is checked against mosquitto's own `$SYS` counter and
//! against an independent rumqttc subscriber on the same filter.
//!
//! Bounds: a relayed median is within max(5 %, 0.3 ms) of 2·D + the baseline median of the
//! same test. What the relay itself adds beyond D (an extra TCP hop each way: a thread wake-up
//! and a write) is measured in `delay_relay.rs`. Whatever times something or loads the cores
//! holds `delay_relay::TIMING` meanwhile, so no two of these measure at once.

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::bench::{bench_at, parse_report};
use crate::broker::Broker;
use crate::delay_relay::{timing, DelayRelay};
use crate::subscriber::Subscriber;
use crate::util::{mqtk, run, topic};

/// The injected one-way delays.
const DELAYS_MS: [u64; 2] = [5, 20];

// The parts of bench's JSON report (docs/bench-report.md) these tests read; bench.rs freezes
// the whole shape, so unknown keys are ignored here.
#[derive(Debug, Deserialize)]
struct Report {
    messages: Messages,
    schedule: Schedule,
    latency: Latencies,
    /// Why mqtk called the run overloaded (exit 79), shown when a run fails.
    #[allow(dead_code)]
    overload: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Messages {
    scheduled: Option<u64>,
    sent: u64,
    acked: u64,
    expected: Option<u64>,
    outstanding: Option<u64>,
    received: u64,
    duplicates: u64,
    lost: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Schedule {
    behind: bool,
    max_lag_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Latencies {
    e2e_corrected: Option<Summary>,
    e2e_uncorrected: Option<Summary>,
}

#[derive(Debug, Deserialize)]
struct Summary {
    count: u64,
    p50_us: f64,
    p90_us: f64,
    max_us: f64,
}

/// `mqtk bench pubsub -h 127.0.0.1 -p PORT --json - ARGS…`
fn bench_pubsub(port: u16, args: &[&str]) -> Command {
    bench_at(port, "pubsub", args)
}

/// Runs to the end; the exit code and the parts of the report read here.
fn report_of(cmd: Command) -> (i32, Report) {
    parse_report(cmd)
}

/// How far `measured` may be from `expected` (both µs): 5 %, at least 0.3 ms.
fn allowed_us(expected: f64) -> f64 {
    (0.05 * expected).max(300.0)
}

/// One comparison: a relayed median against 2·D + the baseline median.
struct Check {
    what: String,
    measured_us: f64,
    expected_us: f64,
}

impl Check {
    fn new(what: String, measured_us: f64, baseline_us: f64, delay: Duration) -> Check {
        Check {
            what,
            measured_us,
            expected_us: baseline_us + 2.0 * delay.as_secs_f64() * 1e6,
        }
    }

    fn ok(&self) -> bool {
        (self.measured_us - self.expected_us).abs() <= allowed_us(self.expected_us)
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {:.0} µs, expected {:.0} ± {:.0} µs (off by {:+.0} µs){}",
            self.what,
            self.measured_us,
            self.expected_us,
            allowed_us(self.expected_us),
            self.measured_us - self.expected_us,
            if self.ok() { "" } else { "  <-- OUT OF BOUNDS" }
        )
    }
}

/// Fails with every check listed (so one run shows all the numbers) if any is out of bounds.
fn assert_checks(checks: &[Check], context: &str) {
    let table: Vec<String> = checks.iter().map(|c| format!("  {c}")).collect();
    eprintln!("{context}\n{}", table.join("\n"));
    assert!(
        checks.iter().all(Check::ok),
        "{context}\n{}",
        table.join("\n")
    );
}

/// A paced pubsub run at `qos` against `port`: every message of the schedule sent, received
/// once, nothing lost; returns the report.
fn paced_pubsub(port: u16, qos: &str, name: &str) -> Report {
    let topic = format!("{}/%i", topic(name));
    let (code, r) = report_of(bench_pubsub(
        port,
        &[
            "--publishers",
            "2",
            "--subscribers",
            "1",
            "--rate",
            "200",
            "--duration",
            "3s",
            "-q",
            qos,
            "-t",
            &topic,
        ],
    ));
    let m = &r.messages;
    assert_eq!(code, 0, "{name}: {r:?}");
    // 200/s for 3 s, every message once to the one subscriber.
    assert_eq!(m.scheduled, Some(600), "{name}: {m:?}");
    assert_eq!(m.sent, 600, "{name}: {m:?}");
    assert_eq!(m.expected, Some(600), "{name}: {m:?}");
    assert_eq!(m.received, 600, "{name}: {m:?}");
    assert_eq!((m.lost, m.duplicates), (Some(0), 0), "{name}: {m:?}");
    if qos == "1" {
        assert_eq!(m.acked, 600, "{name}: {m:?}");
    }
    r
}

fn e2e(r: &Report) -> (&Summary, &Summary) {
    (
        r.latency.e2e_corrected.as_ref().expect("corrected latency"),
        r.latency
            .e2e_uncorrected
            .as_ref()
            .expect("uncorrected latency"),
    )
}

fn describe(name: &str, r: &Report) -> String {
    let (c, u) = e2e(r);
    format!(
        "{name}: corrected p50 {:.0} p90 {:.0} max {:.0} (n {}) | uncorrected p50 {:.0} p90 {:.0} \
         max {:.0} (n {}) | schedule behind {} max lag {:?} ms",
        c.p50_us,
        c.p90_us,
        c.max_us,
        c.count,
        u.p50_us,
        u.p90_us,
        u.max_us,
        u.count,
        r.schedule.behind,
        r.schedule.max_lag_ms
    )
}

/// Baseline, then D = 5 and 20 ms: corrected and uncorrected end-to-end medians each move by
/// exactly 2·D (publisher → relay → mosquitto → relay → subscriber). Corrected latency runs
/// from a message's intended send time, so it also carries how late bench's pacer sent it:
/// the two are asserted apart, and a failure lists both, which tells a late pacer (only the
/// corrected figure off) from a wrong clock or a wrong relay (both off).
fn pubsub_latency_moves_by_twice_the_delay(qos: &str) {
    let _timing = timing();
    let broker = Broker::builder().quiet().start();
    let baseline = paced_pubsub(broker.port, qos, &format!("truth-base-q{qos}"));
    let (base_corrected, base_uncorrected) = e2e(&baseline);
    let mut lines = vec![describe("baseline", &baseline)];
    let mut checks = Vec::new();
    for delay_ms in DELAYS_MS {
        let delay = Duration::from_millis(delay_ms);
        let relay = DelayRelay::start(([127, 0, 0, 1], broker.port).into(), delay);
        let r = paced_pubsub(relay.port(), qos, &format!("truth-d{delay_ms}-q{qos}"));
        // Two publishers and a subscriber, each its own connection through the relay.
        assert_eq!(relay.accepted(), 3);
        let (corrected, uncorrected) = e2e(&r);
        lines.push(format!(
            "{}; relay: {}",
            describe(&format!("D = {delay_ms} ms"), &r),
            relay.lateness()
        ));
        checks.push(Check::new(
            format!("QoS {qos} D = {delay_ms} ms e2e_corrected p50"),
            corrected.p50_us,
            base_corrected.p50_us,
            delay,
        ));
        checks.push(Check::new(
            format!("QoS {qos} D = {delay_ms} ms e2e_uncorrected p50"),
            uncorrected.p50_us,
            base_uncorrected.p50_us,
            delay,
        ));
    }
    assert_checks(&checks, &lines.join("\n"));
}

#[test]
fn bench_pubsub_qos0_latency_moves_by_twice_the_injected_delay() {
    pubsub_latency_moves_by_twice_the_delay("0");
}

#[test]
fn bench_pubsub_qos1_latency_moves_by_twice_the_injected_delay() {
    pubsub_latency_moves_by_twice_the_delay("1");
}

/// `mqtk ping --json` against `port`: every probe answered; the median PINGREQ round trip
/// (µs) and the probes' round trips.
fn ping_median_us(port: u16) -> (f64, Vec<f64>) {
    let mut cmd = mqtk();
    cmd.args(["ping", "-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .args(["-c", "30", "-i", "0.05", "--json"]);
    let out = run(cmd, b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let mut rtts: Vec<f64> = records
        .iter()
        .filter(|r| r["type"] == "probe")
        .map(|p| {
            assert_eq!(p["lost"], false, "{p}");
            p["rtt_ms"].as_f64().expect("an rtt") * 1000.0
        })
        .collect();
    assert_eq!(rtts.len(), 30, "{stdout}");
    let summary = records.last().expect("a summary");
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(
        (&summary["transmitted"], &summary["received"]),
        (&30.into(), &30.into()),
        "{summary}"
    );
    rtts.sort_by(f64::total_cmp);
    // 30 probes: the mean of the middle two.
    ((rtts[14] + rtts[15]) / 2.0, rtts)
}

#[test]
fn ping_round_trip_moves_by_twice_the_injected_delay() {
    let _timing = timing();
    let broker = Broker::builder().quiet().start();
    let (baseline, base_rtts) = ping_median_us(broker.port);
    let mut lines = vec![format!(
        "baseline: median {baseline:.0} µs, min {:.0}, max {:.0}",
        base_rtts[0],
        base_rtts[base_rtts.len() - 1]
    )];
    let mut checks = Vec::new();
    for delay_ms in DELAYS_MS {
        let delay = Duration::from_millis(delay_ms);
        let relay = DelayRelay::start(([127, 0, 0, 1], broker.port).into(), delay);
        let (median, rtts) = ping_median_us(relay.port());
        lines.push(format!(
            "D = {delay_ms} ms: median {median:.0} µs, min {:.0}, max {:.0}; relay: {}",
            rtts[0],
            rtts[rtts.len() - 1],
            relay.lateness()
        ));
        // A probe cannot come back before its PINGREQ and PINGRESP each waited D.
        assert!(rtts[0] >= 2e3 * delay_ms as f64, "{rtts:?}");
        checks.push(Check::new(
            format!("ping D = {delay_ms} ms rtt median"),
            median,
            baseline,
            delay,
        ));
    }
    assert_checks(&checks, &lines.join("\n"));
}

/// mosquitto's `$SYS/broker/publish/messages/received` (PUBLISH packets it received from
/// clients, since it started) as of a moment after this call began.
///
/// The rule, from mosquitto's sys_tree.c: every `$SYS` update (every 2 s with `sys_interval
/// 1` on 2.0) first publishes `$SYS/broker/uptime`, always, then each counter that changed
/// since it last published that counter, all retained. A new subscription first gets the
/// retained values (retain flag set): they may come from any earlier update, one made
/// during the run included. Messages without the retain flag come from updates made after
/// the subscription. So once a second live uptime has arrived, the update the first live
/// uptime began is complete: it published the counter if the counter had changed, and if it
/// did not, the latest value already held (retained or live) is current.
fn publishes_received(broker: &Broker) -> u64 {
    let sys = Subscriber::start(broker.port, "$SYS/broker/#", 0);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let seen = sys.wait_for(sys.count() + 1, Duration::from_millis(200));
        let live_uptimes = seen
            .iter()
            .filter(|m| m.topic == "$SYS/broker/uptime" && !m.retain)
            .count();
        if live_uptimes >= 2 {
            let value = seen
                .iter()
                .rev()
                .find(|m| m.topic == "$SYS/broker/publish/messages/received")
                .expect("mosquitto publishes $SYS/broker/publish/messages/received")
                .payload_str();
            return value.parse().unwrap_or_else(|e| panic!("{value:?}: {e}"));
        }
        assert!(
            Instant::now() < deadline,
            "no two $SYS updates within 15 s (sys_interval set?): {seen:?}"
        );
    }
}

/// Every (publisher number, sequence number) in the bench payload headers the independent
/// subscriber got; panics on a payload without mqtk's header or seen twice.
fn distinct_messages(received: &[crate::subscriber::Received]) -> HashSet<(u32, u64)> {
    let mut seen = HashSet::new();
    for m in received {
        let p = &m.payload;
        assert!(
            p.len() >= 32 && &p[..2] == b"MQ",
            "not a bench payload: {m:?}"
        );
        let publisher = u32::from_be_bytes(p[4..8].try_into().unwrap());
        let sequence = u64::from_be_bytes(p[8..16].try_into().unwrap());
        assert!(
            seen.insert((publisher, sequence)),
            "{publisher}/{sequence} twice"
        );
    }
    seen
}

#[test]
fn bench_pubsub_counts_match_mosquitto_and_an_independent_subscriber() {
    let broker = Broker::builder().quiet().sys_interval(1).start();
    let mut before = publishes_received(&broker);
    for qos in [0u8, 1] {
        let base = topic(&format!("truth-counts-q{qos}"));
        let independent = Subscriber::start(broker.port, &format!("{base}/#"), qos);
        // Unpaced: it loads both cores for a moment, not while a latency test measures.
        let timing = timing();
        let (code, r) = report_of(bench_pubsub(
            broker.port,
            &[
                "--publishers",
                "4",
                "--subscribers",
                "2",
                "--count",
                "500",
                "-q",
                &qos.to_string(),
                "-t",
                &format!("{base}/%i"),
            ],
        ));
        drop(timing);
        let m = &r.messages;
        assert_eq!(code, 0, "QoS {qos}: {r:?}");
        assert_eq!(m.sent, 2000, "QoS {qos}: {m:?}");
        // Both bench subscribers should get every message.
        assert_eq!(m.expected, Some(2 * m.sent), "QoS {qos}: {m:?}");
        assert_eq!(m.received, 2 * m.sent, "QoS {qos}: {m:?}");
        assert_eq!((m.lost, m.duplicates), (Some(0), 0), "QoS {qos}: {m:?}");
        // The bench process has exited: its messages are all with mosquitto.
        let after = publishes_received(&broker);
        assert_eq!(
            after - before,
            m.sent,
            "QoS {qos}: mosquitto received {} PUBLISH packets ({before} -> {after}), bench says \
             it sent {}",
            after - before,
            m.sent
        );
        // The independent subscriber had until mosquitto's next $SYS updates (2 s or more
        // after the run) to receive everything; whatever it holds now is what it got.
        let got = independent.wait_for(m.sent as usize, Duration::from_secs(10));
        let distinct = distinct_messages(&got);
        eprintln!(
            "QoS {qos}: bench sent {}, received {}; mosquitto's publish/messages/received \
             {before} -> {after}; independent subscriber got {} ({} distinct)",
            m.sent,
            m.received,
            got.len(),
            distinct.len()
        );
        assert_eq!(
            got.len() as u64,
            m.sent,
            "QoS {qos}: independent subscriber"
        );
        assert_eq!(distinct.len() as u64, m.sent);
        assert_eq!(
            m.received,
            2 * got.len() as u64,
            "QoS {qos}: bench's subscribers vs an independent one"
        );
        before = after;
    }
}

/// A flat-out QoS 0 run whose drain is cut short: publishers are stopped with write batches
/// half written. Every message written out whole reached mosquitto and counts as sent, no
/// more, no less; what the subscriber had not got is outstanding or lost, never missing
/// from the sum.
#[test]
fn a_cut_run_counts_as_sent_exactly_what_mosquitto_received() {
    let broker = Broker::builder().quiet().sys_interval(1).start();
    let before = publishes_received(&broker);
    let base = topic("truth-cut");
    let timing = timing();
    let (_, r) = report_of(bench_pubsub(
        broker.port,
        &[
            "--publishers",
            "4",
            "--subscribers",
            "1",
            "--duration",
            "1s",
            "--drain",
            "100ms",
            "-t",
            &format!("{base}/%i"),
        ],
    ));
    drop(timing);
    let m = &r.messages;
    let after = publishes_received(&broker);
    eprintln!("cut run: {m:?}; mosquitto received {}", after - before);
    assert!(m.sent > 0);
    assert_eq!(after - before, m.sent, "mosquitto vs bench's sent: {m:?}");
    assert_eq!(m.expected, Some(m.sent));
    let outstanding = m.outstanding.unwrap_or(0);
    assert_eq!(
        m.received + outstanding + m.lost.unwrap_or(0),
        m.sent,
        "{m:?}"
    );
}

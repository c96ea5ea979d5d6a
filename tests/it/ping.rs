//! `mqtk ping` against a real mosquitto over every transport; its `--json` lines are read
//! with test-side structs that reject unknown fields, which freezes the documented shape.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::broker::{cert, Broker};
use crate::util::{assert_fails, mqtk, run, run_code, SubProcess};

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Record {
    Connection(Connection),
    Info(Info),
    Probe(Probe),
    Summary(Summary),
}

// Every documented field is declared (and unknown ones rejected) to freeze the shape, so
// some are never read.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Connection {
    broker: String,
    address: Option<String>,
    protocol: String,
    probe: String,
    phases_ms: Phases,
    total_ms: f64,
    session_present: bool,
    assigned_client_id: Option<String>,
    reconnect: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Phases {
    dns: Option<f64>,
    tcp: Option<f64>,
    proxy: Option<f64>,
    tls: Option<f64>,
    websocket: Option<f64>,
    connack: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    seq: u64,
    rtt_ms: Option<f64>,
    ack_ms: Option<f64>,
    phases_ms: Option<Phases>,
    lost: bool,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Summary {
    broker: String,
    transmitted: u64,
    received: u64,
    lost: u64,
    loss_percent: f64,
    time_ms: f64,
    rtt_ms: Option<Stats>,
    ack_ms: Option<Stats>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stats {
    min: f64,
    avg: f64,
    max: f64,
    mdev: f64,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Info {
    protocol: String,
    announced: bool,
    maximum_qos: Option<u8>,
    retain_available: Option<bool>,
    wildcard_subscription_available: Option<bool>,
    shared_subscription_available: Option<bool>,
    subscription_identifiers_available: Option<bool>,
    receive_maximum: Option<u16>,
    maximum_packet_size: Option<u32>,
    topic_alias_maximum: Option<u16>,
    server_keep_alive: Option<u16>,
    session_expiry_interval: Option<u32>,
    assigned_client_identifier: Option<String>,
    response_information: Option<String>,
    server_reference: Option<String>,
    reason_string: Option<String>,
    user_properties: Vec<(String, String)>,
}

fn ping(args: &[&str]) -> std::process::Command {
    let mut cmd = mqtk();
    cmd.args(["ping", "-i", "0.05", "--json"]);
    cmd.args(args);
    cmd
}

/// Runs a ping and parses every line.
fn run_ping(cmd: std::process::Command) -> (i32, Vec<Record>, String) {
    let out = run(cmd, b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let records = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), records, stderr)
}

fn connection(records: &[Record]) -> &Connection {
    match &records[0] {
        Record::Connection(c) => c,
        other => panic!("first record: {other:?}"),
    }
}

fn probes(records: &[Record]) -> Vec<&Probe> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Probe(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn summary(records: &[Record]) -> &Summary {
    match records.last() {
        Some(Record::Summary(s)) => s,
        other => panic!("last record: {other:?}"),
    }
}

fn path(name: &str) -> String {
    cert(name).to_str().unwrap().to_string()
}

#[test]
fn three_pingreq_probes_answer_and_exit_0() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let (code, records, stderr) = run_ping(ping(&["-h", "127.0.0.1", "-p", &port, "-c", "3"]));
    assert_eq!(code, 0, "{stderr}");
    let c = connection(&records);
    assert_eq!(
        (c.protocol.as_str(), c.probe.as_str()),
        ("3.1.1", "pingreq")
    );
    assert_eq!(
        c.address.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert!(c.phases_ms.dns.is_some() && c.phases_ms.tcp.is_some());
    assert!(
        c.phases_ms.tls.is_none() && c.phases_ms.websocket.is_none() && c.phases_ms.proxy.is_none()
    );
    let sum = c.phases_ms.dns.unwrap() + c.phases_ms.tcp.unwrap() + c.phases_ms.connack;
    assert!((c.total_ms - sum).abs() < 0.01, "{c:?}");
    assert!(!c.session_present && !c.reconnect);
    let probes = probes(&records);
    assert_eq!(probes.iter().map(|p| p.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(probes
        .iter()
        .all(|p| !p.lost && p.rtt_ms.unwrap() > 0.0 && p.error.is_none()));
    let s = summary(&records);
    assert_eq!((s.transmitted, s.received, s.lost), (3, 3, 0));
    assert_eq!(s.loss_percent, 0.0);
    let rtt = s.rtt_ms.as_ref().unwrap();
    assert!(rtt.min <= rtt.avg && rtt.avg <= rtt.max && rtt.mdev >= 0.0);
    assert!(s.ack_ms.is_none() && s.time_ms > 0.0);
    assert!(s.broker.contains(&port));
}

#[test]
fn text_output_reads_like_ping8() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-p",
        &broker.port.to_string(),
        "-c",
        "2",
        "-i",
        "0.05",
    ]);
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("connected to localhost:"), "{text}");
    assert_in_order(lines[0], &["dns ", "tcp ", "connack "]);
    assert!(
        lines[1].starts_with("seq=1 rtt=") && lines[2].starts_with("seq=2 rtt="),
        "{text}"
    );
    assert!(
        text.contains("2 probes transmitted, 2 received, 0% loss, time "),
        "{text}"
    );
    assert!(text.contains("rtt min/avg/max/mdev = "), "{text}");
}

/// Each needle appears in `line`, in this order.
fn assert_in_order(line: &str, needles: &[&str]) {
    let positions: Vec<usize> = needles
        .iter()
        .map(|n| {
            line.find(n)
                .unwrap_or_else(|| panic!("'{n}' not in: {line}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "{needles:?} out of order: {line}"
    );
}

#[test]
fn phases_are_listed_in_the_order_they_happen() {
    let broker = Broker::builder().wss().start();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-h",
        "localhost",
        "-p",
        &broker.wss_port.unwrap().to_string(),
        "--ws",
        "--cafile",
        &path("ca.pem"),
        "-c",
        "1",
    ]);
    let out = run(cmd, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_in_order(
        text.lines().next().unwrap(),
        &["dns ", "tcp ", "tls ", "websocket ", "connack "],
    );
}

#[test]
fn phases_over_tls_mtls_websockets_and_unix() {
    let broker = Broker::builder().tls().mtls().ws().wss().unix().start();
    let ca = path("ca.pem");
    let tls = broker.tls_port.unwrap().to_string();
    let mtls = broker.mtls_port.unwrap().to_string();
    let ws = broker.ws_port.unwrap().to_string();
    let wss = broker.wss_port.unwrap().to_string();
    let unix = broker
        .unix_path
        .as_ref()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let (cert_file, key_file) = (path("client.pem"), path("client-pkcs8.key"));
    type Check = fn(&Phases) -> bool;
    let cases: Vec<(Vec<&str>, Check)> = vec![
        (vec!["-h", "localhost", "-p", &tls, "--cafile", &ca], |p| {
            p.dns.is_some() && p.tcp.is_some() && p.tls.is_some() && p.websocket.is_none()
        }),
        (
            vec![
                "-h",
                "localhost",
                "-p",
                &mtls,
                "--cafile",
                &ca,
                "--cert",
                &cert_file,
                "--key",
                &key_file,
            ],
            |p| p.tls.is_some() && p.websocket.is_none(),
        ),
        (vec!["-h", "127.0.0.1", "-p", &ws, "--ws"], |p| {
            p.tcp.is_some() && p.tls.is_none() && p.websocket.is_some()
        }),
        (
            vec!["-h", "localhost", "-p", &wss, "--ws", "--cafile", &ca],
            |p| p.tls.is_some() && p.websocket.is_some(),
        ),
        (vec!["--unix", &unix], |p| {
            p.dns.is_none() && p.tcp.is_some() && p.tls.is_none() && p.websocket.is_none()
        }),
    ];
    for (args, check) in cases {
        let mut all = args.clone();
        all.extend(["-c", "2"]);
        let (code, records, stderr) = run_ping(ping(&all));
        assert_eq!(code, 0, "{args:?}: {stderr}");
        let c = connection(&records);
        assert!(check(&c.phases_ms), "{args:?}: {c:?}");
        assert_eq!(summary(&records).received, 2, "{args:?}");
    }
}

#[test]
fn publish_probe_times_routing_and_the_ack() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    for qos in ["0", "1", "2"] {
        let (code, records, stderr) = run_ping(ping(&[
            "-p", &port, "-c", "3", "--probe", "publish", "-q", qos,
        ]));
        assert_eq!(code, 0, "qos {qos}: {stderr}");
        assert_eq!(connection(&records).probe, "publish");
        let probes = probes(&records);
        assert_eq!(probes.len(), 3, "qos {qos}");
        for p in &probes {
            assert!(p.rtt_ms.is_some());
            assert_eq!(p.ack_ms.is_some(), qos != "0", "qos {qos}: {p:?}");
        }
        assert_eq!(summary(&records).ack_ms.is_some(), qos != "0");
    }
}

#[test]
fn connect_probe_opens_a_connection_per_probe_and_info_reports_v5_capabilities() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let (code, records, stderr) = run_ping(ping(&[
        "-p", &port, "-c", "2", "--probe", "connect", "-V", "5", "--info",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let c = connection(&records);
    assert_eq!(c.protocol, "5");
    assert!(
        c.assigned_client_id
            .as_deref()
            .unwrap_or("")
            .starts_with("auto-"),
        "{c:?}"
    );
    let info = records
        .iter()
        .find_map(|r| match r {
            Record::Info(i) => Some(i),
            _ => None,
        })
        .expect("an info record");
    assert!(info.announced && info.protocol == "5");
    assert_eq!(info.maximum_qos, Some(2));
    assert_eq!(info.retain_available, Some(true));
    assert_eq!(info.receive_maximum, Some(20), "mosquitto's default");
    for p in probes(&records) {
        let phases = p
            .phases_ms
            .as_ref()
            .expect("connect probes carry their phases");
        assert!(phases.tcp.is_some() && phases.connack > 0.0);
    }

    let (code, records, _) = run_ping(ping(&["-p", &port, "-c", "1", "--info"]));
    assert_eq!(code, 0);
    assert!(records
        .iter()
        .any(|r| matches!(r, Record::Info(i) if !i.announced && i.maximum_qos.is_none())));
}

#[test]
fn refused_and_unreachable_brokers_fail_within_the_timeout() {
    let broker = Broker::builder().password("alice", "s3cret").start();
    let port = broker.port.to_string();
    let mut cmd = mqtk();
    cmd.args(["ping", "-p", &port, "-u", "alice", "-P", "wrong"]);
    assert_fails(cmd, 5, "not authorised");
    let mut cmd = mqtk();
    cmd.args(["ping", "-p", &port, "-u", "alice", "-P", "wrong", "-V", "5"]);
    assert_fails(cmd, 135, "not authorized");

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-h",
        "127.0.0.1",
        "-p",
        &closed.to_string(),
        "-c",
        "1",
        "--timeout",
        "2s",
    ]);
    let started = Instant::now();
    assert_fails(cmd, 69, "connection refused");
    assert!(started.elapsed() < Duration::from_secs(2));

    // A server that accepts and never speaks MQTT.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-h",
        "127.0.0.1",
        "-p",
        &silent_port,
        "-c",
        "1",
        "--timeout",
        "1s",
    ]);
    let started = Instant::now();
    assert_fails(cmd, 71, "no CONNACK");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}

#[test]
fn a_stopped_broker_loses_probes_and_exits_76() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-p",
        &port,
        "-c",
        "8",
        "-i",
        "0.3",
        "--timeout",
        "0.5s",
        "--json",
    ]);
    let sub = SubProcess::spawn(cmd);
    // The connection and the first answered probe, then the broker freezes; for 2 s, so
    // that a signal delivered late on a loaded machine still costs probes.
    sub.wait_lines(2, Duration::from_secs(10));
    broker.stop_signal(19); // SIGSTOP
    std::thread::sleep(Duration::from_millis(2000));
    broker.stop_signal(18); // SIGCONT
    let done = sub.finish(Duration::from_secs(20));
    assert_eq!(done.code, 76, "{}", done.stderr);
    let records: Vec<Record> = done
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let probes = probes(&records);
    let lost = probes.iter().filter(|p| p.lost).count();
    assert!(lost >= 2, "{probes:?}");
    assert!(probes.iter().any(|p| !p.lost), "{probes:?}");
    assert!(probes.iter().filter(|p| p.lost).all(|p| p
        .error
        .as_deref()
        .unwrap()
        .contains("no answer within")));
    let s = summary(&records);
    assert_eq!(s.transmitted, 8);
    assert_eq!(s.lost as usize, lost);
    assert_eq!(s.received + s.lost, 8);
    assert!(
        done.stderr.contains("probes got no answer"),
        "{}",
        done.stderr
    );
}

#[test]
fn ctrl_c_prints_the_summary() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-p",
        &broker.port.to_string(),
        "-c",
        "0",
        "-i",
        "0.1",
    ]);
    let sub = SubProcess::spawn(cmd);
    sub.wait_lines(3, Duration::from_secs(10));
    sub.signal("INT");
    let done = sub.finish(Duration::from_secs(10));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let text = String::from_utf8_lossy(&done.stdout);
    assert!(
        text.contains("probes transmitted") && text.contains("0% loss"),
        "{text}"
    );
}

#[test]
fn deadline_bounds_the_run_and_bad_flags_are_usage_errors() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let started = Instant::now();
    let (code, stderr) = run_code({
        let mut cmd = mqtk();
        cmd.args(["ping", "-p", &port, "-c", "0", "-i", "0.1", "-w", "1s"]);
        cmd
    });
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < Duration::from_millis(3500));
    for (args, needle) in [
        (&["-i", "0"][..], "give more than zero seconds"),
        (&["--timeout", "soon"], "--timeout"),
        (&["-q", "1"], "-q sets the QoS of --probe publish"),
        (&["--probe", "icmp"], "--probe"),
    ] {
        let mut cmd = mqtk();
        cmd.args(["ping", "-p", &port]);
        cmd.args(args);
        assert_fails(cmd, 64, needle);
    }
}

#[test]
fn proxy_phase_is_timed() {
    let broker = Broker::start();
    let (proxy_port, proxy) = crate::transports::connect_proxy();
    let (code, records, stderr) = run_ping(ping(&[
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port.to_string(),
        "--proxy",
        &format!("http://127.0.0.1:{proxy_port}"),
        "-c",
        "1",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(connection(&records).phases_ms.proxy.is_some());
    assert!(proxy.join().unwrap().starts_with("CONNECT 127.0.0.1:"));
}

/// `--wait` started before the broker: it retries until mosquitto (started 2 s later on the
/// port mqtk was given) answers, prints the connection and exits 0 with no probes.
#[test]
fn wait_connects_once_a_late_broker_starts() {
    let port = crate::broker::free_port();
    let started = Instant::now();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "--wait",
        "10s",
        "--json",
        "-d",
    ]);
    let waiting = SubProcess::spawn(cmd);
    std::thread::sleep(Duration::from_secs(2));
    let _broker = Broker::builder().port(port).start();
    let done = waiting.finish(Duration::from_secs(15));
    let elapsed = started.elapsed();
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let records: Vec<Record> = done
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(!connection(&records).reconnect);
    // -d: one line per attempt, the refused ones first, then the one that connected.
    let attempts: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.contains("--wait: attempt"))
        .collect();
    assert!(attempts.len() >= 3, "{}", done.stderr);
    assert!(
        attempts[0].contains("connection refused"),
        "{}",
        done.stderr
    );
    assert!(
        attempts.last().unwrap().contains("connected after"),
        "{}",
        done.stderr
    );
    // Paced, not a busy loop: 2 s of refusals at one attempt per 200 ms is about 10.
    assert!(attempts.len() <= 20, "{}", done.stderr);
    assert!(!done.stderr.contains("sending PINGREQ"), "{}", done.stderr);
}

/// `--wait` with nothing listening gives up when the time is up, with the refusal's code
/// and message (one line, noting the attempts); without -d it says nothing per attempt.
#[test]
fn wait_gives_up_with_the_last_failure() {
    let port = crate::broker::free_port().to_string();
    let mut cmd = mqtk();
    cmd.args(["ping", "-h", "127.0.0.1", "-p", &port, "--wait", "1s"]);
    let started = Instant::now();
    let (code, stderr) = run_code(cmd);
    let elapsed = started.elapsed();
    assert_eq!(code, 69, "{stderr}");
    assert!(elapsed >= Duration::from_millis(700), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("mqtk: error: cannot connect to 127.0.0.1:")
            && stderr.contains("connection refused")
            && stderr.contains("attempts in"),
        "{stderr}"
    );

    // A broker that refuses the login ends the wait at once: retrying cannot fix it.
    let broker = Broker::builder().password("alice", "s3cret").start();
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-p",
        &broker.port.to_string(),
        "-u",
        "alice",
        "-P",
        "wrong",
        "--wait",
        "20s",
    ]);
    let started = Instant::now();
    assert_fails(cmd, 5, "not authorised");
    assert!(started.elapsed() < Duration::from_secs(5));

    for args in [&["-c", "2"][..], &["--probe", "publish"], &["--wait", "0"]] {
        let mut cmd = mqtk();
        cmd.args(["ping", "-p", &port, "--wait", "1s"]);
        cmd.args(args);
        let (code, stderr) = run_code(cmd);
        assert_eq!(code, 64, "{args:?}: {stderr}");
    }
}

/// `--probe publish --topic T` subscribes and publishes on T: a subscriber on T sees the
/// probe, the -d trace names it, and a broker whose ACL allows only T's tree is pingable.
#[test]
fn publish_probe_uses_the_given_topic() {
    let broker = Broker::builder().acl("topic readwrite health/#\n").start();
    let port = broker.port.to_string();
    let watcher = SubProcess::start(crate::util::subscribe(
        broker.port,
        &["-t", "health/#", "-C", "1", "-F", "%t %l"],
    ));
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-p",
        &port,
        "--probe",
        "publish",
        "--topic",
        "health/mqtk",
        "-c",
        "1",
        "-d",
    ]);
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("sending SUBSCRIBE (m1, 'health/mqtk'")
            && stderr.contains("sending PUBLISH (d0, q0, r0, m0, 'health/mqtk'"),
        "{stderr}"
    );
    let seen = watcher.finish(Duration::from_secs(10));
    assert_eq!(seen.lines(), ["health/mqtk 8"], "{}", seen.stderr);

    // The generated topic is outside the ACL: mosquitto 2.0 grants the subscription but
    // drops the publish ("Denied PUBLISH" in its log), so the probe is lost.
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-p",
        &port,
        "--probe",
        "publish",
        "-c",
        "1",
        "--timeout",
        "1s",
    ]);
    assert_fails(cmd, 76, "1 of 1 probes got no answer");

    let mut cmd = mqtk();
    cmd.args(["ping", "-p", &port, "--topic", "health/x"]);
    assert_fails(cmd, 64, "--topic sets the topic of --probe publish");
    let mut cmd = mqtk();
    cmd.args([
        "ping", "-p", &port, "--probe", "publish", "--topic", "health/+",
    ]);
    assert_fails(cmd, 64, "wildcards");
}

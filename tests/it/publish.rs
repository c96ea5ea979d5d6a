//! `mqtk pub` on a plain listener: what arrives is checked byte for byte, with QoS and
//! retain flag, by an independent rumqttc subscriber.

use std::io::Write;
use std::time::Duration;

use crate::broker::Broker;
use crate::subscriber::Subscriber;
use crate::util::{assert_fails, publish, run, run_ok, topic};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn each_qos_is_delivered_with_its_qos() {
    let broker = Broker::start();
    for qos in 0..=2u8 {
        let t = topic("qos");
        let sub = Subscriber::start(broker.port, &t, 2);
        run_ok(publish(
            broker.port,
            &["-t", &t, "-m", "hello", "-q", &qos.to_string()],
        ));
        let got = sub.wait_for(1, WAIT);
        assert_eq!(got.len(), 1, "qos {qos}");
        assert_eq!(got[0].payload, b"hello");
        assert_eq!(got[0].qos, qos);
        assert!(!got[0].retain);
        assert_eq!(
            sub.settle(Duration::from_millis(300)).len(),
            1,
            "exactly once at qos {qos}"
        );
    }
}

#[test]
fn retained_message_is_kept_and_cleared_by_retain_null() {
    let broker = Broker::start();
    let t = topic("retain");
    run_ok(publish(
        broker.port,
        &["-t", &t, "-m", "kept", "-r", "-q", "1"],
    ));
    let late = Subscriber::start(broker.port, &t, 1);
    let got = late.wait_for(1, WAIT);
    assert_eq!(
        (got[0].payload.as_slice(), got[0].retain),
        (&b"kept"[..], true)
    );

    run_ok(publish(broker.port, &["-t", &t, "-r", "-n", "-q", "1"]));
    let after_clear = Subscriber::start(broker.port, &t, 1);
    assert!(
        after_clear.settle(Duration::from_millis(500)).is_empty(),
        "retained message not cleared"
    );
}

#[test]
fn stdin_lines_at_qos1_arrive_complete_and_in_order() {
    let broker = Broker::start();
    let t = topic("lines");
    let sub = Subscriber::start(broker.port, &t, 1);
    let count = 100_000;
    let mut input = Vec::new();
    for i in 0..count {
        writeln!(input, "message {i:08} {}", "x".repeat(40)).unwrap();
    }
    let output = run(publish(broker.port, &["-t", &t, "-l", "-q", "1"]), &input);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = sub.wait_for(count, Duration::from_secs(60));
    assert_eq!(got.len(), count);
    for (i, message) in got.iter().enumerate() {
        assert_eq!(
            message.payload,
            format!("message {i:08} {}", "x".repeat(40)).into_bytes(),
            "message {i}"
        );
    }
}

#[test]
fn stdin_lines_at_qos2_stay_within_the_brokers_receive_maximum() {
    // mosquitto drops a client holding more than 20 unreleased QoS 2 messages.
    let broker = Broker::start();
    for version in ["311", "5"] {
        let t = topic("lines-qos2");
        let sub = Subscriber::start(broker.port, &t, 2);
        let input: String = (0..3000).map(|i| format!("{i}\n")).collect();
        let output = run(
            publish(broker.port, &["-t", &t, "-l", "-q", "2", "-V", version]),
            input.as_bytes(),
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "-V {version}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let got = sub.wait_for(3000, Duration::from_secs(30));
        assert_eq!(got.len(), 3000, "-V {version}");
        assert!(
            got.iter()
                .enumerate()
                .all(|(i, m)| m.payload == i.to_string().into_bytes()),
            "-V {version}: order"
        );
    }
}

#[test]
fn stdin_lines_keep_empty_lines_and_the_unterminated_last_line() {
    let broker = Broker::start();
    let t = topic("lines-edge");
    let sub = Subscriber::start(broker.port, &t, 0);
    let output = run(publish(broker.port, &["-t", &t, "-l"]), b"a\n\nb\r\nlast");
    assert_eq!(output.status.code(), Some(0));
    let payloads: Vec<Vec<u8>> = sub
        .wait_for(4, WAIT)
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(
        payloads,
        vec![
            b"a".to_vec(),
            b"".to_vec(),
            b"b\r".to_vec(),
            b"last".to_vec()
        ]
    );
}

#[test]
fn binary_file_of_one_mebibyte_arrives_byte_exact() {
    let broker = Broker::start();
    let t = topic("file");
    let sub = Subscriber::start(broker.port, &t, 1);
    let bytes: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.bin");
    std::fs::write(&file, &bytes).unwrap();
    run_ok(publish(
        broker.port,
        &["-t", &t, "-f", file.to_str().unwrap(), "-q", "1"],
    ));
    let got = sub.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    assert!(got[0].payload == bytes, "payload differs");
}

#[test]
fn whole_stdin_is_one_binary_message() {
    let broker = Broker::start();
    let t = topic("stdin");
    let sub = Subscriber::start(broker.port, &t, 0);
    let bytes: Vec<u8> = (0..=255u8).chain([b'\n', 0, b'\n']).collect();
    let output = run(publish(broker.port, &["-t", &t, "-s"]), &bytes);
    assert_eq!(output.status.code(), Some(0));
    let got = sub.wait_for(1, WAIT);
    assert_eq!(got[0].payload, bytes);
    assert_eq!(sub.settle(Duration::from_millis(300)).len(), 1);
}

#[test]
fn null_message_is_zero_length() {
    let broker = Broker::start();
    let t = topic("null");
    let sub = Subscriber::start(broker.port, &t, 0);
    run_ok(publish(broker.port, &["-t", &t, "-n"]));
    let got = sub.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    assert!(got[0].payload.is_empty());
}

#[test]
fn repeat_sends_the_message_n_times() {
    let broker = Broker::start();
    let t = topic("repeat");
    let sub = Subscriber::start(broker.port, &t, 1);
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &t,
            "-m",
            "again",
            "--repeat",
            "5",
            "--repeat-delay",
            "0.01",
            "-q",
            "1",
        ],
    ));
    assert_eq!(sub.wait_for(5, WAIT).len(), 5);
    assert_eq!(sub.settle(Duration::from_millis(300)).len(), 5);
}

#[test]
fn rate_paces_the_messages() {
    let broker = Broker::start();
    let t = topic("rate");
    let sub = Subscriber::start(broker.port, &t, 0);
    let started = std::time::Instant::now();
    run_ok(publish(
        broker.port,
        &["-t", &t, "-m", "paced", "--repeat", "6", "--rate", "20"],
    ));
    // Six messages at 20/s take at least the five gaps between them.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sub.wait_for(6, WAIT).len(), 6);
}

#[test]
fn jsonl_publishes_text_binary_qos_and_retain_per_line() {
    let broker = Broker::start();
    let base = topic("jsonl");
    let sub = Subscriber::start(broker.port, &format!("{base}/#"), 2);
    let input = format!(
        "{{\"topic\":\"{base}/a\",\"payload\":\"text\"}}\n\
         {{\"topic\":\"{base}/b\",\"payload_base64\":\"AAH/\",\"qos\":2}}\n\
         \n\
         {{\"topic\":\"{base}/c\",\"payload\":\"r\",\"qos\":1,\"retain\":true}}\n"
    );
    let output = run(publish(broker.port, &["--jsonl"]), input.as_bytes());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut got = sub.wait_for(3, WAIT);
    assert_eq!(got.len(), 3);
    // mosquitto forwards a QoS 2 message only after PUBREL, so arrival order may differ.
    got.sort_by(|a, b| a.topic.cmp(&b.topic));
    assert_eq!(
        (got[0].topic.as_str(), got[0].payload.as_slice(), got[0].qos),
        (&*format!("{base}/a"), &b"text"[..], 0)
    );
    assert_eq!(
        (got[1].payload.as_slice(), got[1].qos),
        (&[0u8, 1, 255][..], 2)
    );
    assert_eq!(
        (got[2].qos, got[2].retain),
        (1, false),
        "a live subscriber sees retain 0"
    );
    // The retained flag was honoured: a new subscriber gets it.
    let late = Subscriber::start(broker.port, &format!("{base}/c"), 1);
    assert!(late.wait_for(1, WAIT)[0].retain);
    run_ok(publish(
        broker.port,
        &["-t", &format!("{base}/c"), "-r", "-n"],
    ));
}

#[test]
fn malformed_jsonl_line_fails_after_sending_the_lines_before_it() {
    let broker = Broker::start();
    let t = topic("jsonl-bad");
    let sub = Subscriber::start(broker.port, &t, 1);
    let input = "{\"payload\":\"one\"}\n{\"payload\":\"two\"}\n{\"payload\": oops}\n{\"payload\":\"four\"}\n";
    let output = run(
        publish(broker.port, &["-t", &t, "--jsonl", "-q", "1"]),
        input.as_bytes(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("--jsonl line 3"), "{stderr}");
    let got = sub.wait_for(2, WAIT);
    assert_eq!(
        got.iter().map(|m| m.payload.as_slice()).collect::<Vec<_>>(),
        vec![&b"one"[..], b"two"]
    );
    assert_eq!(
        sub.settle(Duration::from_millis(300)).len(),
        2,
        "nothing after the bad line"
    );
}

#[test]
fn jsonl_topic_with_nul_or_wildcard_is_a_data_error() {
    let broker = Broker::start();
    for (line, needle) in [
        ("{\"topic\":\"a\\u0000b\",\"payload\":\"x\"}", "NUL"),
        ("{\"topic\":\"a/+\",\"payload\":\"x\"}", "wildcards"),
        ("{\"topic\":\"a\",\"payload\":\"x\",\"qos\":3}", "qos"),
        ("{\"topic\":\"a\",\"paylaod\":\"x\"}", "unknown field"),
        ("{\"payload\":\"x\"}", "no \"topic\""),
    ] {
        let output = run(
            publish(broker.port, &["--jsonl"]),
            format!("{line}\n").as_bytes(),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(65), "{line}: {stderr}");
        assert!(
            stderr.contains("--jsonl line 1") && stderr.contains(needle),
            "{line}: {stderr}"
        );
    }
}

#[test]
fn bad_arguments_fail_before_connecting() {
    // Port 9 (discard) is never connected to: every error here comes first.
    let long_topic = "t".repeat(65536);
    for (args, needle) in [
        (vec!["-t", "a/#", "-m", "x"], "wildcards"),
        (vec!["-t", "a/+/b", "-m", "x"], "wildcards"),
        (vec!["-t", "", "-m", "x"], "empty"),
        (vec!["-t", long_topic.as_str(), "-m", "x"], "65535"),
        (vec!["-t", "a", "-m", "x", "-q", "3"], "qos"),
        (
            vec!["-t", "a", "-m", "x", "-f", "/etc/hostname"],
            "cannot be used with",
        ),
        (vec!["-t", "a"], "give the message"),
        (vec!["-m", "x"], "-t/--topic is required"),
        (
            vec![
                "-t",
                "a",
                "-m",
                "x",
                "-V",
                "31",
                "-i",
                "a-client-id-of-24-bytes!",
            ],
            "MQTT 3.1 takes client ids of 1 to 23 bytes",
        ),
        (
            vec!["-t", "a", "-m", "x", "-V", "7"],
            "-V/--protocol-version",
        ),
        (vec!["-t", "a", "-m", "x", "-x", "60"], "MQTT 5"),
        (
            vec!["-t", "a", "-m", "x", "-c"],
            "-c/--disable-clean-session needs a client id",
        ),
        (
            vec!["-t", "a", "-m", "x", "--will-payload", "w"],
            "--will-topic",
        ),
        (
            vec!["-t", "a", "-m", "x", "--will-topic", "w/#"],
            "wildcards",
        ),
        (
            vec!["-t", "a", "-m", "x", "--cert", "c.pem"],
            "--cert needs --key",
        ),
        (
            vec!["-t", "a", "-m", "x", "-D", "publish", "colour", "red"],
            "not a publish property",
        ),
        (
            vec![
                "-t",
                "a",
                "-m",
                "x",
                "-V",
                "311",
                "-D",
                "publish",
                "content-type",
                "x",
            ],
            "need MQTT 5",
        ),
        (vec!["-t", "a", "-m", "x", "--repeat", "0"], "--repeat"),
        (
            vec!["-t", "a", "-m", "x", "--repeat-delay", "1"],
            "--repeat-delay needs --repeat",
        ),
        (vec!["-t", "a", "-m", "x", "--ws-path", "/x"], "--ws-path"),
        (
            vec![
                "-t",
                "a",
                "-m",
                "x",
                "-D",
                "will",
                "user-property",
                "k",
                "v",
            ],
            "need --will-topic",
        ),
        (
            vec!["-t", "a", "-m", "x", "--ws", "--ws-header", "Bad Name: v"],
            "--ws-header",
        ),
        (vec!["-t", "a", "-m", "x", "--rate", "1e-300"], "rate"),
        (
            vec!["-t", "a", "-l", "--repeat", "2"],
            "--repeat works with",
        ),
        (vec!["-t", "a", "-m", "x", "--rate", "0"], "rate"),
        (
            vec!["-t", "a", "-m", "x", "-P", "secret"],
            "needs a username",
        ),
        (
            vec!["-t", "a", "-m", "x", "--ws-header", "NoColon"],
            "--ws-header",
        ),
        (
            vec!["-t", "a", "-m", "x", "--tls-version", "tlsv1.1"],
            "--tls-version",
        ),
        (
            vec!["-t", "a", "-m", "x", "-L", "http://host/x"],
            "-L/--url",
        ),
        (
            vec!["-t", "a", "-m", "x", "--unix", "/tmp/s", "--ws"],
            "--unix",
        ),
    ] {
        let mut cmd = crate::util::mqtk();
        cmd.args(["pub", "-h", "127.0.0.1", "-p", "9"]).args(&args);
        assert_fails(cmd, 64, needle);
    }
}

#[test]
fn unreadable_file_is_exit_66() {
    let mut cmd = crate::util::mqtk();
    cmd.args([
        "pub",
        "-p",
        "9",
        "-t",
        "a",
        "-f",
        "/nonexistent/payload.bin",
    ]);
    assert_fails(cmd, 66, "-f/--file /nonexistent/payload.bin");
}

#[test]
fn payload_above_the_brokers_maximum_is_refused_and_nothing_is_sent() {
    let broker = Broker::builder().max_packet_size(1000).start();
    let t = topic("too-big");
    let sub = Subscriber::start(broker.port, &t, 0);
    let big = "x".repeat(2000);
    assert_fails(
        publish(broker.port, &["-t", &t, "-m", &big, "-V", "5"]),
        65,
        "too large",
    );
    // -l: the lines before the oversized one are delivered, then the run stops.
    let input = format!("small\n{big}\nafter\n");
    let output = run(
        publish(broker.port, &["-t", &t, "-l", "-V", "5", "-q", "1"]),
        input.as_bytes(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("stdin line 2"), "{stderr}");
    let got = sub.settle(Duration::from_millis(500));
    assert_eq!(
        got.iter().map(|m| m.payload.as_slice()).collect::<Vec<_>>(),
        vec![&b"small"[..]]
    );
}

#[test]
fn mqtt5_publish_properties_reach_the_subscriber() {
    let broker = Broker::start();
    let t = topic("props");
    let sub = Subscriber::start_v5(broker.port, &t, 1);
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &t,
            "-m",
            "{}",
            "-q",
            "1",
            "-D",
            "publish",
            "content-type",
            "application/json",
            "-D",
            "publish",
            "user-property",
            "k",
            "v1",
            "-D",
            "publish",
            "user-property",
            "k",
            "v2",
            "-D",
            "publish",
            "response-topic",
            "reply/here",
            "-D",
            "publish",
            "correlation-data",
            "abc123",
            "-D",
            "publish",
            "message-expiry-interval",
            "300",
            "-D",
            "publish",
            "payload-format-indicator",
            "1",
        ],
    ));
    let got = sub.wait_for(1, WAIT);
    let m = &got[0];
    assert_eq!(m.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        m.user_properties,
        vec![
            ("k".to_string(), "v1".to_string()),
            ("k".to_string(), "v2".to_string())
        ]
    );
    assert_eq!(m.response_topic.as_deref(), Some("reply/here"));
    assert_eq!(m.correlation_data.as_deref(), Some(&b"abc123"[..]));
    assert!(matches!(m.message_expiry_interval, Some(n) if n > 0 && n <= 300));
    assert_eq!(m.payload_format_indicator, Some(1));
}

#[test]
fn topic_alias_is_reused_after_the_first_message() {
    let broker = Broker::start();
    let t = topic("alias");
    let sub = Subscriber::start_v5(broker.port, &t, 1);
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &t,
            "-m",
            "a",
            "--repeat",
            "3",
            "-q",
            "1",
            "-D",
            "publish",
            "topic-alias",
            "1",
        ],
    ));
    let got = sub.wait_for(3, WAIT);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| m.topic == t), "{got:?}");
}

#[test]
fn mqtt5_rejected_publish_exits_74() {
    let broker = Broker::builder().acl("topic readwrite allowed/#\n").start();
    assert_fails(
        publish(
            broker.port,
            &["-t", "denied/x", "-m", "x", "-q", "1", "-V", "5"],
        ),
        74,
        "rejected by the broker",
    );
    assert_fails(
        publish(
            broker.port,
            &["-t", "denied/x", "-m", "x", "-q", "2", "-V", "5"],
        ),
        74,
        "rejected by the broker",
    );
    // Several lines: the run stops at the rejection and says so; it does not hang.
    let output = run(
        publish(broker.port, &["-t", "denied/x", "-l", "-q", "2", "-V", "5"]),
        b"a\nb\nc\n",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(74), "{stderr}");
    assert!(
        stderr.contains("rejected by the broker: not authorized (0x87)"),
        "{stderr}"
    );
    run_ok(publish(
        broker.port,
        &["-t", "allowed/x", "-m", "x", "-q", "1", "-V", "5"],
    ));
}

#[test]
fn topic_alias_above_the_brokers_maximum_is_refused_before_sending() {
    // mosquitto announces a topic-alias maximum of 10.
    let broker = Broker::start();
    let t = topic("alias-max");
    let sub = Subscriber::start(broker.port, &t, 0);
    assert_fails(
        publish(
            broker.port,
            &["-t", &t, "-m", "x", "-D", "publish", "topic-alias", "11"],
        ),
        64,
        "accepts topic aliases up to 10",
    );
    assert!(sub.settle(Duration::from_millis(300)).is_empty());
}

#[test]
fn jsonl_lines_on_other_topics_do_not_rebind_the_topic_alias() {
    let broker = Broker::start();
    let base = topic("alias-jsonl");
    let sub = Subscriber::start_v5(broker.port, &format!("{base}/#"), 1);
    let input = format!(
        "{{\"payload\":\"1\"}}\n{{\"topic\":\"{base}/b\",\"payload\":\"2\"}}\n{{\"payload\":\"3\"}}\n"
    );
    let a = format!("{base}/a");
    let output = run(
        publish(
            broker.port,
            &[
                "-t",
                &a,
                "--jsonl",
                "-q",
                "1",
                "-D",
                "publish",
                "topic-alias",
                "1",
            ],
        ),
        input.as_bytes(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = sub.wait_for(3, WAIT);
    let topics: Vec<(&str, &[u8])> = got
        .iter()
        .map(|m| (m.topic.as_str(), m.payload.as_slice()))
        .collect();
    let b = format!("{base}/b");
    assert_eq!(
        topics,
        vec![
            (a.as_str(), &b"1"[..]),
            (b.as_str(), b"2"),
            (a.as_str(), b"3")
        ]
    );
}

#[test]
fn jsonl_mixing_qos1_and_qos2_waits_for_every_acknowledgement() {
    // rumqttc reuses a QoS 2 packet id after PUBREC, while its PUBCOMP is still due.
    let broker = Broker::start();
    let t = topic("mixed-qos");
    let sub = Subscriber::start(broker.port, &t, 2);
    let input: String = (0..2000)
        .map(|i| format!("{{\"payload\":\"{i}\",\"qos\":{}}}\n", 1 + i % 2))
        .collect();
    let output = run(
        publish(broker.port, &["-t", &t, "--jsonl"]),
        input.as_bytes(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut got: Vec<u32> = sub
        .wait_for(2000, Duration::from_secs(30))
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).parse().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..2000).collect::<Vec<u32>>());
}

//! `mqtk sub` against a real mosquitto: counts, timeouts, retained handling, filters,
//! durable sessions, output formats, broker restarts and failures. Messages are published
//! with `mqtk pub` only after the subscriber's SUBACK (seen in its `-d` trace).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::broker::Broker;
use crate::subscriber::Subscriber;
use crate::util::{
    assert_fails, mqtk, publish, run, run_code, run_ok, subscribe, topic, SubProcess,
};

const WAIT: Duration = Duration::from_secs(10);

fn send(port: u16, t: &str, payload: &str, extra: &[&str]) {
    let mut args = vec!["-t", t, "-m", payload];
    args.extend_from_slice(extra);
    run_ok(publish(port, &args));
}

#[test]
fn count_prints_exactly_n_and_exits_0() {
    let broker = Broker::start();
    let t = topic("count");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "3"]));
    for i in 1..=5 {
        send(broker.port, &t, &format!("m{i}"), &[]);
    }
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.lines(), ["m1", "m2", "m3"]);
}

#[test]
fn timeout_without_traffic_exits_27_after_the_timeout() {
    let broker = Broker::start();
    let started = Instant::now();
    assert_fails(
        subscribe(broker.port, &["-t", &topic("quiet"), "-W", "2"]),
        27,
        "timed out after 2s (-W) with 0 messages",
    );
    let took = started.elapsed();
    assert!(
        // The upper bound leaves room for a loaded 2-core machine (process start and
        // connect count: -W bounds the whole run).
        took >= Duration::from_secs(2) && took < Duration::from_millis(5000),
        "{took:?}"
    );
}

#[test]
fn count_with_timeout_exits_at_the_first_message() {
    let broker = Broker::start();
    let t = topic("first");
    let started = Instant::now();
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "1", "-W", "10"]));
    send(broker.port, &t, "now", &[]);
    let done = sub.finish(WAIT);
    assert_eq!((done.code, done.lines()), (0, vec!["now".to_string()]));
    assert!(started.elapsed() < Duration::from_secs(8), "waited for -W");
}

#[test]
fn timeout_accepts_humantime_and_reports_the_count() {
    let broker = Broker::start();
    let t = topic("partial");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "3", "-W", "3s"]));
    send(broker.port, &t, "only", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 27, "{}", done.stderr);
    assert_eq!(done.lines(), ["only"]);
    assert!(
        done.stderr.contains("with 1 of 3 messages (-C)"),
        "{}",
        done.stderr
    );
}

#[test]
fn output_is_written_as_messages_arrive() {
    let broker = Broker::start();
    let t = topic("live");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-v"]));
    send(broker.port, &t, "one", &[]);
    assert_eq!(sub.wait_lines(1, WAIT), [format!("{t} one")]);
    send(broker.port, &t, "two", &[]);
    assert_eq!(sub.wait_lines(2, WAIT)[1], format!("{t} two"));
}

#[test]
fn verbose_no_newline_and_empty_payloads_follow_mosquitto() {
    let broker = Broker::start();
    let t = topic("shape");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "2", "-v"]));
    send(broker.port, &t, "x y", &[]);
    run_ok(publish(broker.port, &["-t", &t, "-n"]));
    let done = sub.finish(WAIT);
    assert_eq!(done.lines(), [format!("{t} x y"), format!("{t} (null)")]);

    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "3", "-N"]));
    send(broker.port, &t, "a", &[]);
    run_ok(publish(broker.port, &["-t", &t, "-n"]));
    send(broker.port, &t, "b", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.stdout, b"ab");
}

#[test]
fn hide_retained_and_retained_only() {
    let broker = Broker::start();
    let base = topic("retained");
    send(broker.port, &format!("{base}/kept"), "old", &["-r"]);

    // -R: the retained message is not printed, a live one is.
    let sub = SubProcess::start(subscribe(
        broker.port,
        &["-t", &format!("{base}/#"), "-R", "-C", "1"],
    ));
    send(broker.port, &format!("{base}/kept"), "new", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.lines(), ["new"]);

    // -R over MQTT 5 asks the broker not to send retained messages at all.
    let sub = SubProcess::start(subscribe(
        broker.port,
        &["-t", &format!("{base}/#"), "-R", "-C", "1", "-V", "5"],
    ));
    send(broker.port, &format!("{base}/kept"), "newer", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.lines(), ["newer"]);
    assert!(
        !done.stderr.contains("received PUBLISH (d0, q0, r1"),
        "{}",
        done.stderr
    );

    // --retained-only: prints the retained message, exits 0 at the first live one.
    let sub = SubProcess::start(subscribe(
        broker.port,
        &["-t", &format!("{base}/#"), "--retained-only", "-v"],
    ));
    sub.wait_lines(1, WAIT);
    send(broker.port, &format!("{base}/kept"), "live", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.lines(), [format!("{base}/kept old")]);
}

#[test]
fn remove_retained_clears_everything_under_the_filter() {
    let broker = Broker::start();
    let base = topic("clean");
    for (i, qos) in ["0", "1", "2"].iter().enumerate() {
        send(
            broker.port,
            &format!("{base}/t{i}"),
            "r",
            &["-r", "-q", qos],
        );
    }
    send(broker.port, &format!("{base}/keep/x"), "stay", &["-r"]);
    let sub = SubProcess::start(subscribe(
        broker.port,
        &[
            "-t",
            &format!("{base}/#"),
            "-T",
            &format!("{base}/keep/#"),
            "--remove-retained",
            "--retained-only",
            "-v",
        ],
    ));
    sub.wait_lines(3, WAIT);
    // A live message ends --retained-only; our own removals do not.
    send(broker.port, &format!("{base}/other"), "live", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let mut lines = done.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("{base}/t0 r"),
            format!("{base}/t1 r"),
            format!("{base}/t2 r")
        ]
    );

    let check = Subscriber::start(broker.port, &format!("{base}/#"), 1);
    let left = check.settle(Duration::from_millis(700));
    let topics: Vec<&str> = left.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(
        topics,
        [format!("{base}/keep/x")],
        "-T protects from removal"
    );
}

#[test]
fn removing_thousands_of_retained_messages_does_not_stall() {
    let broker = Broker::start();
    let base = topic("many-retained");
    let lines: String = (0..3000)
        .map(|i| {
            format!("{{\"topic\":\"{base}/{i}\",\"payload\":\"r{i}\",\"retain\":true,\"qos\":1}}\n")
        })
        .collect();
    let out = run(publish(broker.port, &["--jsonl"]), lines.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sub = SubProcess::start(subscribe(
        broker.port,
        &[
            "-t",
            &format!("{base}/#"),
            "--remove-retained",
            "--retained-only",
            "-W",
            "60",
        ],
    ));
    sub.wait_lines(3000, Duration::from_secs(30));
    send(broker.port, &format!("{base}/live"), "live", &[]);
    let done = sub.finish(Duration::from_secs(30));
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.lines().len(), 3000);
    let check = Subscriber::start(broker.port, &format!("{base}/#"), 1);
    assert!(
        check.settle(Duration::from_millis(700)).is_empty(),
        "retained messages left"
    );
}

#[test]
fn filter_out_hides_matching_topics() {
    let broker = Broker::start();
    let base = topic("filter");
    let sub = SubProcess::start(subscribe(
        broker.port,
        &[
            "-t",
            &format!("{base}/#"),
            "-T",
            &format!("{base}/noise/+"),
            "-T",
            &format!("{base}/debug"),
            "-C",
            "2",
            "-v",
        ],
    ));
    for (sub_topic, payload) in [
        ("noise/a", "n"),
        ("debug", "d"),
        ("data", "1"),
        ("noise/a/b", "2"),
    ] {
        send(broker.port, &format!("{base}/{sub_topic}"), payload, &[]);
    }
    let done = sub.finish(WAIT);
    assert_eq!(
        done.lines(),
        [format!("{base}/data 1"), format!("{base}/noise/a/b 2")]
    );
}

#[test]
fn exit_on_subscribe_creates_a_durable_session() {
    let broker = Broker::start();
    let t = topic("durable");
    let id = format!("mqtk-durable-{}", std::process::id());
    run_ok(subscribe(
        broker.port,
        &["-t", &t, "-q", "1", "-c", "-i", &id, "-E"],
    ));
    for i in 1..=3 {
        send(broker.port, &t, &format!("queued{i}"), &["-q", "1"]);
    }
    let out = run_ok(subscribe(
        broker.port,
        &["-t", &t, "-q", "1", "-c", "-i", &id, "-C", "3", "-W", "10"],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        ["queued1", "queued2", "queued3"]
    );
}

#[test]
fn messages_after_count_stay_queued_in_a_durable_session() {
    let broker = Broker::start();
    let t = topic("leftover");
    let id = format!("mqtk-leftover-{}", std::process::id());
    let durable = |extra: &[&str]| {
        let mut args = vec![
            "-t",
            t.as_str(),
            "-q",
            "2",
            "-c",
            "-i",
            id.as_str(),
            "-W",
            "10",
        ];
        args.extend_from_slice(extra);
        subscribe(broker.port, &args)
    };
    run_ok(durable(&["-E"]));
    for i in 1..=3 {
        send(broker.port, &t, &format!("m{i}"), &["-q", "2"]);
    }
    // Three runs of -C 1: each gets the next message; nothing is lost or repeated, and no
    // run trips over the previous one's QoS 2 handshake.
    let mut got = Vec::new();
    for _ in 0..3 {
        let out = run_ok(durable(&["-C", "1"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("reconnecting"), "{stderr}");
        got.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    assert_eq!(got, ["m1", "m2", "m3"]);
}

#[test]
fn unsubscribe_removes_a_filter_from_a_durable_session() {
    let broker = Broker::start();
    let base = topic("unsub");
    let (a, b) = (format!("{base}/a"), format!("{base}/b"));
    let id = format!("mqtk-unsub-{}", std::process::id());
    run_ok(subscribe(
        broker.port,
        &["-t", &a, "-t", &b, "-q", "1", "-c", "-i", &id, "-E"],
    ));
    run_ok(subscribe(
        broker.port,
        &["-U", &a, "-q", "1", "-c", "-i", &id, "-E"],
    ));
    send(broker.port, &a, "dropped", &["-q", "1"]);
    send(broker.port, &b, "kept", &["-q", "1"]);
    let out = run_ok(subscribe(
        broker.port,
        &[
            "-t", &b, "-q", "1", "-c", "-i", &id, "-C", "1", "-W", "10", "-v",
        ],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{b} kept")
    );
}

#[test]
fn qos2_messages_are_printed_exactly_once_in_order() {
    let broker = Broker::start();
    let t = topic("qos2");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-q", "2", "-C", "300"]));
    let lines: String = (0..300).map(|i| format!("{i}\n")).collect();
    let out = run(
        publish(broker.port, &["-t", &t, "-q", "2", "-l"]),
        lines.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    let done = sub.finish(Duration::from_secs(30));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let expected: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    assert_eq!(done.lines(), expected);
}

#[test]
fn every_byte_value_survives_json_and_hex() {
    let broker = Broker::start();
    let t = topic("binary");
    let all: Vec<u8> = (0..=255).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.bin");
    std::fs::write(&file, &all).unwrap();

    let json = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "1", "--json"]));
    let hex = SubProcess::start(subscribe(
        broker.port,
        &["-t", &t, "-C", "1", "-F", "%x|%l"],
    ));
    let raw = SubProcess::start(subscribe(broker.port, &["-t", &t, "-C", "1", "-N"]));
    run_ok(publish(
        broker.port,
        &["-t", &t, "-f", file.to_str().unwrap(), "-q", "1"],
    ));

    let done = json.finish(WAIT);
    let value: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert!(value.get("payload").is_none(), "{value}");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value["payload_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, all);
    assert_eq!(value["qos"], 0);

    let done = hex.finish(WAIT);
    let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(done.lines(), [format!("{expected}|256")]);

    assert_eq!(raw.finish(WAIT).stdout, all);
}

#[test]
fn payload_format_applies_to_plain_and_json_output() {
    let broker = Broker::start();
    let t = topic("payload-format");
    let cases: [(&[&str], &str); 4] = [
        (&["--payload-format", "hex"], "00ff41"),
        (&["--payload-format", "base64"], "AP9B"),
        (&["--payload-format", "text"], "\u{0}\u{fffd}A"),
        (
            &["--json", "--payload-format", "hex"],
            r#""payload_hex":"00ff41""#,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.bin");
    std::fs::write(&file, [0u8, 255, b'A']).unwrap();
    for (flags, expected) in cases {
        let mut args = vec!["-t", t.as_str(), "-C", "1"];
        args.extend_from_slice(flags);
        let sub = SubProcess::start(subscribe(broker.port, &args));
        run_ok(publish(
            broker.port,
            &["-t", &t, "-f", file.to_str().unwrap()],
        ));
        let done = sub.finish(WAIT);
        let text = String::from_utf8_lossy(&done.stdout).into_owned();
        assert!(text.contains(expected), "{flags:?}: {text}");
    }
}

#[test]
fn format_fields_against_a_real_message() {
    let broker = Broker::start();
    let t = topic("format");
    let sub = SubProcess::start(subscribe(
        broker.port,
        &[
            "-t",
            &t,
            "-q",
            "1",
            "-C",
            "1",
            "-F",
            "%t|%p|%q|%r|%l|%5l|%-4p|\\t@@",
        ],
    ));
    send(broker.port, &t, "hello", &["-q", "1"]);
    let done = sub.finish(WAIT);
    assert_eq!(done.lines(), [format!("{t}|hello|1|0|5|    5|hell|\t@")]);
}

#[test]
fn v5_properties_are_printed_and_survive_a_json_round_trip() {
    let broker = Broker::start();
    let base = topic("roundtrip");
    let filter = format!("{base}/#");
    let check = Subscriber::start_v5(broker.port, &filter, 2);
    let sub = SubProcess::start(subscribe(
        broker.port,
        &["-t", &filter, "-q", "2", "-V", "5", "-C", "3", "--json"],
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bin");
    std::fs::write(&file, [0u8, 1, 2, 254, 255]).unwrap();
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &format!("{base}/text"),
            "-m",
            "héllo",
            "-q",
            "1",
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
            "content-type",
            "text/plain",
            "-D",
            "publish",
            "response-topic",
            "reply/to",
            "-D",
            "publish",
            "correlation-data",
            "abc",
            "-D",
            "publish",
            "payload-format-indicator",
            "1",
            "-D",
            "publish",
            "message-expiry-interval",
            "3600",
        ],
    ));
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &format!("{base}/bin"),
            "-f",
            file.to_str().unwrap(),
            "-q",
            "2",
        ],
    ));
    run_ok(publish(
        broker.port,
        &["-t", &format!("{base}/empty"), "-n"],
    ));
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let first: serde_json::Value = serde_json::from_str(done.lines().first().unwrap()).unwrap();
    let props = &first["properties"];
    assert_eq!(
        props["user_properties"],
        serde_json::json!([["k", "v1"], ["k", "v2"]])
    );
    assert_eq!(props["content_type"], "text/plain");
    assert_eq!(props["correlation_data"], "abc");
    assert_eq!(props["payload_format_indicator"], 1);
    assert!(props["message_expiry_interval"].as_u64().unwrap() <= 3600);
    assert_eq!(first["qos"], 1);
    assert!(first["mid"].as_u64().unwrap() > 0);
    assert!(first["received_at"].as_str().unwrap().ends_with('Z'));

    // Replay the captured lines: the copies match the originals byte for byte.
    let originals = check.wait_for(3, WAIT);
    let out = run(mqtk_pub_jsonl(broker.port), &done.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = check.wait_for(6, WAIT);
    assert_eq!(all.len(), 6);
    // mosquitto forwards QoS 2 only after PUBREL, so compare by topic, not by position.
    let mut originals = originals[..3].to_vec();
    let mut copies = all[3..].to_vec();
    originals.sort_by(|a, b| a.topic.cmp(&b.topic));
    copies.sort_by(|a, b| a.topic.cmp(&b.topic));
    for (original, copy) in originals.iter().zip(&copies) {
        assert_eq!(copy.topic, original.topic);
        assert_eq!(copy.payload, original.payload);
        assert_eq!(copy.qos, original.qos);
        assert_eq!(copy.user_properties, original.user_properties);
        assert_eq!(copy.content_type, original.content_type);
        assert_eq!(copy.correlation_data, original.correlation_data);
        assert_eq!(copy.response_topic, original.response_topic);
        assert_eq!(
            copy.payload_format_indicator,
            original.payload_format_indicator
        );
    }
}

fn mqtk_pub_jsonl(port: u16) -> std::process::Command {
    publish(port, &["--jsonl", "-V", "5"])
}

#[test]
fn subscription_options_and_identifier_reach_the_broker() {
    let broker = Broker::start();
    let t = topic("v5opts");
    // --no-local: our own publication is not sent back; -D subscribe adds an identifier.
    let sub = SubProcess::start(subscribe(
        broker.port,
        &[
            "-t",
            &t,
            "--no-local",
            "-C",
            "1",
            "-F",
            "%S %p",
            "-D",
            "subscribe",
            "subscription-identifier",
            "42",
        ],
    ));
    send(broker.port, &t, "from-elsewhere", &[]);
    let done = sub.finish(WAIT);
    assert_eq!(done.lines(), ["42 from-elsewhere"]);
    assert_fails(
        subscribe(broker.port, &["-t", &t, "--no-local", "-V", "311"]),
        64,
        "--no-local needs MQTT 5",
    );
}

#[test]
fn retain_as_published_and_retain_handling() {
    let broker = Broker::start();
    let t = topic("rap");
    send(broker.port, &t, "old", &["-r"]);
    // Without --retain-as-published a live forward has retain 0; with it, 1.
    for (flag, expected) in [
        ("--no-local", "0 live"),
        ("--retain-as-published", "1 live"),
    ] {
        let sub = SubProcess::start(subscribe(
            broker.port,
            &[
                "-t",
                &t,
                flag,
                "--retain-handling",
                "2",
                "-C",
                "1",
                "-F",
                "%r %p",
            ],
        ));
        send(broker.port, &t, "live", &["-r"]);
        let done = sub.finish(WAIT);
        assert_eq!(done.lines(), [expected], "{flag}: {}", done.stderr);
    }
    // --retain-handling 0 (the default) delivers the retained message on subscribe.
    let out = run_ok(subscribe(
        broker.port,
        &[
            "-t",
            &t,
            "--retain-handling",
            "0",
            "-C",
            "1",
            "-W",
            "10",
            "-F",
            "%r %p",
        ],
    ));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1 live\n");
}

#[test]
fn pretty_json_spans_lines_and_parses() {
    let broker = Broker::start();
    let t = topic("pretty");
    send(broker.port, &t, "{\"a\":1}", &["-r"]);
    let out = run_ok(subscribe(
        broker.port,
        &["-t", &t, "-C", "1", "--json", "--pretty"],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().count() > 3, "{text}");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["payload"], "{\"a\":1}");
    let out = run_ok(subscribe(broker.port, &["-t", &t, "-C", "1", "-F", "%J"]));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["payload"]["a"], 1);
    // mosquitto 2.1 writes retain as a JSON boolean (2.0.11: 1).
    assert_eq!(value["retain"], true);
}

/// `-F %j` as mosquitto_sub 2.1: user properties as a list in arrival order (a repeated key
/// kept), the topic alias; `--json` (mqtk's own schema) is unchanged; `%.2:x` groups hex.
#[test]
fn mosquitto_json_and_hex_groups_follow_2_1_and_json_lines_stay() {
    let broker = Broker::start();
    let t = topic("json21");
    send(
        broker.port,
        &t,
        "hi",
        &[
            "-r",
            "-D",
            "publish",
            "user-property",
            "k",
            "1",
            "-D",
            "publish",
            "user-property",
            "k",
            "2",
            "-D",
            "publish",
            "user-property",
            "a",
            "z",
        ],
    );
    let out = run_ok(subscribe(
        broker.port,
        &["-t", &t, "-C", "1", "-V", "5", "-F", "%j"],
    ));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        value["properties"]["user-properties"],
        serde_json::json!([{"k": "1"}, {"k": "2"}, {"a": "z"}]),
        "{value}"
    );
    assert_eq!(value["retain"], true);
    let tst = value["tst"].as_str().unwrap();
    assert!(!tst.contains('Z'), "{tst}");

    let out = run_ok(subscribe(
        broker.port,
        &["-t", &t, "-C", "1", "-V", "5", "--json"],
    ));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["retain"], true);
    assert!(line.get("tst").is_none(), "{line}");
    assert_eq!(
        line["properties"]["user_properties"],
        serde_json::json!([["k", "1"], ["k", "2"], ["a", "z"]]),
        "{line}"
    );

    let out = run_ok(subscribe(
        broker.port,
        &["-t", &t, "-C", "1", "-F", "%.2:x|%8X|%.3d"],
    ));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "68:69|    6869|\n");
}

#[test]
fn random_filter_prints_a_sample_but_counts_every_message() {
    let broker = Broker::start();
    let t = topic("sample");
    let sub = SubProcess::start(subscribe(
        broker.port,
        &["-t", &t, "-q", "1", "-C", "200", "--random-filter", "50"],
    ));
    let lines: String = (0..200).map(|i| format!("{i}\n")).collect();
    run(
        publish(broker.port, &["-t", &t, "-q", "1", "-l"]),
        lines.as_bytes(),
    );
    let done = sub.finish(Duration::from_secs(30));
    assert_eq!(done.code, 0, "{}", done.stderr);
    let printed = done.lines().len();
    // P(outside 40..=160) for Binomial(200, 0.5) is below 1e-17.
    assert!((40..=160).contains(&printed), "{printed}");
}

#[test]
fn broker_restart_mid_run_reconnects_and_resubscribes() {
    let mut broker = Broker::builder().persistence().start();
    let t = topic("restart");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-q", "1", "-C", "2"]));
    send(broker.port, &t, "before", &["-q", "1"]);
    sub.wait_lines(1, WAIT);
    broker.kill();
    sub.wait_stderr("reconnecting in", WAIT);
    broker.restart();
    sub.wait_stderr("reconnected to", Duration::from_secs(20));
    // Wait for the second SUBACK: the resubscription.
    let deadline = Instant::now() + Duration::from_secs(20);
    while sub.stderr().matches("received SUBACK").count() < 2 {
        assert!(Instant::now() < deadline, "{}", sub.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
    send(broker.port, &t, "after", &["-q", "1"]);
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.lines(), ["before", "after"]);
    assert!(
        done.stderr.contains("; subscribing again"),
        "{}",
        done.stderr
    );
}

#[test]
fn durable_session_survives_a_broker_restart_without_resubscribing() {
    let mut broker = Broker::builder().persistence().start();
    let t = topic("restart-durable");
    let id = format!("mqtk-restart-{}", std::process::id());
    let sub = SubProcess::start(subscribe(
        broker.port,
        &["-t", &t, "-q", "1", "-c", "-i", &id, "-C", "2"],
    ));
    send(broker.port, &t, "before", &["-q", "1"]);
    sub.wait_lines(1, WAIT);
    broker.restart();
    sub.wait_stderr("(session kept)", Duration::from_secs(20));
    send(broker.port, &t, "after", &["-q", "1"]);
    let done = sub.finish(WAIT);
    assert_eq!(done.lines(), ["before", "after"], "{}", done.stderr);
    assert_eq!(done.stderr.matches("received SUBACK").count(), 1);
}

#[test]
fn ctrl_c_flushes_what_was_received_and_exits_130() {
    let broker = Broker::start();
    let t = topic("sigint");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-q", "1"]));
    send(broker.port, &t, "kept", &["-q", "1"]);
    sub.wait_lines(1, WAIT);
    sub.signal("INT");
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 130, "{}", done.stderr);
    assert_eq!(done.lines(), ["kept"]);
    assert!(!done.stderr.contains("error"), "{}", done.stderr);
}

#[test]
fn broken_pipe_exits_0_silently() {
    let broker = Broker::start();
    let t = topic("pipe");
    let mut cmd = subscribe(broker.port, &["-t", &t, "-d"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Wait for the SUBACK in the trace, read one line, then close the pipe like `head -n 1`.
    let mut trace = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&trace).contains("received SUBACK") {
        assert_eq!(stderr.read(&mut byte).unwrap(), 1);
        trace.push(byte[0]);
    }
    send(broker.port, &t, "first", &[]);
    let mut line = [0u8; 6];
    stdout.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"first\n");
    drop(stdout);
    for _ in 0..3 {
        send(broker.port, &t, "more", &[]);
    }
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running after the pipe closed"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(!rest.contains("error"), "{rest}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let broker = Broker::start();
    let port = broker.port;
    for (args, needle) in [
        (
            &["-t", "a/#/b"][..],
            "-t/--topic 'a/#/b': '#' must be a whole level",
        ),
        (&["-t", "a", "-T", "x+"], "-T/--filter-out 'x+'"),
        (&["-t", "a", "-U", "#/x"], "-U/--unsubscribe '#/x'"),
        (
            &["-t", "a", "-F", "[%5p%z]"],
            "-F '[%5p%z]': unknown field '%z' at character 6",
        ),
        (&["-t", "a", "-F", "abc\\"], "incomplete escape"),
        (&[], "give a topic filter with -t"),
        (&["-t", "a", "-W", "0"], "give -W more than zero seconds"),
        (&["-t", "a", "-W", "soon"], "'soon': give -W"),
        (&["-t", "a", "--random-filter", "0"], "percentage"),
        (&["-t", "a", "-v", "--json"], "cannot be used with"),
        (&["-t", "a", "-q", "3"], "-q"),
        (
            &["-t", "a", "-D", "publish", "content-type", "x"],
            "-D publish",
        ),
        (&["-t", "a", "-R", "--retained-only"], "cannot be used with"),
    ] {
        assert_fails(subscribe(port, args), 64, needle);
    }
}

#[test]
fn connection_failures_have_their_exit_codes() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    assert_fails(subscribe(closed, &["-t", "a"]), 69, "connection refused");

    let broker = Broker::builder().password("alice", "s3cret").start();
    assert_fails(
        subscribe(broker.port, &["-t", "a", "-u", "alice", "-P", "wrong"]),
        5,
        "not authorised",
    );
    assert_fails(
        subscribe(
            broker.port,
            &["-t", "a", "-u", "alice", "-P", "wrong", "-V", "5"],
        ),
        135,
        "not authorized",
    );
    // -W also bounds the connection: a silent server is not waited on past it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let (code, stderr) = run_code(subscribe(port, &["-t", "a", "-W", "1"]));
    assert_eq!(code, 27, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(4));
    drop(listener);
}

/// mosquitto 2.0.11 grants every well-formed subscription, even one its ACL denies, so a
/// refused SUBACK comes from a scripted peer: it answers CONNECT with success and
/// SUBSCRIBE with a failure code, over a real socket.
fn refusing_peer(v5: bool) -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket.set_read_timeout(Some(WAIT)).unwrap();
        let _connect = read_packet(&mut socket);
        let connack: &[u8] = if v5 {
            &[0x20, 3, 0, 0, 0]
        } else {
            &[0x20, 2, 0, 0]
        };
        socket.write_all(connack).unwrap();
        let subscribe = read_packet(&mut socket);
        assert_eq!(subscribe[0] >> 4, 8, "SUBSCRIBE expected");
        let (hi, lo) = (subscribe[1], subscribe[2]);
        let suback: Vec<u8> = if v5 {
            vec![0x90, 4, hi, lo, 0, 0x87]
        } else {
            vec![0x90, 3, hi, lo, 0x80]
        };
        socket.write_all(&suback).unwrap();
        // Hold the connection until the client leaves.
        let mut rest = Vec::new();
        let _ = socket.read_to_end(&mut rest);
    });
    (port, handle)
}

/// One MQTT packet: the fixed header's first byte, then the rest (remaining length skipped).
fn read_packet(socket: &mut std::net::TcpStream) -> Vec<u8> {
    let mut first = [0u8; 1];
    socket.read_exact(&mut first).unwrap();
    let (mut length, mut shift) = (0usize, 0);
    loop {
        let mut byte = [0u8; 1];
        socket.read_exact(&mut byte).unwrap();
        length |= usize::from(byte[0] & 0x7f) << shift;
        shift += 7;
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).unwrap();
    let mut packet = vec![first[0]];
    packet.extend(body);
    packet
}

#[test]
fn refused_subscription_exits_75_naming_the_filter() {
    let (port, peer) = refusing_peer(false);
    assert_fails(
        subscribe(port, &["-t", "secret/#"]),
        75,
        "the broker refused the subscription to 'secret/#': failure (0x80)",
    );
    peer.join().unwrap();
    let (port, peer) = refusing_peer(true);
    assert_fails(
        subscribe(port, &["-t", "secret/#", "-V", "5"]),
        75,
        "the broker refused the subscription to 'secret/#': not authorized (0x87)",
    );
    peer.join().unwrap();
}

#[test]
fn help_lists_the_format_fields() {
    let out = run_ok({
        let mut cmd = mqtk();
        cmd.args(["sub", "--help"]);
        cmd
    });
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "-F FORMAT fields",
        "%j JSON",
        "-W, --timeout",
        "--remove-retained",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
}

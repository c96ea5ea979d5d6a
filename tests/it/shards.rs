//! `mqtk bench` in shards: the Kubernetes Job in deploy/kubernetes run as local processes
//! exactly as its pods would, merged and compared with the same load in one process; a shard
//! killed mid-run; merges that must be refused; brokers and source addresses taken in turn;
//! the pictures and the interval log a run leaves. Counts are asserted, never timings.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde_json::Value;

use crate::bench::frozen;
use crate::broker::Broker;
use crate::relay::Relay;
use crate::util::{mqtk, run, SubProcess};

/// An HdrHistogram as the report carries it (V2, compressed, base64).
fn histogram(text: &str) -> Histogram<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64");
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("an HdrHistogram")
}

/// A name no other run on this broker uses.
fn unique(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}-{}-{nanos}", std::process::id())
}

/// The Job's pod template as a test can run it: the command line and the environment.
struct Pod {
    completions: usize,
    argv: Vec<String>,
    env: Vec<(String, String)>,
}

/// Reads deploy/kubernetes/job.yaml; the broker URL is the test's, and the Job's uid (the
/// downward API's `controller-uid` label) a fresh run name.
fn the_job(broker_url: &str, run_id: &str) -> Pod {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kubernetes/job.yaml");
    let job: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(job["kind"].as_str(), Some("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let completions = spec["completions"].as_u64().unwrap() as usize;
    assert_eq!(spec["parallelism"].as_u64(), Some(completions as u64));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    let container = &pod["containers"][0];
    let strings = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_sequence()
            .map(|s| s.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut env = Vec::new();
    for entry in container["env"].as_sequence().unwrap() {
        let name = entry["name"].as_str().unwrap().to_string();
        let value = match (
            &entry["value"],
            &entry["valueFrom"]["fieldRef"]["fieldPath"],
        ) {
            (serde_yaml::Value::String(_), _) if name == "MQTK_URL" => broker_url.to_string(),
            (serde_yaml::Value::String(value), _) => value.clone(),
            (_, serde_yaml::Value::String(field)) if field.contains("controller-uid") => {
                run_id.to_string()
            }
            other => panic!("{name}: an env entry the test cannot give: {other:?}"),
        };
        env.push((name, value));
    }
    let shards = env.iter().find(|(k, _)| k == "MQTK_SHARDS").unwrap();
    assert_eq!(
        shards.1,
        completions.to_string(),
        "MQTK_SHARDS = completions"
    );
    // Kubernetes expands $(VAR) in command and args from the container's env.
    let expand = |arg: String| {
        env.iter()
            .fold(arg, |a, (k, v)| a.replace(&format!("$({k})"), v))
    };
    let mut argv: Vec<String> = strings(&container["command"])
        .into_iter()
        .chain(strings(&container["args"]))
        .map(expand)
        .collect();
    assert_eq!(argv[0], "mqtk", "the image's entrypoint");
    argv.remove(0);
    Pod {
        completions,
        argv,
        env,
    }
}

/// What the pods printed, stdout and stderr together, as `kubectl logs -l job-name=…` gives it.
struct Logs {
    codes: Vec<i32>,
    text: String,
}

/// Runs one process per completion index, at once, as the Job's pods would.
fn run_pods(pod: &Pod, extra_env: &[(&str, &str)]) -> Logs {
    let children: Vec<_> = (0..pod.completions)
        .map(|index| {
            let mut cmd = mqtk();
            cmd.args(&pod.argv)
                .envs(pod.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .envs(extra_env.iter().copied())
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().expect("mqtk starts")
        })
        .collect();
    let mut logs = Logs {
        codes: Vec::new(),
        text: String::new(),
    };
    for child in children {
        let out = child.wait_with_output().unwrap();
        logs.codes.push(out.status.code().unwrap_or(-1));
        logs.text.push_str(&String::from_utf8_lossy(&out.stderr));
        logs.text.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    logs
}

/// `mqtk bench merge - --json -` fed `logs`: the exit code and the merged report.
fn merge_stdin(logs: &str) -> (i32, Value, String) {
    let mut cmd = mqtk();
    cmd.args(["bench", "merge", "-", "--json", "-"]);
    let out = run(cmd, logs.as_bytes());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let line = stdout.lines().last().unwrap_or_default();
    (out.status.code().unwrap_or(-1), frozen(line), stderr)
}

/// Runs `cmd` (its report on stdout, `--json -`), expects exit 0, returns the report.
fn report_ok(cmd: std::process::Command) -> Value {
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    frozen(String::from_utf8_lossy(&out.stdout).trim())
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The Done test of the sharded bench: the shipped Job (4 shards of `pubsub --publishers 8
/// --subscribers 4 --count 2000 -q 1`), run as 4 local processes with the env the pods get,
/// collected as `kubectl logs` would and merged from stdin: every expected delivery
/// received, nothing lost, each histogram the exact sum of the shards', and the same counts
/// as the load run in one process. Both reports validate against the frozen schema.
#[test]
fn the_kubernetes_job_runs_as_local_shards_and_merges_exactly() {
    // Several processes at once: not while truth.rs or delay_relay.rs time something.
    let _timing = crate::delay_relay::timing();
    let broker = Broker::start();
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    let pod = the_job(&url, &unique("job"));
    assert_eq!(pod.completions, 4);
    let logs = run_pods(&pod, &[]);
    assert_eq!(logs.codes, [0, 0, 0, 0], "{}", logs.text);
    let (code, merged, stderr) = merge_stdin(&logs.text);
    assert_eq!(code, 0, "{stderr}\n{merged}");

    let m = &merged["messages"];
    assert_eq!(u(&m["sent"]), 8 * 2000);
    assert_eq!(u(&m["acked"]), 8 * 2000);
    assert_eq!(u(&m["expected"]), 8 * 2000 * 4);
    assert_eq!(u(&m["received"]), u(&m["expected"]));
    assert_eq!((u(&m["lost"]), u(&m["duplicates"])), (0, 0));
    assert_eq!(u(&merged["clients"]["total"]), 12);
    assert_eq!(u(&merged["clients"]["connected"]), 12);
    let shards = merged["evidence"]["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 4);
    assert!(shards.iter().all(|s| s["reported"] == true));
    let starts: Vec<u64> = shards.iter().map(|s| u(&s["t0_us"])).collect();
    eprintln!(
        "shards began sending within {} µs of each other",
        starts.iter().max().unwrap() - starts.iter().min().unwrap()
    );

    // Each shard's report, as it printed it (its last stdout line).
    let shard_reports: Vec<Value> = logs
        .text
        .lines()
        .filter(|l| l.starts_with("{\"mqtk_version\""))
        .map(frozen)
        .collect();
    assert_eq!(shard_reports.len(), 4);
    for which in ["connect", "ack", "e2e_corrected", "e2e_uncorrected"] {
        let mut sum = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
        for shard in &shard_reports {
            if let Some(text) = shard["histograms"][which].as_str() {
                sum.add(histogram(text)).unwrap();
            }
        }
        let merged_histogram = histogram(merged["histograms"][which].as_str().unwrap());
        assert_eq!(merged_histogram.len(), sum.len(), "{which}");
        let summary = &merged["latency"][which];
        assert_eq!(u(&summary["count"]), sum.len(), "{which}");
        // The merged percentiles come from the summed histogram, not from the shards'
        // percentiles: equal to what the test sums itself, within HDR's 3 digits.
        for (quantile, key) in [(0.5, "p50_us"), (0.99, "p99_us")] {
            let want = sum.value_at_quantile(quantile);
            let got = (summary[key].as_f64().unwrap() * 1000.0).round() as u64;
            assert!(
                sum.equivalent(got, want),
                "{which} {key}: merged {got} ns, summed {want} ns"
            );
        }
    }
    assert_eq!(
        u(&merged["latency"]["e2e_corrected"]["count"]),
        8 * 2000 * 4
    );

    // The same load in one process: the same counts.
    let whole_argv: Vec<&str> = pod
        .argv
        .iter()
        .map(String::as_str)
        .take_while(|a| *a != "--id-prefix")
        .collect();
    let mut cmd = mqtk();
    cmd.args(&whole_argv)
        .args(["--json", "-"])
        .env("MQTK_URL", &url);
    let whole = report_ok(cmd);
    for key in ["sent", "acked", "expected", "received", "lost"] {
        assert_eq!(whole["messages"][key], merged["messages"][key], "{key}");
    }
    assert_eq!(
        whole["latency"]["e2e_corrected"]["count"],
        merged["latency"]["e2e_corrected"]["count"]
    );
    assert_eq!(whole["evidence"]["shards"].as_array().unwrap().len(), 1);
}

/// A shard killed mid-run (SIGKILL: no report) shows in the merge as that shard's failure:
/// its clients are failed clients, exit 77, and nothing is counted lost because of it —
/// its publishers' messages are not expected anywhere, its subscribers expect nothing.
#[test]
fn a_killed_shard_is_reported_as_that_shards_failure_not_as_loss() {
    // Several processes at once: not while truth.rs or delay_relay.rs time something.
    let _timing = crate::delay_relay::timing();
    let broker = Broker::start();
    let run_id = unique("killed");
    let dir = tempfile::tempdir().unwrap();
    let shard = |index: usize| {
        let mut cmd = mqtk();
        cmd.args([
            "bench",
            "pubsub",
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port.to_string(),
            "--publishers",
            "8",
            "--subscribers",
            "4",
            "-q",
            "1",
            "--rate",
            "400",
            "--count",
            "200",
            "-t",
            &format!("{run_id}/%i"),
            "--shard",
            &format!("{index}/4"),
            "--barrier",
            &run_id,
            "--json",
        ])
        .arg(dir.path().join(format!("shard-{index}.json")));
        if index == 1 {
            cmd.arg("-d");
        }
        cmd
    };
    let victim = SubProcess::spawn(shard(1));
    let others: Vec<_> = [0, 2, 3].map(|i| SubProcess::spawn(shard(i))).into();
    victim.wait_stderr("; sending", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    victim.signal("KILL");
    for other in others {
        let done = other.finish(Duration::from_secs(60));
        assert_eq!(done.code, 0, "{}", done.stderr);
    }
    let mut cmd = mqtk();
    cmd.args(["bench", "merge", "--json", "-"]);
    for index in [0, 2, 3] {
        cmd.arg(dir.path().join(format!("shard-{index}.json")));
    }
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert!(
        stderr.contains("shard 1 of 4 sent no report (3 clients missing)"),
        "{stderr}"
    );
    let merged = frozen(String::from_utf8_lossy(&out.stdout).trim());
    let shards = merged["evidence"]["shards"].as_array().unwrap();
    assert_eq!(shards[1]["reported"], false);
    assert_eq!(shards[1]["clients"], serde_json::json!([3, 6]));
    let c = &merged["clients"];
    assert_eq!(
        (u(&c["total"]), u(&c["connected"]), u(&c["failed"])),
        (12, 9, 3)
    );
    let failures: BTreeMap<String, u64> =
        serde_json::from_value(c["connect_failures"].clone()).unwrap();
    assert_eq!(
        failures
            .get("shard 1 of 4 sent no report (killed or failed): its clients' counts are missing"),
        Some(&3),
        "{failures:?}"
    );
    // Publishers 0-2 and 6-7 are on live shards: every message of theirs reached every
    // live subscriber; publishers 3-5 died with shard 1 and are not expected anywhere.
    let m = &merged["messages"];
    assert_eq!(u(&m["sent"]), 5 * 200);
    assert_eq!(u(&m["expected"]), 5 * 200 * 4);
    assert_eq!(u(&m["lost"]), 0, "{m}");
    assert!(u(&m["received"]) >= u(&m["expected"]), "{m}");
}

/// Reports that are not shards of one run are refused with the file named (exit 65); so is
/// a shard given twice; a file that cannot be read is exit 66.
#[test]
fn merge_refuses_what_is_not_one_run() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let report = |name: &str, clients: &str| {
        let path = dir.path().join(name);
        let mut cmd = mqtk();
        cmd.args(["bench", "conn", "-h", "127.0.0.1", "-p"])
            .arg(broker.port.to_string())
            .args(["-c", clients, "--duration", "200ms", "--json"])
            .arg(&path);
        assert_eq!(run(cmd, b"").status.code(), Some(0));
        path
    };
    let (a, b) = (report("a.json", "2"), report("b.json", "3"));
    let merge = |files: &[&std::path::Path]| {
        let mut cmd = mqtk();
        cmd.args(["bench", "merge"]).args(files);
        let out = run(cmd, b"");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, stderr) = merge(&[&a, &b]);
    assert_eq!(code, 65, "{stderr}");
    assert!(
        stderr.contains("b.json: not a shard of the same run as")
            && stderr.contains("config.clients differs"),
        "{stderr}"
    );
    let (code, stderr) = merge(&[&a, &a]);
    assert_eq!(code, 65, "{stderr}");
    assert!(stderr.contains("shard 0/1 is in both"), "{stderr}");
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello\n{\"not\": \"a report\"}\n").unwrap();
    let (code, stderr) = merge(&[&junk]);
    assert_eq!(code, 65, "{stderr}");
    assert!(
        stderr.contains("junk.txt: no bench report in it"),
        "{stderr}"
    );
    let (code, stderr) = merge(&[&dir.path().join("missing.json")]);
    assert_eq!(code, 66, "{stderr}");
    // A report claiming what no run could be: refused, not believed or allocated.
    let mut hostile: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    hostile["evidence"]["shards"][0]["count"] = Value::from(4_000_000_000u64);
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, hostile.to_string()).unwrap();
    let (code, stderr) = merge(&[&forged]);
    assert_eq!(code, 65, "{stderr}");
    assert!(stderr.contains("is not a shard of 2 clients"), "{stderr}");
    let mut roles: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    roles["mode"] = Value::from("pubsub");
    roles["config"]["publishers"] = Value::from(4_000_000_000u64);
    std::fs::write(&forged, roles.to_string()).unwrap();
    let (code, stderr) = merge(&[&forged]);
    assert_eq!(code, 65, "{stderr}");
    assert!(
        stderr.contains("is not its publishers and subscribers"),
        "{stderr}"
    );
    // A shard stopped by a signal: the merged run is an interrupted one (130), as one
    // process's would be.
    let mut stopped: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    stopped["interrupted"] = Value::from(true);
    stopped["evidence"]["shards"][0]["interrupted"] = Value::from(true);
    std::fs::write(&forged, stopped.to_string()).unwrap();
    let (code, stderr) = merge(&[&forged]);
    assert_eq!(code, 130, "{stderr}");
    // One report alone merges to itself, and --json may overwrite an input: the inputs
    // are read first.
    let mut cmd = mqtk();
    cmd.args(["bench", "merge"]).arg(&a).arg("--json").arg(&a);
    let out = run(cmd, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    frozen(std::fs::read_to_string(&a).unwrap().trim());
}

/// `--shard` needs a common start; `--shards` needs JOB_COMPLETION_INDEX; both name the flag.
#[test]
fn shard_flags_refuse_what_cannot_work() {
    let usage = |args: &[&str], env: &[(&str, &str)], needle: &str| {
        let mut cmd = mqtk();
        cmd.args(["bench", "conn", "-c", "4", "-p", "1"])
            .args(args)
            .envs(env.iter().copied());
        let out = run(cmd, b"");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    };
    usage(
        &["--shard", "1/2"],
        &[],
        "--shard 1/2: shards must start sending together",
    );
    usage(&["--shard", "2/2"], &[], "give I/N with 0 <= I < N");
    usage(
        &["--shards", "2", "--barrier", "x"],
        &[],
        "JOB_COMPLETION_INDEX, which is not set",
    );
    usage(
        &["--shards", "2", "--barrier", "x"],
        &[("JOB_COMPLETION_INDEX", "7")],
        "JOB_COMPLETION_INDEX '7': give 0 to 1",
    );
    usage(
        &["--shard", "0/5", "--barrier", "x"],
        &[],
        "5 shards for 4 clients",
    );
    usage(&["--start-at", "tomorrow"], &[], "give an RFC 3339 time");
    usage(
        &["--shard", "0/2", "--start-at", "+30s"],
        &[],
        "each shard would count from its own start",
    );
    // One shard is the whole run, index or not.
    let mut cmd = mqtk();
    cmd.args([
        "bench",
        "conn",
        "-c",
        "1",
        "-p",
        "1",
        "-h",
        "127.0.0.1",
        "--shards",
        "1",
    ]);
    let out = run(cmd, b"");
    assert_ne!(
        out.status.code(),
        Some(64),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--start-at` holds the start: sending begins no earlier than the time given.
#[test]
fn start_at_holds_sending_until_the_time_given() {
    let broker = Broker::start();
    let asked = SystemTime::now() + Duration::from_millis(1500);
    let at = chrono::DateTime::<chrono::Utc>::from(asked)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut cmd = mqtk();
    cmd.args(["bench", "conn", "-h", "127.0.0.1", "-p"])
        .arg(broker.port.to_string())
        .args([
            "-c",
            "2",
            "--duration",
            "200ms",
            "--start-at",
            &at,
            "--json",
            "-",
        ]);
    let out = run(cmd, b"");
    assert_eq!(out.status.code(), Some(0));
    let r = frozen(String::from_utf8_lossy(&out.stdout).trim());
    let t0 = u(&r["evidence"]["shards"][0]["t0_us"]);
    let asked_us = asked.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    assert!(t0 >= asked_us, "began at {t0}, asked for {asked_us}");
}

/// `-L` with two brokers' URLs spreads the clients over them in turn; `--bind` spreads the
/// sockets over source addresses in turn (127.0.0.0/8 is all loopback).
#[test]
fn brokers_and_source_addresses_are_taken_in_turn() {
    let broker = Broker::start();
    let (one, two) = (Relay::start(broker.port), Relay::start(broker.port));
    let mut cmd = mqtk();
    cmd.args([
        "bench",
        "conn",
        "-c",
        "10",
        "--duration",
        "200ms",
        "--json",
        "-",
    ])
    .arg("-L")
    .arg(format!(
        "mqtt://127.0.0.1:{},mqtt://127.0.0.1:{}",
        one.port, two.port
    ))
    .args(["--bind", "127.0.0.2,127.0.0.3"]);
    let r = report_ok(cmd);
    assert_eq!(u(&r["clients"]["connected"]), 10);
    assert_eq!((one.accepted(), two.accepted()), (5, 5));
    // Client k: broker k mod 2, address (k div 2) mod 2, so each broker sees both
    // addresses: 0, 4, 8 and 2, 6 at the first; 1, 5, 9 and 3, 7 at the second.
    for relay in [&one, &two] {
        let peers: Vec<String> = relay.peers().iter().map(|ip| ip.to_string()).collect();
        assert_eq!(
            peers.iter().filter(|p| *p == "127.0.0.2").count(),
            3,
            "{peers:?}"
        );
        assert_eq!(
            peers.iter().filter(|p| *p == "127.0.0.3").count(),
            2,
            "{peers:?}"
        );
    }
    assert!(
        r["broker"]
            .as_str()
            .unwrap()
            .contains(&one.port.to_string())
            && r["broker"]
                .as_str()
                .unwrap()
                .contains(&two.port.to_string()),
        "{}",
        r["broker"]
    );
}

/// `bench plot` draws a run and a merge: every series is in the SVG by name; `--hlog`
/// writes an interval log HdrHistogram's reader takes, whose histograms add up to the
/// run's count.
#[test]
fn a_run_is_plotted_and_logged_for_hdrhistograms_tools() {
    // Several processes at once: not while truth.rs or delay_relay.rs time something.
    let _timing = crate::delay_relay::timing();
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let (json, hlog, svg) = (
        dir.path().join("run.json"),
        dir.path().join("run.hlog"),
        dir.path().join("run.svg"),
    );
    let mut cmd = mqtk();
    cmd.args(["bench", "pubsub", "-h", "127.0.0.1", "-p"])
        .arg(broker.port.to_string())
        .args([
            "--publishers",
            "2",
            "--rate",
            "400",
            "--duration",
            "2s",
            "-t",
        ])
        .arg(format!("{}/%i", unique("plot")))
        .arg("--json")
        .arg(&json)
        .arg("--hlog")
        .arg(&hlog);
    let out = run(cmd, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let count = u(&report["latency"]["e2e_corrected"]["count"]);

    let text = std::fs::read_to_string(&hlog).unwrap();
    assert!(
        text.starts_with("#[Histogram log format version 1.3]"),
        "{text}"
    );
    let mut logged = 0;
    let mut intervals = 0;
    for entry in
        hdrhistogram::serialization::interval_log::IntervalLogIterator::new(text.as_bytes())
    {
        if let hdrhistogram::serialization::interval_log::LogEntry::Interval(h) = entry.unwrap() {
            logged += histogram(h.encoded_histogram()).len();
            intervals += 1;
        }
    }
    assert!(intervals >= 2, "{text}");
    assert_eq!(logged, count, "the log's histograms add up to the run's");

    let mut cmd = mqtk();
    cmd.args(["bench", "plot"]).arg(&json).arg("-o").arg(&svg);
    let out = run(cmd, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
    for series in [
        "run: end-to-end latency (corrected)",
        "run: received/s",
        "run: p99 ms (right axis)",
    ] {
        assert!(
            picture.contains(&format!("<title>{series}</title>")),
            "{series} missing"
        );
    }
    assert!(picture.contains("99.9%"), "the nines axis");
    let mut cmd = mqtk();
    cmd.args(["bench", "plot"])
        .arg(dir.path().join("nothing.json"))
        .arg("-o")
        .arg(&svg);
    assert_eq!(run(cmd, b"").status.code(), Some(66));
}

/// `--find-max` against a known capacity: behind a relay that passes 40 000 bytes a second
/// toward the subscriber (and so at most 40 000 / 75 ≈ 533 deliveries of 75 bytes), the
/// search ends with a highest passing rate at or under that capacity and a first failing
/// rate above the last pass, exit 0; rows for every step.
#[test]
fn find_max_finds_the_capacity_of_a_narrow_link() {
    let _timing = crate::delay_relay::timing();
    let broker = Broker::start();
    let link = Relay::start_throttled(broker.port, 40_000);
    let topic = format!("fm{}", std::process::id() % 10_000);
    // PUBLISH at QoS 0: 2 bytes of fixed header, 2 + the topic, the 64-byte payload.
    let wire_bytes = (2 + 2 + format!("{topic}/0").len() + 64) as f64;
    let capacity = 40_000.0 / wire_bytes;
    let mut cmd = mqtk();
    cmd.args(["bench", "pubsub", "-h", "127.0.0.1", "-p"])
        .arg(link.port.to_string())
        .args(["--publishers", "1", "--subscribers", "1", "-t"])
        .arg(format!("{topic}/%i"))
        .args(["--find-max", "--slo", "p99<=100ms", "--precision", "20"])
        .args(["--rate", "200", "--warmup", "500ms", "--duration", "1s"]);
    let out = run(cmd, b"");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{stdout}");
    let rows = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(char::is_numeric));
    assert!(rows.count() >= 3, "{stdout}");
    let last = stdout.lines().last().unwrap();
    let number = |after: &str| -> f64 {
        let rest = &last[last.find(after).unwrap_or_else(|| panic!("{last}")) + after.len()..];
        rest.split("/s")
            .next()
            .unwrap()
            .replace(' ', "")
            .trim()
            .parse()
            .unwrap()
    };
    let (pass, fail) = (
        number("with nothing lost: "),
        number("first that did not: "),
    );
    assert!(
        pass <= capacity * 1.02,
        "{pass} passed above the {capacity:.0}/s the link carries\n{stdout}"
    );
    assert!(fail > pass, "{stdout}");
    assert!(
        fail >= capacity * 0.8,
        "{fail} failed well under the {capacity:.0}/s capacity\n{stdout}"
    );
}

/// A shard with subscribers only, in a paced `--count` run whose messages come further
/// apart than `--drain`: it waits for the schedule to end, not just `--drain` after its
/// own (publisher-less) sending phase, so the merge counts every message delivered.
#[test]
fn a_subscriber_shard_waits_for_a_paced_schedule_elsewhere() {
    let broker = Broker::start();
    let run_id = unique("sparse");
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<_> = (0..2)
        .map(|index| {
            let mut cmd = mqtk();
            cmd.args(["bench", "pubsub", "-h", "127.0.0.1", "-p"])
                .arg(broker.port.to_string())
                .args([
                    "--count",
                    "3",
                    "--interval",
                    "1500ms",
                    "--drain",
                    "500ms",
                    "-t",
                ])
                .arg(format!("{run_id}/%i"))
                .args([
                    "--shard",
                    &format!("{index}/2"),
                    "--barrier",
                    &run_id,
                    "--json",
                ])
                .arg(dir.path().join(format!("s{index}.json")));
            SubProcess::spawn(cmd)
        })
        .collect();
    for shard in shards {
        let done = shard.finish(Duration::from_secs(30));
        assert_eq!(done.code, 0, "{}", done.stderr);
    }
    let mut cmd = mqtk();
    cmd.args(["bench", "merge", "--json", "-"])
        .arg(dir.path().join("s0.json"))
        .arg(dir.path().join("s1.json"));
    let merged = report_ok(cmd);
    let m = &merged["messages"];
    assert_eq!(
        (u(&m["expected"]), u(&m["received"]), u(&m["lost"])),
        (3, 3, 0),
        "{m}"
    );
}

/// The broker frozen, then killed, under a sharded run: each shard reports its own
/// disconnects (exit 77), and the merge accounts the loss across the shards (publishers on
/// one, the subscriber on the other): every client disconnected, messages lost, the loss
/// split exactly into never acknowledged and lost after the acknowledgement.
#[test]
fn a_broker_killed_under_shards_is_accounted_across_them() {
    let _timing = crate::delay_relay::timing();
    let mut broker = Broker::start();
    let run_id = unique("brokerdies");
    let dir = tempfile::tempdir().unwrap();
    let shard = |index: usize| {
        let mut cmd = mqtk();
        cmd.args(["bench", "pubsub", "-h", "127.0.0.1", "-p"])
            .arg(broker.port.to_string())
            .args(["--publishers", "2", "--subscribers", "1", "-q", "1"])
            .args(["--rate", "400", "--duration", "20s", "-t"])
            .arg(format!("{run_id}/%i"))
            .args(["--shard", &format!("{index}/2"), "--barrier", &run_id, "-d"])
            .arg("--json")
            .arg(dir.path().join(format!("s{index}.json")));
        SubProcess::spawn(cmd)
    };
    let shards = [shard(0), shard(1)];
    shards[0].wait_stderr("; sending", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1000));
    // Frozen first, so messages are surely in flight when it dies.
    broker.stop_signal(19);
    std::thread::sleep(Duration::from_millis(300));
    broker.kill();
    for shard in shards {
        let done = shard.finish(Duration::from_secs(40));
        assert_eq!(done.code, 77, "{}", done.stderr);
    }
    let mut cmd = mqtk();
    cmd.args(["bench", "merge", "--json", "-"])
        .arg(dir.path().join("s0.json"))
        .arg(dir.path().join("s1.json"));
    let out = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert!(stderr.contains("3 clients were disconnected"), "{stderr}");
    let merged = frozen(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(u(&merged["clients"]["disconnected"]), 3);
    let m = &merged["messages"];
    let lost = u(&m["lost"]);
    assert!(lost > 0 && u(&m["unacked"]) > 0, "{m}");
    assert!(u(&m["lost_unacked"]) > 0, "{m}");
    assert_eq!(u(&m["lost_unacked"]) + u(&m["lost_after_ack"]), lost, "{m}");
    assert_eq!(
        u(&m["expected"]),
        u(&m["received"]) + lost + u(&m["outstanding"]),
        "{m}"
    );
}

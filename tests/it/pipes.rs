//! The edges of every command: stdout (and, with `2>&1`, stderr) closed by `head`,
//! SIGTERM meaning what Ctrl-C means (and a second signal exiting at once), and control
//! characters from the broker or a publisher escaped on a terminal (a pseudo-terminal
//! from util-linux `script`) while a pipe gets every byte as it was. Exit codes and output
//! are asserted; the one timing is sub's 1 s bound for noticing a closed pipe.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::broker::Broker;
use crate::scripted::{connack_v5, publish as publish_packet, Scripted, CONNECT};
use crate::util::{mqtk, publish, run, run_ok, spawn_with_stdin, subscribe, topic, SubProcess};

const WAIT: Duration = Duration::from_secs(15);

/// `word` quoted for sh.
fn quote(word: &OsStr) -> String {
    format!("'{}'", word.to_string_lossy().replace('\'', r"'\''"))
}

/// `cmd` as one sh command line.
fn shell_line(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A command that runs `program args…`, with the environment `cmd` sets (util's hermetic
/// one) applied to it, so `cmd` run inside it sees the same.
fn wrapper(cmd: &Command, program: &str, args: &[&str]) -> Command {
    let mut wrapper = Command::new(program);
    wrapper.args(args);
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapper.env(key, value),
            None => wrapper.env_remove(key),
        };
    }
    wrapper.env("SHELL", "/bin/sh");
    wrapper
}

/// Runs `cmd` with its stdout on a pseudo-terminal: its exit code and what the terminal
/// showed (its CR LF turned back into LF).
fn on_terminal(cmd: &Command) -> (i32, Vec<u8>) {
    let line = shell_line(cmd);
    let out = run(wrapper(cmd, "script", &["-qec", &line, "/dev/null"]), b"");
    let mut shown = Vec::new();
    let mut bytes = out.stdout.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        shown.push(b);
    }
    (out.status.code().unwrap_or(-1), shown)
}

/// Waits for `child` to exit (killing it after `limit`): the exit code.
fn exit_code(child: &mut Child, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running {limit:?} after its stdout was closed");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads a child's pipe to the end on a thread.
fn collect(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

#[test]
fn ping_into_head_exits_0_quietly() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args(["ping", "-h", "127.0.0.1", "-p", &broker.port.to_string()])
        .args(["-c", "50", "-i", "0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mqtk starts");
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("connected to 127.0.0.1:"), "{first}");
    drop(stdout);
    let code = exit_code(&mut child, WAIT);
    let stderr = stderr.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn bench_into_a_closed_pipe_exits_0_quietly() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    cmd.args([
        "bench",
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port.to_string(),
    ])
    .args(["--count", "20", "-q", "1"])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mqtk starts");
    let stderr = collect(child.stderr.take().unwrap());
    // The reader is gone before the report is written: `mqtk bench … | head -0`.
    drop(child.stdout.take());
    let code = exit_code(&mut child, Duration::from_secs(60));
    let stderr = stderr.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
}

/// The `-d` trace goes on after `head` has gone: writing it fails (EPIPE) and must neither
/// panic nor stop the publishing.
#[test]
fn pub_trace_into_head_exits_0() {
    let broker = Broker::start();
    let mut cmd = publish(
        broker.port,
        &["-t", &topic("trace-head"), "-m", "x", "-q", "1", "-d"],
    );
    cmd.args(["--repeat", "40", "--repeat-delay", "10ms"]);
    let script = format!(
        "{} 2>&1 | head -2; echo \"exit ${{PIPESTATUS[0]}}\"",
        shell_line(&cmd)
    );
    let out = run(wrapper(&cmd, "bash", &["-c", &script]), b"");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with("mqtk: debug: sending CONNECT"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("mqtk: debug: received CONNACK"),
        "{stdout}"
    );
    // 0: every one of the 40 messages was acknowledged.
    assert_eq!(lines[2], "exit 0", "{stdout}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// `mqtk sub -t 'x/#' | head -1` with five retained messages: all five are written at once,
/// `head` takes one and leaves, and sub notices while nothing else arrives.
#[test]
fn sub_into_head_exits_0_within_a_second_while_idle() {
    let broker = Broker::start();
    let t = topic("idle-head");
    for i in 1..=5 {
        run_ok(publish(
            broker.port,
            &["-t", &format!("{t}/{i}"), "-m", &format!("r{i}"), "-r"],
        ));
    }
    let mut cmd = subscribe(broker.port, &["-t", &format!("{t}/#")]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mqtk starts");
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "r1\n");
    drop(stdout);
    let closed = Instant::now();
    let code = exit_code(&mut child, WAIT);
    let took = closed.elapsed();
    let stderr = stderr.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    assert!(
        took < Duration::from_secs(1),
        "{took:?} after the pipe closed"
    );
}

#[test]
fn sigterm_on_pub_says_what_was_not_acknowledged() {
    let broker = Broker::start();
    let cmd = publish(broker.port, &["-t", &topic("sigterm"), "-l", "-q", "1"]);
    let feeding = spawn_with_stdin(cmd, b"one\n", "received PUBACK");
    let status = Command::new("kill")
        .args(["-TERM", &feeding.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, stderr) = feeding.wait();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("mqtk: interrupted: 0 of 1 messages sent were not acknowledged"),
        "{stderr}"
    );
}

#[test]
fn sigterm_on_sub_flushes_and_exits_130() {
    let broker = Broker::start();
    let t = topic("sigterm-sub");
    let sub = SubProcess::start(subscribe(broker.port, &["-t", &t, "-q", "1"]));
    for i in 1..=3 {
        run_ok(publish(
            broker.port,
            &["-t", &t, "-m", &format!("m{i}"), "-q", "1"],
        ));
    }
    sub.wait_lines(3, WAIT);
    sub.signal("TERM");
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 130, "{}", done.stderr);
    assert_eq!(done.lines(), ["m1", "m2", "m3"]);
    assert!(!done.stderr.contains("error"), "{}", done.stderr);
}

#[test]
fn sigterm_on_ping_prints_the_summary() {
    let broker = Broker::start();
    let mut cmd = mqtk();
    // The next probe is 10 s away when the signal comes: none is in flight.
    cmd.args(["ping", "-h", "127.0.0.1", "-p", &broker.port.to_string()])
        .args(["-c", "0", "-i", "10s"]);
    let ping = SubProcess::spawn(cmd);
    ping.wait_lines(2, WAIT);
    ping.signal("TERM");
    let done = ping.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    let lines = done.lines();
    assert!(lines[1].starts_with("seq=1 rtt="), "{lines:?}");
    assert_eq!(
        lines[3],
        format!("--- 127.0.0.1:{} mqtk ping statistics ---", broker.port)
    );
    assert!(
        lines[4].starts_with("1 probes transmitted, 1 received, 0% loss"),
        "{lines:?}"
    );
    assert_eq!(done.stderr, "");
}

fn bench_json(broker: &Broker, args: &[&str]) -> Command {
    let mut cmd = mqtk();
    cmd.args(["bench", "pub", "-h", "127.0.0.1", "-p"])
        .arg(broker.port.to_string())
        .args(["--json", "-", "--connect-timeout", "10s", "-d"])
        .args(["--rate", "100", "--duration", "60s", "-q", "1"])
        .args(args);
    cmd
}

#[test]
fn sigterm_on_bench_prints_the_partial_report_and_exits_130() {
    let broker = Broker::start();
    let bench = SubProcess::spawn(bench_json(&broker, &[]));
    bench.wait_stderr("sending", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    bench.signal("TERM");
    let done = bench.finish(WAIT);
    assert_eq!(done.code, 130, "{}", done.stderr);
    let report: serde_json::Value = serde_json::from_slice(&done.stdout)
        .unwrap_or_else(|e| panic!("not a report ({e}): {}", done.stderr));
    assert_eq!(report["interrupted"], true);
    assert!(report["messages"]["sent"].as_u64().unwrap() > 0, "{report}");
}

/// The first signal starts bench's drain, which waits for acknowledgements a frozen broker
/// never sends (up to --drain 60s); the second ends it at once, without a report.
#[test]
fn a_second_signal_exits_130_at_once() {
    let broker = Broker::start();
    let bench = SubProcess::spawn(bench_json(&broker, &["--drain", "60s"]));
    bench.wait_stderr("sending", WAIT);
    // Messages flow, then the broker freezes and the next ones stay unacknowledged.
    std::thread::sleep(Duration::from_millis(500));
    broker.stop_signal(19); // SIGSTOP
    std::thread::sleep(Duration::from_millis(200));
    bench.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    bench.signal("INT");
    let done = bench.finish(WAIT);
    broker.stop_signal(18); // SIGCONT
    assert_eq!(done.code, 130, "{}", done.stderr);
    assert_eq!(done.stdout, b"", "no report: the drain was cut short");
}

/// An OSC sequence (retitles the terminal), CSI, BEL, DEL and a C1 CSI, in UTF-8 and bare.
const HOSTILE: &[u8] = b"a\x1b]0;owned\x07b\x1b[2Jc\x7fd\xc2\x9be\x9bf\tg";
const HOSTILE_SHOWN: &[u8] = b"a\\x1b]0;owned\\x07b\\x1b[2Jc\\x7fd\\u{9b}e\\x9bf\tg";

#[test]
fn sub_escapes_control_characters_on_a_terminal_only() {
    let broker = Broker::start();
    let t = topic("hostile");
    let payload = std::env::temp_dir().join(format!("mqtk-hostile-{}", std::process::id()));
    std::fs::write(&payload, HOSTILE).unwrap();
    let path = payload.to_str().unwrap();
    run_ok(publish(broker.port, &["-t", &t, "-f", path, "-r"]));
    std::fs::remove_file(&payload).unwrap();

    let sub = |extra: &[&str]| {
        let mut args = vec!["-t", t.as_str(), "-C", "1"];
        args.extend_from_slice(extra);
        subscribe(broker.port, &args)
    };
    let (code, shown) = on_terminal(&sub(&[]));
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&shown));
    assert_eq!(shown, [HOSTILE_SHOWN, b"\n"].concat());
    // JSON stays JSON: the escapes are JSON's own.
    let (code, shown) = on_terminal(&sub(&["--json", "--payload-format", "text"]));
    assert_eq!(code, 0);
    let text = String::from_utf8(shown).unwrap();
    assert!(
        text.contains(r#""payload":"a\u001b]0;owned\u0007b\u001b[2Jc\u007fd\u009be"#),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text}"
    );
    // --raw: the bytes as they came, terminal or not.
    let (code, shown) = on_terminal(&sub(&["--raw"]));
    assert_eq!(code, 0);
    assert_eq!(shown, [HOSTILE, b"\n"].concat());
    // A pipe gets the payload byte for byte.
    let out = run_ok(sub(&[]));
    assert_eq!(out.stdout, [HOSTILE, b"\n"].concat());
}

/// A topic is escaped on the terminal and in the `-d` trace (always), never on a pipe.
#[test]
fn topics_are_escaped_on_a_terminal_and_in_the_trace() {
    let broker = Scripted::start(|conn| {
        conn.accept(false)?;
        conn.grant_subscribe()?;
        conn.send(&publish_packet(false, "t/\u{1b}[31m", b"p\x1b[0m", 0, 0))?;
        conn.hold()
    });
    let sub = || subscribe(broker.port, &["-t", "#", "-C", "1", "-v"]);
    let (code, shown) = on_terminal(&sub());
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&shown));
    assert_eq!(shown, b"t/\\x1b[31m p\\x1b[0m\n");

    let mut cmd = sub();
    cmd.arg("-d");
    let out = run_ok(cmd);
    assert_eq!(out.stdout, b"t/\x1b[31m p\x1b[0m\n");
    let trace = String::from_utf8(out.stderr).unwrap();
    assert!(
        trace.contains("received PUBLISH (d0, q0, r0, m0, 't/\\x1b[31m', ... (5 bytes))"),
        "{trace}"
    );
    assert!(!trace.contains('\u{1b}'), "{trace}");
}

/// The broker's own strings (CONNACK reason string, user properties) cannot drive the
/// terminal `mqtk ping --info` prints them on.
#[test]
fn ping_escapes_the_brokers_strings_on_a_terminal() {
    let reason = "\u{1b}]0;owned\u{7}";
    let (key, value) = ("k\u{1b}[2J", "v\u{9b}1m");
    let mut properties = vec![0x1f];
    properties.extend((reason.len() as u16).to_be_bytes());
    properties.extend(reason.as_bytes());
    properties.push(0x26);
    for text in [key, value] {
        properties.extend((text.len() as u16).to_be_bytes());
        properties.extend(text.as_bytes());
    }
    let broker = Scripted::start(move |conn| {
        conn.expect(CONNECT)?;
        conn.send(&connack_v5(false, 0, &properties))?;
        conn.hold()
    });
    let ping = || {
        let mut cmd = mqtk();
        cmd.args(["ping", "-h", "127.0.0.1", "-p", &broker.port.to_string()])
            .args(["-V", "5", "--info", "-c", "1", "--timeout", "5s"]);
        cmd
    };
    let (code, shown) = on_terminal(&ping());
    let text = String::from_utf8(shown).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("  reason string              \\x1b]0;owned\\x07\n"),
        "{text}"
    );
    assert!(
        text.contains("  user property              k\\x1b[2J: v\\u{9b}1m\n"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text}"
    );

    let out = run_ok(ping());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("reason string              {reason}\n")));
    assert!(text.contains(&format!("user property              {key}: {value}\n")));
}

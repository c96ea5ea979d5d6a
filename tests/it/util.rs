//! Runs the mqtk binary with a hermetic environment: no MQTK_* variables from the caller,
//! no config file unless a test writes one, and a timeout so a hang cannot eat CI.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A command for the built mqtk binary with a clean environment.
pub fn mqtk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mqtk"));
    for (key, _) in std::env::vars() {
        if key.starts_with("MQTK_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("MQTK_CONFIG", "/nonexistent/mqtk-test-config.toml");
    cmd.env("RUST_BACKTRACE", "0");
    cmd.stdin(Stdio::null());
    cmd
}

/// `mqtk pub -p PORT ARGS…` on 127.0.0.1.
pub fn publish(port: u16, args: &[&str]) -> Command {
    publish_to("127.0.0.1", port, args)
}

/// `mqtk pub -h HOST -p PORT ARGS…` with a 5 s connect timeout.
pub fn publish_to(host: &str, port: u16, args: &[&str]) -> Command {
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-h",
        host,
        "-p",
        &port.to_string(),
        "--connect-timeout",
        "5s",
    ]);
    cmd.args(args);
    cmd
}

/// Runs to completion (at most 60 s), feeding `stdin`.
pub fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mqtk starts");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = input.write_all(&data);
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("mqtk did not finish within 60 s: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = writer.join();
    child.wait_with_output().expect("output")
}

/// Runs with empty stdin.
pub fn run_ok(cmd: Command) -> Output {
    let output = run(cmd, b"");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The exit code and stderr of a run with empty stdin.
pub fn run_code(cmd: Command) -> (i32, String) {
    let output = run(cmd, b"");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts a failure: the exit code, a one-line `mqtk: error:` message containing `needle`.
pub fn assert_fails(cmd: Command, code: i32, needle: &str) {
    let (got, stderr) = run_code(cmd);
    assert_eq!(got, code, "stderr: {stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("mqtk: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected, got: {stderr}");
    assert!(errors[0].contains(needle), "'{needle}' not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A topic unique to this test run.
pub fn topic(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "mqtk-test/{}/{}/{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Starts mqtk with stdin piped (stderr captured), writes `first`, and gives it half a
/// second to connect and send it. The caller keeps stdin open as long as it likes.
pub fn spawn_with_stdin(
    mut cmd: Command,
    first: &[u8],
) -> (std::process::Child, std::process::ChildStdin) {
    use std::io::Write;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mqtk starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(first).expect("write stdin");
    stdin.flush().expect("flush stdin");
    std::thread::sleep(Duration::from_millis(500));
    (child, stdin)
}

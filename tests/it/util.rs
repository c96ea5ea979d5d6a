//! Runs the mqtk binary with a hermetic environment: no MQTK_* variables from the caller,
//! an empty config file (/dev/null) unless a test writes one, and a timeout so a hang cannot eat CI.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A command for the built mqtk binary with a clean environment.
pub fn mqtk() -> Command {
    hermetic(Command::new(env!("CARGO_BIN_EXE_mqtk")))
}

/// `cmd` (mqtk under any name) with a clean environment: no MQTK_* variables and no
/// SSLKEYLOGFILE from the caller, an empty config file. Only the mosquitto names read
/// files under HOME or XDG_CONFIG_HOME (mosquitto's options files); their tests point
/// both at temp dirs.
pub fn hermetic(mut cmd: Command) -> Command {
    for (key, _) in std::env::vars() {
        if key.starts_with("MQTK_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("SSLKEYLOGFILE");
    // An empty config file: the user's own is never read, and MQTK_CONFIG names a file
    // that exists (a missing one is an error).
    cmd.env("MQTK_CONFIG", "/dev/null");
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

/// A child's output pipe, read on a thread into a buffer the test can look at any time.
struct Captured {
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Captured {
    fn start(mut pipe: impl std::io::Read + Send + 'static) -> Captured {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 65536];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Captured {
            buffer,
            reader: Some(reader),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.buffer.lock().unwrap().clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }

    /// Waits for the pipe to close (the process has exited).
    fn join(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }

    /// Waits until the output contains `needle` (panics after `timeout`).
    fn wait_for(&self, needle: &str, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while !self.text().contains(needle) {
            assert!(
                std::time::Instant::now() < deadline,
                "'{needle}' not in the output after {timeout:?}: {}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A running mqtk whose stdin the test feeds and whose stderr is collected.
pub struct Feeding {
    pub child: std::process::Child,
    pub stdin: std::process::ChildStdin,
    stderr: Captured,
}

impl Feeding {
    /// Waits for the exit: the exit code and everything written to stderr.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().expect("wait");
        self.stderr.join();
        (status.code(), self.stderr.text())
    }

    /// Closes stdin (the end of the input), then as `wait_at_most`.
    pub fn finish(self, timeout: Duration) -> (Option<i32>, String) {
        let Feeding {
            child,
            stdin,
            stderr,
        } = self;
        drop(stdin);
        wait_at_most(child, stderr, timeout)
    }

    /// Waits at most `timeout` for the exit, stdin still open: the exit code (`None` if
    /// mqtk had to be killed) and everything written to stderr.
    pub fn wait_at_most(self, timeout: Duration) -> (Option<i32>, String) {
        let Feeding {
            child,
            stdin,
            stderr,
        } = self;
        let result = wait_at_most(child, stderr, timeout);
        drop(stdin);
        result
    }
}

fn wait_at_most(
    mut child: std::process::Child,
    mut stderr: Captured,
    timeout: Duration,
) -> (Option<i32>, String) {
    let deadline = std::time::Instant::now() + timeout;
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    stderr.join();
    (code, stderr.text())
}

/// Starts mqtk with `-d`, stdin piped and stderr collected, writes `first`, and returns
/// once the `-d` trace shows `ready` (say "received PUBACK"). The caller keeps feeding
/// stdin as long as it likes.
pub fn spawn_with_stdin(mut cmd: Command, first: &[u8], ready: &str) -> Feeding {
    use std::io::Write;
    cmd.arg("-d")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("mqtk starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let stderr = Captured::start(child.stderr.take().expect("stderr"));
    stdin.write_all(first).expect("write stdin");
    stdin.flush().expect("flush stdin");
    stderr.wait_for(ready, Duration::from_secs(20));
    Feeding {
        child,
        stdin,
        stderr,
    }
}

/// `mqtk sub -h 127.0.0.1 -p PORT ARGS…` with a 5 s connect timeout.
pub fn subscribe(port: u16, args: &[&str]) -> Command {
    let mut cmd = mqtk();
    cmd.args([
        "sub",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "--connect-timeout",
        "5s",
    ]);
    cmd.args(args);
    cmd
}

/// A running `mqtk sub` whose stdout and stderr are collected as they arrive.
pub struct SubProcess {
    child: std::process::Child,
    stdout: Captured,
    stderr: Captured,
}

/// What a finished `mqtk sub` left behind.
pub struct Finished {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Finished {
    pub fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl SubProcess {
    /// Starts `cmd` with `-d` added, and returns once its SUBACK (or UNSUBACK) arrived.
    pub fn start(mut cmd: Command) -> SubProcess {
        cmd.arg("-d");
        let sub = SubProcess::spawn(cmd);
        sub.wait_stderr("received SUBACK", Duration::from_secs(15));
        sub
    }

    /// Starts `cmd` as is.
    pub fn spawn(mut cmd: Command) -> SubProcess {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("mqtk starts");
        let stdout = Captured::start(child.stdout.take().unwrap());
        let stderr = Captured::start(child.stderr.take().unwrap());
        SubProcess {
            child,
            stdout,
            stderr,
        }
    }

    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.bytes()
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Waits until stdout holds `n` lines (panics after `timeout`).
    pub fn wait_lines(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let text = String::from_utf8_lossy(&self.stdout()).into_owned();
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            if lines.len() >= n {
                return lines;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} of {n} lines after {timeout:?}: {text}\nstderr: {}",
                lines.len(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until stderr contains `needle` (panics after `timeout`).
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) {
        self.stderr.wait_for(needle, timeout);
    }

    /// Sends a signal by name (INT, TERM…).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit (panics after `timeout`, killing the process).
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "mqtk sub did not exit within {timeout:?}\nstdout: {}\nstderr: {}",
                    String::from_utf8_lossy(&self.stdout()),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        self.stdout.join();
        self.stderr.join();
        Finished {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for SubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

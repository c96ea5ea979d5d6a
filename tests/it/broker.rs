//! A real mosquitto broker owned by one test: `BrokerBuilder` picks free ports,
//! writes a mosquitto 2.0 config into a private temp dir, starts the process and
//! waits until it accepts connections; `Broker` exposes the ports, lets a test
//! kill/restart/signal the process, reads its log, and kills it on drop (printing
//! the log when the test is panicking). Also owns `certs_dir()`/`cert()`, the
//! paths of the TLS fixtures in `tests/fixtures/certs/`.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `start`/`restart` wait for mosquitto to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times `start` retries with fresh ports when mosquitto dies early.
const START_ATTEMPTS: usize = 5;

const NOT_FOUND: &str =
    "mosquitto not found: install it with 'apt-get update && apt-get install -y mosquitto mosquitto-clients'";

/// `<CARGO_MANIFEST_DIR>/tests/fixtures/certs`
pub fn certs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/certs")
}

/// `certs_dir().join(name)`
pub fn cert(name: &str) -> PathBuf {
    certs_dir().join(name)
}

/// Options for a test broker; everything is off by default (plain TCP only).
#[derive(Debug, Clone, Default)]
pub struct BrokerBuilder {
    tls: bool,
    mtls: bool,
    wrong_host_tls: bool,
    ws: bool,
    wss: bool,
    unix: bool,
    password: Option<(String, String)>,
    persistence: bool,
    quiet: bool,
    acl: Option<String>,
    max_packet_size: Option<u32>,
    max_qos: Option<u8>,
    custom_tls: Option<CustomTls>,
    /// The plain listener's port, chosen by the test (`free_port()`), not picked here.
    fixed_port: Option<u16>,
    sys_interval: Option<u32>,
}

/// The files of a TLS listener a test makes itself (`BrokerBuilder::custom_tls`).
#[derive(Debug, Clone)]
pub struct CustomTls {
    /// Server certificate and key.
    pub certfile: PathBuf,
    pub keyfile: PathBuf,
    /// CA for client certificates; with it the listener requires one.
    pub client_ca: Option<PathBuf>,
}

impl BrokerBuilder {
    /// TLS listener serving `server.pem`, `cafile ca.pem` (→ `Broker::tls_port`).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }
    /// TLS listener that requires a client certificate signed by `ca.pem`
    /// (→ `Broker::mtls_port`).
    pub fn mtls(mut self) -> Self {
        self.mtls = true;
        self
    }
    /// TLS listener serving `wronghost.pem` (SAN `wrong-host.invalid` only)
    /// (→ `Broker::wrong_host_port`).
    pub fn wrong_host_tls(mut self) -> Self {
        self.wrong_host_tls = true;
        self
    }
    /// TLS listener serving the test's own certificate and key, requiring a client
    /// certificate when `client_ca` is set (→ `Broker::custom_tls_port`).
    pub fn custom_tls(mut self, files: CustomTls) -> Self {
        self.custom_tls = Some(files);
        self
    }
    /// Plain websockets listener (→ `Broker::ws_port`).
    pub fn ws(mut self) -> Self {
        self.ws = true;
        self
    }
    /// Websockets over TLS listener serving `server.pem` (→ `Broker::wss_port`).
    pub fn wss(mut self) -> Self {
        self.wss = true;
        self
    }
    /// Unix socket listener at `<tempdir>/mosquitto.sock` (→ `Broker::unix_path`).
    pub fn unix(mut self) -> Self {
        self.unix = true;
        self
    }
    /// Require this user/password on every listener (`allow_anonymous false`).
    pub fn password(mut self, user: &str, pass: &str) -> Self {
        self.password = Some((user.to_owned(), pass.to_owned()));
        self
    }
    /// `persistence true` with the database in the broker's temp dir, saved
    /// every second and on SIGTERM (see `Broker::restart`).
    pub fn persistence(mut self) -> Self {
        self.persistence = true;
        self
    }

    /// Enforce this ACL file content (global `acl_file`). Topic lines before
    /// any `user` line apply to anonymous clients.
    pub fn acl(mut self, acl_file_content: &str) -> Self {
        self.acl = Some(acl_file_content.to_owned());
        self
    }

    /// Global `max_packet_size`: mosquitto announces it to MQTT 5 clients in
    /// CONNACK and drops clients that send bigger packets.
    pub fn max_packet_size(mut self, bytes: u32) -> Self {
        self.max_packet_size = Some(bytes);
        self
    }

    /// `max_qos` on every listener: mosquitto announces Maximum QoS to MQTT 5 clients in
    /// CONNACK and disconnects a client that publishes above it.
    pub fn max_qos(mut self, qos: u8) -> Self {
        self.max_qos = Some(qos);
        self
    }

    /// Leave mosquitto's per-packet `debug` lines out of the log (everything
    /// else is still logged). For high-volume tests: with `log_type all`
    /// mosquitto writes ~550 bytes of log per QoS 1 message and is ~3x slower.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Listen on this port (from `free_port()`) instead of a fresh one, for a test that
    /// points mqtk at the port before the broker exists.
    pub fn port(mut self, port: u16) -> Self {
        self.fixed_port = Some(port);
        self
    }

    /// `sys_interval SECS`: publish the `$SYS/broker/...` topics every SECS seconds
    /// (mosquitto's default is 10).
    pub fn sys_interval(mut self, secs: u32) -> Self {
        self.sys_interval = Some(secs);
        self
    }

    /// Start mosquitto and wait until it accepts connections. Panics (with the
    /// broker log) if it cannot be started after several attempts.
    pub fn start(self) -> Broker {
        let binary = find_mosquitto();
        let dir = tempfile::Builder::new()
            .prefix("mqtk-broker-")
            .tempdir()
            .expect("create broker temp dir");
        let config_path = dir.path().join("mosquitto.conf");
        let log_path = dir.path().join("mosquitto.log");
        let unix_path = self.unix.then(|| dir.path().join("mosquitto.sock"));
        let password_file = self
            .password
            .as_ref()
            .map(|(user, pass)| make_password_file(dir.path(), user, pass));
        let acl_file = self.acl.as_ref().map(|content| {
            let file = dir.path().join("acl");
            fs::write(&file, content).expect("write acl file");
            file
        });
        let run_as_root = is_root();

        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let [port, tls, mtls, wrong_host, ws, wss, custom] = free_ports::<7>();
            let port = self.fixed_port.unwrap_or(port);
            let mut broker = Broker {
                port,
                tls_port: self.tls.then_some(tls),
                mtls_port: self.mtls.then_some(mtls),
                wrong_host_port: self.wrong_host_tls.then_some(wrong_host),
                ws_port: self.ws.then_some(ws),
                wss_port: self.wss.then_some(wss),
                custom_tls: self.custom_tls.clone().map(|files| (custom, files)),
                custom_tls_port: self.custom_tls.is_some().then_some(custom),
                unix_path: unix_path.clone(),
                child: None,
                binary: binary.clone(),
                config_path: config_path.clone(),
                log_path: log_path.clone(),
                dir: None,
            };
            let config = broker.config_text(Globals {
                run_as_root,
                quiet: self.quiet,
                password_file: password_file.as_deref(),
                acl_file: acl_file.as_deref(),
                max_packet_size: self.max_packet_size,
                max_qos: self.max_qos,
                persistence_dir: self.persistence.then(|| dir.path()),
                sys_interval: self.sys_interval,
            });
            fs::write(&config_path, config).expect("write mosquitto.conf");
            match broker.spawn_and_wait() {
                Ok(()) => {
                    broker.dir = Some(dir);
                    return broker;
                }
                Err(why) => {
                    last_failure = format!("attempt {attempt}/{START_ATTEMPTS}: {why}");
                    // Keep the failed attempt's log for the final message, then
                    // start the next attempt with fresh ports and an empty log.
                    let log = broker.log();
                    let _ = fs::remove_file(&log_path);
                    last_failure.push_str("\n--- mosquitto log ---\n");
                    last_failure.push_str(&log);
                }
            }
        }
        let config = fs::read_to_string(&config_path).unwrap_or_default();
        panic!(
            "could not start mosquitto ({}) after {START_ATTEMPTS} attempts; last failure: \
             {last_failure}\n--- mosquitto.conf ---\n{config}",
            binary.display()
        );
    }
}

/// Global (non-listener) settings for `Broker::config_text`.
struct Globals<'a> {
    run_as_root: bool,
    quiet: bool,
    password_file: Option<&'a Path>,
    acl_file: Option<&'a Path>,
    max_packet_size: Option<u32>,
    /// A listener option: written under every `listener` line.
    max_qos: Option<u8>,
    persistence_dir: Option<&'a Path>,
    sys_interval: Option<u32>,
}

/// A running mosquitto owned by the test. Killed (SIGKILL) on drop.
pub struct Broker {
    /// Plain MQTT listener on 127.0.0.1, always present.
    pub port: u16,
    pub tls_port: Option<u16>,
    pub mtls_port: Option<u16>,
    pub wrong_host_port: Option<u16>,
    pub ws_port: Option<u16>,
    pub wss_port: Option<u16>,
    pub custom_tls_port: Option<u16>,
    pub unix_path: Option<PathBuf>,
    custom_tls: Option<(u16, CustomTls)>,
    child: Option<Child>,
    binary: PathBuf,
    config_path: PathBuf,
    log_path: PathBuf,
    /// Owns the temp dir (config, log, password file, socket, persistence db).
    /// `None` only while `BrokerBuilder::start` is still trying.
    dir: Option<tempfile::TempDir>,
}

impl Broker {
    pub fn builder() -> BrokerBuilder {
        BrokerBuilder::default()
    }

    /// A broker with only the plain TCP listener.
    pub fn start() -> Broker {
        BrokerBuilder::default().start()
    }

    /// Pid of the running mosquitto. Panics if it has been killed.
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .expect("broker is not running (killed?)")
            .id()
    }

    /// SIGKILL the broker and reap it. A later `restart()` starts it again.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop the broker gracefully (SIGTERM, so a persistent broker saves its
    /// database; SIGKILL after 10 s) and start it again with the same config,
    /// ports and temp dir. Also works after `kill()`. Panics if it does not
    /// come back.
    pub fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            send_signal(child.id(), libc_sig::SIGCONT); // in case a test stopped it
            send_signal(child.id(), libc_sig::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        // The ports were just released by mosquitto itself (SO_REUSEADDR), but
        // something else may grab one in between: retry a few times.
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(why) => {
                    last = why;
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        panic!(
            "mosquitto did not come back after restart: {last}\n--- mosquitto log ---\n{}",
            self.log()
        );
    }

    /// Send signal number `sig` (e.g. `libc::SIGSTOP`, `libc::SIGCONT`) to the
    /// broker via `/bin/kill` (the crate forbids `unsafe`, so no `libc::kill`).
    pub fn stop_signal(&self, sig: i32) {
        send_signal(self.pid(), sig);
    }

    /// Everything mosquitto has logged so far (all restarts included).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log_path).unwrap_or_default()).into_owned()
    }

    /// Path of the generated `mosquitto.conf` (handy when debugging a test).
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    fn config_text(&self, g: Globals<'_>) -> String {
        let mut c = String::new();
        let ca = cert("ca.pem");
        let server = (cert("server.pem"), cert("server.key"));
        let wrong = (cert("wronghost.pem"), cert("wronghost.key"));

        c.push_str("# generated by tests/it/broker.rs\n");
        if g.run_as_root {
            // Otherwise mosquitto drops to user `mosquitto`, which cannot read
            // the temp dir (password file, persistence location).
            c.push_str("user root\n");
        }
        c.push_str("per_listener_settings false\n");
        match g.password_file {
            Some(file) => {
                c.push_str("allow_anonymous false\n");
                writeln!(c, "password_file {}", file.display()).unwrap();
            }
            None => c.push_str("allow_anonymous true\n"),
        }
        if let Some(file) = g.acl_file {
            writeln!(c, "acl_file {}", file.display()).unwrap();
        }
        if let Some(bytes) = g.max_packet_size {
            writeln!(c, "max_packet_size {bytes}").unwrap();
        }
        // Log to stderr, which is redirected into `log_path` (this also catches
        // config errors printed before logging is set up).
        c.push_str("log_dest stderr\n");
        if g.quiet {
            for t in [
                "error",
                "warning",
                "notice",
                "information",
                "subscribe",
                "unsubscribe",
            ] {
                writeln!(c, "log_type {t}").unwrap();
            }
        } else {
            c.push_str("log_type all\n");
        }
        c.push_str("log_timestamp_format %Y-%m-%dT%H:%M:%S\n");
        c.push_str("connection_messages true\n");
        c.push_str("max_queued_messages 1000000\n");
        c.push_str("set_tcp_nodelay true\n");
        if let Some(secs) = g.sys_interval {
            writeln!(c, "sys_interval {secs}").unwrap();
        }
        match g.persistence_dir {
            Some(dir) => {
                c.push_str("persistence true\n");
                // trailing slash: mosquitto concatenates location + file name
                writeln!(c, "persistence_location {}/", dir.display()).unwrap();
                c.push_str("persistence_file mosquitto.db\n");
                c.push_str("autosave_interval 1\n");
            }
            None => c.push_str("persistence false\n"),
        }

        let listener = |c: &mut String, address: &str| {
            writeln!(c, "\nlistener {address}").unwrap();
            if let Some(qos) = g.max_qos {
                writeln!(c, "max_qos {qos}").unwrap();
            }
        };
        let tls = |c: &mut String, (certfile, keyfile): &(PathBuf, PathBuf)| {
            writeln!(c, "cafile {}", ca.display()).unwrap();
            writeln!(c, "certfile {}", certfile.display()).unwrap();
            writeln!(c, "keyfile {}", keyfile.display()).unwrap();
        };
        if let Some(path) = &self.unix_path {
            listener(&mut c, &format!("0 {}", path.display()));
        }
        if let Some(port) = self.tls_port {
            listener(&mut c, &format!("{port} 127.0.0.1"));
            tls(&mut c, &server);
        }
        if let Some(port) = self.mtls_port {
            listener(&mut c, &format!("{port} 127.0.0.1"));
            tls(&mut c, &server);
            c.push_str("require_certificate true\nuse_identity_as_username false\n");
        }
        if let Some(port) = self.wrong_host_port {
            listener(&mut c, &format!("{port} 127.0.0.1"));
            tls(&mut c, &wrong);
        }
        if let Some((port, files)) = &self.custom_tls {
            listener(&mut c, &format!("{port} 127.0.0.1"));
            writeln!(c, "certfile {}", files.certfile.display()).unwrap();
            writeln!(c, "keyfile {}", files.keyfile.display()).unwrap();
            if let Some(ca) = &files.client_ca {
                writeln!(c, "cafile {}", ca.display()).unwrap();
                c.push_str("require_certificate true\nuse_identity_as_username false\n");
            }
        }
        if let Some(port) = self.ws_port {
            listener(&mut c, &format!("{port} 127.0.0.1"));
            c.push_str("protocol websockets\nsocket_domain ipv4\n");
        }
        if let Some(port) = self.wss_port {
            listener(&mut c, &format!("{port} 127.0.0.1"));
            c.push_str("protocol websockets\nsocket_domain ipv4\n");
            tls(&mut c, &server);
        }
        // Plain listener last: mosquitto opens listeners in config order and
        // exits if any fails, so once this one accepts, all others are bound.
        listener(&mut c, &format!("{} 127.0.0.1", self.port));
        c
    }

    /// Spawn mosquitto with the current config and wait until the plain port
    /// (and the unix socket, if any) accept connections.
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "mosquitto already running");
        if let Some(path) = &self.unix_path {
            // stale after SIGKILL; we wait for it to reappear below
            let _ = fs::remove_file(path);
        }
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|e| format!("open {}: {e}", self.log_path.display()))?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        {
            let mut l = &log;
            let _ = writeln!(
                l,
                "=== tests/it/broker.rs: starting {} -c {} ===",
                self.binary.display(),
                self.config_path.display()
            );
        }
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.binary.display()))?;
        self.child = Some(child);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let child = self.child.as_mut().unwrap();
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Err(format!("mosquitto exited early with {status}"));
            }
            let tcp_ok = TcpStream::connect_timeout(
                &([127, 0, 0, 1], self.port).into(),
                Duration::from_millis(200),
            )
            .is_ok();
            let unix_ok = match &self.unix_path {
                Some(path) => std::os::unix::net::UnixStream::connect(path).is_ok(),
                None => true,
            };
            if tcp_ok && unix_ok {
                // Another test's broker may hold the same port (ports are picked, then
                // bound): make sure ours bound every listener and is still running.
                std::thread::sleep(Duration::from_millis(30));
                let child = self.child.as_mut().unwrap();
                let exited = matches!(child.try_wait(), Ok(Some(_)));
                let log = self.log();
                let bind_failed = log
                    .rsplit("=== tests/it/broker.rs: starting")
                    .next()
                    .is_some_and(|run| run.contains("Address already in use"));
                if !exited && !bind_failed {
                    return Ok(());
                }
                self.kill();
                return Err("a port was taken by another process".into());
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(format!(
                    "mosquitto not ready after {READY_TIMEOUT:?} (port {} {}, unix socket {})",
                    self.port,
                    if tcp_ok { "ok" } else { "not accepting" },
                    if unix_ok { "ok" } else { "not accepting" },
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let shown = abbreviate(&log, 100, 400);
            // A long log is only shown in part: keep the temp dir (log, config)
            // so the whole thing survives the failed test.
            let whole = if shown.len() == log.len() {
                String::new()
            } else {
                match self.dir.take().map(|d| d.keep()) {
                    Some(dir) => {
                        format!("; full log kept in {}", dir.join("mosquitto.log").display())
                    }
                    None => String::new(),
                }
            };
            eprintln!(
                "===== mosquitto log (port {}{whole}) =====\n{}\n===== end of mosquitto log =====",
                self.port,
                shown.trim_end(),
            );
        }
    }
}

/// The log itself if short, else its first `head` and last `tail` lines
/// (a 100 000-message QoS 1 test logs ~55 MB with `log_type all`).
fn abbreviate(log: &str, head: usize, tail: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    if lines.len() <= head + tail {
        return log.to_owned();
    }
    let mut out = lines[..head].join("\n");
    write!(
        out,
        "\n[... {} lines omitted ...]\n",
        lines.len() - head - tail
    )
    .unwrap();
    out.push_str(&lines[lines.len() - tail..].join("\n"));
    out.push('\n');
    out
}

/// Signal numbers used internally (Linux values; no libc needed).
mod libc_sig {
    pub const SIGTERM: i32 = 15;
    pub const SIGCONT: i32 = 18;
}

fn send_signal(pid: u32, sig: i32) {
    let status = Command::new("/bin/kill")
        .arg("-s")
        .arg(sig.to_string())
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run /bin/kill");
    // Failure is fine when the process is already gone; callers reap it.
    let _ = status;
}

/// A port free on 127.0.0.1 now (bound, then released), never 1883.
pub fn free_port() -> u16 {
    let [port] = free_ports::<1>();
    port
}

/// `N` distinct free ports on 127.0.0.1 (all bound at once, then released).
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
        .collect();
    let mut ports = [0u16; N];
    for (slot, l) in ports.iter_mut().zip(&listeners) {
        *slot = l.local_addr().unwrap().port();
        assert_ne!(*slot, 1883);
    }
    ports
}

/// `MQTK_MOSQUITTO`, else `/usr/sbin/mosquitto`, else `mosquitto` on PATH.
fn find_mosquitto() -> PathBuf {
    if let Some(p) = std::env::var_os("MQTK_MOSQUITTO") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "MQTK_MOSQUITTO={} is not a file", p.display());
        return p;
    }
    let sbin = PathBuf::from("/usr/sbin/mosquitto");
    if sbin.is_file() {
        return sbin;
    }
    which("mosquitto").unwrap_or_else(|| panic!("{NOT_FOUND}"))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Create `<dir>/passwd` with `mosquitto_passwd -b -c`, mode 0600.
fn make_password_file(dir: &Path, user: &str, pass: &str) -> PathBuf {
    let tool = which("mosquitto_passwd")
        .or_else(|| Some(PathBuf::from("/usr/bin/mosquitto_passwd")).filter(|p| p.is_file()))
        .unwrap_or_else(|| panic!("mosquitto_passwd not found; {NOT_FOUND}"));
    let file = dir.join("passwd");
    let out = Command::new(&tool)
        .arg("-b")
        .arg("-c")
        .arg(&file)
        .arg(user)
        .arg(pass)
        .output()
        .expect("run mosquitto_passwd");
    assert!(
        out.status.success(),
        "mosquitto_passwd failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).expect("chmod passwd");
    file
}

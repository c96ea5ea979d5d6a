//! mqtk started under mosquitto's names (a symlink `mosquitto_pub` or `mosquitto_sub` to the
//! built binary) reads mosquitto's options files and exits with mosquitto's codes, checked
//! against the real mosquitto_pub/mosquitto_sub where they behave the same; `-o FILE` under
//! both names; and the remaining connection flags: `--nodelay`, `-A`, `--ciphers`,
//! `--tls-keylog`/SSLKEYLOGFILE and the refused ones (`--psk`, `--tls-engine`, `-S`...).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::broker::{cert, Broker};
use crate::subscriber::Subscriber;
use crate::util::{assert_fails, hermetic, mqtk, run_code, run_ok, topic, SubProcess};

const WAIT: Duration = Duration::from_secs(10);

/// A temp dir with `bin/mosquitto_pub` and `bin/mosquitto_sub` (symlinks to mqtk), and an
/// empty `home/` and `xdg/` for the options files.
struct Names {
    dir: tempfile::TempDir,
}

impl Names {
    fn new() -> Names {
        let dir = tempfile::Builder::new()
            .prefix("mqtk-names-")
            .tempdir()
            .unwrap();
        for sub in ["bin", "home/.config", "xdg"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        for name in ["mosquitto_pub", "mosquitto_sub"] {
            std::os::unix::fs::symlink(
                env!("CARGO_BIN_EXE_mqtk"),
                dir.path().join("bin").join(name),
            )
            .unwrap();
        }
        Names { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn xdg(&self) -> PathBuf {
        self.dir.path().join("xdg")
    }

    /// mqtk as `program`, with HOME at the temp home and XDG_CONFIG_HOME unset.
    fn mqtk_as(&self, program: &str) -> Command {
        let mut cmd = hermetic(Command::new(self.dir.path().join("bin").join(program)));
        cmd.env("HOME", self.home()).env_remove("XDG_CONFIG_HOME");
        cmd
    }

    /// mqtk under its own name, with the same HOME.
    fn mqtk(&self) -> Command {
        let mut cmd = mqtk();
        cmd.env("HOME", self.home()).env_remove("XDG_CONFIG_HOME");
        cmd
    }

    /// mosquitto's own `program`, with the same HOME.
    fn real(&self, program: &str) -> Command {
        let path = ["/usr/bin", "/usr/local/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(program))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "{program} not found: apt-get update && apt-get install -y mosquitto-clients"
                )
            });
        let mut cmd = Command::new(path);
        cmd.env("HOME", self.home()).env_remove("XDG_CONFIG_HOME");
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    /// Writes `~/.config/<program>`.
    fn home_file(&self, program: &str, text: &str) {
        std::fs::write(self.home().join(".config").join(program), text).unwrap();
    }

    /// Writes `$XDG_CONFIG_HOME/<program>`.
    fn xdg_file(&self, program: &str, text: &str) -> PathBuf {
        let path = self.xdg().join(program);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes a file of the temp dir (an `-o` file).
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A loopback port nothing listens on.
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    assert_ne!(port, 1883);
    port
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The exit code of a run with empty stdin.
fn code(cmd: Command) -> i32 {
    run_code(cmd).0
}

#[test]
fn the_options_file_in_home_comes_before_the_command_line() {
    let broker = Broker::start();
    let names = Names::new();
    let t = topic("names-home");
    let sub = Subscriber::start(broker.port, &t, 1);
    names.home_file(
        "mosquitto_pub",
        &format!(
            "# mosquitto_pub's defaults\n  -h 127.0.0.1  \n-p {}\n\n-q 1\n-m from the file\n",
            broker.port
        ),
    );
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(["-t", &t]);
    run_ok(cmd);
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(["-t", &t, "-m", "from argv"]);
    run_ok(cmd);
    let got: Vec<String> = sub
        .wait_for(2, WAIT)
        .iter()
        .map(|m| m.payload_str())
        .collect();
    assert_eq!(got, ["from the file", "from argv"]);
    assert!(sub.wait_for(2, WAIT).iter().all(|m| m.qos == 1));

    // The command line's port wins over the file's: nothing listens there (mosquitto: 1).
    let port = unused_port().to_string();
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(["-t", &t, "-p", &port]);
    assert_fails(cmd, 1, "connection refused");
    let mut cmd = names.real("mosquitto_pub");
    cmd.args(["-t", &t, "-p", &port]);
    assert_eq!(code(cmd), 1);
}

#[test]
fn xdg_config_home_is_the_only_place_looked_at_when_set() {
    let broker = Broker::start();
    let names = Names::new();
    let port = broker.port.to_string();
    let t = topic("names-xdg");
    // HOME's file would fail any run that reads it.
    names.home_file("mosquitto_pub", "--no-such-option\n");
    let xdg = names.xdg_file("mosquitto_pub", &format!("-h 127.0.0.1\n-p {port}\n"));

    for program in [names.mqtk_as("mosquitto_pub"), names.real("mosquitto_pub")] {
        let mut cmd = program;
        cmd.env("XDG_CONFIG_HOME", names.xdg())
            .args(["-t", &t, "-m", "x"]);
        let (got, stderr) = run_code(cmd);
        assert_eq!(got, 0, "{stderr}");
    }
    // XDG_CONFIG_HOME set without the file: HOME's is not read either (mosquitto's rule).
    std::fs::remove_file(&xdg).unwrap();
    let address = ["-h", "127.0.0.1", "-p", &port, "-t", &t, "-m", "x"];
    for program in [names.mqtk_as("mosquitto_pub"), names.real("mosquitto_pub")] {
        let mut cmd = program;
        cmd.env("XDG_CONFIG_HOME", names.xdg()).args(address);
        let (got, stderr) = run_code(cmd);
        assert_eq!(got, 0, "{stderr}");
    }
    // Without XDG_CONFIG_HOME, HOME's file is read: both fail on its unknown option.
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(address);
    assert_fails(cmd, 1, "unknown flag '--no-such-option'");
    let mut cmd = names.real("mosquitto_pub");
    cmd.args(address);
    assert_eq!(code(cmd), 1);
    // Under its own name mqtk reads no mosquitto options file.
    let mut cmd = names.mqtk();
    cmd.arg("pub").args(address);
    run_ok(cmd);
}

#[test]
fn options_file_flag_under_both_names_and_for_sub() {
    let broker = Broker::start();
    let names = Names::new();
    let t = topic("names-o");
    let options = names.file(
        "broker.opts",
        &format!("-h 127.0.0.1\n-p {}\n-q 1\n", broker.port),
    );
    // mosquitto_sub's default file: the filter, one message, topic first.
    names.home_file(
        "mosquitto_sub",
        &format!("-h 127.0.0.1\n-p {}\n-t {t}\n-C 1\n-v\n", broker.port),
    );
    // -o replaces the default file, which would fail the run.
    names.home_file("mosquitto_pub", "--no-such-option\n");

    let mut cmd = names.mqtk_as("mosquitto_sub");
    cmd.args(["-W", "20"]);
    let sub = SubProcess::start(cmd);
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(["-o", s(&options), "-t", &t, "-m", "hello options"]);
    run_ok(cmd);
    let done = sub.finish(WAIT);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(done.lines(), [format!("{t} hello options")]);

    let watch = Subscriber::start(broker.port, &t, 1);
    let mut cmd = names.mqtk();
    cmd.args([
        "pub",
        "-t",
        &t,
        "-m",
        "mqtk -o",
        "--options-file",
        s(&options),
    ]);
    run_ok(cmd);
    assert_eq!(watch.wait_for(1, WAIT)[0].payload_str(), "mqtk -o");

    // A missing -o file is an error (66 as mqtk, 1 as mosquitto_pub), not ignored.
    let missing = names.dir.path().join("missing.opts");
    let mut cmd = names.mqtk();
    cmd.args(["pub", "-t", &t, "-m", "x", "-o", s(&missing)]);
    assert_fails(cmd, 66, "missing.opts: no such file or directory");
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(["-t", &t, "-m", "x", "-o", s(&missing)]);
    assert_fails(cmd, 1, "options file");
    // A bad line names the file; an options file cannot name another.
    let bad = names.file("bad.opts", "-q 7\n");
    let mut cmd = names.mqtk();
    cmd.args(["pub", "-t", &t, "-m", "x", "-o", s(&bad)]);
    assert_fails(cmd, 64, "bad.opts included");
    let nested = names.file("nested.opts", "# ok\n-o other.opts\n");
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(["-t", &t, "-m", "x", "-o", s(&nested)]);
    assert_fails(cmd, 1, "line 2");
}

#[test]
fn exit_codes_are_mosquittos_under_its_names() {
    let broker = Broker::builder().tls().password("user", "secret").start();
    let names = Names::new();
    let port = broker.port.to_string();
    let tls_port = broker.tls_port.unwrap().to_string();
    let closed = unused_port().to_string();
    let other_ca = cert("other-ca.pem");
    let at = |p: &str| {
        [
            "-h".to_string(),
            "127.0.0.1".to_string(),
            "-p".to_string(),
            p.to_string(),
        ]
    };
    // (program, arguments, mosquitto's code, mqtk's code under its own name)
    let cases: Vec<(&str, Vec<String>, i32, i32)> = vec![
        ("mosquitto_pub", vec!["--no-such-option".into()], 1, 64),
        (
            "mosquitto_sub",
            vec!["-t".into(), "a/#".into(), "-q".into(), "3".into()],
            1,
            64,
        ),
        (
            "mosquitto_pub",
            [
                &at(&closed)[..],
                &["-t".into(), "x".into(), "-m".into(), "y".into()],
            ]
            .concat(),
            1,
            69,
        ),
        (
            "mosquitto_sub",
            [&at(&closed)[..], &["-t".into(), "x".into()]].concat(),
            1,
            69,
        ),
        (
            "mosquitto_pub",
            [
                &at(&tls_port)[..],
                &[
                    "--cafile".into(),
                    s(&other_ca).into(),
                    "-t".into(),
                    "x".into(),
                    "-m".into(),
                    "y".into(),
                ],
            ]
            .concat(),
            1,
            72,
        ),
        (
            "mosquitto_sub",
            [
                &at(&port)[..],
                &[
                    "-u".into(),
                    "user".into(),
                    "-P".into(),
                    "secret".into(),
                    "-t".into(),
                    "x".into(),
                    "-W".into(),
                    "1".into(),
                ],
            ]
            .concat(),
            27,
            27,
        ),
        (
            "mosquitto_pub",
            [
                &at(&port)[..],
                &[
                    "-u".into(),
                    "user".into(),
                    "-P".into(),
                    "wrong".into(),
                    "-t".into(),
                    "x".into(),
                    "-m".into(),
                    "y".into(),
                ],
            ]
            .concat(),
            5,
            5,
        ),
        (
            "mosquitto_pub",
            [
                &at(&port)[..],
                &[
                    "-u".into(),
                    "user".into(),
                    "-P".into(),
                    "wrong".into(),
                    "-V".into(),
                    "5".into(),
                    "-t".into(),
                    "x".into(),
                    "-m".into(),
                    "y".into(),
                ],
            ]
            .concat(),
            135,
            135,
        ),
        (
            "mosquitto_sub",
            [
                &at(&port)[..],
                &["-t".into(), "x".into(), "-V".into(), "mqttv5".into()],
            ]
            .concat(),
            135,
            135,
        ),
    ];
    for (program, args, mosquitto, own) in cases {
        let mut real = names.real(program);
        real.args(&args);
        let real_code = code(real);
        // mosquitto_pub 2.0.11 returns 1 or 8 (MOSQ_ERR_TLS) for an untrusted certificate,
        // depending on whether the handshake fails inside mosquitto_connect() or later in its
        // loop (both seen here); mqtk under that name always exits 1.
        let tls_race = args.iter().any(|a| a == "--cafile") && real_code == 8;
        assert!(
            real_code == mosquitto || tls_race,
            "{program} {args:?}: mosquitto's code {real_code}, expected {mosquitto}"
        );
        let mut named = names.mqtk_as(program);
        named.args(&args);
        let (got, stderr) = run_code(named);
        assert_eq!(got, mosquitto, "mqtk as {program} {args:?}: {stderr}");
        assert_eq!(
            stderr
                .lines()
                .filter(|l| l.starts_with("mqtk: error:"))
                .count(),
            1,
            "{stderr}"
        );
        let mut plain = names.mqtk();
        plain
            .arg(program.trim_start_matches("mosquitto_"))
            .args(&args);
        assert_eq!(code(plain), own, "mqtk {program} {args:?}");
    }
}

/// mosquitto_sub exits 0 on SIGINT once connected and 255 before its CONNACK; as
/// mosquitto_sub, mqtk does the same (as mqtk: 130).
#[test]
fn interrupting_mosquitto_sub() {
    let broker = Broker::start();
    let names = Names::new();
    let port = broker.port.to_string();
    let t = topic("names-int");
    let args = ["-h", "127.0.0.1", "-p", &port, "-t", &t];

    let mut cmd = names.mqtk_as("mosquitto_sub");
    cmd.args(args);
    let sub = SubProcess::start(cmd);
    sub.signal("INT");
    assert_eq!(sub.finish(WAIT).code, 0);

    // mosquitto_sub's -d trace sits in its stdout buffer: the broker's log tells when
    // it has subscribed.
    let subacks = || broker.log().matches("Sending SUBACK").count();
    let before = subacks();
    let mut cmd = names.real("mosquitto_sub");
    cmd.args(args);
    let real = SubProcess::spawn(cmd);
    let deadline = std::time::Instant::now() + WAIT;
    while subacks() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "mosquitto_sub did not subscribe"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    real.signal("INT");
    assert_eq!(real.finish(WAIT).code, 0);

    let mut cmd = names.mqtk();
    cmd.arg("sub").args(args);
    let sub = SubProcess::start(cmd);
    sub.signal("INT");
    assert_eq!(sub.finish(WAIT).code, 130);

    // A listener that never answers CONNECT: interrupted before CONNACK.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();
    let args = ["-h", "127.0.0.1", "-p", &silent_port, "-t", &t];
    for cmd in [names.mqtk_as("mosquitto_sub"), names.real("mosquitto_sub")] {
        let mut cmd = cmd;
        cmd.args(args);
        let sub = SubProcess::spawn(cmd);
        std::thread::sleep(Duration::from_millis(500));
        sub.signal("INT");
        assert_eq!(sub.finish(WAIT).code, 255);
    }
    drop(silent);
}

/// `mosquitto_rr` runs `mqtk rr`.
#[test]
fn mosquitto_rr_maps_to_rr() {
    let names = Names::new();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_mqtk"),
        names.dir.path().join("bin/mosquitto_rr"),
    )
    .unwrap();
    let mut cmd = names.mqtk_as("mosquitto_rr");
    cmd.arg("--help");
    let out = run_ok(cmd);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("-e") && help.contains("response"), "{help}");
    // And mosquitto's exit code for a usage error under that name.
    let mut cmd = names.mqtk_as("mosquitto_rr");
    cmd.args(["-t", "req"]);
    assert_fails(cmd, 1, "-e");
}

#[test]
fn nodelay_and_bind_address() {
    let broker = Broker::start();
    let names = Names::new();
    let port = broker.port.to_string();
    let t = topic("names-bind");
    let sub = Subscriber::start(broker.port, &t, 0);
    let address = ["-h", "127.0.0.1", "-p", &port, "-t", &t];
    let mut cmd = mqtk();
    cmd.arg("pub")
        .args(address)
        .args(["-m", "one", "--nodelay", "-A", "127.0.0.1"]);
    run_ok(cmd);
    let mut cmd = names.mqtk_as("mosquitto_pub");
    cmd.args(address)
        .args(["-m", "two", "-A", "127.0.0.2", "--nodelay"]);
    run_ok(cmd);
    assert_eq!(sub.wait_for(2, WAIT).len(), 2);
    let log = broker.log();
    assert!(
        log.lines()
            .any(|l| l.contains("New connection from 127.0.0.2:")),
        "mosquitto does not log the -A address:\n{log}"
    );
    let mut cmd = mqtk();
    cmd.args([
        "ping",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-c",
        "1",
        "-A",
        "127.0.0.3",
    ]);
    run_ok(cmd);
    assert!(broker.log().contains("New connection from 127.0.0.3:"));

    // 192.0.2.1 (TEST-NET-1) is no address of this machine; ::1 cannot reach 127.0.0.1.
    let mut cmd = mqtk();
    cmd.arg("pub")
        .args(address)
        .args(["-m", "x", "-A", "192.0.2.1"]);
    assert_fails(cmd, 64, "-A 192.0.2.1: not an address of this machine");
    let mut cmd = mqtk();
    cmd.arg("pub").args(address).args(["-m", "x", "-A", "::1"]);
    assert_fails(cmd, 64, "no IPv4 address to connect from");
    let mut cmd = mqtk();
    cmd.arg("pub")
        .args(address)
        .args(["-m", "x", "-A", "no such name.invalid"]);
    assert_fails(cmd, 64, "give a local IP address");
}

#[test]
fn ciphers_choose_the_tls12_suites() {
    let broker = Broker::builder().tls().start();
    let tls_port = broker.tls_port.unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("tls12.keys");
    let t = topic("names-ciphers");
    let sub = Subscriber::start(broker.port, &t, 0);
    let ca = cert("ca.pem");
    let tls = [
        "-h",
        "localhost",
        "-p",
        &tls_port,
        "--cafile",
        s(&ca),
        "-t",
        &t,
        "-m",
        "x",
    ];

    // The server's key is RSA: an ECDHE-RSA suite connects over TLS 1.2 (the key log
    // has TLS 1.2's CLIENT_RANDOM lines, not TLS 1.3's traffic secrets)...
    let mut cmd = mqtk();
    cmd.arg("pub").args(tls).args([
        "--tls-version",
        "tlsv1.2",
        "--ciphers",
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "--tls-keylog",
        s(&keylog),
        "--quiet",
    ]);
    run_ok(cmd);
    sub.wait_for(1, WAIT);
    let keys = std::fs::read_to_string(&keylog).unwrap();
    assert!(
        keys.lines().any(|l| l.starts_with("CLIENT_RANDOM ")),
        "{keys}"
    );
    assert!(!keys.contains("CLIENT_TRAFFIC_SECRET_0"), "{keys}");
    // ...an ECDSA-only list shares no suite with it...
    let mut cmd = mqtk();
    cmd.arg("pub").args(tls).args([
        "--tls-version",
        "tlsv1.2",
        "--ciphers",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ]);
    assert_fails(cmd, 72, "no cipher suite");
    // ...and names mqtk lacks are usage errors naming them.
    for (list, named) in [
        ("BOGUS", "'BOGUS'"),
        ("ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA", "'RC4-SHA'"),
        ("HIGH:!aNULL", "'HIGH'"),
        (":", "name at least one suite"),
    ] {
        let mut cmd = mqtk();
        cmd.arg("pub").args(tls).args(["--ciphers", list]);
        assert_fails(cmd, 64, named);
    }
}

#[test]
fn tls_keylog_and_sslkeylogfile_record_tls13_secrets() {
    use std::os::unix::fs::PermissionsExt;
    let broker = Broker::builder().tls().start();
    let tls_port = broker.tls_port.unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let ca = cert("ca.pem");
    let t = topic("names-keylog");
    let tls = [
        "-h",
        "localhost",
        "-p",
        &tls_port,
        "--cafile",
        s(&ca),
        "-t",
        &t,
        "-m",
        "x",
    ];

    let flag_file = dir.path().join("flag.keys");
    let mut cmd = mqtk();
    cmd.arg("pub")
        .args(tls)
        .args(["--tls-keylog", s(&flag_file)]);
    let out = run_ok(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mqtk: warning: --tls-keylog"), "{stderr}");
    let env_file = dir.path().join("env.keys");
    let mut cmd = mqtk();
    cmd.env("SSLKEYLOGFILE", &env_file)
        .arg("pub")
        .args(tls)
        .arg("--quiet");
    let out = run_ok(cmd);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [&flag_file, &env_file] {
        let keys = std::fs::read_to_string(file).unwrap();
        let secrets: Vec<&str> = keys
            .lines()
            .filter(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 "))
            .collect();
        assert_eq!(secrets.len(), 1, "{keys}");
        // LABEL, 32-byte client random, secret: hex.
        let fields: Vec<&str> = secrets[0].split(' ').collect();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[1].len(), 64);
        assert!(fields[2].bytes().all(|b| b.is_ascii_hexdigit()));
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    // A second run appends.
    let mut cmd = mqtk();
    cmd.arg("pub")
        .args(tls)
        .args(["--tls-keylog", s(&flag_file), "--quiet"]);
    run_ok(cmd);
    let keys = std::fs::read_to_string(&flag_file).unwrap();
    assert_eq!(keys.matches("CLIENT_TRAFFIC_SECRET_0").count(), 2);

    // A --tls-keylog file that cannot be written is an error; an SSLKEYLOGFILE one a warning.
    let unwritable = dir.path().join("no/such/dir/keys");
    let mut cmd = mqtk();
    cmd.arg("pub")
        .args(tls)
        .args(["--tls-keylog", s(&unwritable)]);
    assert_fails(cmd, 66, "--tls-keylog");
    let mut cmd = mqtk();
    cmd.env("SSLKEYLOGFILE", &unwritable).arg("pub").args(tls);
    let out = run_ok(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SSLKEYLOGFILE") && stderr.contains("cannot write"),
        "{stderr}"
    );
    // SSLKEYLOGFILE does not switch TLS on: a plain connection is no TLS failure.
    let mut cmd = mqtk();
    cmd.env("SSLKEYLOGFILE", dir.path().join("plain.keys"))
        .args([
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port.to_string(),
            "-t",
            &t,
            "-m",
            "x",
        ]);
    run_ok(cmd);
    assert!(!dir.path().join("plain.keys").exists());
}

#[test]
fn unsupported_mosquitto_flags_are_refused_by_name() {
    let names = Names::new();
    let refused: &[(&[&str], &str)] = &[
        (&["--psk", "00ff00ff"], "--psk: not supported"),
        (&["--psk-identity", "me"], "--psk-identity: not supported"),
        (&["--tls-engine", "pkcs11"], "--tls-engine: not supported"),
        (
            &["--keyform", "engine"],
            "--keyform 'engine': not supported",
        ),
        (
            &["--tls-engine-kpass-sha1", "0123abcd"],
            "--tls-engine-kpass-sha1: not supported",
        ),
        (&["-S"], "-S: not supported"),
    ];
    // Nothing is contacted: the refusal comes first (the closed port would be 69).
    let port = unused_port().to_string();
    for (flags, message) in refused {
        for command in [
            &["pub", "-t", "x", "-m", "y"][..],
            &["sub", "-t", "x"],
            &["ping"],
            &["bench", "conn"],
        ] {
            let mut cmd = mqtk();
            cmd.args(command)
                .args(["-h", "127.0.0.1", "-p", &port])
                .args(*flags);
            assert_fails(cmd, 64, message);
        }
        let mut cmd = names.mqtk_as("mosquitto_pub");
        cmd.args(["-h", "127.0.0.1", "-p", &port, "-t", "x", "-m", "y"])
            .args(*flags);
        assert_fails(cmd, 1, "instead");
    }
    // The secret is not echoed; the refusals stay out of --help; --keyform pem is accepted.
    let mut cmd = mqtk();
    cmd.args(["pub", "-t", "x", "-m", "y", "--psk", "00ff00ff"]);
    let (_, stderr) = run_code(cmd);
    assert!(!stderr.contains("00ff00ff"), "{stderr}");
    let mut cmd = mqtk();
    cmd.args(["pub", "--help"]);
    let help = String::from_utf8_lossy(&run_ok(cmd).stdout).into_owned();
    for hidden in ["--psk", "--tls-engine", "--keyform", "-S"] {
        assert!(
            !help.lines().any(|l| l.trim_start().starts_with(hidden)),
            "{hidden} in --help"
        );
    }
    for shown in [
        "--nodelay",
        "--bind-address",
        "--ciphers",
        "--tls-keylog",
        "--options-file",
    ] {
        assert!(help.contains(shown), "{shown} not in --help");
    }
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "x",
        "-m",
        "y",
        "--keyform",
        "pem",
    ]);
    assert_fails(cmd, 69, "connection refused");
}

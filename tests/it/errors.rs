//! Error hygiene (issue 12): a table of bad inputs, each one line of words with the value
//! escaped and shortened; the config file's missing-file and permission checks; and TLS
//! certificates of every troublesome kind, made with openssl at test time, against mosquitto.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::broker::{cert, Broker, CustomTls};
use crate::util::{mqtk, run, run_ok};

/// Runs `cmd` and checks the failure: the exit code, stderr exactly one line starting
/// `mqtk: error:` that contains `needle`, no panic, no Rust notation.
fn expect_error(cmd: Command, code: i32, needle: &str) -> String {
    let what = format!("{cmd:?}");
    let what: String = what.chars().take(300).collect();
    let output = run(cmd, b"");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{what}\nstderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: not one line: {stderr}");
    assert!(stderr.ends_with('\n'), "{what}: {stderr}");
    assert!(stderr.starts_with("mqtk: error: "), "{what}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{what}: '{needle}' not in: {stderr}"
    );
    assert!(stderr.chars().count() < 600, "{what}: too long: {stderr}");
    assert_no_rust_notation(&stderr);
    stderr
}

/// No Debug text or Rust syntax: braces, `Some(`, `Err(`, `1..5` ranges, parse errors.
fn assert_no_rust_notation(stderr: &str) {
    for rust in [
        "{",
        "}",
        "Some(",
        "None",
        "Err(",
        "Ok(",
        "invalid digit",
        "os error",
        "OtherError",
        "is not in ",
    ] {
        assert!(!stderr.contains(rust), "'{rust}' in: {stderr}");
    }
    let bytes = stderr.as_bytes();
    for i in 1..bytes.len().saturating_sub(2) {
        let range = bytes[i] == b'.'
            && bytes[i + 1] == b'.'
            && bytes[i - 1].is_ascii_digit()
            && (bytes[i + 2].is_ascii_digit() || bytes[i + 2] == b'=');
        assert!(!range, "a Rust range in: {stderr}");
    }
}

fn cmd(args: &[&str]) -> Command {
    let mut cmd = mqtk();
    cmd.args(args);
    cmd
}

fn cmd_env(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = cmd(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd
}

#[test]
fn bad_inputs_fail_with_one_escaped_line_in_words() {
    let long = "x".repeat(100_000);
    let long_digits = "9".repeat(100_000);
    let long_id = "x".repeat(1000);
    let long_filter = format!("a#{long}");
    let long_url = format!("mqtt://{long}:99999");
    let long_proxy = format!("ftp://{long}");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[default]\nhost = \"127.0.0.1\"\n").unwrap();
    let config = config.to_str().unwrap().to_string();
    let xdg = dir.path().join("xdg").to_str().unwrap().to_string();
    let with_config = |args: &[&str]| cmd_env(args, &[("MQTK_CONFIG", &config)]);
    // The shortened long value: 79 characters and an ellipsis.
    let cut = format!("{}…", "x".repeat(79));
    let cut_digits = format!("{}…", "9".repeat(79));

    let cases: Vec<(Command, i32, String)> = vec![
        // clap's own value checks, in words.
        (cmd(&["pub", "--repeat", "0", "-t", "a", "-m", "x"]), 64, "--repeat '0': give a whole number of 1 or more".into()),
        (cmd(&["pub", "--repeat", "abc", "-t", "a", "-m", "x"]), 64, "--repeat 'abc': give a whole number of 1 or more".into()),
        (cmd(&["pub", "--repeat", &long_digits, "-t", "a", "-m", "x"]), 64, format!("--repeat '{cut_digits}': give a whole number of 1 or more, at most 18446744073709551615")),
        (cmd(&["pub", "-q", "3", "-t", "a", "-m", "x"]), 64, "--qos '3': give 0, 1 or 2".into()),
        (cmd(&["pub", "-q", "1\n2", "-t", "a", "-m", "x"]), 64, "--qos '1\\n2': give 0, 1 or 2".into()),
        (cmd(&["pub", "-p", "70000", "-t", "a", "-m", "x"]), 64, "--port '70000': give a whole number from 1 to 65535".into()),
        (cmd(&["pub", "--keepalive=-5", "-t", "a", "-m", "x"]), 64, "--keepalive '-5': give a whole number from 0 to 65535".into()),
        (cmd_env(&["pub", "-t", "a", "-m", "x"], &[("MQTK_KEEPALIVE", "ten")]), 64, "--keepalive 'ten'".into()),
        (cmd(&["pub", "-M", "0", "-t", "a", "-m", "x"]), 64, "--max-inflight '0': give a whole number from 1 to 65535".into()),
        (cmd(&["pub", "--max-packet-size", "10", "-t", "a", "-m", "x"]), 64, "--max-packet-size '10': give a whole number from 64 to 268435455".into()),
        (cmd(&["pub", "--will-topic", "w", "--will-qos", "5", "-t", "a", "-m", "x"]), 64, "--will-qos '5': give 0, 1 or 2".into()),
        (cmd(&["pub", "--rate", "0", "-t", "a", "-m", "x"]), 64, "--rate '0': give messages per second".into()),
        (cmd(&["pub", "--repeat", "2", "--repeat-delay=-1", "-t", "a", "-m", "x"]), 64, "--repeat-delay '-1'".into()),
        (cmd(&["pub", "--connect-timeout", "soon\r\n", "-t", "a", "-m", "x"]), 64, "--connect-timeout 'soon\\r\\n': give a duration such as 10s".into()),
        (cmd(&["sub", "-C", "0", "-t", "a"]), 64, "--count '0': give a whole number of 1 or more".into()),
        (cmd(&["sub", "-W", "soon\n", "-t", "a"]), 64, "--timeout 'soon\\n': give -W more than zero seconds".into()),
        (cmd(&["sub", "--random-filter", "200", "-t", "a"]), 64, "--random-filter '200': give a percentage from 0.1 to 100".into()),
        (cmd(&["ping", "--probe", "x\ny"]), 64, "--probe 'x\\ny': use pingreq, publish or connect".into()),
        (cmd(&["ping", "-c", "many"]), 64, "--count 'many': give a whole number of 0 or more".into()),
        (cmd(&["bench", "conn", "-c", "0"]), 64, "--clients '0': give a whole number of 1 or more".into()),
        (cmd(&["pub", "--bogus\nflag"]), 64, "unknown flag '--bogus\\nflag'".into()),
        (cmd(&["pub", &format!("--{long}")]), 64, format!("unknown flag '--{}…'", "x".repeat(77))),
        (cmd(&["pu\x1b[31mb"]), 64, "unknown command 'pu\\x1b[31mb'".into()),
        (cmd(&["pub", "-D", "connect", "x"]), 64, "--property takes".into()),
        // mqtk's own checks.
        (cmd(&["pub", "-V", "7\n", "-t", "a", "-m", "x"]), 64, "-V/--protocol-version '7\\n': use 31, 311 or 5".into()),
        (cmd(&["pub", "-V", &long, "-t", "a", "-m", "x"]), 64, format!("-V/--protocol-version '{cut}': use 31, 311 or 5")),
        (cmd(&["pub", "-L", "mqtt://host:99999", "-m", "x"]), 64, "the port is not a number from 1 to 65535".into()),
        (cmd(&["pub", "-L", &long_url, "-m", "x"]), 64, format!("-L/--url 'mqtt://{}…'", "x".repeat(72))),
        (cmd(&["pub", "-L", "foo://user:secret@h\n", "-m", "x"]), 64, "-L/--url 'foo://user:***@h\\n': unknown scheme".into()),
        (cmd_env(&["pub", "-t", "a", "-m", "x"], &[("MQTK_URL", "nope\tnope")]), 64, "MQTK_URL 'nope\\tnope': missing scheme".into()),
        (cmd_env(&["pub", "-t", "a", "-m", "x"], &[("MQTK_PORT", "eighty\n")]), 64, "MQTK_PORT 'eighty\\n': give a port from 1 to 65535".into()),
        (cmd(&["pub", "--proxy", "ftp://x\ny", "-t", "a", "-m", "x"]), 64, "--proxy 'ftp://x\\ny': only http://".into()),
        (cmd(&["pub", "--proxy", &long_proxy, "-t", "a", "-m", "x"]), 64, format!("--proxy 'ftp://{}…'", "x".repeat(73))),
        (cmd(&["pub", "-D", "connect", "receive-maximum", "x\ny", "-t", "a", "-m", "x"]), 64, "-D 'connect receive-maximum x\\ny': receive-maximum needs a whole number from 0 to 65535, not 'x\\ny'".into()),
        (cmd(&["pub", "-D", "bogus\u{202e}", "content-type", "v", "-t", "a", "-m", "x"]), 64, "'bogus\\u202e' is not a packet".into()),
        (cmd(&["pub", "-t", "a/+\n", "-m", "x"]), 64, "-t/--topic 'a/+\\n': wildcards".into()),
        (cmd(&["pub", "-t", &long, "-m", "x"]), 64, format!("-t/--topic '{cut}': a topic is at most 65535 bytes")),
        (cmd(&["sub", "-t", "a/#/b\n"]), 64, "-t/--topic 'a/#/b\\n': '#' must be a whole level".into()),
        (cmd(&["sub", "-t", "a", "-T", &long_filter]), 64, format!("-T/--filter-out 'a#{}…'", "x".repeat(77))),
        (cmd(&["sub", "-U", "a+\tb"]), 64, "-U/--unsubscribe 'a+\\tb': '+' must be a whole level".into()),
        (cmd(&["pub", "-V", "5", "-x", "soon\n", "-t", "a", "-m", "x"]), 64, "-x 'soon\\n': give seconds (0 to 4294967295), inf or -1".into()),
        (cmd(&["pub", "--ws", "--ws-header", "bad\nheader", "-t", "a", "-m", "x"]), 64, "--ws-header 'bad\\nheader'".into()),
        (cmd(&["pub", "--tls-version", "1.1\n", "-t", "a", "-m", "x"]), 64, "--tls-version '1.1\\n': use tlsv1.2 or tlsv1.3".into()),
        (cmd(&["pub", "-V", "31", "-i", &long_id, "-t", "a", "-m", "x"]), 64, format!("-i/--id '{cut}': MQTT 3.1 takes client ids of 1 to 23 bytes")),
        // Files and the config file: exit 66, naming the file.
        (cmd(&["pub", "-u", "u", "--password-file", "/nonexistent/pass\nword", "-t", "a", "-m", "x"]), 66, "--password-file /nonexistent/pass\\nword: no such file or directory".into()),
        (cmd(&["pub", "--cafile", "/nonexistent/c\u{7}a.pem", "-t", "a", "-m", "x"]), 66, "--cafile /nonexistent/c\\x07a.pem: no such file or directory".into()),
        (cmd_env(&["pub", "-t", "a", "-m", "x"], &[("MQTK_CONFIG", "/nonexistent/mqtk.toml")]), 66, "MQTK_CONFIG names /nonexistent/mqtk.toml, which does not exist".into()),
        (with_config(&["pub", "--profile", "no\npe", "-t", "a", "-m", "x"]), 66, "--profile 'no\\npe': no [profile.no\\npe] table in".into()),
        (cmd_env(&["pub", "-t", "a", "-m", "x"], &[("MQTK_CONFIG", &config), ("MQTK_PROFILE", "lab")]), 66, format!("--profile 'lab': no [profile.lab] table in {config}")),
        (
            cmd_env(
                &["pub", "--profile", "lab", "-t", "a", "-m", "x"],
                &[("MQTK_CONFIG", ""), ("XDG_CONFIG_HOME", &xdg)],
            ),
            66,
            format!("--profile 'lab': the config file {xdg}/mqtk/config.toml does not exist"),
        ),
    ];
    assert!(cases.len() >= 30, "{}", cases.len());
    for (cmd, code, needle) in cases {
        let stderr = expect_error(cmd, code, &needle);
        assert!(!stderr.contains("secret"), "{stderr}");
    }
}

#[test]
fn a_config_file_others_may_write_is_warned_about_when_it_holds_secrets() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let shown = path.to_str().unwrap().to_string();
    // Missing -t: a usage error after the config file is read, before any connection.
    let run_with = |text: &str, mode: u32, quiet: bool| {
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut cmd = mqtk();
        cmd.env("MQTK_CONFIG", &path).args(["pub", "-m", "x"]);
        if quiet {
            cmd.arg("--quiet");
        }
        let output = run(cmd, b"");
        assert_eq!(output.status.code(), Some(64));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let secret = "[default]\nusername = \"u\"\npassword = \"p\"\n";
    let stderr = run_with(secret, 0o666, false);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(
        lines[0],
        format!(
            "mqtk: warning: config file {shown} holds a password but group or others may write it (mode 666): chmod 600 {shown}"
        )
    );
    assert!(lines[1].starts_with("mqtk: error: "), "{stderr}");
    let stderr = run_with("[profile.x]\ninsecure = true\n", 0o620, false);
    assert!(
        stderr.contains("holds insecure = true but group or others may write it (mode 620)"),
        "{stderr}"
    );
    let stderr = run_with("[default]\nurl = \"mqtt://u:p@h\"\n", 0o646, false);
    assert!(stderr.contains("holds a password"), "{stderr}");
    // Private, without secrets, or --quiet: only the error.
    for (text, mode, quiet) in [
        (secret, 0o600, false),
        (secret, 0o644, false),
        ("[default]\nhost = \"h\"\n", 0o666, false),
        (secret, 0o666, true),
    ] {
        let stderr = run_with(text, mode, quiet);
        assert_eq!(stderr.lines().count(), 1, "{mode:o}: {stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
    }
}

/// A folder of certificates made by openssl for one test.
struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    fn new() -> Certs {
        let certs = Certs {
            dir: tempfile::Builder::new()
                .prefix("mqtk-certs-")
                .tempdir()
                .unwrap(),
        };
        // `openssl ca`'s files, for certificates with dates in the past or the future.
        std::fs::create_dir(certs.path("db")).unwrap();
        std::fs::write(certs.path("db/index.txt"), "").unwrap();
        std::fs::write(certs.path("db/serial"), "1000\n").unwrap();
        std::fs::write(
            certs.path("ca.cnf"),
            "[ca]\ndefault_ca = d\n[d]\ndatabase = db/index.txt\nnew_certs_dir = db\n\
             serial = db/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n\
             [p]\ncommonName = supplied\n\
             [server]\nbasicConstraints = CA:FALSE\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n\
             [client]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\n",
        )
        .unwrap();
        certs
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    /// Runs openssl in the folder; panics with its stderr when it fails.
    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// An EC P-256 key and a certificate request for CN=`cn`.
    fn key_and_request(&self, name: &str, cn: &str) {
        let key = format!("{name}.key");
        self.openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &key,
        ]);
        self.openssl(&[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &format!("/CN={cn}"),
            "-out",
            &format!("{name}.csr"),
        ]);
    }

    /// mosquitto's documented recipe: `openssl x509 -req` without an extension file,
    /// which makes an X.509 v1 certificate. Self-signed when `ca` is None.
    fn v1(&self, name: &str, cn: &str, ca: Option<(&Path, &Path)>) {
        self.key_and_request(name, cn);
        let (csr, out, key) = (
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.key"),
        );
        let mut args = vec!["x509", "-req", "-in", &csr, "-out", &out, "-days", "30"];
        let (ca_cert, ca_key);
        match ca {
            Some((cert, key)) => {
                ca_cert = cert.to_str().unwrap().to_string();
                ca_key = key.to_str().unwrap().to_string();
                args.extend([
                    "-CA",
                    &ca_cert,
                    "-CAkey",
                    &ca_key,
                    "-CAcreateserial",
                    "-CAserial",
                    "serial.srl",
                ]);
            }
            None => args.extend(["-signkey", &key]),
        }
        self.openssl(&args);
    }

    /// `name`.pem signed by `ca` with the extension lines `ext` (v3).
    fn signed(&self, name: &str, cn: &str, ca: (&Path, &Path), ext: &str) {
        self.key_and_request(name, cn);
        let ext_file = format!("{name}.ext");
        std::fs::write(self.path(&ext_file), ext).unwrap();
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            ca.0.to_str().unwrap(),
            "-CAkey",
            ca.1.to_str().unwrap(),
            "-CAcreateserial",
            "-CAserial",
            "serial.srl",
            "-days",
            "30",
            "-extfile",
            &ext_file,
            "-out",
            &format!("{name}.pem"),
        ]);
    }

    /// `name`.pem valid from `start` to `end` (YYYYMMDDHHMMSSZ), signed by `ca`
    /// with the `section` extensions of ca.cnf.
    fn dated(
        &self,
        name: &str,
        cn: &str,
        ca: (&Path, &Path),
        section: &str,
        start: &str,
        end: &str,
    ) {
        self.key_and_request(name, cn);
        self.openssl(&[
            "ca",
            "-batch",
            "-notext",
            "-config",
            "ca.cnf",
            "-cert",
            ca.0.to_str().unwrap(),
            "-keyfile",
            ca.1.to_str().unwrap(),
            "-in",
            &format!("{name}.csr"),
            "-out",
            &format!("{name}.pem"),
            "-extensions",
            section,
            "-startdate",
            start,
            "-enddate",
            end,
        ]);
    }

    /// A broker whose TLS listener serves `name`.pem and `name`.key.
    fn broker(&self, name: &str, client_ca: Option<PathBuf>) -> (Broker, u16) {
        let broker = Broker::builder()
            .custom_tls(CustomTls {
                certfile: self.path(&format!("{name}.pem")),
                keyfile: self.path(&format!("{name}.key")),
                client_ca,
            })
            .start();
        let port = broker.custom_tls_port.unwrap();
        (broker, port)
    }
}

/// `mqtk pub` over TLS to `host`:`port` with extra arguments.
fn tls_pub(host: &str, port: u16, args: &[&str]) -> Command {
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-h",
        host,
        "-p",
        &port.to_string(),
        "--connect-timeout",
        "5s",
    ])
    .args(["-t", "mqtk-test/errors", "-m", "x"])
    .args(args);
    cmd
}

const SAN_FIX: &str = "subjectAltName=DNS:localhost";

#[test]
fn version_1_certificates_a_v1_ca_is_trusted_a_v1_server_certificate_explained() {
    let certs = Certs::new();
    // A v1 CA (self-signed with x509 -req -signkey), as old recipes make.
    certs.v1("v1ca", "mqtk v1 CA", None);
    let ca = (certs.path("v1ca.pem"), certs.path("v1ca.key"));
    let ca = (ca.0.as_path(), ca.1.as_path());
    // mosquitto's recipe: a v1 server certificate, CN only.
    certs.v1("v1server", "localhost", Some(ca));
    // A v3 server certificate with a subjectAltName under the v1 CA.
    certs.signed(
        "v3server",
        "localhost",
        ca,
        "subjectAltName = DNS:localhost, IP:127.0.0.1\n",
    );
    let cafile = certs.arg("v1ca.pem");

    let (_good, port) = certs.broker("v3server", None);
    run_ok(tls_pub("localhost", port, &["--cafile", &cafile]));
    run_ok(tls_pub("127.0.0.1", port, &["--cafile", &cafile]));

    let (_v1, port) = certs.broker("v1server", None);
    let stderr = expect_error(
        tls_pub("localhost", port, &["--cafile", &cafile]),
        72,
        &format!("TLS: localhost:{port}'s certificate is X.509 version 1"),
    );
    assert!(stderr.contains(SAN_FIX), "{stderr}");
    assert!(stderr.contains("openssl x509 -req"), "{stderr}");
}

#[test]
fn a_self_signed_server_certificate_given_as_cafile_is_trusted_for_its_names_only() {
    let certs = Certs::new();
    // The README's one-line recipe (basicConstraints CA:TRUE, which webpki alone refuses
    // for a server).
    certs.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "self.key",
        "-out",
        "self.pem",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-days",
        "365",
    ]);
    certs.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "elsewhere.key",
        "-out",
        "elsewhere.pem",
        "-subj",
        "/CN=elsewhere.invalid",
        "-addext",
        "subjectAltName=DNS:elsewhere.invalid",
        "-days",
        "365",
    ]);
    let (_broker, port) = certs.broker("self", None);
    run_ok(tls_pub(
        "localhost",
        port,
        &["--cafile", &certs.arg("self.pem")],
    ));
    run_ok(tls_pub(
        "127.0.0.1",
        port,
        &["--cafile", &certs.arg("self.pem")],
    ));
    // Another certificate in the file is not the one presented: not trusted.
    expect_error(
        tls_pub(
            "localhost",
            port,
            &["--cafile", &certs.arg("elsewhere.pem")],
        ),
        72,
        &format!(
            "TLS: localhost:{port}'s certificate is self-signed and is not one given in --cafile/--capath: give that very certificate as --cafile"
        ),
    );
    // The host name is still checked.
    let (_other, port) = certs.broker("elsewhere", None);
    expect_error(
        tls_pub(
            "127.0.0.1",
            port,
            &["--cafile", &certs.arg("elsewhere.pem")],
        ),
        72,
        &format!("TLS: 127.0.0.1:{port}'s certificate is not valid for that host name"),
    );
}

#[test]
fn a_server_certificate_with_its_name_only_in_the_cn_is_explained() {
    let certs = Certs::new();
    let ca = (cert("ca.pem"), cert("ca.key"));
    certs.signed(
        "cnonly",
        "localhost",
        (&ca.0, &ca.1),
        "basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\n",
    );
    let (_broker, port) = certs.broker("cnonly", None);
    let stderr = expect_error(
        tls_pub("localhost", port, &["--cafile", ca.0.to_str().unwrap()]),
        72,
        &format!("TLS: localhost:{port}'s certificate names its host only as CN=localhost and has no subjectAltName"),
    );
    assert!(stderr.contains(SAN_FIX), "{stderr}");
}

#[test]
fn expired_and_not_yet_valid_server_certificates_say_when() {
    let certs = Certs::new();
    let ca = (cert("ca.pem"), cert("ca.key"));
    let ca = (ca.0.as_path(), ca.1.as_path());
    certs.dated(
        "expired",
        "localhost",
        ca,
        "server",
        "20200101000000Z",
        "20200201000000Z",
    );
    certs.dated(
        "future",
        "localhost",
        ca,
        "server",
        "20990101000000Z",
        "20991231000000Z",
    );
    let cafile = ca.0.to_str().unwrap();
    let (_expired, port) = certs.broker("expired", None);
    expect_error(
        tls_pub("localhost", port, &["--cafile", cafile]),
        72,
        &format!("TLS: localhost:{port}'s certificate expired on 2020-02-01 00:00 UTC"),
    );
    let (_future, port) = certs.broker("future", None);
    expect_error(
        tls_pub("localhost", port, &["--cafile", cafile]),
        72,
        &format!("TLS: localhost:{port}'s certificate is not valid before 2099-01-01 00:00 UTC"),
    );
}

#[test]
fn client_certificates_v1_accepted_wrong_key_and_expired_named() {
    let certs = Certs::new();
    let ca = (cert("ca.pem"), cert("ca.key"));
    let ca_pair = (ca.0.as_path(), ca.1.as_path());
    // A v1 client certificate (mosquitto's recipe), which mosquitto accepts.
    certs.v1("v1client", "mqtk-v1-client", Some(ca_pair));
    certs.dated(
        "oldclient",
        "mqtk-old-client",
        ca_pair,
        "client",
        "20200101000000Z",
        "20200201000000Z",
    );
    let broker = Broker::builder().mtls().start();
    let port = broker.mtls_port.unwrap();
    let cafile = ca.0.to_str().unwrap();
    run_ok(tls_pub(
        "localhost",
        port,
        &[
            "--cafile",
            cafile,
            "--cert",
            &certs.arg("v1client.pem"),
            "--key",
            &certs.arg("v1client.key"),
        ],
    ));
    // A key that truly belongs to another certificate.
    let other_key = cert("client-pkcs8.key");
    expect_error(
        tls_pub(
            "localhost",
            port,
            &[
                "--cafile",
                cafile,
                "--cert",
                &certs.arg("v1client.pem"),
                "--key",
                other_key.to_str().unwrap(),
            ],
        ),
        72,
        &format!(
            "--key {} does not belong to --cert {} (their public keys differ)",
            other_key.display(),
            certs.arg("v1client.pem")
        ),
    );
    expect_error(
        tls_pub(
            "localhost",
            port,
            &[
                "--cafile",
                cafile,
                "--cert",
                &certs.arg("oldclient.pem"),
                "--key",
                &certs.arg("oldclient.key"),
            ],
        ),
        72,
        &format!(
            "--cert {}: the certificate expired on 2020-02-01 00:00 UTC",
            certs.arg("oldclient.pem")
        ),
    );
}

//! Connection settings shared by every command: credentials (and keeping them off argv),
//! the config file's profiles, the will, -L URLs, timeouts and refusals.

use std::time::{Duration, Instant};

use crate::broker::Broker;
use crate::subscriber::Subscriber;
use crate::util::{assert_fails, mqtk, publish, run_code, run_ok, spawn_with_stdin, topic};

const WAIT: Duration = Duration::from_secs(10);

fn auth_broker() -> Broker {
    Broker::builder().password("alice", "s3cret").start()
}

#[test]
fn wrong_password_exits_with_the_connack_code() {
    let broker = auth_broker();
    // mosquitto 2.0 answers "not authorised" (5; MQTT 5: 0x87 = 135) to a wrong password.
    assert_fails(
        publish(
            broker.port,
            &["-t", "a", "-m", "x", "-u", "alice", "-P", "wrong"],
        ),
        5,
        "CONNACK code 5",
    );
    assert_fails(
        publish(
            broker.port,
            &[
                "-t", "a", "-m", "x", "-u", "alice", "-P", "wrong", "-V", "5",
            ],
        ),
        135,
        "CONNACK code 135",
    );
    assert_fails(publish(broker.port, &["-t", "a", "-m", "x"]), 5, "refused");
}

#[test]
fn password_from_flag_file_and_environment() {
    let broker = auth_broker();
    let t = topic("auth");
    let sub = Subscriber::start_with_login(broker.port, &t, 1, "alice", "s3cret");
    run_ok(publish(
        broker.port,
        &["-t", &t, "-m", "flag", "-u", "alice", "-P", "s3cret"],
    ));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "s3cret\n").unwrap();
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &t,
            "-m",
            "file",
            "-u",
            "alice",
            "--password-file",
            file.to_str().unwrap(),
        ],
    ));

    let mut cmd = publish(broker.port, &["-t", &t, "-m", "env", "-u", "alice"]);
    cmd.env("MQTK_PASSWORD", "s3cret");
    run_ok(cmd);

    let mut cmd = publish(broker.port, &["-t", &t, "-m", "env-user"]);
    cmd.env("MQTK_USERNAME", "alice")
        .env("MQTK_PASSWORD", "s3cret");
    run_ok(cmd);

    let got = sub.wait_for(4, WAIT);
    let payloads: Vec<&[u8]> = got.iter().map(|m| m.payload.as_slice()).collect();
    assert_eq!(payloads, vec![&b"flag"[..], b"file", b"env", b"env-user"]);
}

#[test]
fn password_is_never_printed_by_debug() {
    let broker = auth_broker();
    let output = run_ok(publish(
        broker.port,
        &["-t", "a", "-m", "x", "-u", "alice", "-P", "s3cret", "-d"],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sending CONNECT"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn missing_password_file_is_exit_66() {
    assert_fails(
        publish(
            9,
            &[
                "-t",
                "a",
                "-m",
                "x",
                "-u",
                "alice",
                "--password-file",
                "/nonexistent/pw",
            ],
        ),
        66,
        "--password-file /nonexistent/pw",
    );
}

#[test]
fn url_carries_credentials_port_and_topic() {
    let broker = auth_broker();
    let t = topic("url");
    let sub = Subscriber::start_with_login(broker.port, &t, 0, "alice", "s3cret");
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-L",
        &format!("mqtt://alice:s3cret@127.0.0.1:{}/{t}", broker.port),
        "-m",
        "via url",
    ]);
    run_ok(cmd);
    assert_eq!(sub.wait_for(1, WAIT)[0].payload, b"via url");
}

/// Writes a config file and returns a command that uses it.
fn with_config(dir: &tempfile::TempDir, text: &str) -> std::process::Command {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let mut cmd = mqtk();
    cmd.env("MQTK_CONFIG", &path);
    cmd
}

#[test]
fn profile_precedence_is_flag_then_env_then_profile_then_default() {
    let broker = auth_broker();
    let t = topic("profile");
    let sub = Subscriber::start_with_login(broker.port, &t, 0, "alice", "s3cret");
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[default]\nhost = \"127.0.0.1\"\nport = 9\nusername = \"alice\"\npassword = \"s3cret\"\n\n\
         [profile.lab]\nport = {}\n",
        broker.port
    );
    // [profile.lab] overrides [default]'s port.
    let mut cmd = with_config(&dir, &config);
    cmd.args(["pub", "--profile", "lab", "-t", &t, "-m", "profile"]);
    run_ok(cmd);
    // MQTK_PROFILE selects it too.
    let mut cmd = with_config(&dir, &config);
    cmd.env("MQTK_PROFILE", "lab")
        .args(["pub", "-t", &t, "-m", "env-profile"]);
    run_ok(cmd);
    // The environment beats the profile: port 9 fails.
    let mut cmd = with_config(&dir, &config);
    cmd.env("MQTK_PORT", "9").args([
        "pub",
        "--profile",
        "lab",
        "--connect-timeout",
        "3s",
        "-t",
        &t,
        "-m",
        "x",
    ]);
    assert_eq!(run_code(cmd).0, 69);
    // A flag beats the environment.
    let mut cmd = with_config(&dir, &config);
    cmd.env("MQTK_PORT", "9").args([
        "pub",
        "--profile",
        "lab",
        "-p",
        &broker.port.to_string(),
        "-t",
        &t,
        "-m",
        "flag",
    ]);
    run_ok(cmd);
    // [default] alone: port 9 fails.
    let mut cmd = with_config(&dir, &config);
    cmd.args(["pub", "--connect-timeout", "3s", "-t", &t, "-m", "x"]);
    assert_eq!(run_code(cmd).0, 69);

    let payloads: Vec<Vec<u8>> = sub
        .wait_for(3, WAIT)
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(
        payloads,
        vec![
            b"profile".to_vec(),
            b"env-profile".to_vec(),
            b"flag".to_vec()
        ]
    );
}

#[test]
fn malformed_config_is_a_usage_error_and_an_unknown_profile_a_missing_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = with_config(&dir, "[default]\nhost = \"x\"\nport = \"not a number\"\n");
    cmd.args(["pub", "-t", "a", "-m", "x"]);
    assert_fails(cmd, 64, "config.toml:3");
    let mut cmd = with_config(&dir, "[default]\nhost = \"x\"\n");
    cmd.args(["pub", "--profile", "nope", "-t", "a", "-m", "x"]);
    assert_fails(cmd, 66, "[profile.nope]");
    let mut cmd = with_config(
        &dir,
        "[default]\nhost = \"x\"\n\n[profile.lab]\nprotocol-version = \"7\"\n",
    );
    cmd.args(["pub", "--profile", "lab", "-t", "a", "-m", "x"]);
    assert_fails(cmd, 64, "config.toml:5: protocol-version");
}

#[test]
fn will_is_published_when_killed_and_not_on_clean_exit() {
    let broker = Broker::start();
    let will_topic = topic("will");
    let sub = Subscriber::start(broker.port, &will_topic, 1);

    // Clean exit: no will.
    run_ok(publish(
        broker.port,
        &[
            "-t",
            &topic("data"),
            "-m",
            "x",
            "--will-topic",
            &will_topic,
            "--will-payload",
            "gone",
        ],
    ));
    assert!(
        sub.settle(Duration::from_millis(500)).is_empty(),
        "will sent on a clean exit"
    );

    // SIGKILL in the middle of -l: the broker publishes the will.
    let cmd = publish(
        broker.port,
        &[
            "-t",
            &topic("data"),
            "-l",
            "--will-topic",
            &will_topic,
            "--will-payload",
            "gone",
            "--will-qos",
            "1",
            "-k",
            "5",
        ],
    );
    let mut feeding = spawn_with_stdin(cmd, b"one\ntwo\n", "sending PUBLISH");
    feeding.child.kill().unwrap();
    feeding.wait();
    let got = sub.wait_for(1, WAIT);
    assert_eq!(got.len(), 1, "will not delivered");
    assert_eq!((got[0].payload.as_slice(), got[0].qos), (&b"gone"[..], 1));
}

#[test]
fn refused_port_is_exit_69() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    assert_fails(
        publish(port, &["-t", "a", "-m", "x"]),
        69,
        "connection refused",
    );
}

#[test]
fn silent_server_times_out_within_connect_timeout() {
    // Accepts TCP but never answers CONNECT.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(held);
    });
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "--connect-timeout",
        "1s",
        "-t",
        "a",
        "-m",
        "x",
    ]);
    let started = Instant::now();
    assert_fails(cmd, 71, "--connect-timeout");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    holder.join().unwrap();
}

#[test]
fn broker_killed_mid_stream_reports_unacknowledged_messages() {
    let mut broker = Broker::start();
    // Without --reconnect-limit 0, pub would wait for the broker to come back.
    let cmd = publish(
        broker.port,
        &[
            "-t",
            &topic("lost"),
            "-l",
            "-q",
            "1",
            "--reconnect-limit",
            "0",
        ],
    );
    let mut feeding = spawn_with_stdin(cmd, b"one\ntwo\n", "received PUBACK");
    broker.kill();
    // Keep feeding: the next messages can never be acknowledged.
    use std::io::Write;
    let _ = feeding.stdin.write_all(b"three\nfour\n");
    let _ = feeding.stdin.flush();
    let (code, stderr) = feeding.wait();
    assert_eq!(code, Some(73), "{stderr}");
    assert!(stderr.contains("not acknowledged"), "{stderr}");
}

#[test]
fn debug_traces_the_packets() {
    let broker = Broker::start();
    let output = run_ok(publish(
        broker.port,
        &["-t", &topic("trace"), "-m", "x", "-q", "1", "-d"],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for packet in [
        "sending CONNECT",
        "received CONNACK",
        "sending PUBLISH",
        "received PUBACK",
        "sending DISCONNECT",
    ] {
        assert!(stderr.contains(packet), "{packet} missing: {stderr}");
    }
    assert!(output.stdout.is_empty(), "pub prints nothing on stdout");
}

#[test]
fn id_prefix_appends_the_process_id() {
    let broker = Broker::start();
    let output = run_ok(publish(
        broker.port,
        &["-t", &topic("id"), "-m", "x", "-I", "probe-", "-d"],
    ));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let id = stderr
        .split("client id '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    let pid = id.strip_prefix("probe-").expect("prefix kept");
    assert!(
        !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()),
        "{id}"
    );
}

#[test]
fn ctrl_c_exits_130_and_says_what_was_not_acknowledged() {
    let broker = Broker::start();
    let cmd = publish(broker.port, &["-t", &topic("sigint"), "-l", "-q", "1"]);
    let feeding = spawn_with_stdin(cmd, b"one\n", "received PUBACK");
    let status = std::process::Command::new("kill")
        .args(["-INT", &feeding.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, stderr) = feeding.wait();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: 0 of 1 messages sent were not acknowledged"),
        "{stderr}"
    );
}

#[test]
fn url_flag_beats_host_and_port_from_the_environment() {
    let broker = Broker::start();
    let t = topic("url-over-env");
    let sub = Subscriber::start(broker.port, &t, 0);
    let mut cmd = mqtk();
    cmd.env("MQTK_HOST", "127.0.0.2").env("MQTK_PORT", "9");
    cmd.args([
        "pub",
        "--connect-timeout",
        "3s",
        "-L",
        &format!("mqtt://127.0.0.1:{}/{t}", broker.port),
        "-m",
        "url wins",
    ]);
    run_ok(cmd);
    // And -p beats the URL's port.
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "--connect-timeout",
        "3s",
        "-L",
        "mqtt://127.0.0.1:9",
        "-p",
        &broker.port.to_string(),
        "-t",
        &t,
        "-m",
        "flag wins",
    ]);
    run_ok(cmd);
    let payloads: Vec<Vec<u8>> = sub
        .wait_for(2, WAIT)
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(payloads, vec![b"url wins".to_vec(), b"flag wins".to_vec()]);
}

/// A name with addresses in both families connects through whichever answers, RFC 8305
/// style. `localhost` is 127.0.0.1, then ::1. Here 127.0.0.1:P is a listener whose backlog
/// is full, so the kernel drops the SYN and the attempt hangs (as behind a firewall that
/// drops, or on a host whose IPv4 route is a black hole); the broker answers on [::1]:P.
/// Trying the addresses in turn would spend all of `--connect-timeout 3s` on the first and
/// exit 71; the next attempt starts 250 ms after the first and connects.
#[test]
fn a_name_with_both_families_connects_through_the_one_that_answers() {
    use std::net::{TcpListener, TcpStream};
    let broker = Broker::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let _context = runtime.enter();
    // A port free on ::1 and on 127.0.0.1.
    let (v6, black_hole, port) = (0..20)
        .find_map(|_| {
            let v6 = TcpListener::bind("[::1]:0").expect("this test needs ::1 on loopback");
            let port = v6.local_addr().unwrap().port();
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(([127, 0, 0, 1], port).into()).ok()?;
            Some((v6, socket.listen(0).ok()?, port))
        })
        .expect("a port free in both families");
    // Backlog 0 holds one connection; with it queued and never accepted, SYNs are dropped.
    let _queued = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let broker_port = broker.port;
    std::thread::spawn(move || {
        for client in v6.incoming() {
            let Ok(client) = client else { return };
            let server = TcpStream::connect(("127.0.0.1", broker_port)).unwrap();
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut &client, &mut &server));
            std::thread::spawn(move || std::io::copy(&mut &s2, &mut &c2));
        }
    });
    let mut cmd = mqtk();
    cmd.args(["pub", "-h", "localhost", "-p", &port.to_string()])
        .args(["-t", &topic("eyeballs"), "-m", "both", "-q", "1"])
        .args(["--connect-timeout", "3s"]);
    run_ok(cmd);
    drop(black_hole);
}

//! TLS (server-verified and mutual), WebSockets (plain and TLS) and unix sockets, each
//! checked by a message that arrives, and each failure by its exit code.

use std::time::Duration;

use crate::broker::{cert, Broker};
use crate::subscriber::Subscriber;
use crate::util::{assert_fails, mqtk, publish_to, run_ok, topic};

const WAIT: Duration = Duration::from_secs(10);

fn tls_broker() -> Broker {
    Broker::builder()
        .tls()
        .mtls()
        .wrong_host_tls()
        .ws()
        .wss()
        .unix()
        .start()
}

/// `mqtk pub` to 127.0.0.1:port with extra args.
fn pub_to(port: u16, host: &str, args: &[&str]) -> std::process::Command {
    publish_to(host, port, args)
}

fn path(name: &str) -> String {
    cert(name).to_str().unwrap().to_string()
}

#[test]
fn tls_with_cafile_capath_and_insecure() {
    let broker = tls_broker();
    let port = broker.tls_port.unwrap();
    let t = topic("tls");
    let sub = Subscriber::start(broker.port, &t, 1);
    run_ok(pub_to(
        port,
        "127.0.0.1",
        &[
            "--cafile",
            &path("ca.pem"),
            "-t",
            &t,
            "-m",
            "by ip",
            "-q",
            "1",
        ],
    ));
    run_ok(pub_to(
        port,
        "localhost",
        &[
            "--cafile",
            &path("ca.pem"),
            "-t",
            &t,
            "-m",
            "by name",
            "-q",
            "1",
        ],
    ));
    run_ok(pub_to(
        port,
        "127.0.0.1",
        &[
            "--tls-version",
            "tlsv1.2",
            "--cafile",
            &path("ca.pem"),
            "-t",
            &t,
            "-m",
            "tls12",
        ],
    ));
    let capath = tempfile::tempdir().unwrap();
    std::fs::copy(cert("ca.pem"), capath.path().join("ca.pem")).unwrap();
    run_ok(pub_to(
        port,
        "127.0.0.1",
        &[
            "--capath",
            capath.path().to_str().unwrap(),
            "-t",
            &t,
            "-m",
            "capath",
        ],
    ));
    let output = run_ok(pub_to(
        port,
        "127.0.0.1",
        &["--insecure", "-t", &t, "-m", "insecure"],
    ));
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning: --insecure"));
    let output = run_ok(pub_to(
        port,
        "127.0.0.1",
        &["--insecure", "--quiet", "-t", &t, "-m", "quiet"],
    ));
    assert!(output.stderr.is_empty());
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-L",
        &format!("mqtts://127.0.0.1:{port}/{t}"),
        "--cafile",
        &path("ca.pem"),
        "-m",
        "url",
    ]);
    run_ok(cmd);
    let payloads: Vec<Vec<u8>> = sub
        .wait_for(7, WAIT)
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(payloads.len(), 7, "{payloads:?}");
}

#[test]
fn tls_failures_exit_72() {
    let broker = tls_broker();
    let port = broker.tls_port.unwrap();
    assert_fails(
        pub_to(
            port,
            "127.0.0.1",
            &["--cafile", &path("other-ca.pem"), "-t", "a", "-m", "x"],
        ),
        72,
        "not signed by a trusted CA",
    );
    assert_fails(
        pub_to(
            broker.wrong_host_port.unwrap(),
            "127.0.0.1",
            &["--cafile", &path("ca.pem"), "-t", "a", "-m", "x"],
        ),
        72,
        "not valid for that host name",
    );
    // --insecure accepts the mismatched name.
    run_ok(pub_to(
        broker.wrong_host_port.unwrap(),
        "127.0.0.1",
        &["--insecure", "--quiet", "-t", "a", "-m", "x"],
    ));
    assert_fails(
        pub_to(
            port,
            "127.0.0.1",
            &["--cafile", &path("garbage.pem"), "-t", "a", "-m", "x"],
        ),
        72,
        "garbage.pem",
    );
    assert_fails(
        pub_to(
            port,
            "127.0.0.1",
            &["--cafile", "/nonexistent/ca.pem", "-t", "a", "-m", "x"],
        ),
        66,
        "/nonexistent/ca.pem",
    );
}

#[test]
fn mutual_tls_with_every_key_format_and_without_a_client_certificate() {
    let broker = tls_broker();
    let port = broker.mtls_port.unwrap();
    let t = topic("mtls");
    let sub = Subscriber::start(broker.port, &t, 1);
    for (certificate, key) in [
        ("client.pem", "client-pkcs8.key"),
        ("client-pkcs1.pem", "client-pkcs1.key"),
        ("client-ec.pem", "client-ec.key"),
    ] {
        run_ok(pub_to(
            port,
            "127.0.0.1",
            &[
                "--cafile",
                &path("ca.pem"),
                "--cert",
                &path(certificate),
                "--key",
                &path(key),
                "-t",
                &t,
                "-m",
                key,
                "-q",
                "1",
            ],
        ));
    }
    assert_eq!(sub.wait_for(3, WAIT).len(), 3);
    assert_fails(
        pub_to(
            port,
            "127.0.0.1",
            &["--cafile", &path("ca.pem"), "-t", "a", "-m", "x"],
        ),
        72,
        "client certificate",
    );
    assert_fails(
        pub_to(
            port,
            "127.0.0.1",
            &[
                "--cafile",
                &path("ca.pem"),
                "--cert",
                &path("client.pem"),
                "--key",
                &path("garbage.pem"),
                "-t",
                "a",
                "-m",
                "x",
            ],
        ),
        72,
        "--key",
    );
}

#[test]
fn websockets_plain_and_tls() {
    let broker = tls_broker();
    let t = topic("ws");
    let sub = Subscriber::start(broker.port, &t, 1);
    run_ok(pub_to(
        broker.ws_port.unwrap(),
        "127.0.0.1",
        &["--ws", "-t", &t, "-m", "ws", "-q", "1"],
    ));
    run_ok(pub_to(
        broker.ws_port.unwrap(),
        "127.0.0.1",
        &[
            "--ws",
            "--ws-header",
            "X-Test: 1",
            "-t",
            &t,
            "-m",
            "ws-header",
        ],
    ));
    run_ok(pub_to(
        broker.wss_port.unwrap(),
        "127.0.0.1",
        &[
            "--ws",
            "--cafile",
            &path("ca.pem"),
            "-t",
            &t,
            "-m",
            "wss",
            "-q",
            "1",
        ],
    ));
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-L",
        &format!("ws://127.0.0.1:{}/mqtt", broker.ws_port.unwrap()),
        "-t",
        &t,
        "-m",
        "ws-url",
    ]);
    run_ok(cmd);
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "-L",
        &format!("wss://localhost:{}/mqtt", broker.wss_port.unwrap()),
        "--cafile",
        &path("ca.pem"),
        "-t",
        &t,
        "-m",
        "wss-url",
    ]);
    run_ok(cmd);
    let payloads: Vec<Vec<u8>> = sub
        .wait_for(5, WAIT)
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(
        payloads,
        vec![
            b"ws".to_vec(),
            b"ws-header".to_vec(),
            b"wss".to_vec(),
            b"ws-url".to_vec(),
            b"wss-url".to_vec()
        ]
    );
}

#[test]
fn unix_socket() {
    let broker = tls_broker();
    let t = topic("unix");
    let sub = Subscriber::start(broker.port, &t, 1);
    let mut cmd = mqtk();
    cmd.args([
        "pub",
        "--unix",
        broker.unix_path.as_ref().unwrap().to_str().unwrap(),
        "-t",
        &t,
        "-m",
        "over unix",
        "-q",
        "1",
    ]);
    run_ok(cmd);
    assert_eq!(sub.wait_for(1, WAIT)[0].payload, b"over unix");
}

#[test]
fn broken_system_trust_store_is_an_error_not_a_panic() {
    let broker = tls_broker();
    let mut cmd = pub_to(
        broker.tls_port.unwrap(),
        "127.0.0.1",
        &["--tls-use-os-certs", "-t", "a", "-m", "x"],
    );
    cmd.env("SSL_CERT_FILE", cert("garbage.pem"))
        .env_remove("SSL_CERT_DIR");
    assert_fails(cmd, 72, "--tls-use-os-certs");
}

/// A minimal HTTP CONNECT proxy on loopback for one tunnel; returns its port and a handle
/// that yields the CONNECT request line it saw.
pub fn connect_proxy() -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(client.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header == "\r\n" || header.is_empty() {
                break;
            }
        }
        let target = request_line.split_whitespace().nth(1).unwrap().to_string();
        let upstream = std::net::TcpStream::connect(target).unwrap();
        let mut client_write = client.try_clone().unwrap();
        client_write
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let mut upstream_read = upstream.try_clone().unwrap();
        let mut upstream_write = upstream;
        let down = std::thread::spawn(move || {
            let _ = std::io::copy(&mut upstream_read, &mut client_write);
        });
        let _ = std::io::copy(&mut reader, &mut upstream_write);
        let _ = upstream_write.shutdown(std::net::Shutdown::Write);
        let _ = down.join();
        request_line
    });
    (port, handle)
}

#[test]
fn http_connect_proxy_tunnels_the_connection() {
    let broker = Broker::start();
    let t = topic("proxy");
    let sub = Subscriber::start(broker.port, &t, 1);
    let (proxy_port, proxy) = connect_proxy();
    run_ok(pub_to(
        broker.port,
        "127.0.0.1",
        &[
            "--proxy",
            &format!("http://127.0.0.1:{proxy_port}"),
            "-t",
            &t,
            "-m",
            "tunnelled",
            "-q",
            "1",
        ],
    ));
    assert_eq!(sub.wait_for(1, WAIT)[0].payload, b"tunnelled");
    let request = proxy.join().unwrap();
    assert!(
        request.starts_with(&format!("CONNECT 127.0.0.1:{} ", broker.port)),
        "{request}"
    );
}

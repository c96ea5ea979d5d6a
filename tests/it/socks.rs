//! `--proxy socks5h://` and `socks5://` against the real mosquitto, through a small SOCKS5
//! proxy written here that records what it was asked; failures by their exit codes.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::broker::Broker;
use crate::subscriber::Subscriber;
use crate::util::{mqtk, publish, publish_to, run, run_code, run_ok, topic, SubProcess};

const WAIT: Duration = Duration::from_secs(10);

/// A CONNECT request the proxy received.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    /// 0x01 IPv4, 0x03 domain name, 0x04 IPv6.
    atyp: u8,
    /// The domain name, or the address as text.
    host: String,
    port: u16,
    /// The RFC 1929 user name and password it was given, if any.
    login: Option<(String, String)>,
}

/// A SOCKS5 proxy on 127.0.0.1 (RFC 1928, CONNECT only), one thread per client, relaying
/// each tunnel to the address asked for. Without a login it picks "no authentication" as
/// `ssh -D` does; with one it insists on RFC 1929 user name and password as Dante with
/// `socksmethod: username` does, answering 0xFF to a client that does not offer it. A
/// domain name is resolved by the proxy; a failed connect is answered with reply 0x05
/// (connection refused) or 0x04 (host unreachable), as both do.
struct SocksProxy {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl SocksProxy {
    fn start(login: Option<(&'static str, &'static str)>) -> SocksProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopping) = (requests.clone(), stop.clone());
        let acceptor = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let _ = serve(client, login, &seen);
                });
            }
        });
        SocksProxy {
            port,
            requests,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `scheme://[userinfo@]127.0.0.1:PORT`
    fn url(&self, scheme: &str, userinfo: Option<&str>) -> String {
        match userinfo {
            Some(info) => format!("{scheme}://{info}@127.0.0.1:{}", self.port),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for SocksProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// One client: method selection, optional login, CONNECT, then the relay.
fn serve(
    mut client: TcpStream,
    login: Option<(&str, &str)>,
    requests: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    let head = read_n(&mut client, 2)?;
    if head[0] != 5 {
        return Ok(());
    }
    let methods = read_n(&mut client, usize::from(head[1]))?;
    let wanted = if login.is_some() { 0x02 } else { 0x00 };
    let method = if methods.contains(&wanted) {
        wanted
    } else {
        0xFF
    };
    client.write_all(&[5, method])?;
    let mut given = None;
    match method {
        0x02 => {
            let _version = read_n(&mut client, 1)?;
            let user = read_field(&mut client)?;
            let password = read_field(&mut client)?;
            let ok = login == Some((user.as_str(), password.as_str()));
            client.write_all(&[1, if ok { 0 } else { 1 }])?;
            if !ok {
                return Ok(());
            }
            given = Some((user, password));
        }
        0x00 => {}
        _ => return Ok(()),
    }
    let request = read_n(&mut client, 4)?;
    let host = match request[3] {
        0x01 => Ipv4Addr::from(<[u8; 4]>::try_from(read_n(&mut client, 4)?).unwrap()).to_string(),
        0x04 => Ipv6Addr::from(<[u8; 16]>::try_from(read_n(&mut client, 16)?).unwrap()).to_string(),
        0x03 => read_field(&mut client)?,
        _ => return Ok(()),
    };
    let port = u16::from_be_bytes(<[u8; 2]>::try_from(read_n(&mut client, 2)?).unwrap());
    requests.lock().unwrap().push(Request {
        atyp: request[3],
        host: host.clone(),
        port,
        login: given,
    });
    let upstream = match request[3] {
        0x03 => TcpStream::connect((host.as_str(), port)),
        _ => TcpStream::connect(SocketAddr::new(host.parse::<IpAddr>().unwrap(), port)),
    };
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                0x05
            } else {
                0x04
            };
            client.write_all(&[5, code, 0, 1, 0, 0, 0, 0, 0, 0])?;
            return Ok(());
        }
    };
    let bound = upstream.local_addr()?;
    let mut reply = vec![5, 0, 0];
    match bound.ip() {
        IpAddr::V4(ip) => reply.extend([1].iter().chain(&ip.octets())),
        IpAddr::V6(ip) => reply.extend([4].iter().chain(&ip.octets())),
    }
    reply.extend_from_slice(&bound.port().to_be_bytes());
    client.write_all(&reply)?;
    relay(client, upstream)
}

fn relay(client: TcpStream, upstream: TcpStream) -> std::io::Result<()> {
    let (mut client_read, mut client_write) = (client.try_clone()?, client);
    let (mut upstream_read, mut upstream_write) = (upstream.try_clone()?, upstream);
    let down = std::thread::spawn(move || {
        let _ = std::io::copy(&mut upstream_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut client_read, &mut upstream_write);
    let _ = upstream_write.shutdown(Shutdown::Write);
    let _ = down.join();
    Ok(())
}

fn read_n(stream: &mut TcpStream, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf)?;
    Ok(buf)
}

/// A length-prefixed field (a domain name, a user name, a password).
fn read_field(stream: &mut TcpStream) -> std::io::Result<String> {
    let len = read_n(stream, 1)?[0];
    Ok(String::from_utf8_lossy(&read_n(stream, usize::from(len))?).into_owned())
}

/// `mqtk ping -h HOST -p PORT -c 1 --proxy URL` with a 5 s connect timeout.
fn ping_via(host: &str, port: u16, proxy: &str) -> std::process::Command {
    let mut cmd = mqtk();
    cmd.args(["ping", "-h", host, "-p", &port.to_string(), "-c", "1"]);
    cmd.args(["--connect-timeout", "5s", "--proxy", proxy]);
    cmd
}

/// Runs `cmd` and checks it failed with `code` and one error line holding every needle.
fn assert_fails_with(cmd: std::process::Command, code: i32, needles: &[&str]) -> String {
    let (got, stderr) = run_code(cmd);
    assert_eq!(got, code, "stderr: {stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("mqtk: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected, got: {stderr}");
    for needle in needles {
        assert!(errors[0].contains(needle), "'{needle}' not in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn socks5h_lets_the_proxy_resolve_the_broker_name() {
    let broker = Broker::start();
    let proxy = SocksProxy::start(None);
    let mut cmd = ping_via("localhost", broker.port, &proxy.url("socks5h", None));
    cmd.arg("--json");
    let out = run_ok(cmd);
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_string)
        .unwrap_or_default();
    let connection: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert!(
        connection["phases_ms"]["proxy"].is_number(),
        "the proxy phase is timed: {first}"
    );
    assert_eq!(
        proxy.requests(),
        [Request {
            atyp: 0x03,
            host: "localhost".into(),
            port: broker.port,
            login: None,
        }]
    );
}

#[test]
fn socks5_resolves_the_name_itself_and_sends_the_address() {
    let broker = Broker::start();
    let proxy = SocksProxy::start(None);
    run_ok(ping_via(
        "localhost",
        broker.port,
        &proxy.url("socks5", None),
    ));
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        (
            requests[0].atyp,
            requests[0].host.as_str(),
            requests[0].port
        ),
        (0x01, "127.0.0.1", broker.port)
    );
}

#[test]
fn user_and_password_are_accepted() {
    let broker = Broker::start();
    let proxy = SocksProxy::start(Some(("alice", "s3cret")));
    let out = run_ok(ping_via(
        "localhost",
        broker.port,
        &proxy.url("socks5h", Some("alice:s3cret")),
    ));
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        requests[0].login,
        Some(("alice".to_string(), "s3cret".to_string()))
    );
    assert_eq!(requests[0].host, "localhost");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains("s3cret"),
        "the password is never printed: {all}"
    );
}

#[test]
fn a_wrong_password_is_unreachable_naming_the_proxy() {
    let broker = Broker::start();
    let proxy = SocksProxy::start(Some(("alice", "s3cret")));
    let stderr = assert_fails_with(
        ping_via(
            "localhost",
            broker.port,
            &proxy.url("socks5h", Some("alice:wrong")),
        ),
        69,
        &[
            &format!("proxy 127.0.0.1:{}", proxy.port),
            "the proxy refused the user name or password",
        ],
    );
    assert!(
        !stderr.contains("wrong"),
        "the password is never printed: {stderr}"
    );
    assert!(proxy.requests().is_empty());
}

#[test]
fn a_proxy_that_wants_a_login_says_none_of_our_methods_fit() {
    let broker = Broker::start();
    let proxy = SocksProxy::start(Some(("alice", "s3cret")));
    assert_fails_with(
        ping_via("localhost", broker.port, &proxy.url("socks5h", None)),
        69,
        &[
            &format!("proxy 127.0.0.1:{}", proxy.port),
            "accepts none of our authentication methods",
        ],
    );
}

#[test]
fn the_proxy_failing_to_reach_the_broker_is_named_by_its_reply_code() {
    let proxy = SocksProxy::start(None);
    // A port nothing listens on: bound, then released.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_fails_with(
        ping_via("127.0.0.1", closed, &proxy.url("socks5h", None)),
        69,
        &[
            &format!("proxy 127.0.0.1:{} did not open a tunnel", proxy.port),
            "connection refused (SOCKS5 reply 0x05)",
        ],
    );
}

#[test]
fn a_proxy_that_is_not_there_is_named_not_the_broker() {
    let broker = Broker::start();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_fails_with(
        ping_via(
            "localhost",
            broker.port,
            &format!("socks5h://127.0.0.1:{closed}"),
        ),
        69,
        &[&format!("cannot connect to proxy 127.0.0.1:{closed}")],
    );
}

#[test]
fn bad_proxy_urls_are_usage_errors_naming_the_flag() {
    let long = "u".repeat(256);
    for url in [
        "socks4://127.0.0.1:1080".to_string(),
        "127.0.0.1:1080".to_string(),
        "socks5h://alice@127.0.0.1:1080".to_string(),
        "socks5h://:pw@127.0.0.1:1080".to_string(),
        format!("socks5h://{long}:pw@127.0.0.1:1080"),
        format!("socks5h://alice:{long}@127.0.0.1:1080"),
        "socks5h://127.0.0.1:0".to_string(),
        "socks5h://127.0.0.1:port".to_string(),
        "socks5://".to_string(),
    ] {
        let stderr = assert_fails_with(ping_via("127.0.0.1", 1883, &url), 64, &["--proxy"]);
        assert!(stderr.contains("socks5[h]://"), "{url}: {stderr}");
        assert!(
            !stderr.contains("pw@"),
            "{url}: the password is hidden: {stderr}"
        );
    }
}

#[test]
fn bench_connects_every_client_through_the_proxy() {
    let broker = Broker::start();
    let proxy = SocksProxy::start(Some(("alice", "s3cret")));
    let mut cmd = mqtk();
    cmd.args([
        "bench",
        "conn",
        "-h",
        "localhost",
        "-p",
        &broker.port.to_string(),
    ]);
    cmd.args(["-c", "3", "--duration", "1s", "--proxy"]);
    cmd.arg(proxy.url("socks5h", Some("alice:s3cret")));
    let out = run(cmd, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = proxy.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(requests
        .iter()
        .all(|r| r.atyp == 0x03 && r.host == "localhost"));
}

#[test]
fn pub_through_socks5h_reaches_a_subscriber() {
    let broker = Broker::start();
    let t = topic("socks-pub");
    let sub = Subscriber::start(broker.port, &t, 1);
    let proxy = SocksProxy::start(None);
    run_ok(publish_to(
        "localhost",
        broker.port,
        &[
            "--proxy",
            &proxy.url("socks5h", None),
            "-t",
            &t,
            "-m",
            "via socks",
            "-q",
            "1",
        ],
    ));
    assert_eq!(sub.wait_for(1, WAIT)[0].payload, b"via socks");
    assert_eq!(proxy.requests()[0].host, "localhost");
}

#[test]
fn sub_through_socks5h_receives() {
    let broker = Broker::start();
    let t = topic("socks-sub");
    let proxy = SocksProxy::start(None);
    let mut cmd = mqtk();
    cmd.args(["sub", "-h", "localhost", "-p", &broker.port.to_string()]);
    cmd.args(["--connect-timeout", "5s", "-t", &t, "-C", "1", "--proxy"]);
    cmd.arg(proxy.url("socks5h", None));
    let sub = SubProcess::start(cmd);
    run_ok(publish(broker.port, &["-t", &t, "-m", "to socks"]));
    let finished = sub.finish(WAIT);
    assert_eq!(finished.code, 0, "{}", finished.stderr);
    assert_eq!(finished.lines(), ["to socks"]);
    assert_eq!(proxy.requests()[0].host, "localhost");
}

//! The transport layer: mqtk opens every byte stream itself (DNS, TCP or unix socket,
//! HTTP CONNECT proxy, TLS, WebSocket), timing each phase for `ping`, and classifies every
//! failure into the exit-code table with one line a user can act on.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_rustls::rustls;

use crate::conn::socks::socks5_handshake;
use crate::conn::{codes, ConnectOptions, Endpoint, ProxyKind};
use crate::error::Failure;

/// Any transport mqtk opens: TCP, unix socket, TLS, WebSocket, in any combination.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {
    /// The stream as `Any`, so `bench` can take a plain TCP stream back out of the box
    /// (a method, not trait upcasting, which needs Rust 1.86).
    fn as_any(&self) -> &dyn std::any::Any;
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// How long each step of opening the connection took (absent when the step was not taken).
#[derive(Debug, Clone, Default)]
pub struct Phases {
    pub dns: Option<Duration>,
    pub tcp: Option<Duration>,
    pub proxy: Option<Duration>,
    pub tls: Option<Duration>,
    pub websocket: Option<Duration>,
    /// CONNECT written → CONNACK read.
    pub connack: Duration,
    /// The address connected to (not for unix sockets).
    pub address: Option<SocketAddr>,
}

impl Phases {
    pub fn total(&self) -> Duration {
        [self.dns, self.tcp, self.proxy, self.tls, self.websocket]
            .into_iter()
            .flatten()
            .sum::<Duration>()
            + self.connack
    }
}

/// The broker's addresses (of the proxy, when there is one), looked up once so that many
/// connections (`bench`) do not each ask the resolver. None for unix sockets.
pub async fn resolve(opts: &ConnectOptions) -> Result<Option<Vec<SocketAddr>>, Failure> {
    match first_hop(opts) {
        Some((host, port)) => lookup(opts, host, port).await.map(Some),
        None => Ok(None),
    }
}

/// The host and port the TCP connection goes to: the proxy's when there is one, else the
/// broker's; None for unix sockets.
fn first_hop(opts: &ConnectOptions) -> Option<(&str, u16)> {
    match (&opts.endpoint, &opts.proxy) {
        (Endpoint::Unix(_), _) => None,
        (_, Some(proxy)) => Some((proxy.host.as_str(), proxy.port)),
        (Endpoint::Tcp { host, port } | Endpoint::WebSocket { host, port, .. }, None) => {
            Some((host.as_str(), *port))
        }
    }
}

async fn lookup(opts: &ConnectOptions, host: &str, port: u16) -> Result<Vec<SocketAddr>, Failure> {
    if let Some(loopback) = localhost(host, port) {
        return Ok(loopback);
    }
    // Literal addresses are parsed in place; names go to the system's resolver on a
    // blocking thread.
    Ok(tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| dns_failed(host, opts.proxy.is_some()))?
        .collect())
}

/// `localhost` and names under `.localhost` are the loopback addresses (RFC 6761 §6.3),
/// IPv4 first: no resolver thread, no lookup (mosquitto listens on both by default, and a
/// refused loopback connection fails at once, so the second costs nothing when needed).
fn localhost(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    (name == "localhost" || name.ends_with(".localhost")).then(|| {
        vec![
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
        ]
    })
}

/// Opens the byte stream to the broker (through the proxy, TLS and WebSocket layers the
/// options ask for), timing each phase; `resolved` are the addresses from [`resolve`].
pub async fn open_stream(
    opts: &ConnectOptions,
    resolved: Option<&[SocketAddr]>,
    phases: &mut Phases,
) -> Result<Box<dyn Stream>, Failure> {
    let broker = opts.broker_display();
    let stream: Box<dyn Stream> = match &opts.endpoint {
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            let started = Instant::now();
            let socket = tokio::net::UnixStream::connect(path).await.map_err(|e| {
                Failure::Unreachable(format!(
                    "cannot connect to {broker}: {}",
                    crate::error::io_reason(&e)
                ))
            })?;
            phases.tcp = Some(started.elapsed());
            Box::new(socket)
        }
        #[cfg(not(unix))]
        Endpoint::Unix(_) => {
            return Err(Failure::Usage("unix sockets need a unix system".into()));
        }
        Endpoint::Tcp { host, port } | Endpoint::WebSocket { host, port, .. } => {
            let started = Instant::now();
            let looked_up;
            let addresses: &[SocketAddr] = match (resolved, first_hop(opts)) {
                (Some(addresses), _) => addresses,
                (None, Some((tcp_host, tcp_port))) => {
                    looked_up = lookup(opts, tcp_host, tcp_port).await?;
                    &looked_up
                }
                (None, None) => &[],
            };
            phases.dns = Some(started.elapsed());
            let started = Instant::now();
            let tcp = connect_any(addresses, &opts.bind).await.map_err(|e| {
                let what = match &opts.proxy {
                    Some(proxy) => format!("proxy {}:{}", proxy.host, proxy.port),
                    None => broker.clone(),
                };
                match e {
                    ConnectFailed::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        tcp_refused(&what)
                    }
                    ConnectFailed::Io(e) => Failure::Unreachable(format!(
                        "cannot connect to {what}: {}",
                        crate::error::io_reason(&e)
                    )),
                    ConnectFailed::Bind(ip, e)
                        if e.kind() == std::io::ErrorKind::AddrNotAvailable =>
                    {
                        Failure::Usage(format!(
                            "-A {ip}: not an address of this machine; give one of its own (ip -brief address lists them)"
                        ))
                    }
                    ConnectFailed::Bind(ip, e) => Failure::Unreachable(format!(
                        "cannot bind to -A {ip}: {}",
                        crate::error::io_reason(&e)
                    )),
                    ConnectFailed::Family(address) => {
                        let family = if address.is_ipv4() { 4 } else { 6 };
                        let given: Vec<String> = opts.bind.iter().map(ToString::to_string).collect();
                        Failure::Usage(format!(
                            "-A {}: no IPv{family} address to connect from, and {what} has IPv{family} addresses only ({}): give an IPv{family} -A",
                            given.join(", "),
                            address.ip()
                        ))
                    }
                }
            })?;
            phases.tcp = Some(started.elapsed());
            phases.address = tcp.peer_addr().ok();
            let _ = tcp.set_nodelay(true);
            if let Some(bytes) = opts.send_buffer {
                use nix::sys::socket::{setsockopt, sockopt::SndBuf};
                setsockopt(&tcp, SndBuf, &bytes).map_err(|e| {
                    Failure::Unreachable(format!(
                        "cannot cap the send buffer of the connection to {broker}: {e}"
                    ))
                })?;
            }
            let mut stream: Box<dyn Stream> = Box::new(tcp);
            if let Some(proxy) = &opts.proxy {
                let started = Instant::now();
                let tunnel = match proxy.kind {
                    ProxyKind::Http => {
                        http_connect(stream, host, *port, proxy.login.as_ref()).await
                    }
                    ProxyKind::Socks5 { remote_dns } => {
                        let login = proxy
                            .login
                            .as_ref()
                            .map(|(u, p)| (u.as_str(), p.0.as_str()));
                        socks5_handshake(&mut stream, host, *port, remote_dns, login)
                            .await
                            .map(|()| stream)
                    }
                };
                stream = tunnel.map_err(|e| {
                    Failure::Unreachable(format!(
                        "proxy {}:{} did not open a tunnel to {broker}: {e}",
                        proxy.host, proxy.port
                    ))
                })?;
                phases.proxy = Some(started.elapsed());
            }
            if let Some(config) = &opts.tls {
                let started = Instant::now();
                stream = tls_connect(stream, host, config.clone())
                    .await
                    .map_err(|e| match find_rustls_error(&e) {
                        Some(tls) => Failure::Tls(tls_message(tls, &broker)),
                        None if is_reset(&e) => Failure::Tls(format!(
                            "TLS with {broker} failed: the connection closed during the handshake (is it a TLS port? is it MQTT over WebSockets, --ws?)"
                        )),
                        None => Failure::Tls(format!("TLS with {broker} failed: {e}")),
                    })?;
                phases.tls = Some(started.elapsed());
            }
            if let Endpoint::WebSocket { url, .. } = &opts.endpoint {
                let started = Instant::now();
                stream = websocket_upgrade(stream, url, ws_headers(opts))
                    .await
                    .map_err(|e| {
                        Failure::Unreachable(format!("WebSocket upgrade with {broker} failed: {e} (is it a WebSocket port? drop --ws / use mqtt://)"))
                    })?;
                phases.websocket = Some(started.elapsed());
            }
            stream
        }
    };
    Ok(stream)
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
    )
}

/// Why no TCP connection could be opened.
enum ConnectFailed {
    /// Connecting failed (the last address's error).
    Io(std::io::Error),
    /// `-A`: the local address cannot be bound.
    Bind(IpAddr, std::io::Error),
    /// `-A` has no address of the family of any of the broker's (this one, say).
    Family(SocketAddr),
}

/// Happy Eyeballs' connection attempt delay (RFC 8305 section 5): a name with several
/// addresses starts its next attempt this long after the last one began, or at once when it
/// failed, without cancelling the slower ones; the first to connect wins.
const NEXT_ATTEMPT_AFTER: Duration = Duration::from_millis(250);

/// Connects to the first of `addresses` that answers, RFC 8305 style: the families take
/// turns (in the order the resolver gave), each attempt starts [`NEXT_ATTEMPT_AFTER`] after
/// the previous one or when it fails, so an unreachable IPv6 (or IPv4) address costs 250 ms,
/// not a connect timeout. With `bind` (`-A`), each socket is bound first to the first local
/// address of its family; addresses of a family `-A` lacks are skipped.
async fn connect_any(
    addresses: &[SocketAddr],
    bind: &[IpAddr],
) -> Result<tokio::net::TcpStream, ConnectFailed> {
    let mut last = None;
    let mut candidates = Vec::with_capacity(addresses.len());
    for address in interleave_families(addresses) {
        if bind.is_empty() {
            candidates.push((address, None));
        } else {
            match bind.iter().find(|ip| ip.is_ipv4() == address.is_ipv4()) {
                Some(local) => candidates.push((address, Some(*local))),
                None => {
                    last.get_or_insert(ConnectFailed::Family(address));
                }
            }
        }
    }
    if let [(address, local)] = candidates[..] {
        return attempt(address, local).await;
    }
    // Boxed: a race's state (a timer, the attempts) would otherwise enlarge every
    // connection's future, and `bench conn` holds thousands of them.
    Box::pin(race(candidates, last)).await
}

/// The attempts of [`connect_any`] for two or more addresses.
async fn race(
    candidates: Vec<(SocketAddr, Option<IpAddr>)>,
    mut last: Option<ConnectFailed>,
) -> Result<tokio::net::TcpStream, ConnectFailed> {
    type Attempt =
        Pin<Box<dyn Future<Output = Result<tokio::net::TcpStream, ConnectFailed>> + Send>>;
    let mut queue = candidates.into_iter();
    let mut running: Vec<Attempt> = Vec::new();
    let mut next_after = pin!(tokio::time::sleep(Duration::ZERO));
    std::future::poll_fn(|cx| loop {
        let mut one_failed = false;
        let mut i = 0;
        while i < running.len() {
            match running[i].as_mut().poll(cx) {
                Poll::Ready(Ok(stream)) => return Poll::Ready(Ok(stream)),
                // -A cannot be bound: a usage error, whatever the other addresses do.
                Poll::Ready(Err(e @ ConnectFailed::Bind(..))) => return Poll::Ready(Err(e)),
                Poll::Ready(Err(e)) => {
                    last = Some(e);
                    one_failed = true;
                    drop(running.swap_remove(i));
                }
                Poll::Pending => i += 1,
            }
        }
        let more = queue.len() > 0;
        // Polled whenever more wait, so its expiry wakes us.
        let delay_over = more && next_after.as_mut().poll(cx).is_ready();
        if more && (running.is_empty() || one_failed || delay_over) {
            if let Some((address, local)) = queue.next() {
                running.push(Box::pin(attempt(address, local)));
                next_after
                    .as_mut()
                    .reset(Instant::now() + NEXT_ATTEMPT_AFTER);
                continue;
            }
        }
        if running.is_empty() {
            return Poll::Ready(Err(last.take().unwrap_or_else(|| {
                ConnectFailed::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no address for the host",
                ))
            })));
        }
        return Poll::Pending;
    })
    .await
}

/// One connection attempt, from `local` when given.
async fn attempt(
    address: SocketAddr,
    local: Option<IpAddr>,
) -> Result<tokio::net::TcpStream, ConnectFailed> {
    let Some(local) = local else {
        return tokio::net::TcpStream::connect(address)
            .await
            .map_err(ConnectFailed::Io);
    };
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(ConnectFailed::Io)?;
    // The port is picked at connect time, per destination: bound with a port now, every
    // socket from one address would share its ~28 000 ports whatever it connects to
    // (`bench --bind` spreads tens of thousands of clients over a few addresses).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use nix::sys::socket::{setsockopt, sockopt::IpBindAddressNoPort};
        let _ = setsockopt(&socket, IpBindAddressNoPort, &true);
    }
    socket
        .bind(SocketAddr::new(local, 0))
        .map_err(|e| ConnectFailed::Bind(local, e))?;
    socket.connect(address).await.map_err(ConnectFailed::Io)
}

/// The addresses with the families taking turns, the first address's family first, each
/// family in the resolver's order (RFC 8305 section 4).
fn interleave_families(addresses: &[SocketAddr]) -> Vec<SocketAddr> {
    let Some(first) = addresses.first() else {
        return Vec::new();
    };
    let (mut same, mut other): (Vec<SocketAddr>, Vec<SocketAddr>) = addresses
        .iter()
        .partition(|a| a.is_ipv4() == first.is_ipv4());
    let mut out = Vec::with_capacity(addresses.len());
    let (mut a, mut b) = (same.drain(..), other.drain(..));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return out,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
}

async fn http_connect(
    mut stream: Box<dyn Stream>,
    host: &str,
    port: u16,
    login: Option<&(String, crate::conn::Secret)>,
) -> std::io::Result<Box<dyn Stream>> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, pass)) = login {
        let token = BASE64.encode(format!("{user}:{}", pass.0));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 || response.len() > 16 * 1024 {
            return Err(std::io::Error::other("the proxy closed the connection"));
        }
        response.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&response);
    let status = status_line.lines().next().unwrap_or_default().to_string();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(std::io::Error::other(format!(
            "the proxy answered '{status}'"
        )));
    }
    Ok(stream)
}

async fn tls_connect(
    stream: Box<dyn Stream>,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<Box<dyn Stream>> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|_| {
        std::io::Error::other(format!(
            "'{}' is not a valid TLS server name",
            crate::error::shorten(host)
        ))
    })?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await?;
    Ok(Box::new(tls))
}

async fn websocket_upgrade(
    stream: Box<dyn Stream>,
    url: &str,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
) -> Result<Box<dyn Stream>, String> {
    use async_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    let fields = request.headers_mut();
    fields.insert(
        "Sec-WebSocket-Protocol",
        http::HeaderValue::from_static("mqtt"),
    );
    for (name, value) in headers {
        fields.insert(name, value);
    }
    let (socket, _response) = async_tungstenite::tokio::client_async(request, stream)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Box::new(ws_stream_tungstenite::WsStream::new(socket)))
}

/// The `--ws-header` pairs as HTTP header names and values (validated with the options).
pub(crate) fn ws_headers(opts: &ConnectOptions) -> Vec<(http::HeaderName, http::HeaderValue)> {
    opts.ws_headers
        .iter()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v.parse().ok()?)))
        .collect()
}

/// The failure for a CONNACK refusal code, with a hint when credentials are the likely cause.
pub(crate) fn connack_refusal(code: u8) -> Failure {
    let mut reason = codes::connack_text(code).to_string();
    if matches!(code, 4 | 5 | 0x86 | 0x87) {
        reason.push_str(" (check -u/--username and the password)");
    }
    if matches!(code, 1 | 0x84) {
        reason.push_str(" (try another -V: 311, 5 or 31)");
    }
    Failure::Refused { code, reason }
}

/// Nothing listens at the address.
pub(crate) fn tcp_refused(what: &str) -> Failure {
    Failure::Unreachable(format!(
        "cannot connect to {what}: connection refused (is the broker running and listening there?)"
    ))
}

/// The host name does not resolve.
pub(crate) fn dns_failed(host: &str, proxy: bool) -> Failure {
    if proxy {
        Failure::Dns(format!(
            "cannot resolve the proxy host '{}': check --proxy",
            crate::error::shorten(host)
        ))
    } else {
        Failure::Dns(format!(
            "cannot resolve host '{}': check -h/--host",
            crate::error::shorten(host)
        ))
    }
}

/// The rustls error in an error's chain, looking inside `io::Error`s too (their `source()`
/// skips the inner error).
pub(crate) fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(found) = find_rustls_error(inner) {
                return Some(found);
            }
        }
        next = e.source();
    }
    None
}

pub(crate) fn tls_message(error: &rustls::Error, broker: &str) -> String {
    use crate::conn::tls::CertProblem;
    use crate::conn::x509::date;
    use crate::error::{camel_words, plain};
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let seconds = |t: &rustls::pki_types::UnixTime| t.as_secs() as i64;
    // "localhost:8883's certificate", not "localhost:8883 (TLS)'s certificate".
    let broker = broker.strip_suffix(" (TLS)").unwrap_or(broker);
    match error {
        E::InvalidCertificate(C::Other(other)) => match other.0.downcast_ref::<CertProblem>() {
            Some(problem) => format!("TLS: {broker}'s {problem}"),
            None => format!(
                "TLS: {broker}'s certificate was refused: {}",
                plain(&other.0.to_string())
            ),
        },
        E::InvalidCertificate(C::UnknownIssuer) => format!(
            "TLS: {broker}'s certificate is not signed by a trusted CA: give the right --cafile/--capath"
        ),
        E::InvalidCertificate(C::NotValidForName) | E::InvalidCertificate(C::NotValidForNameContext { .. }) => {
            format!("TLS: {broker}'s certificate is not valid for that host name: connect by a name it lists, or --insecure")
        }
        E::InvalidCertificate(C::ExpiredContext { time, not_after }) => format!(
            "TLS: {broker}'s certificate expired on {} (the clock here says {}): renew it on the broker",
            date(seconds(not_after)),
            date(seconds(time))
        ),
        E::InvalidCertificate(C::Expired) => {
            format!("TLS: {broker}'s certificate has expired: renew it on the broker")
        }
        E::InvalidCertificate(C::NotValidYetContext { time, not_before }) => format!(
            "TLS: {broker}'s certificate is not valid before {} (the clock here says {}): check the clocks, or re-issue it",
            date(seconds(not_before)),
            date(seconds(time))
        ),
        E::InvalidCertificate(C::NotValidYet) => format!(
            "TLS: {broker}'s certificate is not valid yet: check the clocks, or re-issue it"
        ),
        E::InvalidCertificate(C::InvalidPurpose) | E::InvalidCertificate(C::InvalidPurposeContext { .. }) => format!(
            "TLS: {broker}'s certificate is not made for a TLS server (its extendedKeyUsage lacks serverAuth): re-issue it"
        ),
        E::InvalidCertificate(C::BadSignature) => format!(
            "TLS: {broker}'s certificate signature does not verify: the certificate or the --cafile is wrong"
        ),
        E::InvalidCertificate(C::BadEncoding) => {
            format!("TLS: {broker}'s certificate cannot be read (bad encoding)")
        }
        E::AlertReceived(A::CertificateExpired) => format!(
            "TLS: {broker} refused our client certificate as expired: renew --cert"
        ),
        E::AlertReceived(A::HandshakeFailure) => format!(
            "TLS: {broker} refused the handshake (alert: handshake failure): it wants a client certificate it trusts (--cert/--key), or shares no cipher suite with mqtk (--ciphers, --tls-version)"
        ),
        E::AlertReceived(A::CertificateRequired)
        | E::AlertReceived(A::BadCertificate) | E::AlertReceived(A::UnknownCA)
        | E::AlertReceived(A::UnsupportedCertificate) | E::AlertReceived(A::CertificateUnknown) => {
            let alert = match error {
                E::AlertReceived(alert) => camel_words(&format!("{alert:?}")),
                _ => String::new(),
            };
            format!(
                "TLS: {broker} refused the handshake (alert: {alert}): it wants a client certificate it trusts (--cert/--key)"
            )
        }
        E::AlertReceived(alert) => format!(
            "TLS with {broker} failed: it sent the alert '{}'",
            camel_words(&format!("{alert:?}"))
        ),
        E::InvalidMessage(_) => format!(
            "TLS with {broker} failed: it does not answer in TLS (is it a plain MQTT port? drop --cafile / use mqtt://)"
        ),
        E::PeerIncompatible(_) => format!(
            "TLS with {broker} failed: it and mqtk share no TLS version or cipher suite (try --tls-version tlsv1.2)"
        ),
        other => format!("TLS with {broker} failed: {}", plain(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_families_take_turns_in_the_resolvers_order() {
        let v4 = |n: u8| SocketAddr::from(([10, 0, 0, n], 1));
        let v6 = |n: u16| SocketAddr::from(([0x2001, 0xdb8, 0, 0, 0, 0, 0, n], 1));
        assert_eq!(
            interleave_families(&[v6(1), v6(2), v6(3), v4(1), v4(2)]),
            [v6(1), v4(1), v6(2), v4(2), v6(3)]
        );
        assert_eq!(
            interleave_families(&[v4(1), v6(1), v4(2)]),
            [v4(1), v6(1), v4(2)]
        );
        assert_eq!(interleave_families(&[v4(2), v4(1)]), [v4(2), v4(1)]);
        assert!(interleave_families(&[]).is_empty());
    }

    #[test]
    fn localhost_is_loopback_without_a_lookup() {
        let both = |port| {
            Some(vec![
                SocketAddr::from(([127, 0, 0, 1], port)),
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
            ])
        };
        assert_eq!(localhost("localhost", 1883), both(1883));
        assert_eq!(localhost("LocalHost.", 8883), both(8883));
        assert_eq!(localhost("broker.localhost", 1), both(1));
        assert_eq!(localhost("localhost.example.com", 1), None);
        assert_eq!(localhost("127.0.0.1", 1), None);
    }

    #[test]
    fn tls_messages_carry_no_rust_notation() {
        use rustls::{AlertDescription as A, CertificateError as C, Error as E};
        let other = rustls::OtherError(std::sync::Arc::new(std::io::Error::other(
            "Other(OtherError(UnsupportedCertVersion))",
        )));
        for error in [
            E::InvalidCertificate(C::Other(other)),
            E::AlertReceived(A::HandshakeFailure),
            E::AlertReceived(A::DecryptError),
            E::PeerIncompatible(rustls::PeerIncompatible::Tls12NotOffered),
            E::PeerMisbehaved(rustls::PeerMisbehaved::IllegalTlsInnerPlaintext),
            E::InvalidCertificate(C::UnhandledCriticalExtension),
            E::General("x".into()),
        ] {
            let message = tls_message(&error, "localhost:8883");
            assert!(
                !message.contains(['(', '{'])
                    || message.contains("(alert:")
                    || message.contains("(try"),
                "{message}"
            );
            assert!(!message.contains("Other"), "{message}");
        }
    }
}

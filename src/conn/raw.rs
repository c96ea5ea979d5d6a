//! A bare MQTT connection for measuring: mqtk opens the transport itself (DNS, TCP, proxy,
//! TLS, WebSocket, unix socket), timing each phase, and speaks through rumqttc's public
//! packet codec with no event loop in between, so a round trip is timed from the write of
//! the probe's bytes to the read of the answer (rumqttc's queue adds a timer tick).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;
use rumqttc::v5::mqttbytes::v5::ConnAckProperties;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_rustls::rustls;

use super::client::{
    connack_refusal, dns_failed, find_rustls_error, tcp_refused, tls_message, v4_qos, v5_qos,
    ws_headers,
};
use super::codes;
use super::socks::socks5_handshake;
use super::{ConnectOptions, Endpoint, ProtocolVersion, ProxyKind, MAX_PACKET_SIZE};
use crate::error::Failure;

/// Any transport mqtk opens: TCP, unix socket, TLS, WebSocket, in any combination.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

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

/// What the broker said in CONNACK.
#[derive(Debug, Clone, Default)]
pub struct ConnAck {
    pub session_present: bool,
    pub properties: Option<ConnAckProperties>,
}

/// A packet to write.
#[derive(Debug, Clone)]
pub enum Outgoing {
    PingReq,
    Subscribe {
        pkid: u16,
        filter: String,
        qos: u8,
    },
    Publish {
        pkid: u16,
        topic: String,
        qos: u8,
        payload: Bytes,
    },
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp(u16),
    Disconnect,
}

/// A packet read, reduced to what probes need.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    PingResp,
    Publish { pkid: u16, qos: u8, payload: Bytes },
    PubAck { pkid: u16, reason: u8 },
    PubRec { pkid: u16, reason: u8 },
    PubRel(u16),
    PubComp(u16),
    SubAck { codes: Vec<u8> },
    Disconnect { reason: u8 },
    Other,
}

/// An open MQTT connection over mqtk's own transport.
pub struct RawConnection {
    stream: Box<dyn Stream>,
    version: ProtocolVersion,
    read_buf: BytesMut,
    write_buf: BytesMut,
}

/// Opens the transport and completes CONNECT/CONNACK, timing every phase.
/// `keepalive` overrides the configured keepalive (a ping's interval may be longer).
pub async fn open(
    opts: &ConnectOptions,
    keepalive: Duration,
) -> Result<(RawConnection, Phases, ConnAck), Failure> {
    open_as(opts, &opts.client_id, keepalive, None).await
}

/// The broker's addresses (of the proxy, when there is one), looked up once so that many
/// connections (`bench`) do not each ask the resolver. None for unix sockets.
pub async fn resolve(opts: &ConnectOptions) -> Result<Option<Vec<SocketAddr>>, Failure> {
    match &opts.endpoint {
        Endpoint::Unix(_) => Ok(None),
        Endpoint::Tcp { host, port } | Endpoint::WebSocket { host, port, .. } => {
            let (host, port) = match &opts.proxy {
                Some(proxy) => (proxy.host.as_str(), proxy.port),
                None => (host.as_str(), *port),
            };
            let addresses = tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| dns_failed(host))?
                .collect();
            Ok(Some(addresses))
        }
    }
}

/// As [`open`], with this client id, and with the addresses from [`resolve`] when given.
pub async fn open_as(
    opts: &ConnectOptions,
    client_id: &str,
    keepalive: Duration,
    resolved: Option<&[SocketAddr]>,
) -> Result<(RawConnection, Phases, ConnAck), Failure> {
    let mut phases = Phases::default();
    let broker = opts.broker_display();
    let stream: Box<dyn Stream> = match &opts.endpoint {
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            let started = Instant::now();
            let socket = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| Failure::Unreachable(format!("cannot connect to {broker}: {e}")))?;
            phases.tcp = Some(started.elapsed());
            Box::new(socket)
        }
        #[cfg(not(unix))]
        Endpoint::Unix(_) => {
            return Err(Failure::Usage("unix sockets need a unix system".into()));
        }
        Endpoint::Tcp { host, port } | Endpoint::WebSocket { host, port, .. } => {
            let (tcp_host, tcp_port) = match &opts.proxy {
                Some(proxy) => (proxy.host.as_str(), proxy.port),
                None => (host.as_str(), *port),
            };
            let started = Instant::now();
            let addresses: Vec<SocketAddr> = match resolved {
                Some(addresses) => addresses.to_vec(),
                None => tokio::net::lookup_host((tcp_host, tcp_port))
                    .await
                    .map_err(|_| dns_failed(tcp_host))?
                    .collect(),
            };
            phases.dns = Some(started.elapsed());
            let started = Instant::now();
            let tcp = connect_any(&addresses)
                .await
                .map_err(|e| match &opts.proxy {
                    Some(proxy) => Failure::Unreachable(format!(
                        "cannot connect to proxy {}:{}: {e}",
                        proxy.host, proxy.port
                    )),
                    None if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        tcp_refused(&broker)
                    }
                    None => Failure::Unreachable(format!("cannot connect to {broker}: {e}")),
                })?;
            phases.tcp = Some(started.elapsed());
            phases.address = tcp.peer_addr().ok();
            let _ = tcp.set_nodelay(true);
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
                        None => Failure::Tls(format!("TLS with {broker} failed: {e}")),
                    })?;
                phases.tls = Some(started.elapsed());
            }
            if let Endpoint::WebSocket { url, .. } = &opts.endpoint {
                let started = Instant::now();
                stream = websocket_upgrade(stream, url, ws_headers(opts))
                    .await
                    .map_err(|e| {
                        Failure::Unreachable(format!("WebSocket upgrade with {broker} failed: {e}"))
                    })?;
                phases.websocket = Some(started.elapsed());
            }
            stream
        }
    };
    let mut connection = RawConnection {
        stream,
        version: opts.version,
        read_buf: BytesMut::with_capacity(4096),
        write_buf: BytesMut::with_capacity(4096),
    };
    let started = connection
        .write_connect(opts, client_id, keepalive)
        .await
        .map_err(|e| {
            Failure::Unreachable(format!(
                "{broker} closed the connection before CONNECT: {e}"
            ))
        })?;
    let connack = connection.read_connack(opts).await?;
    phases.connack = started.elapsed();
    Ok((connection, phases, connack))
}

async fn connect_any(addresses: &[SocketAddr]) -> std::io::Result<tokio::net::TcpStream> {
    let mut last = None;
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no address for the host")
    }))
}

async fn http_connect(
    mut stream: Box<dyn Stream>,
    host: &str,
    port: u16,
    login: Option<&(String, super::Secret)>,
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
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| std::io::Error::other(format!("'{host}' is not a valid TLS server name")))?;
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

impl RawConnection {
    async fn write_connect(
        &mut self,
        opts: &ConnectOptions,
        client_id: &str,
        keepalive: Duration,
    ) -> std::io::Result<Instant> {
        let keep_alive = u16::try_from(keepalive.as_secs()).unwrap_or(u16::MAX);
        let login = opts.username.as_ref().map(|user| {
            (
                user.clone(),
                opts.password
                    .as_ref()
                    .map(|p| p.0.clone())
                    .unwrap_or_default(),
            )
        });
        self.write_buf.clear();
        let written = match self.version {
            ProtocolVersion::V311 => {
                let mut connect = v4::Connect::new(client_id);
                connect.keep_alive = keep_alive;
                connect.clean_session = opts.clean_session;
                connect.login = login.map(|(u, p)| v4::Login::new(u, p));
                connect.last_will = opts.will.as_ref().map(|w| {
                    v4::LastWill::new(w.topic.clone(), w.payload.clone(), v4_qos(w.qos), w.retain)
                });
                v4::Packet::Connect(connect)
                    .write(&mut self.write_buf, MAX_PACKET_SIZE as usize)
                    .map_err(|e| format!("{e:?}"))
            }
            ProtocolVersion::V5 => {
                let mut properties = opts.properties.connect.clone();
                if let Some(expiry) = opts.session_expiry {
                    properties
                        .get_or_insert_with(v5::ConnectProperties::new)
                        .session_expiry_interval = Some(expiry);
                }
                let connect = v5::Connect {
                    keep_alive,
                    client_id: client_id.to_string(),
                    clean_start: opts.clean_session,
                    properties,
                };
                let will = opts.will.as_ref().map(|w| {
                    v5::LastWill::new(
                        w.topic.clone(),
                        w.payload.clone(),
                        v5_qos(w.qos),
                        w.retain,
                        opts.properties.will.clone(),
                    )
                });
                let login = login.map(|(u, p)| v5::Login::new(u, p));
                v5::Packet::Connect(connect, will, login)
                    .write(&mut self.write_buf, Some(MAX_PACKET_SIZE))
                    .map_err(|e| format!("{e:?}"))
            }
        };
        written.map_err(std::io::Error::other)?;
        self.flush_buf().await
    }

    async fn read_connack(&mut self, opts: &ConnectOptions) -> Result<ConnAck, Failure> {
        let broker = opts.broker_display();
        let lost = |e: std::io::Error| {
            Failure::Unreachable(format!(
                "{broker} closed the connection instead of answering CONNECT: {e}"
            ))
        };
        loop {
            match self.version {
                ProtocolVersion::V311 => {
                    match v4::Packet::read(&mut self.read_buf, MAX_PACKET_SIZE as usize) {
                        Ok(v4::Packet::ConnAck(ack)) => {
                            let code = codes::v4_connack(ack.code);
                            if code != 0 {
                                return Err(connack_refusal(code));
                            }
                            return Ok(ConnAck {
                                session_present: ack.session_present,
                                properties: None,
                            });
                        }
                        Ok(other) => {
                            return Err(Failure::Unreachable(format!(
                                "{broker} answered CONNECT with {other:?}"
                            )))
                        }
                        Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
                        Err(e) => {
                            return Err(Failure::Unreachable(format!(
                                "{broker} is not an MQTT broker (bad CONNACK: {e:?})"
                            )))
                        }
                    }
                }
                ProtocolVersion::V5 => {
                    match v5::Packet::read(&mut self.read_buf, Some(MAX_PACKET_SIZE)) {
                        Ok(v5::Packet::ConnAck(ack)) => {
                            let code = codes::v5_connack(ack.code);
                            if code != 0 {
                                return Err(connack_refusal(code));
                            }
                            return Ok(ConnAck {
                                session_present: ack.session_present,
                                properties: ack.properties,
                            });
                        }
                        Ok(other) => {
                            return Err(Failure::Unreachable(format!(
                                "{broker} answered CONNECT with {other:?}"
                            )))
                        }
                        Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => {}
                        Err(e) => {
                            return Err(Failure::Unreachable(format!(
                                "{broker} is not an MQTT broker (bad CONNACK: {e:?})"
                            )))
                        }
                    }
                }
            }
            self.fill().await.map_err(lost)?;
        }
    }

    /// Writes one packet; returns the instant its write began.
    pub async fn send(&mut self, packet: Outgoing) -> std::io::Result<Instant> {
        self.write_buf.clear();
        let written = match self.version {
            ProtocolVersion::V311 => v4_packet(packet)
                .write(&mut self.write_buf, MAX_PACKET_SIZE as usize)
                .map_err(|e| format!("{e:?}")),
            ProtocolVersion::V5 => v5_packet(packet)
                .write(&mut self.write_buf, Some(MAX_PACKET_SIZE))
                .map_err(|e| format!("{e:?}")),
        };
        written.map_err(std::io::Error::other)?;
        self.flush_buf().await
    }

    /// Writes the buffer; returns the instant just before the write, as ping(8) stamps its
    /// packets: a pause between the write and a later clock read (a busy machine) would
    /// make the round trip look shorter than it was, even shorter than the wire allows.
    async fn flush_buf(&mut self) -> std::io::Result<Instant> {
        let at = Instant::now();
        self.stream.write_all(&self.write_buf).await?;
        self.stream.flush().await?;
        Ok(at)
    }

    /// Reads the next packet; returns it with the instant its last byte was read.
    /// Cancel-safe: a partial packet stays buffered for the next call.
    pub async fn recv(&mut self) -> std::io::Result<(Incoming, Instant)> {
        loop {
            let decoded = match self.version {
                ProtocolVersion::V311 => {
                    match v4::Packet::read(&mut self.read_buf, MAX_PACKET_SIZE as usize) {
                        Ok(packet) => Some(from_v4(packet)),
                        Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => None,
                        Err(e) => return Err(std::io::Error::other(format!("{e:?}"))),
                    }
                }
                ProtocolVersion::V5 => {
                    match v5::Packet::read(&mut self.read_buf, Some(MAX_PACKET_SIZE)) {
                        Ok(packet) => Some(from_v5(packet)),
                        Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => None,
                        Err(e) => return Err(std::io::Error::other(format!("{e:?}"))),
                    }
                }
            };
            if let Some(incoming) = decoded {
                return Ok((incoming, Instant::now()));
            }
            self.fill().await?;
        }
    }

    /// Reads more bytes into the buffer (cancel-safe: `read_buf` appends only what was read).
    async fn fill(&mut self) -> std::io::Result<()> {
        self.read_buf.reserve(4096);
        let n = self.stream.read_buf(&mut self.read_buf).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the broker closed the connection",
            ));
        }
        Ok(())
    }

    /// The transport and whatever was read past the last packet returned, for a caller that
    /// takes over the byte stream (`bench`'s hot path).
    pub fn into_parts(self) -> (Box<dyn Stream>, BytesMut) {
        (self.stream, self.read_buf)
    }

    /// Sends DISCONNECT and closes the stream (errors ignored: we are leaving).
    pub async fn close(mut self) {
        let _ = self.send(Outgoing::Disconnect).await;
        let _ = self.stream.shutdown().await;
    }
}

fn v4_packet(packet: Outgoing) -> v4::Packet {
    match packet {
        Outgoing::PingReq => v4::Packet::PingReq,
        Outgoing::Subscribe { pkid, filter, qos } => {
            let mut subscribe = v4::Subscribe::new(filter, v4_qos(qos));
            subscribe.pkid = pkid;
            v4::Packet::Subscribe(subscribe)
        }
        Outgoing::Publish {
            pkid,
            topic,
            qos,
            payload,
        } => {
            let mut publish = v4::Publish::from_bytes(topic, v4_qos(qos), payload);
            publish.pkid = pkid;
            v4::Packet::Publish(publish)
        }
        Outgoing::PubAck(pkid) => v4::Packet::PubAck(v4::PubAck::new(pkid)),
        Outgoing::PubRec(pkid) => v4::Packet::PubRec(v4::PubRec::new(pkid)),
        Outgoing::PubRel(pkid) => v4::Packet::PubRel(v4::PubRel::new(pkid)),
        Outgoing::PubComp(pkid) => v4::Packet::PubComp(v4::PubComp::new(pkid)),
        Outgoing::Disconnect => v4::Packet::Disconnect,
    }
}

fn v5_packet(packet: Outgoing) -> v5::Packet {
    match packet {
        Outgoing::PingReq => v5::Packet::PingReq(v5::PingReq),
        Outgoing::Subscribe { pkid, filter, qos } => {
            let mut subscribe = v5::Subscribe::new(v5::Filter::new(filter, v5_qos(qos)), None);
            subscribe.pkid = pkid;
            v5::Packet::Subscribe(subscribe)
        }
        Outgoing::Publish {
            pkid,
            topic,
            qos,
            payload,
        } => {
            let mut publish = v5::Publish::new(topic, v5_qos(qos), payload, None);
            publish.pkid = pkid;
            v5::Packet::Publish(publish)
        }
        Outgoing::PubAck(pkid) => v5::Packet::PubAck(v5::PubAck::new(pkid, None)),
        Outgoing::PubRec(pkid) => v5::Packet::PubRec(v5::PubRec::new(pkid, None)),
        Outgoing::PubRel(pkid) => v5::Packet::PubRel(v5::PubRel::new(pkid, None)),
        Outgoing::PubComp(pkid) => v5::Packet::PubComp(v5::PubComp::new(pkid, None)),
        Outgoing::Disconnect => v5::Packet::Disconnect(v5::Disconnect::new(
            v5::DisconnectReasonCode::NormalDisconnection,
        )),
    }
}

fn from_v4(packet: v4::Packet) -> Incoming {
    match packet {
        v4::Packet::PingResp => Incoming::PingResp,
        v4::Packet::Publish(p) => Incoming::Publish {
            pkid: p.pkid,
            qos: p.qos as u8,
            payload: p.payload,
        },
        v4::Packet::PubAck(a) => Incoming::PubAck {
            pkid: a.pkid,
            reason: 0,
        },
        v4::Packet::PubRec(r) => Incoming::PubRec {
            pkid: r.pkid,
            reason: 0,
        },
        v4::Packet::PubRel(r) => Incoming::PubRel(r.pkid),
        v4::Packet::PubComp(c) => Incoming::PubComp(c.pkid),
        v4::Packet::SubAck(s) => Incoming::SubAck {
            codes: s
                .return_codes
                .iter()
                .map(|c| match c {
                    v4::SubscribeReasonCode::Success(qos) => *qos as u8,
                    v4::SubscribeReasonCode::Failure => 0x80,
                })
                .collect(),
        },
        _ => Incoming::Other,
    }
}

fn from_v5(packet: v5::Packet) -> Incoming {
    match packet {
        v5::Packet::PingResp(_) => Incoming::PingResp,
        v5::Packet::Publish(p) => Incoming::Publish {
            pkid: p.pkid,
            qos: p.qos as u8,
            payload: p.payload,
        },
        v5::Packet::PubAck(a) => Incoming::PubAck {
            pkid: a.pkid,
            reason: codes::puback(a.reason),
        },
        v5::Packet::PubRec(r) => Incoming::PubRec {
            pkid: r.pkid,
            reason: codes::pubrec(r.reason),
        },
        v5::Packet::PubRel(r) => Incoming::PubRel(r.pkid),
        v5::Packet::PubComp(c) => Incoming::PubComp(c.pkid),
        v5::Packet::SubAck(s) => Incoming::SubAck {
            codes: s
                .return_codes
                .iter()
                .map(|c| match c {
                    v5::SubscribeReasonCode::Success(qos) => *qos as u8,
                    _ => 0x80,
                })
                .collect(),
        },
        v5::Packet::Disconnect(d) => Incoming::Disconnect {
            reason: d.reason_code as u8,
        },
        _ => Incoming::Other,
    }
}

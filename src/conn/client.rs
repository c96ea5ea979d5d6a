//! One client type over rumqttc's MQTT 3.1.1 and MQTT 5 clients: [`connect`] opens the
//! connection and waits for CONNACK under `--connect-timeout`; [`Events`] yields normalized
//! [`Event`]s; every rumqttc error becomes a [`Failure`] with the right exit code.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{
    ConnAckProperties, Filter as V5Filter, LastWill as V5LastWill, PublishProperties,
    RetainForwardRule, SubscribeProperties,
};
use rumqttc::v5::mqttbytes::QoS as V5QoS;
use rumqttc::{Proxy, ProxyAuth, ProxyType, TlsConfiguration, Transport};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

use super::codes;
use super::{ConnectOptions, Endpoint, ProtocolVersion, ProxyKind, MAX_PACKET_SIZE};
use crate::error::Failure;

/// How many requests may wait between the command and the event loop; enough to keep the
/// socket busy, small enough that a slow broker pushes back on the input quickly.
const REQUEST_CHANNEL_CAPACITY: usize = 64;

/// The sending half: publish, subscribe, disconnect. Cheap to clone.
#[derive(Clone)]
pub enum Client {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// One SUBSCRIBE: every filter at one QoS, with the MQTT 5 options (ignored on 3.1.1).
#[derive(Debug, Clone, Default)]
pub struct Subscription {
    pub filters: Vec<String>,
    pub qos: u8,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// 0 send retained messages, 1 only for a new subscription, 2 never.
    pub retain_handling: u8,
    pub properties: Option<SubscribeProperties>,
}

/// The receiving half: the rumqttc event loop, polled by the command.
pub enum Events {
    V4 {
        eventloop: Box<rumqttc::EventLoop>,
        debug: bool,
    },
    V5 {
        eventloop: Box<rumqttc::v5::EventLoop>,
        debug: bool,
    },
}

/// What the broker said in a successful CONNACK.
#[derive(Debug, Clone, Default)]
pub struct ConnAckInfo {
    pub session_present: bool,
    /// MQTT 5 only.
    pub properties: Option<ConnAckProperties>,
}

impl ConnAckInfo {
    /// The broker's maximum packet size, if it announced one.
    pub fn max_packet_size(&self) -> Option<u32> {
        self.properties.as_ref().and_then(|p| p.max_packet_size)
    }
}

/// A PUBLISH received from the broker.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: Bytes,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    pub pkid: u16,
    pub properties: Option<PublishProperties>,
}

/// One thing that happened on the connection.
#[derive(Debug, Clone)]
pub enum Event {
    /// Connected (again): only seen after a reconnect; the first CONNACK is returned by [`connect`].
    ConnAck(ConnAckInfo),
    Publish(Message),
    /// QoS 1 done. `reason` is 0 on MQTT 3.1.1.
    PubAck {
        pkid: u16,
        reason: u8,
        reason_string: Option<String>,
    },
    /// QoS 2 step one; a reason >= 0x80 ends the exchange.
    PubRec {
        pkid: u16,
        reason: u8,
        reason_string: Option<String>,
    },
    /// The broker released an incoming QoS 2 message (the next step is our PUBCOMP).
    PubRel {
        pkid: u16,
    },
    /// QoS 2 done.
    PubComp {
        pkid: u16,
        reason: u8,
    },
    SubAck {
        pkid: u16,
        codes: Vec<u8>,
    },
    UnsubAck {
        pkid: u16,
    },
    PingResp,
    /// MQTT 5 server DISCONNECT.
    ServerDisconnect {
        reason: u8,
        reason_string: Option<String>,
    },
    /// A packet we wrote to the socket.
    Sent(Sent),
    /// Anything else (incoming PUBREL, ...).
    Other,
}

/// Packets written by the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// PUBLISH with its packet id (0 for QoS 0).
    Publish(u16),
    Subscribe(u16),
    Unsubscribe(u16),
    PubRel(u16),
    PingReq,
    Disconnect,
    /// The event loop holds back requests until this packet id is acknowledged.
    AwaitAck(u16),
    Other,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::ConnAck(info) => write!(
                f,
                "received CONNACK (session present: {})",
                info.session_present
            ),
            Event::Publish(m) => write!(
                f,
                "received PUBLISH (d{}, q{}, r{}, m{}, '{}', ... ({} bytes))",
                u8::from(m.dup),
                m.qos,
                u8::from(m.retain),
                m.pkid,
                String::from_utf8_lossy(&m.topic),
                m.payload.len()
            ),
            Event::PubAck { pkid, reason, .. } => {
                write!(f, "received PUBACK (m{pkid}, rc{reason})")
            }
            Event::PubRec { pkid, reason, .. } => {
                write!(f, "received PUBREC (m{pkid}, rc{reason})")
            }
            Event::PubRel { pkid } => write!(f, "received PUBREL (m{pkid})"),
            Event::PubComp { pkid, reason } => write!(f, "received PUBCOMP (m{pkid}, rc{reason})"),
            Event::SubAck { pkid, codes } => {
                write!(f, "received SUBACK (m{pkid}, codes {codes:?})")
            }
            Event::UnsubAck { pkid } => write!(f, "received UNSUBACK (m{pkid})"),
            Event::PingResp => f.write_str("received PINGRESP"),
            Event::ServerDisconnect { reason, .. } => write!(f, "received DISCONNECT (rc{reason})"),
            Event::Sent(Sent::Publish(pkid)) => write!(f, "sending PUBLISH (m{pkid})"),
            Event::Sent(Sent::Subscribe(pkid)) => write!(f, "sending SUBSCRIBE (m{pkid})"),
            Event::Sent(Sent::Unsubscribe(pkid)) => write!(f, "sending UNSUBSCRIBE (m{pkid})"),
            Event::Sent(Sent::PubRel(pkid)) => write!(f, "sending PUBREL (m{pkid})"),
            Event::Sent(Sent::PingReq) => f.write_str("sending PINGREQ"),
            Event::Sent(Sent::Disconnect) => f.write_str("sending DISCONNECT"),
            Event::Sent(Sent::AwaitAck(pkid)) => write!(f, "waiting for the ack of m{pkid}"),
            Event::Sent(Sent::Other) | Event::Other => f.write_str("other packet"),
        }
    }
}

/// Connects and waits for a successful CONNACK, all within `--connect-timeout`.
pub async fn connect(opts: &ConnectOptions) -> Result<(Client, Events, ConnAckInfo), Failure> {
    if opts.debug {
        eprintln!("mqtk: debug: {}", describe_connect(opts));
    }
    let (client, mut events) = match opts.version {
        ProtocolVersion::V311 => {
            let (client, eventloop) =
                rumqttc::AsyncClient::new(v4_options(opts)?, REQUEST_CHANNEL_CAPACITY);
            let mut eventloop = Box::new(eventloop);
            eventloop.set_network_options(network_options(opts));
            (
                Client::V4(client),
                Events::V4 {
                    eventloop,
                    debug: opts.debug,
                },
            )
        }
        ProtocolVersion::V5 => {
            let (client, eventloop) =
                rumqttc::v5::AsyncClient::new(v5_options(opts)?, REQUEST_CHANNEL_CAPACITY);
            (
                Client::V5(client),
                Events::V5 {
                    eventloop: Box::new(eventloop),
                    debug: opts.debug,
                },
            )
        }
    };
    let first = tokio::time::timeout(opts.connect_timeout, events.poll_raw()).await;
    let connack = match first {
        Err(_) => {
            return Err(Failure::ConnectTimeout(format!(
                "no CONNACK from {} within {} (--connect-timeout): is it an MQTT broker, and reachable?",
                opts.broker_display(),
                humantime::format_duration(opts.connect_timeout)
            )))
        }
        Ok(Err(fault)) => return Err(fault.into_failure(opts, false)),
        Ok(Ok(Event::ConnAck(info))) => info,
        Ok(Ok(other)) => {
            return Err(Failure::Unreachable(format!(
                "{} answered CONNECT with something else: {other}",
                opts.broker_display()
            )))
        }
    };
    if opts.debug {
        eprintln!(
            "mqtk: debug: received CONNACK (session present: {})",
            connack.session_present
        );
    }
    Ok((client, events, connack))
}

fn describe_connect(opts: &ConnectOptions) -> String {
    format!(
        "sending CONNECT to {} (MQTT {}, client id '{}', clean {}, keepalive {}s, user {}, password {}{})",
        opts.broker_display(),
        if opts.version == ProtocolVersion::V5 { "5" } else { "3.1.1" },
        opts.client_id,
        opts.clean_session,
        opts.keepalive.as_secs(),
        opts.username.as_deref().unwrap_or("none"),
        if opts.password.is_some() { "given (hidden)" } else { "none" },
        opts.will.as_ref().map(|w| format!(", will on '{}'", w.topic)).unwrap_or_default()
    )
}

/// rumqttc's own timeouts sit above ours so ours fire first with a clear message; they
/// also bound every flush, so never below 10 s.
fn rumqttc_timeout_secs(opts: &ConnectOptions) -> u64 {
    opts.connect_timeout.as_secs().saturating_add(2).max(10)
}

fn network_options(opts: &ConnectOptions) -> rumqttc::NetworkOptions {
    // NetworkOptions::new(), never default(): default() has a zero timeout.
    let mut network = rumqttc::NetworkOptions::new();
    network.set_connection_timeout(rumqttc_timeout_secs(opts));
    // Small writes (CONNECT, one PUBLISH, DISCONNECT) must not wait for delayed ACKs.
    network.set_tcp_nodelay(true);
    network
}

/// (broker_addr, port, transport) in rumqttc's terms.
fn transport(opts: &ConnectOptions) -> (String, u16, Transport) {
    let tls = opts.tls.clone().map(TlsConfiguration::Rustls);
    match (&opts.endpoint, tls) {
        (Endpoint::Tcp { host, port }, None) if host.contains(':') => {
            (format!("[{host}]"), *port, Transport::Tcp)
        }
        (Endpoint::Tcp { host, port }, None) => (host.clone(), *port, Transport::Tcp),
        (Endpoint::Tcp { host, port }, Some(tls)) => (host.clone(), *port, Transport::Tls(tls)),
        // rumqttc takes the whole URL as the address for WebSockets and ignores the port.
        (Endpoint::WebSocket { url, port, .. }, None) => (url.clone(), *port, Transport::Ws),
        (Endpoint::WebSocket { url, port, .. }, Some(tls)) => {
            (url.clone(), *port, Transport::Wss(tls))
        }
        (Endpoint::Unix(path), _) => (path.display().to_string(), 0, Transport::Unix),
    }
}

/// rumqttc's proxy: HTTP CONNECT only, so a SOCKS5 proxy is refused here (`ping` and
/// `bench` open their own transport and do speak SOCKS5).
fn proxy(opts: &ConnectOptions) -> Result<Option<Proxy>, Failure> {
    let Some(p) = &opts.proxy else {
        return Ok(None);
    };
    if let ProxyKind::Socks5 { .. } = p.kind {
        return Err(Failure::Usage(
            "--proxy: pub and sub cannot use a SOCKS5 proxy yet (ping and bench can): use an http:// proxy".into(),
        ));
    }
    Ok(Some(Proxy {
        ty: ProxyType::Http,
        auth: match &p.login {
            Some((user, pass)) => ProxyAuth::Basic {
                username: user.clone(),
                password: pass.0.clone(),
            },
            None => ProxyAuth::None,
        },
        addr: p.host.clone(),
        port: p.port,
    }))
}

/// The `--ws-header` pairs as HTTP header names and values (validated with the options).
pub(crate) fn ws_headers(opts: &ConnectOptions) -> Vec<(http::HeaderName, http::HeaderValue)> {
    opts.ws_headers
        .iter()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v.parse().ok()?)))
        .collect()
}

/// The `--ws-header` request modifier, if any headers were given.
fn header_modifier(
    opts: &ConnectOptions,
) -> Option<
    impl Fn(http::Request<()>) -> std::future::Ready<http::Request<()>> + Send + Sync + 'static,
> {
    if opts.ws_headers.is_empty() {
        return None;
    }
    let headers = ws_headers(opts);
    Some(move |mut request: http::Request<()>| {
        for (name, value) in &headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        std::future::ready(request)
    })
}

/// The setters that rumqttc's 3.1.1 and 5 options spell alike (different types, so a macro).
macro_rules! apply_shared_settings {
    ($o:ident, $opts:ident) => {
        if let Some(user) = &$opts.username {
            let password = $opts.password.as_ref().map(|p| p.0.clone());
            $o.set_credentials(user.clone(), password.unwrap_or_default());
        }
        if let Some(proxy) = proxy($opts)? {
            $o.set_proxy(proxy);
        }
        if let Some(modifier) = header_modifier($opts) {
            $o.set_request_modifier(modifier);
        }
    };
}

fn v4_options(opts: &ConnectOptions) -> Result<rumqttc::MqttOptions, Failure> {
    let (addr, port, transport) = transport(opts);
    let mut o = rumqttc::MqttOptions::new(opts.client_id.clone(), addr, port);
    o.set_transport(transport);
    // Validated in ConnectOptions: keepalive is 0 or >= 1 s, and clean session off has an id.
    o.set_keep_alive(opts.keepalive);
    o.set_clean_session(opts.clean_session);
    o.set_max_packet_size(MAX_PACKET_SIZE as usize, MAX_PACKET_SIZE as usize);
    o.set_inflight(opts.max_inflight.max(1));
    o.set_manual_acks(opts.manual_acks);
    if let Some(will) = &opts.will {
        o.set_last_will(rumqttc::LastWill::new(
            will.topic.clone(),
            will.payload.clone(),
            v4_qos(will.qos),
            will.retain,
        ));
    }
    apply_shared_settings!(o, opts);
    Ok(o)
}

fn v5_options(opts: &ConnectOptions) -> Result<rumqttc::v5::MqttOptions, Failure> {
    let (addr, port, transport) = transport(opts);
    let mut o = rumqttc::v5::MqttOptions::new(opts.client_id.clone(), addr, port);
    o.set_transport(transport);
    o.set_keep_alive(opts.keepalive);
    o.set_clean_start(opts.clean_session);
    o.set_connection_timeout(rumqttc_timeout_secs(opts));
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(rumqttc_timeout_secs(opts));
    o.set_network_options(network);
    if let Some(props) = &opts.properties.connect {
        o.set_connect_properties(props.clone());
    }
    if o.max_packet_size().is_none() {
        o.set_max_packet_size(Some(MAX_PACKET_SIZE));
    }
    if let Some(expiry) = opts.session_expiry {
        o.set_session_expiry_interval(Some(expiry));
    }
    // Without a cap rumqttc preallocates 65536 in-flight slots (13.9 MiB) per client.
    o.set_outgoing_inflight_upper_limit(opts.max_inflight.max(1));
    o.set_manual_acks(opts.manual_acks);
    if let Some(will) = &opts.will {
        o.set_last_will(V5LastWill::new(
            will.topic.clone(),
            will.payload.clone(),
            v5_qos(will.qos),
            will.retain,
            opts.properties.will.clone(),
        ));
    }
    apply_shared_settings!(o, opts);
    Ok(o)
}

pub(crate) fn v4_qos(qos: u8) -> rumqttc::QoS {
    match qos {
        0 => rumqttc::QoS::AtMostOnce,
        1 => rumqttc::QoS::AtLeastOnce,
        _ => rumqttc::QoS::ExactlyOnce,
    }
}

pub(crate) fn v5_qos(qos: u8) -> V5QoS {
    match qos {
        0 => V5QoS::AtMostOnce,
        1 => V5QoS::AtLeastOnce,
        _ => V5QoS::ExactlyOnce,
    }
}

impl Client {
    /// Queues a PUBLISH; waits while the request channel is full (backpressure).
    /// The topic must already be valid (see `conn::validate_topic`).
    pub async fn publish(
        &self,
        topic: &str,
        qos: u8,
        retain: bool,
        payload: Bytes,
        properties: Option<PublishProperties>,
    ) -> Result<(), Failure> {
        let sent = match self {
            Client::V4(c) => c
                .publish_bytes(topic, v4_qos(qos), retain, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => match properties {
                Some(props) => {
                    c.publish_bytes_with_properties(topic, v5_qos(qos), retain, payload, props)
                        .await
                }
                None => c.publish_bytes(topic, v5_qos(qos), retain, payload).await,
            }
            .map_err(|e| e.to_string()),
        };
        sent.map_err(|e| Failure::ConnectionLost(format!("the connection is gone: {e}")))
    }

    /// Queues one SUBSCRIBE carrying every filter (filters must be valid: see
    /// `conn::validate_filter`). Never waits: false means the request channel is full.
    pub fn try_subscribe(&self, subscription: &Subscription) -> bool {
        match self {
            Client::V4(c) => c
                .try_subscribe_many(subscription.filters.iter().map(|path| {
                    rumqttc::SubscribeFilter::new(path.clone(), v4_qos(subscription.qos))
                }))
                .is_ok(),
            Client::V5(c) => {
                let filters = subscription.filters.iter().map(|path| V5Filter {
                    path: path.clone(),
                    qos: v5_qos(subscription.qos),
                    nolocal: subscription.no_local,
                    preserve_retain: subscription.retain_as_published,
                    retain_forward_rule: match subscription.retain_handling {
                        0 => RetainForwardRule::OnEverySubscribe,
                        1 => RetainForwardRule::OnNewSubscribe,
                        _ => RetainForwardRule::Never,
                    },
                });
                match &subscription.properties {
                    Some(props) => c.try_subscribe_many_with_properties(filters, props.clone()),
                    None => c.try_subscribe_many(filters),
                }
                .is_ok()
            }
        }
    }

    /// Queues an UNSUBSCRIBE for one filter. Never waits: false means the channel is full.
    pub fn try_unsubscribe(&self, filter: &str) -> bool {
        match self {
            Client::V4(c) => c.try_unsubscribe(filter).is_ok(),
            Client::V5(c) => c.try_unsubscribe(filter).is_ok(),
        }
    }

    /// Queues a PUBLISH without properties. Never waits: false means the channel is full.
    pub fn try_publish(&self, topic: &str, qos: u8, retain: bool, payload: Bytes) -> bool {
        match self {
            Client::V4(c) => c.try_publish(topic, v4_qos(qos), retain, payload).is_ok(),
            Client::V5(c) => c.try_publish(topic, v5_qos(qos), retain, payload).is_ok(),
        }
    }

    /// Acknowledges an incoming QoS 1/2 message (with `manual_acks`): PUBACK or PUBREC.
    /// Never waits: false means the request channel is full, so try again later.
    pub fn try_ack(&self, qos: u8, pkid: u16) -> bool {
        if qos == 0 {
            return true;
        }
        let sent = match self {
            Client::V4(c) => {
                let mut publish = rumqttc::Publish::new("", v4_qos(qos), Vec::new());
                publish.pkid = pkid;
                c.try_ack(&publish).map_err(drop)
            }
            Client::V5(c) => {
                let mut publish =
                    rumqttc::v5::mqttbytes::v5::Publish::new("", v5_qos(qos), Vec::new(), None);
                publish.pkid = pkid;
                c.try_ack(&publish).map_err(drop)
            }
        };
        sent.is_ok()
    }

    /// Queues a DISCONNECT behind everything queued before it.
    pub async fn disconnect(&self) {
        // An error only means the event loop is gone already.
        let _ = match self {
            Client::V4(c) => c.disconnect().await.map_err(drop),
            Client::V5(c) => c.disconnect().await.map_err(drop),
        };
    }
}

/// An error from the event loop, kept typed until it is classified.
pub enum Fault {
    V4(rumqttc::ConnectionError),
    V5(rumqttc::v5::ConnectionError),
}

impl Events {
    /// The next event. After an error the connection is down; polling again reconnects.
    pub async fn poll(&mut self) -> Result<Event, Fault> {
        let event = self.poll_raw().await;
        if let (Ok(event), true) = (&event, self.debug()) {
            if !matches!(event, Event::Other | Event::Sent(Sent::Other)) {
                eprintln!("mqtk: debug: {event}");
            }
        }
        event
    }

    fn debug(&self) -> bool {
        match self {
            Events::V4 { debug, .. } | Events::V5 { debug, .. } => *debug,
        }
    }

    /// Makes rumqttc accept a PUBREL for each of these packet ids. rumqttc forgets which
    /// QoS 2 messages await their PUBREL when a connection drops, and treats the broker's
    /// resent PUBREL as a protocol error (closing the connection, again on every
    /// reconnect). Marking them as received QoS 2 publishes restores that state.
    pub fn expect_pubrel(&mut self, pkids: impl IntoIterator<Item = u16>) {
        for pkid in pkids {
            match self {
                Events::V4 { eventloop, .. } => {
                    let mut publish =
                        rumqttc::Publish::new("-", rumqttc::QoS::ExactlyOnce, Vec::new());
                    publish.pkid = pkid;
                    let state = &mut eventloop.state;
                    if state
                        .handle_incoming_packet(rumqttc::Packet::Publish(publish))
                        .is_ok()
                    {
                        state.events.pop_back();
                    }
                }
                Events::V5 { eventloop, .. } => {
                    let mut publish = rumqttc::v5::mqttbytes::v5::Publish::new(
                        "-",
                        V5QoS::ExactlyOnce,
                        Vec::new(),
                        None,
                    );
                    publish.pkid = pkid;
                    let state = &mut eventloop.state;
                    if state
                        .handle_incoming_packet(rumqttc::v5::mqttbytes::v5::Packet::Publish(
                            publish,
                        ))
                        .is_ok()
                    {
                        state.events.pop_back();
                    }
                }
            }
        }
    }

    /// Forgets acknowledgements queued for a connection that is gone: the broker resends
    /// what was not acknowledged, and an ack of the old connection's packet id would be
    /// answered with a PUBREL rumqttc does not expect.
    pub fn drop_stale_acks(&mut self) {
        match self {
            Events::V4 { eventloop, .. } => eventloop.pending.retain(|r| {
                !matches!(r, rumqttc::Request::PubAck(_) | rumqttc::Request::PubRec(_))
            }),
            Events::V5 { eventloop, .. } => eventloop.pending.retain(|r| {
                !matches!(
                    r,
                    rumqttc::v5::Request::PubAck(_) | rumqttc::v5::Request::PubRec(_)
                )
            }),
        }
    }

    /// Events rumqttc read but has not handed out yet.
    fn take_buffered(&mut self) -> Vec<Event> {
        match self {
            Events::V4 { eventloop, .. } => eventloop.state.events.drain(..).map(from_v4).collect(),
            Events::V5 { eventloop, .. } => eventloop.state.events.drain(..).map(from_v5).collect(),
        }
    }

    async fn poll_raw(&mut self) -> Result<Event, Fault> {
        match self {
            Events::V4 { eventloop, .. } => eventloop.poll().await.map(from_v4).map_err(Fault::V4),
            Events::V5 { eventloop, .. } => eventloop.poll().await.map(from_v5).map_err(Fault::V5),
        }
    }

    /// Moves the event loop onto its own task and returns a channel of its events. The loop
    /// is never cancelled mid-poll (rumqttc can drop a packet when a poll is cancelled while
    /// writing), stops after the first error, and hands itself back through the join handle
    /// so a command may reconnect by spawning it again.
    pub fn spawn(
        mut self,
        capacity: usize,
    ) -> (mpsc::Receiver<Result<Event, Fault>>, JoinHandle<Events>) {
        let (tx, rx) = mpsc::channel(capacity);
        let handle = tokio::spawn(async move {
            loop {
                let result = self.poll().await;
                if result.is_err() {
                    // Packets read just before the error (say a PUBACK with a rejection,
                    // then the broker's close) are still buffered: deliver them first, and
                    // drop them from rumqttc so a reconnect does not replay them.
                    for event in self.take_buffered() {
                        if tx.send(Ok(event)).await.is_err() {
                            return self;
                        }
                    }
                    let _ = tx.send(result).await;
                    break;
                }
                if tx.send(result).await.is_err() {
                    break;
                }
            }
            self
        });
        (rx, handle)
    }
}

/// Ends the session: queues DISCONNECT behind everything already queued, then reads
/// events until the broker closes the connection (so unread acks do not make the kernel
/// reset it and the broker drop our tail), at most `limit`.
pub async fn close(
    client: &Client,
    events: &mut mpsc::Receiver<Result<Event, Fault>>,
    limit: Duration,
) {
    let _ = tokio::time::timeout(limit, async {
        // The request channel may be full while the event loop waits for us to read
        // events: keep reading while the DISCONNECT waits for room.
        let disconnect = client.disconnect();
        tokio::pin!(disconnect);
        let mut queued = false;
        loop {
            tokio::select! {
                _ = &mut disconnect, if !queued => queued = true,
                event = events.recv() => if !matches!(event, Some(Ok(_))) { break },
            }
        }
    })
    .await;
}

fn sent(outgoing: rumqttc::Outgoing) -> Sent {
    use rumqttc::Outgoing as O;
    match outgoing {
        O::Publish(pkid) => Sent::Publish(pkid),
        O::Subscribe(pkid) => Sent::Subscribe(pkid),
        O::Unsubscribe(pkid) => Sent::Unsubscribe(pkid),
        O::PubRel(pkid) => Sent::PubRel(pkid),
        O::PingReq => Sent::PingReq,
        O::Disconnect => Sent::Disconnect,
        O::AwaitAck(pkid) => Sent::AwaitAck(pkid),
        _ => Sent::Other,
    }
}

fn from_v4(event: rumqttc::Event) -> Event {
    use rumqttc::Packet as P;
    match event {
        rumqttc::Event::Outgoing(outgoing) => Event::Sent(sent(outgoing)),
        rumqttc::Event::Incoming(packet) => match packet {
            P::ConnAck(ack) => Event::ConnAck(ConnAckInfo {
                session_present: ack.session_present,
                properties: None,
            }),
            P::Publish(p) => Event::Publish(Message {
                topic: Bytes::from(p.topic.into_bytes()),
                payload: p.payload,
                qos: p.qos as u8,
                retain: p.retain,
                dup: p.dup,
                pkid: p.pkid,
                properties: None,
            }),
            P::PubAck(ack) => Event::PubAck {
                pkid: ack.pkid,
                reason: 0,
                reason_string: None,
            },
            P::PubRec(rec) => Event::PubRec {
                pkid: rec.pkid,
                reason: 0,
                reason_string: None,
            },
            P::PubRel(rel) => Event::PubRel { pkid: rel.pkid },
            P::PubComp(comp) => Event::PubComp {
                pkid: comp.pkid,
                reason: 0,
            },
            P::SubAck(ack) => Event::SubAck {
                pkid: ack.pkid,
                codes: ack
                    .return_codes
                    .iter()
                    .map(|c| match c {
                        rumqttc::SubscribeReasonCode::Success(qos) => *qos as u8,
                        rumqttc::SubscribeReasonCode::Failure => 0x80,
                    })
                    .collect(),
            },
            P::UnsubAck(ack) => Event::UnsubAck { pkid: ack.pkid },
            P::PingResp => Event::PingResp,
            _ => Event::Other,
        },
    }
}

fn from_v5(event: rumqttc::v5::Event) -> Event {
    use rumqttc::v5::mqttbytes::v5::{Packet as P, SubscribeReasonCode as S};
    match event {
        rumqttc::v5::Event::Outgoing(outgoing) => Event::Sent(sent(outgoing)),
        rumqttc::v5::Event::Incoming(packet) => match packet {
            P::ConnAck(ack) => Event::ConnAck(ConnAckInfo {
                session_present: ack.session_present,
                properties: ack.properties,
            }),
            P::Publish(p) => Event::Publish(Message {
                topic: p.topic,
                payload: p.payload,
                qos: p.qos as u8,
                retain: p.retain,
                dup: p.dup,
                pkid: p.pkid,
                properties: p.properties,
            }),
            P::PubAck(ack) => Event::PubAck {
                pkid: ack.pkid,
                reason: codes::puback(ack.reason),
                reason_string: ack.properties.and_then(|p| p.reason_string),
            },
            P::PubRec(rec) => Event::PubRec {
                pkid: rec.pkid,
                reason: codes::pubrec(rec.reason),
                reason_string: rec.properties.and_then(|p| p.reason_string),
            },
            P::PubRel(rel) => Event::PubRel { pkid: rel.pkid },
            P::PubComp(comp) => Event::PubComp {
                pkid: comp.pkid,
                reason: codes::pubcomp(comp.reason),
            },
            P::SubAck(ack) => Event::SubAck {
                pkid: ack.pkid,
                codes: ack
                    .return_codes
                    .iter()
                    .map(|c| match c {
                        S::Success(qos) => *qos as u8,
                        S::Failure | S::Unspecified => 0x80,
                        S::ImplementationSpecific => 0x83,
                        S::NotAuthorized => 0x87,
                        S::TopicFilterInvalid => 0x8F,
                        S::PkidInUse => 0x91,
                        S::QuotaExceeded => 0x97,
                        S::SharedSubscriptionsNotSupported => 0x9E,
                        S::SubscriptionIdNotSupported => 0xA1,
                        S::WildcardSubscriptionsNotSupported => 0xA2,
                    })
                    .collect(),
            },
            P::UnsubAck(ack) => Event::UnsubAck { pkid: ack.pkid },
            P::PingResp(_) => Event::PingResp,
            P::Disconnect(d) => Event::ServerDisconnect {
                reason: d.reason_code as u8,
                reason_string: d.properties.and_then(|p| p.reason_string),
            },
            _ => Event::Other,
        },
    }
}

impl Fault {
    /// The packet id of an ack the broker sent for a packet rumqttc does not know, such as
    /// a PUBREL left over from an earlier connection of the same session.
    pub fn unsolicited_pkid(&self) -> Option<u16> {
        match self {
            Fault::V4(rumqttc::ConnectionError::MqttState(rumqttc::StateError::Unsolicited(
                pkid,
            ))) => Some(*pkid),
            Fault::V5(rumqttc::v5::ConnectionError::MqttState(
                rumqttc::v5::StateError::Unsolicited(pkid),
            )) => Some(*pkid),
            _ => None,
        }
    }

    /// Classifies the error. `connected` says whether a CONNACK had been received.
    pub fn into_failure(self, opts: &ConnectOptions, connected: bool) -> Failure {
        let broker = opts.broker_display();
        let refused = match &self {
            Fault::V4(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                Some(codes::v4_connack(*code))
            }
            Fault::V5(rumqttc::v5::ConnectionError::ConnectionRefused(code)) => {
                Some(codes::v5_connack(*code))
            }
            _ => None,
        };
        if let Some(code) = refused {
            return connack_refusal(code);
        }
        let timed_out = matches!(
            &self,
            Fault::V4(rumqttc::ConnectionError::NetworkTimeout)
                | Fault::V5(rumqttc::v5::ConnectionError::Timeout(_))
        );
        let error: &(dyn std::error::Error + 'static) = match &self {
            Fault::V4(e) => e,
            Fault::V5(e) => e,
        };
        if let Some(tls) = find_rustls_error(error) {
            return Failure::Tls(tls_message(tls, &broker));
        }
        let text = chain_text(error);
        if connected {
            return Failure::ConnectionLost(format!("connection to {broker} lost: {text}"));
        }
        if timed_out {
            return Failure::ConnectTimeout(format!(
                "no CONNACK from {broker} within {} (--connect-timeout)",
                humantime::format_duration(opts.connect_timeout)
            ));
        }
        if let Some(io) = find_io_error(error) {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return tcp_refused(&broker);
            }
            if io.to_string().contains("lookup address") {
                let host = match &opts.endpoint {
                    Endpoint::Tcp { host, .. } | Endpoint::WebSocket { host, .. } => host.clone(),
                    Endpoint::Unix(_) => broker.clone(),
                };
                return dns_failed(&host);
            }
        }
        if text.contains("DNS name") {
            return Failure::Tls(format!("{broker}: the host is not a valid TLS server name"));
        }
        Failure::Unreachable(format!("cannot connect to {broker}: {text}"))
    }
}

/// The failure for a CONNACK refusal code, with a hint when credentials are the likely cause.
pub(crate) fn connack_refusal(code: u8) -> Failure {
    let mut reason = codes::connack_text(code).to_string();
    if matches!(code, 4 | 5 | 0x86 | 0x87) {
        reason.push_str(" (check -u/--username and the password)");
    }
    Failure::Refused { code, reason }
}

/// Nothing listens at the broker's address.
pub(crate) fn tcp_refused(broker: &str) -> Failure {
    Failure::Unreachable(format!(
        "cannot connect to {broker}: connection refused (is the broker running and listening there?)"
    ))
}

/// The broker's host name does not resolve.
pub(crate) fn dns_failed(host: &str) -> Failure {
    Failure::Dns(format!("cannot resolve host '{host}': check -h/--host"))
}

/// The error and its sources on one line, without repeats.
fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Walks the chain, looking inside `io::Error`s too (their `source()` skips the inner error).
fn walk<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(found) = walk::<T>(inner) {
                    return Some(found);
                }
            }
        }
        next = e.source();
    }
    None
}

pub(crate) fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    walk::<rustls::Error>(error)
}

fn find_io_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    walk::<std::io::Error>(error)
}

pub(crate) fn tls_message(error: &rustls::Error, broker: &str) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match error {
        E::InvalidCertificate(C::UnknownIssuer) => format!(
            "TLS: {broker}'s certificate is not signed by a trusted CA: give the right --cafile/--capath"
        ),
        E::InvalidCertificate(C::NotValidForName) | E::InvalidCertificate(C::NotValidForNameContext { .. }) => {
            format!("TLS: {broker}'s certificate is not valid for that host name: connect by a name it lists, or --insecure")
        }
        E::InvalidCertificate(C::Expired) | E::InvalidCertificate(C::ExpiredContext { .. }) => {
            format!("TLS: {broker}'s certificate has expired")
        }
        E::AlertReceived(A::CertificateRequired) | E::AlertReceived(A::HandshakeFailure)
        | E::AlertReceived(A::BadCertificate) | E::AlertReceived(A::UnknownCA) => format!(
            "TLS: {broker} refused the handshake ({error}): it wants a client certificate it trusts (--cert/--key)"
        ),
        other => format!("TLS with {broker} failed: {other}"),
    }
}

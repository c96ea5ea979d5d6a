//! An independent MQTT subscriber for checking what actually reaches the broker:
//! built directly on rumqttc (never on the mqtk library under test), it runs in a
//! background thread with its own tokio runtime and records every PUBLISH it
//! receives as a `Received`, which tests read with `wait_for` / `settle`.
//! Plain TCP on 127.0.0.1 only.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rumqttc::v5::mqttbytes::v5::Packet as PacketV5;
use rumqttc::v5::mqttbytes::v5::SubscribeReasonCode as SubCodeV5;
use rumqttc::v5::mqttbytes::QoS as QoSV5;
use rumqttc::{NetworkOptions, Packet as PacketV4, QoS as QoSV4, SubscribeReasonCode as SubCodeV4};

/// Largest packet MQTT allows; rumqttc's default (10 KiB) would drop the
/// connection on any bigger message.
const MAX_PACKET: usize = 268_435_455;
const SUBACK_TIMEOUT: Duration = Duration::from_secs(10);

/// One PUBLISH as delivered to the subscriber. Property fields are only ever
/// filled by a `start_v5` subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    pub user_properties: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Vec<u8>>,
    pub message_expiry_interval: Option<u32>,
    pub payload_format_indicator: Option<u8>,
}

impl Received {
    /// Payload as UTF-8 (lossy), for readable assertions.
    pub fn payload_str(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    arrived: Condvar,
}

impl Shared {
    fn push(&self, r: Received) {
        self.messages.lock().unwrap().push(r);
        self.arrived.notify_all();
    }
}

/// Background subscriber; disconnects and stops its thread on drop.
pub struct Subscriber {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct Opts {
    port: u16,
    filter: String,
    qos: u8,
    login: Option<(String, String)>,
}

impl Subscriber {
    /// MQTT 3.1.1 subscriber on 127.0.0.1:port; returns after SUBACK.
    pub fn start(port: u16, filter: &str, qos: u8) -> Subscriber {
        Self::spawn(false, opts(port, filter, qos, None))
    }

    /// Like `start`, with a username and password.
    pub fn start_with_login(
        port: u16,
        filter: &str,
        qos: u8,
        user: &str,
        pass: &str,
    ) -> Subscriber {
        Self::spawn(false, opts(port, filter, qos, Some((user, pass))))
    }

    /// MQTT 5 subscriber (fills the property fields of `Received`).
    pub fn start_v5(port: u16, filter: &str, qos: u8) -> Subscriber {
        Self::spawn(true, opts(port, filter, qos, None))
    }

    /// Block until `n` messages have arrived or `timeout` passes; returns
    /// everything received so far (may be fewer than `n`).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let guard = self.shared.messages.lock().unwrap();
        let (guard, _) = self
            .shared
            .arrived
            .wait_timeout_while(guard, timeout, |v| v.len() < n)
            .unwrap();
        guard.clone()
    }

    /// Everything received so far, once `quiet` has passed with no new message
    /// (for asserting that nothing more came).
    pub fn settle(&self, quiet: Duration) -> Vec<Received> {
        let mut guard = self.shared.messages.lock().unwrap();
        loop {
            let seen = guard.len();
            let (g, res) = self
                .shared
                .arrived
                .wait_timeout_while(guard, quiet, |v| v.len() == seen)
                .unwrap();
            guard = g;
            if res.timed_out() {
                return guard.clone();
            }
        }
    }

    /// Number of messages received so far (no waiting, no copy).
    pub fn count(&self) -> usize {
        self.shared.messages.lock().unwrap().len()
    }

    fn spawn(v5: bool, o: Opts) -> Subscriber {
        let shared = Arc::new(Shared::default());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let thread_shared = shared.clone();
        let thread_opts = o.clone();
        let thread = std::thread::Builder::new()
            .name(format!("it-subscriber-{}", o.port))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("subscriber runtime");
                let result = if v5 {
                    rt.block_on(run_v5(thread_opts, thread_shared, ready_tx, stop_rx))
                } else {
                    rt.block_on(run_v4(thread_opts, thread_shared, ready_tx, stop_rx))
                };
                if let Err(e) = result {
                    eprintln!("it subscriber: {e}");
                }
            })
            .expect("spawn subscriber thread");

        let mut sub = Subscriber {
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        let what = format!(
            "{} subscriber to {:?} (qos {}) on 127.0.0.1:{}",
            if v5 { "MQTT 5" } else { "MQTT 3.1.1" },
            o.filter,
            o.qos,
            o.port
        );
        match ready_rx.recv_timeout(SUBACK_TIMEOUT) {
            Ok(Ok(())) => sub,
            Ok(Err(e)) => {
                sub.shutdown();
                panic!("{what}: {e}");
            }
            Err(_) => {
                sub.shutdown();
                panic!("{what}: no SUBACK within {SUBACK_TIMEOUT:?}");
            }
        }
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn opts(port: u16, filter: &str, qos: u8, login: Option<(&str, &str)>) -> Opts {
    assert!(qos <= 2, "qos must be 0, 1 or 2");
    Opts {
        port,
        filter: filter.to_owned(),
        qos,
        login: login.map(|(u, p)| (u.to_owned(), p.to_owned())),
    }
}

fn client_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "mqtk-it-sub-{}-{}-{:08x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Reports the first SUBACK (or a fatal error before it) on `ready`.
struct Ready(Option<mpsc::Sender<Result<(), String>>>);

impl Ready {
    fn send(&mut self, r: Result<(), String>) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(r);
        }
    }
    fn pending(&self) -> bool {
        self.0.is_some()
    }
}

async fn run_v4(
    o: Opts,
    shared: Arc<Shared>,
    ready: mpsc::Sender<Result<(), String>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), String> {
    use rumqttc::{AsyncClient, Event, MqttOptions};

    let mut mo = MqttOptions::new(client_id(), "127.0.0.1", o.port);
    mo.set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(MAX_PACKET, MAX_PACKET)
        .set_request_channel_capacity(10);
    if let Some((u, p)) = &o.login {
        mo.set_credentials(u.clone(), p.clone());
    }
    let (client, mut eventloop) = AsyncClient::new(mo, 10);
    eventloop.set_network_options(NetworkOptions::new());
    let qos = match o.qos {
        0 => QoSV4::AtMostOnce,
        1 => QoSV4::AtLeastOnce,
        _ => QoSV4::ExactlyOnce,
    };
    let mut ready = Ready(Some(ready));
    let deadline = Instant::now() + SUBACK_TIMEOUT;

    loop {
        let event = tokio::select! {
            _ = &mut stop => break,
            ev = eventloop.poll() => ev,
        };
        match event {
            // (Re)subscribe on every CONNACK: clean session, so a reconnect
            // after a broker restart needs a fresh SUBSCRIBE.
            Ok(Event::Incoming(PacketV4::ConnAck(_))) => {
                if let Err(e) = client.try_subscribe(o.filter.clone(), qos) {
                    ready.send(Err(format!("subscribe request failed: {e}")));
                }
            }
            Ok(Event::Incoming(PacketV4::SubAck(ack))) => {
                // Only the first SUBACK is reported (later ones follow reconnects).
                if ack
                    .return_codes
                    .iter()
                    .any(|c| matches!(c, SubCodeV4::Failure))
                {
                    ready.send(Err(format!(
                        "broker rejected SUBSCRIBE: {:?}",
                        ack.return_codes
                    )));
                } else {
                    ready.send(Ok(()));
                }
            }
            Ok(Event::Incoming(PacketV4::Publish(p))) => shared.push(Received {
                topic: p.topic,
                payload: p.payload.to_vec(),
                qos: p.qos as u8,
                retain: p.retain,
                user_properties: Vec::new(),
                content_type: None,
                response_topic: None,
                correlation_data: None,
                message_expiry_interval: None,
                payload_format_indicator: None,
            }),
            Ok(_) => {}
            Err(rumqttc::ConnectionError::ConnectionRefused(code)) if ready.pending() => {
                ready.send(Err(format!("connection refused: {code:?}")));
                return Ok(());
            }
            Err(e) => {
                if ready.pending() && Instant::now() >= deadline {
                    ready.send(Err(format!("connection failed: {e}")));
                    return Ok(());
                }
                // Broker gone (killed/restarted by the test): keep retrying
                // until dropped; the next CONNACK resubscribes.
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    // Polite DISCONNECT, but never hang the test on it.
    if client.try_disconnect().is_ok() {
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while let Ok(ev) = eventloop.poll().await {
                if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
    Ok(())
}

async fn run_v5(
    o: Opts,
    shared: Arc<Shared>,
    ready: mpsc::Sender<Result<(), String>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), String> {
    use rumqttc::v5::{AsyncClient, ConnectionError, Event, MqttOptions};

    let mut mo = MqttOptions::new(client_id(), "127.0.0.1", o.port);
    mo.set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(Some(MAX_PACKET as u32))
        .set_outgoing_inflight_upper_limit(100)
        .set_request_channel_capacity(10)
        .set_network_options(NetworkOptions::new());
    if let Some((u, p)) = &o.login {
        mo.set_credentials(u.clone(), p.clone());
    }
    let (client, mut eventloop) = AsyncClient::new(mo, 10);
    let qos = match o.qos {
        0 => QoSV5::AtMostOnce,
        1 => QoSV5::AtLeastOnce,
        _ => QoSV5::ExactlyOnce,
    };
    let mut ready = Ready(Some(ready));
    let deadline = Instant::now() + SUBACK_TIMEOUT;

    loop {
        let event = tokio::select! {
            _ = &mut stop => break,
            ev = eventloop.poll() => ev,
        };
        match event {
            Ok(Event::Incoming(PacketV5::ConnAck(_))) => {
                if let Err(e) = client.try_subscribe(o.filter.clone(), qos) {
                    ready.send(Err(format!("subscribe request failed: {e}")));
                }
            }
            Ok(Event::Incoming(PacketV5::SubAck(ack))) => {
                // Only the first SUBACK is reported (later ones follow reconnects).
                if ack
                    .return_codes
                    .iter()
                    .any(|c| !matches!(c, SubCodeV5::Success(_)))
                {
                    ready.send(Err(format!(
                        "broker rejected SUBSCRIBE: {:?}",
                        ack.return_codes
                    )));
                } else {
                    ready.send(Ok(()));
                }
            }
            Ok(Event::Incoming(PacketV5::Publish(p))) => {
                let props = p.properties.unwrap_or_default();
                shared.push(Received {
                    topic: String::from_utf8_lossy(&p.topic).into_owned(),
                    payload: p.payload.to_vec(),
                    qos: p.qos as u8,
                    retain: p.retain,
                    user_properties: props.user_properties,
                    content_type: props.content_type,
                    response_topic: props.response_topic,
                    correlation_data: props.correlation_data.map(|b| b.to_vec()),
                    message_expiry_interval: props.message_expiry_interval,
                    payload_format_indicator: props.payload_format_indicator,
                });
            }
            Ok(_) => {}
            Err(ConnectionError::ConnectionRefused(code)) if ready.pending() => {
                ready.send(Err(format!("connection refused: {code:?}")));
                return Ok(());
            }
            Err(e) => {
                if ready.pending() && Instant::now() >= deadline {
                    ready.send(Err(format!("connection failed: {e}")));
                    return Ok(());
                }
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    if client.try_disconnect().is_ok() {
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while let Ok(ev) = eventloop.poll().await {
                if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
    Ok(())
}

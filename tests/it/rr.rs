//! `mqtk rr` against a real mosquitto and a responder written here (a rumqttc MQTT 5 client,
//! independent of mqtk): it subscribes to the request topic and answers each request on its
//! Response Topic, with the request's correlation data or, as a test asks, with another or
//! none. Outcomes and exit codes are asserted, never timing.

use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::mqttbytes::QoS;

use crate::broker::Broker;
use crate::util::{assert_fails, mqtk, run, run_ok, topic};

const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the responder sends back for each request, in order.
#[derive(Debug, Clone)]
enum Reply {
    /// This payload with the request's correlation data.
    Echo(&'static str),
    /// This payload with correlation data that is not the request's.
    Wrong(&'static str),
    /// This payload without correlation data.
    Bare(&'static str),
}

/// A request as the responder received it.
#[derive(Debug, Clone)]
struct Request {
    payload: Vec<u8>,
    qos: u8,
    response_topic: Option<String>,
    correlation_data: Option<Vec<u8>>,
}

/// A responder on the request topic; stops on drop.
struct Responder {
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// Subscribes to `request_topic` on 127.0.0.1:port; returns after the SUBACK.
    fn start(port: u16, request_topic: &str, replies: &[Reply]) -> Responder {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let (seen, filter, replies) = (
            requests.clone(),
            request_topic.to_string(),
            replies.to_vec(),
        );
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("responder runtime");
            rt.block_on(respond(port, filter, replies, seen, ready_tx, stop_rx));
        });
        let mut responder = Responder {
            requests,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(())) => responder,
            Ok(Err(e)) => {
                responder.shutdown();
                panic!("responder on 127.0.0.1:{port}: {e}");
            }
            Err(_) => {
                responder.shutdown();
                panic!("responder on 127.0.0.1:{port}: no SUBACK within {READY_TIMEOUT:?}");
            }
        }
    }

    /// The requests received so far.
    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn respond(
    port: u16,
    filter: String,
    replies: Vec<Reply>,
    seen: Arc<Mutex<Vec<Request>>>,
    ready: mpsc::Sender<Result<(), String>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};

    let id = format!("mqtk-it-responder-{}-{port}", std::process::id());
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let mut ready = Some(ready);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let event = tokio::select! {
            _ = &mut stop => break,
            event = eventloop.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(Err(format!("subscribe: {e}")));
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                if let Some(tx) = ready.take() {
                    let _ = tx.send(Ok(()));
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let props = p.properties.clone().unwrap_or_default();
                seen.lock().unwrap().push(Request {
                    payload: p.payload.to_vec(),
                    qos: p.qos as u8,
                    response_topic: props.response_topic.clone(),
                    correlation_data: props.correlation_data.as_ref().map(|d| d.to_vec()),
                });
                let Some(response_topic) = props.response_topic else {
                    continue;
                };
                for reply in &replies {
                    let (payload, correlation_data) = match reply {
                        Reply::Echo(text) => (*text, props.correlation_data.clone()),
                        Reply::Wrong(text) => (*text, Some(Bytes::from_static(b"not-yours"))),
                        Reply::Bare(text) => (*text, None),
                    };
                    let properties = PublishProperties {
                        correlation_data,
                        ..PublishProperties::default()
                    };
                    client
                        .try_publish_with_properties(
                            response_topic.clone(),
                            QoS::AtLeastOnce,
                            false,
                            payload.as_bytes().to_vec(),
                            properties,
                        )
                        .expect("responder publishes");
                }
            }
            Ok(_) => {}
            Err(e) => {
                if ready.is_some() && Instant::now() >= deadline {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(Err(format!("connection failed: {e}")));
                    }
                    return;
                }
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    let _ = client.try_disconnect();
}

/// `mqtk rr -h 127.0.0.1 -p PORT ARGS…` with a 5 s connect timeout.
fn rr(port: u16, args: &[&str]) -> std::process::Command {
    let mut cmd = mqtk();
    cmd.args([
        "rr",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "--connect-timeout",
        "5s",
    ]);
    cmd.args(args);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn round_trip_prints_the_response_and_exits_0() {
    let broker = Broker::start();
    let (request, response) = (topic("rr-request"), topic("rr-response"));
    let responder = Responder::start(broker.port, &request, &[Reply::Echo("pong")]);
    let out = run_ok(rr(
        broker.port,
        &["-t", &request, "-e", &response, "-m", "ping", "-W", "30"],
    ));
    assert_eq!(text(&out.stdout), "pong\n");
    assert!(
        !text(&out.stderr).contains("ignored"),
        "{}",
        text(&out.stderr)
    );
    // The request carried the Response Topic and generated correlation data.
    let requests = responder.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].payload, b"ping");
    assert_eq!(requests[0].qos, 0);
    assert_eq!(
        requests[0].response_topic.as_deref(),
        Some(response.as_str())
    );
    let correlation = requests[0]
        .correlation_data
        .clone()
        .expect("correlation data");
    assert_eq!(correlation.len(), 16, "{correlation:?}");
    assert!(
        correlation.iter().all(u8::is_ascii_hexdigit),
        "{correlation:?}"
    );
}

#[test]
fn a_response_with_other_correlation_data_is_ignored_and_counted() {
    let broker = Broker::start();
    let (request, response) = (topic("rr-request"), topic("rr-response"));
    let _responder = Responder::start(
        broker.port,
        &request,
        &[
            Reply::Wrong("wrong"),
            Reply::Bare("bare"),
            Reply::Echo("right"),
        ],
    );
    let out = run_ok(rr(
        broker.port,
        &["-t", &request, "-e", &response, "-n", "-q", "1", "-W", "30"],
    ));
    assert_eq!(text(&out.stdout), "right\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("mqtk: 2 messages on the response topic were ignored"),
        "{stderr}"
    );
    assert!(!stderr.contains("debug"), "{stderr}");
}

#[test]
fn debug_shows_each_mismatch_and_the_subscription_comes_first() {
    let broker = Broker::start();
    let (request, response) = (topic("rr-request"), topic("rr-response"));
    let _responder = Responder::start(
        broker.port,
        &request,
        &[Reply::Wrong("wrong"), Reply::Echo("right")],
    );
    let out = run_ok(rr(
        broker.port,
        &["-t", &request, "-e", &response, "-m", "x", "-d", "-W", "30"],
    ));
    assert_eq!(text(&out.stdout), "right\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "mqtk: debug: ignored a message on '{response}': its correlation data 'not-yours' is not this request's '"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("mqtk: 1 message on the response topic was ignored"),
        "{stderr}"
    );
    let suback = stderr.find("received SUBACK").expect("SUBACK in the trace");
    let request_sent = stderr
        .find(&format!("sending PUBLISH (d0, q0, r0, m0, '{request}'"))
        .expect("the request in the trace");
    assert!(suback < request_sent, "{stderr}");
}

#[test]
fn count_collects_that_many_responses() {
    let broker = Broker::start();
    let (request, response) = (topic("rr-request"), topic("rr-response"));
    let _responder = Responder::start(
        broker.port,
        &request,
        &[
            Reply::Echo("one"),
            Reply::Wrong("other"),
            Reply::Echo("two"),
        ],
    );
    let out = run_ok(rr(
        broker.port,
        &[
            "-t", &request, "-e", &response, "-m", "x", "-C", "2", "-v", "-W", "30",
        ],
    ));
    assert_eq!(
        text(&out.stdout),
        format!("{response} one\n{response} two\n")
    );
}

#[test]
fn given_correlation_data_is_sent_and_matched() {
    let broker = Broker::start();
    let (request, response) = (topic("rr-request"), topic("rr-response"));
    let responder = Responder::start(broker.port, &request, &[Reply::Echo("{\"sum\":3}")]);
    let out = run_ok(rr(
        broker.port,
        &[
            "-t",
            &request,
            "-e",
            &response,
            "-m",
            "[1,2]",
            "--json",
            "-W",
            "30",
            "-D",
            "publish",
            "correlation-data",
            "req-7",
        ],
    ));
    let requests = responder.requests();
    assert_eq!(requests[0].correlation_data.as_deref(), Some(&b"req-7"[..]));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["topic"], response.as_str());
    assert_eq!(line["payload"], "{\"sum\":3}");
    assert_eq!(line["properties"]["correlation_data"], "req-7");
}

#[test]
fn without_a_responder_the_timeout_exits_27() {
    let broker = Broker::start();
    let out = run(
        rr(
            broker.port,
            &[
                "-t",
                &topic("rr-nobody"),
                "-e",
                &topic("rr-response"),
                "-m",
                "x",
                "-q",
                "1",
                "-W",
                "1",
            ],
        ),
        b"",
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(27), "{stderr}");
    assert!(
        stderr.contains("mqtk: error: timed out after 1s (-W) with 0 of 1 responses"),
        "{stderr}"
    );
    // QoS 1: mosquitto's PUBACK says nobody subscribes to the request topic.
    assert!(stderr.contains("nobody subscribes to"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn mqtt_3_is_a_usage_error_naming_v() {
    let broker = Broker::start();
    for version in ["311", "31", "mqttv311"] {
        assert_fails(
            rr(
                broker.port,
                &["-t", "a", "-e", "b", "-m", "x", "-V", version],
            ),
            64,
            &format!(
                "mqtk rr needs MQTT 5: drop -V {}",
                version.trim_start_matches("mqttv")
            ),
        );
    }
    assert_fails(
        rr(broker.port, &["-t", "a", "-m", "x"]),
        64,
        "-e/--response-topic is required",
    );
    assert_fails(
        rr(broker.port, &["-t", "a", "-e", "b"]),
        64,
        "-m, -f, -s or -n",
    );
    assert_fails(
        rr(broker.port, &["-t", "a", "-e", "b/#", "-m", "x"]),
        64,
        "-e/--response-topic 'b/#'",
    );
}

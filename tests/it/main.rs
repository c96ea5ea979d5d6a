//! The integration tests: one binary, run against a real mosquitto the harness starts.

/// `mqtk bench`: counts per QoS, rates, connections, frozen and killed brokers, JSON shape.
mod bench;
/// The mosquitto the tests own (ports, listeners, certificates).
mod broker;
/// Connection settings: auth, passwords off argv, profiles, will, timeouts, URLs.
mod connection;
/// A TCP relay that holds every chunk a fixed delay each way, like a WAN link under `tc netem delay`.
mod delay_relay;
/// README.md's commands and every --help example parse; man pages carry the same examples.
mod docs;
/// A TCP relay that loses every PUBLISH toward the clients, like a broker dropping QoS 0.
mod drop_relay;
/// The defects of issue 10 the MQTT engine fixes: reconnects, QoS 2 resumption, limits, MQTT 3.1, errors.
mod engine;
/// Error hygiene: bad inputs as one escaped line, config file checks, troublesome certificates.
mod errors;
/// The generated completions and man pages match the clap definition.
mod generated;
/// mqtk as mosquitto_pub/mosquitto_sub (argv[0]): options files, mosquitto's exit codes; -A, --ciphers, --tls-keylog, refused flags.
mod mosquitto_names;
/// `mqtk ping`: phases on every transport, probes, loss, JSON shape, --wait, --topic.
mod ping;
/// Closed pipes, SIGTERM and a second signal, control characters on a terminal, for every command.
mod pipes;
/// `mqtk pub` against a plain listener: payloads, QoS, retain, stdin modes, bad input.
mod publish;
/// A TCP relay in front of a broker whose `reset_all` cuts every connection with an RST, or whose downlink is throttled.
mod relay;
/// `mqtk rr`: request/response against a responder written in the test, correlation matching, -C, -W.
mod rr;
/// A scripted MQTT broker for misbehaviour mosquitto never shows; records the wire.
mod scripted;
/// `mqtk bench` in shards: the Kubernetes Job run locally and merged, a killed shard, plots and logs.
mod shards;
/// `--proxy socks5h://` and `socks5://` through a SOCKS5 proxy written in the test.
mod socks;
/// `mqtk sub`: counts, timeouts, retained handling, formats, restarts, failures.
mod subscribe;
/// A rumqttc subscriber that checks what arrives, independent of mqtk.
mod subscriber;
/// TLS, mutual TLS, WebSockets and unix sockets.
mod transports;
/// Ground truth: bench and ping latency through a known injected delay; bench counts against mosquitto's $SYS.
mod truth;
/// Running mqtk with a hermetic environment.
mod util;

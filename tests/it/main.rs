//! The integration tests: one binary, run against a real mosquitto the harness starts.

/// `mqtk bench`: counts per QoS, rates, connections, frozen and killed brokers, JSON shape.
mod bench;
/// The mosquitto the tests own (ports, listeners, certificates).
mod broker;
/// Connection settings: auth, passwords off argv, profiles, will, timeouts, URLs.
mod connection;
/// The generated completions and man pages match the clap definition.
mod generated;
/// `mqtk ping`: phases on every transport, probes, loss, JSON shape.
mod ping;
/// `mqtk pub` against a plain listener: payloads, QoS, retain, stdin modes, bad input.
mod publish;
/// `--proxy socks5h://` and `socks5://` through a SOCKS5 proxy written in the test.
mod socks;
/// `mqtk sub`: counts, timeouts, retained handling, formats, restarts, failures.
mod subscribe;
/// A rumqttc subscriber that checks what arrives, independent of mqtk.
mod subscriber;
/// TLS, mutual TLS, WebSockets and unix sockets.
mod transports;
/// Running mqtk with a hermetic environment.
mod util;

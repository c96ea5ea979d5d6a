//! mqtk's one MQTT engine, used by every command, in three layers:
//! - [`transport`]: the byte stream (DNS, TCP or unix socket, proxy, TLS, WebSocket), each
//!   phase timed, every failure classified into the exit-code table;
//! - [`packets`]: the one packet model and its codec for MQTT 3.1, 3.1.1 and 5 (rumqttc's
//!   mqttbytes underneath), with [`link`] carrying packets over a transport in batched
//!   writes, tracing them with `-d`;
//! - [`session`]: the QoS 0/1/2 state machine across reconnects, and [`client`], which drives
//!   it over a link with keepalive, time limits and the reconnect policy.

pub mod client;
pub mod link;
pub mod packets;
pub mod session;
pub mod transport;

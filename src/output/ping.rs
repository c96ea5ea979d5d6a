//! What `mqtk ping` reports: the records (one JSON object per line with `--json`, keys
//! documented in docs/ping.md and frozen by a test) and their ping(8)-style text lines.

use std::fmt::Write as _;
use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::ConnAckProperties;
use serde::Serialize;

use crate::engine::transport::Phases;

/// One line of `mqtk ping --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Connection(Connection),
    Info(Info),
    Probe(Probe),
    Summary(Summary),
}

/// A connection was opened (the first one, or again after it was lost).
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub broker: String,
    /// The IP address and port connected to (null for a unix socket).
    pub address: Option<String>,
    /// "3.1.1" or "5".
    pub protocol: &'static str,
    pub probe: &'static str,
    pub phases_ms: PhasesMs,
    pub total_ms: f64,
    pub session_present: bool,
    /// MQTT 5: the client id the broker assigned, if it did.
    pub assigned_client_id: Option<String>,
    /// True when this connection replaces one that was lost.
    pub reconnect: bool,
}

/// Each phase of opening a connection, in milliseconds (null when it did not happen).
#[derive(Debug, Clone, Serialize)]
pub struct PhasesMs {
    pub dns: Option<f64>,
    pub tcp: Option<f64>,
    pub proxy: Option<f64>,
    pub tls: Option<f64>,
    pub websocket: Option<f64>,
    pub connack: f64,
}

impl From<&Phases> for PhasesMs {
    fn from(p: &Phases) -> PhasesMs {
        PhasesMs {
            dns: p.dns.map(ms),
            tcp: p.tcp.map(ms),
            proxy: p.proxy.map(ms),
            tls: p.tls.map(ms),
            websocket: p.websocket.map(ms),
            connack: ms(p.connack),
        }
    }
}

/// One probe.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    pub seq: u64,
    /// Round trip in ms; null when lost.
    pub rtt_ms: Option<f64>,
    /// `--probe publish -q 1|2`: PUBLISH written → PUBACK (QoS 1) or PUBCOMP (QoS 2) read.
    pub ack_ms: Option<f64>,
    /// `--probe connect`: the phases of this probe's connection.
    pub phases_ms: Option<PhasesMs>,
    pub lost: bool,
    /// Why the probe was lost.
    pub error: Option<String>,
}

/// The end of the run (also after Ctrl-C or -w).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub broker: String,
    pub transmitted: u64,
    pub received: u64,
    pub lost: u64,
    pub loss_percent: f64,
    pub time_ms: f64,
    /// Null when no probe was answered.
    pub rtt_ms: Option<Stats>,
    /// Publish probes at QoS 1/2 only.
    pub ack_ms: Option<Stats>,
}

/// min / avg / max / mdev in milliseconds, as ping(8) prints them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub mdev: f64,
}

impl Stats {
    /// None for no samples. mdev is ping(8)'s: sqrt(mean(x²) − mean(x)²).
    pub fn of(samples: &[f64]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let n = samples.len() as f64;
        let avg = samples.iter().sum::<f64>() / n;
        let square_mean = samples.iter().map(|x| x * x).sum::<f64>() / n;
        Some(Stats {
            min: samples.iter().copied().fold(f64::INFINITY, f64::min),
            avg,
            max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            mdev: (square_mean - avg * avg).max(0.0).sqrt(),
        })
    }
}

/// The broker's capabilities. MQTT 5 values absent from CONNACK take the specification's
/// defaults; on MQTT 3.1.1 nothing is known and every field is null.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub protocol: &'static str,
    /// False on MQTT 3.1.1: the broker announces nothing.
    pub announced: bool,
    pub maximum_qos: Option<u8>,
    pub retain_available: Option<bool>,
    pub wildcard_subscription_available: Option<bool>,
    pub shared_subscription_available: Option<bool>,
    pub subscription_identifiers_available: Option<bool>,
    pub receive_maximum: Option<u16>,
    /// Null: no limit announced.
    pub maximum_packet_size: Option<u32>,
    pub topic_alias_maximum: Option<u16>,
    /// The keepalive the broker imposes, if it overrides ours.
    pub server_keep_alive: Option<u16>,
    /// The session expiry the broker grants, if it changes ours.
    pub session_expiry_interval: Option<u32>,
    pub assigned_client_identifier: Option<String>,
    pub response_information: Option<String>,
    pub server_reference: Option<String>,
    pub reason_string: Option<String>,
    pub user_properties: Vec<(String, String)>,
}

impl Info {
    pub fn from_connack(properties: Option<&ConnAckProperties>, v5: bool) -> Info {
        if !v5 {
            return Info {
                protocol: "3.1.1",
                announced: false,
                maximum_qos: None,
                retain_available: None,
                wildcard_subscription_available: None,
                shared_subscription_available: None,
                subscription_identifiers_available: None,
                receive_maximum: None,
                maximum_packet_size: None,
                topic_alias_maximum: None,
                server_keep_alive: None,
                session_expiry_interval: None,
                assigned_client_identifier: None,
                response_information: None,
                server_reference: None,
                reason_string: None,
                user_properties: Vec::new(),
            };
        }
        let flag = |v: Option<u8>| Some(v.unwrap_or(1) == 1);
        let get = |f: fn(&ConnAckProperties) -> Option<u8>| properties.and_then(f);
        Info {
            protocol: "5",
            announced: true,
            maximum_qos: Some(get(|p| p.max_qos).unwrap_or(2)),
            retain_available: flag(get(|p| p.retain_available)),
            wildcard_subscription_available: flag(get(|p| p.wildcard_subscription_available)),
            shared_subscription_available: flag(get(|p| p.shared_subscription_available)),
            subscription_identifiers_available: flag(get(|p| p.subscription_identifiers_available)),
            receive_maximum: Some(properties.and_then(|p| p.receive_max).unwrap_or(65535)),
            maximum_packet_size: properties.and_then(|p| p.max_packet_size),
            topic_alias_maximum: Some(properties.and_then(|p| p.topic_alias_max).unwrap_or(0)),
            server_keep_alive: properties.and_then(|p| p.server_keep_alive),
            session_expiry_interval: properties.and_then(|p| p.session_expiry_interval),
            assigned_client_identifier: properties
                .and_then(|p| p.assigned_client_identifier.clone()),
            response_information: properties.and_then(|p| p.response_information.clone()),
            server_reference: properties.and_then(|p| p.server_reference.clone()),
            reason_string: properties.and_then(|p| p.reason_string.clone()),
            user_properties: properties
                .map(|p| p.user_properties.clone())
                .unwrap_or_default(),
        }
    }
}

/// Milliseconds with microsecond resolution, for JSON.
pub fn ms(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1000.0).round() / 1000.0
}

/// `1.234 ms`, `12.3 ms`, `1.50 s`: three significant digits or so.
fn human(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

fn phases_text(p: &PhasesMs) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("dns", p.dns),
        ("tcp", p.tcp),
        ("proxy", p.proxy),
        ("tls", p.tls),
        ("websocket", p.websocket),
        ("connack", Some(p.connack)),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name} {}", human(v)));
        }
    }
    parts.join(", ")
}

impl Record {
    /// The text lines for this record (ping(8) style).
    pub fn text(&self) -> String {
        match self {
            Record::Connection(c) => {
                let mut line = format!(
                    "{} {} {}: {} (MQTT {}, {}), session present: {}",
                    if c.reconnect {
                        "reconnected to"
                    } else {
                        "connected to"
                    },
                    c.broker,
                    c.address
                        .as_deref()
                        .map(|a| format!("({a})"))
                        .unwrap_or_default(),
                    human(c.total_ms),
                    c.protocol,
                    phases_text(&c.phases_ms),
                    if c.session_present { "yes" } else { "no" },
                );
                if let Some(id) = &c.assigned_client_id {
                    let _ = write!(line, ", assigned client id: {id}");
                }
                line.replace("  ", " ")
            }
            Record::Probe(p) => match (p.rtt_ms, &p.error) {
                (Some(rtt), _) => {
                    let mut line = format!("seq={} rtt={}", p.seq, human(rtt));
                    if let Some(ack) = p.ack_ms {
                        let _ = write!(line, " ack={}", human(ack));
                    }
                    if let Some(phases) = &p.phases_ms {
                        let _ = write!(line, " ({})", phases_text(phases));
                    }
                    line
                }
                (None, error) => format!(
                    "seq={} lost: {}",
                    p.seq,
                    error.as_deref().unwrap_or("no answer")
                ),
            },
            Record::Summary(s) => {
                let mut text = format!(
                    "--- {} mqtk ping statistics ---\n{} probes transmitted, {} received, {}% loss, time {:.0}ms",
                    s.broker,
                    s.transmitted,
                    s.received,
                    trim_float(s.loss_percent),
                    s.time_ms
                );
                for (name, stats) in [("rtt", s.rtt_ms), ("ack", s.ack_ms)] {
                    if let Some(st) = stats {
                        let _ = write!(
                            text,
                            "\n{name} min/avg/max/mdev = {:.3}/{:.3}/{:.3}/{:.3} ms",
                            st.min, st.avg, st.max, st.mdev
                        );
                    }
                }
                text
            }
            Record::Info(i) => info_text(i),
        }
    }
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

fn info_text(i: &Info) -> String {
    if !i.announced {
        return "broker capabilities: unknown over MQTT 3.1.1, whose CONNACK announces none; \
                connect with -V 5 to see them"
            .into();
    }
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => "-".to_string(),
    };
    let num = |v: Option<u64>, none: &str| v.map_or(none.to_string(), |n| n.to_string());
    let mut lines = vec![
        "broker capabilities (MQTT 5 CONNACK; unannounced values are the standard's defaults):"
            .to_string(),
        format!(
            "  maximum QoS                {}",
            num(i.maximum_qos.map(u64::from), "-")
        ),
        format!(
            "  retain available           {}",
            yes_no(i.retain_available)
        ),
        format!(
            "  wildcard subscriptions     {}",
            yes_no(i.wildcard_subscription_available)
        ),
        format!(
            "  shared subscriptions       {}",
            yes_no(i.shared_subscription_available)
        ),
        format!(
            "  subscription identifiers   {}",
            yes_no(i.subscription_identifiers_available)
        ),
        format!(
            "  receive maximum            {}",
            num(i.receive_maximum.map(u64::from), "-")
        ),
        format!(
            "  maximum packet size        {}",
            num(i.maximum_packet_size.map(u64::from), "no limit")
        ),
        format!(
            "  topic alias maximum        {}",
            num(i.topic_alias_maximum.map(u64::from), "-")
        ),
        format!(
            "  server keepalive           {}",
            num(i.server_keep_alive.map(u64::from), "ours")
        ),
        format!(
            "  session expiry interval    {}",
            num(i.session_expiry_interval.map(u64::from), "ours")
        ),
    ];
    for (name, value) in [
        ("assigned client id", &i.assigned_client_identifier),
        ("response information", &i.response_information),
        ("server reference", &i.server_reference),
        ("reason string", &i.reason_string),
    ] {
        lines.push(format!("  {name:<26} {}", value.as_deref().unwrap_or("-")));
    }
    for (key, value) in &i.user_properties {
        lines.push(format!("  user property              {key}: {value}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_ping8() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((s.min, s.avg, s.max), (1.0, 2.5, 4.0));
        assert!((s.mdev - 1.118_034).abs() < 1e-6, "{}", s.mdev);
        assert_eq!(Stats::of(&[]), None);
        assert_eq!(Stats::of(&[5.0]).unwrap().mdev, 0.0);
    }

    #[test]
    fn summary_text_reads_like_ping8() {
        let record = Record::Summary(Summary {
            broker: "localhost:1883".into(),
            transmitted: 4,
            received: 3,
            lost: 1,
            loss_percent: 25.0,
            time_ms: 3003.4,
            rtt_ms: Stats::of(&[0.1, 0.2, 0.3]),
            ack_ms: None,
        });
        assert_eq!(
            record.text(),
            "--- localhost:1883 mqtk ping statistics ---\n\
             4 probes transmitted, 3 received, 25% loss, time 3003ms\n\
             rtt min/avg/max/mdev = 0.100/0.200/0.300/0.082 ms"
        );
    }

    #[test]
    fn probe_lines() {
        let probe = Probe {
            seq: 2,
            rtt_ms: Some(0.1234),
            ack_ms: Some(0.05),
            phases_ms: None,
            lost: false,
            error: None,
        };
        assert_eq!(
            Record::Probe(probe.clone()).text(),
            "seq=2 rtt=0.123 ms ack=0.050 ms"
        );
        let lost = Probe {
            rtt_ms: None,
            ack_ms: None,
            lost: true,
            error: Some("no answer within 2s".into()),
            ..probe
        };
        assert_eq!(
            Record::Probe(lost).text(),
            "seq=2 lost: no answer within 2s"
        );
    }

    #[test]
    fn v5_info_applies_the_standard_defaults() {
        let info = Info::from_connack(None, true);
        assert_eq!(info.maximum_qos, Some(2));
        assert_eq!(info.retain_available, Some(true));
        assert_eq!(info.receive_maximum, Some(65535));
        assert_eq!(info.maximum_packet_size, None);
        let v3 = Info::from_connack(None, false);
        assert!(!v3.announced && v3.maximum_qos.is_none());
        assert!(info_text(&v3).contains("-V 5"));
    }
}

//! The JSON-lines message object: one MQTT message per line, binary-safe. `pub --jsonl`
//! reads it and `sub --json` writes it, so a captured stream can be replayed. The schema is
//! a contract documented in docs/json-lines.md: add fields, never rename or repurpose them.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use serde::{Deserialize, Serialize};

use super::{hex, PayloadFormat, Received};

/// One message as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonMessage {
    /// Topic name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The payload when it is valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The payload, base64 (standard alphabet, padded), when it is not valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_base64: Option<String>,
    /// The payload as hex digits (written by `sub --json --payload-format hex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_hex: Option<String>,
    /// QoS 0, 1 or 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qos: Option<u8>,
    /// Retain flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain: Option<bool>,
    /// Duplicate-delivery flag (output only; ignored on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dup: Option<bool>,
    /// Packet id for QoS > 0 (output only; ignored on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<u16>,
    /// Receive time, RFC 3339 UTC with nanoseconds (output only; ignored on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    /// MQTT 5 properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<JsonProperties>,
}

/// MQTT 5 PUBLISH properties, named as in the specification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_format_indicator: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_expiry_interval: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_alias: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<String>,
    /// Correlation data when valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_data: Option<String>,
    /// Correlation data, base64, when not valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_data_base64: Option<String>,
    /// User properties in order, as [name, value] pairs (names may repeat).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_properties: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscription_identifiers: Vec<usize>,
}

impl JsonMessage {
    /// The payload bytes: `payload`, `payload_base64` or `payload_hex` (one at most),
    /// empty if none.
    pub fn payload_bytes(&self) -> Result<Bytes, String> {
        match (&self.payload, &self.payload_base64, &self.payload_hex) {
            (Some(text), None, None) => Ok(Bytes::from(text.clone().into_bytes())),
            (None, Some(b64), None) => BASE64
                .decode(b64)
                .map(Bytes::from)
                .map_err(|e| format!("\"payload_base64\" is not valid base64: {e}")),
            (None, None, Some(hex)) => decode_hex(hex)
                .map(Bytes::from)
                .ok_or_else(|| "\"payload_hex\" is not an even number of hex digits".into()),
            (None, None, None) => Ok(Bytes::new()),
            _ => Err(
                "give one of \"payload\", \"payload_base64\" and \"payload_hex\", not several"
                    .into(),
            ),
        }
    }

    /// The object `sub --json` prints for a received message.
    pub fn from_received(m: &Received, format: PayloadFormat) -> JsonMessage {
        let mut object = JsonMessage {
            topic: Some(m.topic.to_string()),
            qos: Some(m.qos),
            retain: Some(m.retain),
            dup: Some(m.dup),
            mid: (m.qos > 0).then_some(m.mid),
            received_at: Some(
                DateTime::<Utc>::from(m.time).to_rfc3339_opts(SecondsFormat::Nanos, true),
            ),
            properties: m.properties.map(JsonProperties::from_publish),
            ..JsonMessage::default()
        };
        match format {
            PayloadFormat::Auto => match std::str::from_utf8(m.payload) {
                Ok(text) => object.payload = Some(text.to_string()),
                Err(_) => object.payload_base64 = Some(BASE64.encode(m.payload)),
            },
            PayloadFormat::Text => {
                object.payload = Some(String::from_utf8_lossy(m.payload).into_owned())
            }
            PayloadFormat::Base64 => object.payload_base64 = Some(BASE64.encode(m.payload)),
            PayloadFormat::Hex => {
                object.payload_hex =
                    Some(String::from_utf8(hex(m.payload, false)).unwrap_or_default())
            }
        }
        object
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl JsonProperties {
    /// The properties of a received PUBLISH; binary correlation data goes to base64.
    pub fn from_publish(p: &PublishProperties) -> JsonProperties {
        let (correlation_data, correlation_data_base64) = match &p.correlation_data {
            Some(data) => match std::str::from_utf8(data) {
                Ok(text) => (Some(text.to_string()), None),
                Err(_) => (None, Some(BASE64.encode(data))),
            },
            None => (None, None),
        };
        JsonProperties {
            payload_format_indicator: p.payload_format_indicator,
            message_expiry_interval: p.message_expiry_interval,
            topic_alias: p.topic_alias,
            content_type: p.content_type.clone(),
            response_topic: p.response_topic.clone(),
            correlation_data,
            correlation_data_base64,
            user_properties: p.user_properties.clone(),
            subscription_identifiers: p.subscription_identifiers.clone(),
        }
    }

    /// The properties to send on a PUBLISH. Subscription identifiers and topic aliases belong
    /// to the receiving connection and are dropped.
    pub fn to_publish(&self) -> Result<PublishProperties, String> {
        let correlation_data =
            match (&self.correlation_data, &self.correlation_data_base64) {
                (Some(_), Some(_)) => {
                    return Err(
                        "give either \"correlation_data\" or \"correlation_data_base64\", not both"
                            .into(),
                    )
                }
                (Some(text), None) => Some(Bytes::from(text.clone().into_bytes())),
                (None, Some(b64)) => Some(BASE64.decode(b64).map(Bytes::from).map_err(|e| {
                    format!("\"correlation_data_base64\" is not valid base64: {e}")
                })?),
                (None, None) => None,
            };
        if matches!(self.payload_format_indicator, Some(n) if n > 1) {
            return Err("\"payload_format_indicator\" is 0 or 1".into());
        }
        Ok(PublishProperties {
            payload_format_indicator: self.payload_format_indicator,
            message_expiry_interval: self.message_expiry_interval,
            topic_alias: None,
            response_topic: self.response_topic.clone(),
            correlation_data,
            user_properties: self.user_properties.clone(),
            subscription_identifiers: Vec::new(),
            content_type: self.content_type.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_base64_payloads() {
        let m: JsonMessage = serde_json::from_str(r#"{"topic":"a","payload":"hi"}"#).unwrap();
        assert_eq!(m.payload_bytes().unwrap(), Bytes::from_static(b"hi"));
        let m: JsonMessage =
            serde_json::from_str(r#"{"topic":"a","payload_base64":"AP8="}"#).unwrap();
        assert_eq!(m.payload_bytes().unwrap(), Bytes::from_static(&[0, 255]));
        let m: JsonMessage =
            serde_json::from_str(r#"{"topic":"a","payload":"x","payload_base64":"AA=="}"#).unwrap();
        assert!(m.payload_bytes().is_err());
        let m: JsonMessage =
            serde_json::from_str(r#"{"topic":"a","payload_hex":"00ff7A"}"#).unwrap();
        assert_eq!(
            m.payload_bytes().unwrap(),
            Bytes::from_static(&[0, 255, 0x7a])
        );
        for bad in ["0", "zz", "é0"] {
            let m = JsonMessage {
                payload_hex: Some(bad.into()),
                ..JsonMessage::default()
            };
            assert!(m.payload_bytes().is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_unknown_fields_but_accepts_subscriber_output_fields() {
        assert!(serde_json::from_str::<JsonMessage>(r#"{"topic":"a","paylaod":"x"}"#).is_err());
        let line = r#"{"topic":"a","payload":"x","qos":1,"retain":false,"dup":false,"mid":7,"received_at":"2026-01-01T00:00:00.000000000Z","properties":{"user_properties":[["k","v"],["k","w"]],"subscription_identifiers":[3]}}"#;
        let m: JsonMessage = serde_json::from_str(line).unwrap();
        let props = m.properties.unwrap().to_publish().unwrap();
        assert_eq!(
            props.user_properties,
            vec![("k".into(), "v".into()), ("k".into(), "w".into())]
        );
        assert!(props.subscription_identifiers.is_empty());
    }
}

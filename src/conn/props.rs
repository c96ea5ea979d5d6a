//! MQTT 5 properties given with mosquitto's `-D COMMAND NAME VALUE` syntax, parsed and
//! checked once into typed groups per packet.

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::{
    ConnectProperties, LastWillProperties, PublishProperties, SubscribeProperties,
};

use crate::error::{shorten, Failure};

/// Every `-D` property, grouped by the packet it belongs to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertySet {
    pub connect: Option<ConnectProperties>,
    pub will: Option<LastWillProperties>,
    pub publish: Option<PublishProperties>,
    pub subscribe: Option<SubscribeProperties>,
}

impl PropertySet {
    /// Parses the words of every `-D`, in order: `COMMAND NAME VALUE`, or
    /// `COMMAND user-property KEY VALUE`. The name decides how many words a property takes,
    /// so the flat list splits without ambiguity.
    pub fn parse(words: &[String]) -> Result<PropertySet, Failure> {
        let mut set = PropertySet::default();
        let mut rest = words;
        while !rest.is_empty() {
            let arity = match rest.get(1) {
                Some(name) if name.eq_ignore_ascii_case("user-property") => 4,
                _ => 3,
            };
            if rest.len() < arity {
                return Err(Failure::Usage(format!(
                    "-D '{}': give COMMAND NAME VALUE (user-property takes NAME VALUE)",
                    shorten(&rest.join(" "))
                )));
            }
            set.add(&rest[..arity])?;
            rest = &rest[arity..];
        }
        Ok(set)
    }

    /// Whether any property was given (which makes the connection MQTT 5).
    pub fn is_empty(&self) -> bool {
        self == &PropertySet::default()
    }

    fn add(&mut self, words: &[String]) -> Result<(), Failure> {
        let (command, name) = (words[0].to_ascii_lowercase(), words[1].to_ascii_lowercase());
        let shown = shorten(&words.join(" "));
        let bad = |why: String| Failure::Usage(format!("-D '{shown}': {why}"));
        if words.iter().any(|w| w.len() > 65535) {
            return Err(bad("a value is longer than MQTT's 65535-byte limit".into()));
        }
        let value = match (name.as_str(), &words[2..]) {
            ("user-property", [key, value]) => Value::Pair(key.clone(), value.clone()),
            (_, [value]) => Value::One(value.clone()),
            (_, _) => return Err(bad(format!("{} takes one VALUE", shorten(&name)))),
        };
        match command.as_str() {
            "connect" => {
                let props = self.connect.get_or_insert_with(ConnectProperties::new);
                set_connect(props, &name, value).map_err(bad)
            }
            "will" => {
                let props = self.will.get_or_insert_with(empty_will_properties);
                set_will(props, &name, value).map_err(bad)
            }
            "publish" => {
                let props = self.publish.get_or_insert_with(PublishProperties::default);
                set_publish(props, &name, value).map_err(bad)
            }
            "subscribe" => {
                let props = self.subscribe.get_or_insert_with(|| SubscribeProperties {
                    id: None,
                    user_properties: Vec::new(),
                });
                set_subscribe(props, &name, value).map_err(bad)
            }
            _ => Err(bad(format!(
                "'{}' is not a packet mqtk sets properties on: use connect, will, publish (pub) or subscribe (sub)",
                shorten(&command)
            ))),
        }
    }
}

enum Value {
    One(String),
    Pair(String, String),
}

impl Value {
    fn text(self) -> String {
        match self {
            Value::One(v) => v,
            Value::Pair(k, v) => format!("{k} {v}"),
        }
    }

    fn number<T: TryFrom<u64>>(self, name: &str) -> Result<T, String> {
        let text = self.text();
        text.parse::<u64>()
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| {
                let bits = 8 * std::mem::size_of::<T>() as u32;
                let max = u64::MAX >> (64 - bits.min(64));
                format!(
                    "{name} needs a whole number from 0 to {max}, not '{}'",
                    shorten(&text)
                )
            })
    }

    fn flag(self, name: &str) -> Result<u8, String> {
        match self.number::<u8>(name)? {
            n @ (0 | 1) => Ok(n),
            _ => Err(format!("{name} is 0 or 1")),
        }
    }
}

fn empty_will_properties() -> LastWillProperties {
    LastWillProperties {
        delay_interval: None,
        payload_format_indicator: None,
        message_expiry_interval: None,
        content_type: None,
        response_topic: None,
        correlation_data: None,
        user_properties: Vec::new(),
    }
}

fn not_for(name: &str, packet: &str) -> String {
    format!("'{}' is not a {packet} property", shorten(name))
}

fn set_connect(props: &mut ConnectProperties, name: &str, value: Value) -> Result<(), String> {
    match name {
        "session-expiry-interval" => props.session_expiry_interval = Some(value.number(name)?),
        "receive-maximum" => {
            props.receive_maximum = Some(value.number(name)?).filter(|&n: &u16| n > 0);
            if props.receive_maximum.is_none() {
                return Err("receive-maximum must be 1 to 65535".into());
            }
        }
        "maximum-packet-size" => props.max_packet_size = Some(value.number(name)?),
        "topic-alias-maximum" => props.topic_alias_max = Some(value.number(name)?),
        "request-problem-information" => props.request_problem_info = Some(value.flag(name)?),
        "request-response-information" => props.request_response_info = Some(value.flag(name)?),
        "authentication-method" => props.authentication_method = Some(value.text()),
        "authentication-data" => props.authentication_data = Some(Bytes::from(value.text())),
        "user-property" => push_pair(&mut props.user_properties, value),
        _ => return Err(not_for(name, "connect")),
    }
    Ok(())
}

fn set_will(props: &mut LastWillProperties, name: &str, value: Value) -> Result<(), String> {
    match name {
        "will-delay-interval" => props.delay_interval = Some(value.number(name)?),
        "payload-format-indicator" => props.payload_format_indicator = Some(value.flag(name)?),
        "message-expiry-interval" => props.message_expiry_interval = Some(value.number(name)?),
        "content-type" => props.content_type = Some(value.text()),
        "response-topic" => props.response_topic = Some(value.text()),
        "correlation-data" => props.correlation_data = Some(Bytes::from(value.text())),
        "user-property" => push_pair(&mut props.user_properties, value),
        _ => return Err(not_for(name, "will")),
    }
    Ok(())
}

fn set_publish(props: &mut PublishProperties, name: &str, value: Value) -> Result<(), String> {
    match name {
        "payload-format-indicator" => props.payload_format_indicator = Some(value.flag(name)?),
        "message-expiry-interval" => props.message_expiry_interval = Some(value.number(name)?),
        "topic-alias" => {
            props.topic_alias = Some(value.number(name)?).filter(|&n: &u16| n > 0);
            if props.topic_alias.is_none() {
                return Err("topic-alias must be 1 to 65535".into());
            }
        }
        "content-type" => props.content_type = Some(value.text()),
        "response-topic" => props.response_topic = Some(value.text()),
        "correlation-data" => props.correlation_data = Some(Bytes::from(value.text())),
        "user-property" => push_pair(&mut props.user_properties, value),
        _ => return Err(not_for(name, "publish")),
    }
    Ok(())
}

fn set_subscribe(props: &mut SubscribeProperties, name: &str, value: Value) -> Result<(), String> {
    match name {
        "subscription-identifier" => {
            // A variable byte integer: 1 to 268 435 455.
            props.id =
                Some(value.number(name)?).filter(|&n: &usize| (1..=268_435_455).contains(&n));
            if props.id.is_none() {
                return Err("subscription-identifier must be 1 to 268435455".into());
            }
        }
        "user-property" => push_pair(&mut props.user_properties, value),
        _ => return Err(not_for(name, "subscribe")),
    }
    Ok(())
}

fn push_pair(list: &mut Vec<(String, String)>, value: Value) {
    if let Value::Pair(k, v) = value {
        list.push((k, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&[&str]]) -> Vec<String> {
        list.iter()
            .flat_map(|w| w.iter().map(|s| s.to_string()))
            .collect()
    }

    #[test]
    fn groups_properties_by_packet() {
        let set = PropertySet::parse(&words(&[
            &["publish", "content-type", "text/plain"],
            &["publish", "user-property", "a", "1"],
            &["publish", "user-property", "a", "2"],
            &["connect", "session-expiry-interval", "30"],
            &["will", "will-delay-interval", "5"],
        ]))
        .unwrap();
        let publish = set.publish.unwrap();
        assert_eq!(publish.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            publish.user_properties,
            vec![("a".into(), "1".into()), ("a".into(), "2".into())]
        );
        assert_eq!(set.connect.unwrap().session_expiry_interval, Some(30));
        assert_eq!(set.will.unwrap().delay_interval, Some(5));

        let set = PropertySet::parse(&words(&[
            &["subscribe", "subscription-identifier", "42"],
            &["subscribe", "user-property", "k", "v"],
        ]))
        .unwrap();
        let subscribe = set.subscribe.unwrap();
        assert_eq!(subscribe.id, Some(42));
        assert_eq!(subscribe.user_properties, vec![("k".into(), "v".into())]);
    }

    #[test]
    fn rejects_unknown_names_commands_and_bad_numbers() {
        for bad in [
            &["publish", "colour", "red"][..],
            &["subscribx", "content-type", "x"],
            &["publish", "message-expiry-interval", "-1"],
            &["publish", "topic-alias", "0"],
            &["publish", "payload-format-indicator", "2"],
            &["publish", "user-property", "only-key"],
            &["publish", "content-type"],
            &["subscribe", "subscription-identifier", "0"],
            &["subscribe", "subscription-identifier", "268435456"],
            &["subscribe", "content-type", "x"],
        ] {
            let err = PropertySet::parse(&words(&[bad])).unwrap_err().to_string();
            assert!(err.starts_with("-D "), "{err}");
        }
    }
}

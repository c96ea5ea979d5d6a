//! MQTT reason codes as numbers and names. rumqttc's MQTT 5 enums carry no numeric value,
//! so the wire values from the MQTT 5 specification (section 2.4) are mapped here.

use rumqttc::v5::mqttbytes::v5::{
    ConnectReturnCode as V5Connect, PubAckReason, PubCompReason, PubRecReason,
};
use rumqttc::ConnectReturnCode as V4Connect;

/// The wire value of an MQTT 3.1.1 CONNACK return code.
pub fn v4_connack(code: V4Connect) -> u8 {
    code as u8
}

/// The wire value of an MQTT 5 CONNACK reason code.
pub fn v5_connack(code: V5Connect) -> u8 {
    use V5Connect::*;
    match code {
        Success => 0x00,
        RefusedProtocolVersion => 0x01,
        BadClientId => 0x02,
        ServiceUnavailable => 0x03,
        UnspecifiedError => 0x80,
        MalformedPacket => 0x81,
        ProtocolError => 0x82,
        ImplementationSpecificError => 0x83,
        UnsupportedProtocolVersion => 0x84,
        ClientIdentifierNotValid => 0x85,
        BadUserNamePassword => 0x86,
        NotAuthorized => 0x87,
        ServerUnavailable => 0x88,
        ServerBusy => 0x89,
        Banned => 0x8A,
        BadAuthenticationMethod => 0x8C,
        TopicNameInvalid => 0x90,
        PacketTooLarge => 0x95,
        QuotaExceeded => 0x97,
        PayloadFormatInvalid => 0x99,
        RetainNotSupported => 0x9A,
        QoSNotSupported => 0x9B,
        UseAnotherServer => 0x9C,
        ServerMoved => 0x9D,
        ConnectionRateExceeded => 0x9F,
    }
}

/// A readable text for a CONNACK code (3.1.1 codes 1-5, MQTT 5 codes >= 0x80).
pub fn connack_text(code: u8) -> &'static str {
    match code {
        0x01 => "unacceptable protocol version",
        0x02 => "client identifier rejected",
        0x03 => "server unavailable",
        0x04 => "bad user name or password",
        0x05 => "not authorised",
        _ => reason_text(code),
    }
}

/// The wire value of an MQTT 5 PUBACK reason.
pub fn puback(reason: PubAckReason) -> u8 {
    use PubAckReason::*;
    match reason {
        Success => 0x00,
        NoMatchingSubscribers => 0x10,
        UnspecifiedError => 0x80,
        ImplementationSpecificError => 0x83,
        NotAuthorized => 0x87,
        TopicNameInvalid => 0x90,
        PacketIdentifierInUse => 0x91,
        QuotaExceeded => 0x97,
        PayloadFormatInvalid => 0x99,
    }
}

/// The wire value of an MQTT 5 PUBREC reason (same table as PUBACK).
pub fn pubrec(reason: PubRecReason) -> u8 {
    use PubRecReason::*;
    match reason {
        Success => 0x00,
        NoMatchingSubscribers => 0x10,
        UnspecifiedError => 0x80,
        ImplementationSpecificError => 0x83,
        NotAuthorized => 0x87,
        TopicNameInvalid => 0x90,
        PacketIdentifierInUse => 0x91,
        QuotaExceeded => 0x97,
        PayloadFormatInvalid => 0x99,
    }
}

/// The wire value of an MQTT 5 PUBCOMP reason.
pub fn pubcomp(reason: PubCompReason) -> u8 {
    match reason {
        PubCompReason::Success => 0x00,
        PubCompReason::PacketIdentifierNotFound => 0x92,
    }
}

/// The MQTT 5 name of a reason code.
pub fn reason_text(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x10 => "no matching subscribers",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep alive timeout",
        0x8E => "session taken over",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connack_codes_match_the_specification() {
        assert_eq!(v4_connack(V4Connect::BadUserNamePassword), 4);
        assert_eq!(v4_connack(V4Connect::NotAuthorized), 5);
        assert_eq!(v5_connack(V5Connect::NotAuthorized), 135);
        assert_eq!(v5_connack(V5Connect::ConnectionRateExceeded), 159);
        assert_eq!(connack_text(5), "not authorised");
        assert_eq!(connack_text(0x86), "bad user name or password");
    }
}

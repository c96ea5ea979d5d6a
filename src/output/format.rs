//! mosquitto_sub's `-F` format strings. [`parse`] is a pure function that turns the string
//! into a [`Template`] (or an error naming the offending character); [`Template::render`]
//! writes one message with it. Fields, flags, widths and the `%j`/`%J` JSON follow
//! mosquitto_sub 2.1 (client/sub_client_output.c and man/common/section-output-format.xml
//! of mosquitto 2.1.0); where 2.1 kept 2.0.11's behaviour, so does this.

use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local};
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use super::escape::{Escape, Escaper};
use super::Received;

/// The largest field width or precision: more is a typo, not a layout.
const MAX_WIDTH: usize = 65535;

/// The characters that may follow the width and precision as `%x`/`%X`'s separator
/// (mosquitto 2.1's `hexseplist`, client/client_shared.c): ASCII punctuation except `%`,
/// and the space. Accepted before any field, as mosquitto does; only `%x`/`%X` use it.
const HEX_SEPARATORS: &str = "!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~ ";

/// A parsed `-F` format.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(Vec<u8>),
    Field(Field, Spec),
    /// `@c`: one strftime conversion (`%c`) of the local receive time.
    Time(String),
    /// `@N`: the nanoseconds of the receive time.
    Nanos,
}

/// `%-08.3:x`: left-align, zero padding, width, precision, hex separator.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Spec {
    left: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    /// `%.2:x`: what goes between `%x`'s groups of `precision` nibbles (a space when absent).
    separator: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Percent,
    Topic,
    Payload,
    Length,
    Qos,
    Retain,
    Mid,
    TopicAlias,
    ContentType,
    CorrelationData,
    MessageExpiry,
    PayloadFormat,
    UserProperties,
    ResponseTopic,
    SubscriptionId,
    Hex,
    HexUpper,
    /// `%d`: the payload as an 8-byte IEEE 754 double (mosquitto 2.1).
    Double,
    /// `%f`: the payload as a 4-byte IEEE 754 float (mosquitto 2.1).
    Float,
    /// `%j`: mosquitto's JSON object, payload as a string (or byte array).
    Json,
    /// `%J`: the same with the payload embedded as JSON.
    JsonEmbedded,
    Iso8601,
    UnixTime,
}

/// What is wrong with a format, and where (a character index).
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError {
    pub position: usize,
    pub message: String,
}

impl FormatError {
    /// One line for the user: the flag, the format and a pointer to the character.
    pub fn describe(&self, format: &str) -> String {
        format!(
            "-F '{format}': {} at character {} (see `mqtk sub --help` for the % and @ fields)",
            self.message,
            self.position + 1
        )
    }
}

/// Parses a format string: `%` fields with optional `-`, `0`, width, `.precision` and a
/// separator (for `%x`/`%X`);
/// `@` strftime fields, `@N` nanoseconds and `@@`; `\` escapes `\\ \0 \a \e \n \r \t \v`.
pub fn parse(format: &str) -> Result<Template, FormatError> {
    let chars: Vec<char> = format.chars().collect();
    let mut pieces = Vec::new();
    let mut literal = Vec::new();
    let mut i = 0;
    let error = |position: usize, message: String| Err(FormatError { position, message });
    while i < chars.len() {
        let c = chars[i];
        match c {
            '%' => {
                let start = i;
                let mut spec = Spec::default();
                i += 1;
                if chars.get(i) == Some(&'-') {
                    spec.left = true;
                    i += 1;
                }
                if chars.get(i) == Some(&'0') {
                    spec.zero = true;
                    i += 1;
                }
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    spec.width = spec.width.saturating_mul(10).saturating_add(d as usize);
                    i += 1;
                }
                if chars.get(i) == Some(&'.') {
                    i += 1;
                    let mut precision = 0usize;
                    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                        precision = precision.saturating_mul(10).saturating_add(d as usize);
                        i += 1;
                    }
                    spec.precision = Some(precision);
                }
                if spec.width > MAX_WIDTH || spec.precision.is_some_and(|p| p > MAX_WIDTH) {
                    return error(start, format!("width or precision above {MAX_WIDTH}"));
                }
                if let Some(&c) = chars.get(i).filter(|c| HEX_SEPARATORS.contains(**c)) {
                    spec.separator = Some(c as u8);
                    i += 1;
                }
                let Some(&name) = chars.get(i) else {
                    return error(
                        start,
                        "incomplete field: '%' needs a letter after it".into(),
                    );
                };
                let Some(field) = field_for(name) else {
                    return error(i, format!("unknown field '%{name}'"));
                };
                flush_literal(&mut pieces, &mut literal);
                pieces.push(Piece::Field(field, spec));
            }
            '@' => {
                let Some(&name) = chars.get(i + 1) else {
                    return error(
                        i,
                        "incomplete time field: '@' needs a letter after it".into(),
                    );
                };
                i += 1;
                if name == '@' {
                    literal.push(b'@');
                } else if name == 'N' {
                    flush_literal(&mut pieces, &mut literal);
                    pieces.push(Piece::Nanos);
                } else {
                    let conversion = format!("%{name}");
                    let valid = StrftimeItems::new(&conversion).all(|item| item != Item::Error);
                    if !valid || !name.is_ascii_alphabetic() && name != '%' && name != '+' {
                        return error(i, format!("unknown time field '@{name}'"));
                    }
                    flush_literal(&mut pieces, &mut literal);
                    pieces.push(Piece::Time(conversion));
                }
            }
            '\\' => {
                let Some(&name) = chars.get(i + 1) else {
                    return error(
                        i,
                        "incomplete escape: '\\' needs a character after it".into(),
                    );
                };
                i += 1;
                literal.push(match name {
                    '\\' => b'\\',
                    '0' => 0,
                    'a' => 7,
                    'e' => 0x1b,
                    'n' => b'\n',
                    'r' => b'\r',
                    't' => b'\t',
                    'v' => 0x0b,
                    _ => return error(i, format!("unknown escape '\\{name}'")),
                });
            }
            other => {
                let mut buf = [0; 4];
                literal.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
        i += 1;
    }
    flush_literal(&mut pieces, &mut literal);
    Ok(Template { pieces })
}

fn flush_literal(pieces: &mut Vec<Piece>, literal: &mut Vec<u8>) {
    if !literal.is_empty() {
        pieces.push(Piece::Literal(std::mem::take(literal)));
    }
}

fn field_for(name: char) -> Option<Field> {
    Some(match name {
        '%' => Field::Percent,
        't' => Field::Topic,
        'p' => Field::Payload,
        'l' => Field::Length,
        'q' => Field::Qos,
        'r' => Field::Retain,
        'm' => Field::Mid,
        'A' => Field::TopicAlias,
        'C' => Field::ContentType,
        'D' => Field::CorrelationData,
        'E' => Field::MessageExpiry,
        'F' => Field::PayloadFormat,
        'P' => Field::UserProperties,
        'R' => Field::ResponseTopic,
        'S' => Field::SubscriptionId,
        'x' => Field::Hex,
        'X' => Field::HexUpper,
        'd' => Field::Double,
        'f' => Field::Float,
        'j' => Field::Json,
        'J' => Field::JsonEmbedded,
        'I' => Field::Iso8601,
        'U' => Field::UnixTime,
        _ => return None,
    })
}

impl Template {
    /// Whether rendering reads the clock (the caller stamps messages only when needed).
    pub fn uses_time(&self) -> bool {
        self.pieces.iter().any(|p| {
            matches!(
                p,
                Piece::Time(_)
                    | Piece::Nanos
                    | Piece::Field(
                        Field::Json | Field::JsonEmbedded | Field::Iso8601 | Field::UnixTime,
                        _
                    )
            )
        })
    }

    /// Writes one message. Returns a warning when `%J` met a payload that is not JSON (the
    /// field is left out, as mosquitto does). With `escape` (a terminal), control
    /// characters in the fields are escaped; the format's own text is written as given.
    pub fn render(
        &self,
        message: &Received,
        pretty: bool,
        escape: bool,
        out: &mut impl Write,
    ) -> io::Result<Option<String>> {
        let mut warning = None;
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.write_all(bytes)?,
                Piece::Field(field, spec) => {
                    let rendered = if escape {
                        let mode = match field {
                            Field::Json | Field::JsonEmbedded => Escape::Json,
                            _ => Escape::Text,
                        };
                        let mut shown = Escaper::new(&mut *out, mode);
                        render_field(*field, *spec, message, pretty, &mut shown)?
                    } else {
                        render_field(*field, *spec, message, pretty, out)?
                    };
                    if let Some(w) = rendered {
                        warning = Some(w);
                    }
                }
                Piece::Time(conversion) => {
                    write!(out, "{}", message.local_time().format(conversion))?
                }
                Piece::Nanos => write!(out, "{:09}", message.nanos())?,
            }
        }
        Ok(warning)
    }
}

fn render_field(
    field: Field,
    spec: Spec,
    m: &Received,
    pretty: bool,
    out: &mut impl Write,
) -> io::Result<Option<String>> {
    let props = m.properties;
    match field {
        Field::Percent => out.write_all(b"%")?,
        Field::Topic => write_str(out, &m.topic, spec)?,
        Field::Payload => write_payload(out, m.payload, spec)?,
        Field::Length => write_int(out, Some(m.payload.len() as u64), spec)?,
        Field::Qos => write!(out, "{}", m.qos)?,
        Field::Retain => out.write_all(if m.retain { b"1" } else { b"0" })?,
        Field::Mid => write_int(out, Some(u64::from(m.mid)), spec)?,
        Field::TopicAlias => {
            write_int(out, props.and_then(|p| p.topic_alias.map(u64::from)), spec)?
        }
        Field::MessageExpiry => write_int(
            out,
            props.and_then(|p| p.message_expiry_interval.map(u64::from)),
            spec,
        )?,
        Field::PayloadFormat => write_int(
            out,
            props.and_then(|p| p.payload_format_indicator.map(u64::from)),
            spec,
        )?,
        Field::SubscriptionId => write_int(
            out,
            props.and_then(|p| p.subscription_identifiers.first().map(|&n| n as u64)),
            spec,
        )?,
        Field::ContentType => match props.and_then(|p| p.content_type.as_deref()) {
            Some(text) => write_str(out, text, spec)?,
            // 2.1 pads a missing value with the field's own padding (2.0.11: spaces).
            None => pad(out, if spec.zero { b'0' } else { b' ' }, spec.width)?,
        },
        Field::ResponseTopic => {
            if let Some(text) = props.and_then(|p| p.response_topic.as_deref()) {
                write_str(out, text, spec)?;
            }
        }
        Field::CorrelationData => {
            if let Some(data) = props.and_then(|p| p.correlation_data.as_ref()) {
                out.write_all(data)?;
            }
        }
        Field::UserProperties => {
            let pairs = props
                .map(|p| p.user_properties.as_slice())
                .unwrap_or_default();
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.write_all(b" ")?;
                }
                write!(out, "{key}:{value}")?;
            }
        }
        Field::Hex => write_hex(out, m.payload, spec, false)?,
        Field::HexUpper => write_hex(out, m.payload, spec, true)?,
        Field::Double | Field::Float => {
            let (value, size, name) = if field == Field::Double {
                let value = <[u8; 8]>::try_from(m.payload).map(f64::from_ne_bytes);
                (value.ok(), 8, "%d: an 8-byte IEEE 754 double")
            } else {
                let value = <[u8; 4]>::try_from(m.payload).map(f32::from_ne_bytes);
                (value.ok().map(f64::from), 4, "%f: a 4-byte IEEE 754 float")
            };
            match value {
                Some(value) => write_float(out, value, spec)?,
                // As mosquitto: the field is left out, the rest of the line printed.
                None => {
                    return Ok(Some(format!(
                        "the payload on '{}' is {} bytes, not {size} ({name})",
                        m.topic,
                        m.payload.len()
                    )))
                }
            }
        }
        Field::Iso8601 => {
            let text = m.local_time().format("%Y-%m-%dT%H:%M:%S%z").to_string();
            write_str(out, &text, spec)?;
        }
        Field::UnixTime => {
            let since = m.since_epoch();
            write!(out, "{}.{:09}", since.as_secs(), since.subsec_nanos())?;
        }
        Field::Json => {
            write_mosquitto_json(out, m, pretty, false)?;
        }
        Field::JsonEmbedded => {
            if !write_mosquitto_json(out, m, pretty, true)? {
                return Ok(Some(format!(
                    "the payload on '{}' is not valid JSON (%J)",
                    m.topic
                )));
            }
        }
    }
    Ok(None)
}

fn pad(out: &mut impl Write, byte: u8, count: usize) -> io::Result<()> {
    let chunk = [byte; 64];
    let mut left = count;
    while left > 0 {
        let n = left.min(chunk.len());
        out.write_all(&chunk[..n])?;
        left -= n;
    }
    Ok(())
}

/// printf's `%d` with `-`, `0` and width; a missing value prints the padding alone.
fn write_int(out: &mut impl Write, value: Option<u64>, spec: Spec) -> io::Result<()> {
    let fill = if spec.zero && !spec.left { b'0' } else { b' ' };
    let Some(value) = value else {
        return pad(out, if spec.zero { b'0' } else { b' ' }, spec.width);
    };
    let mut text = String::new();
    let _ = write!(text, "{value}");
    let padding = spec.width.saturating_sub(text.len());
    if spec.left {
        out.write_all(text.as_bytes())?;
        pad(out, b' ', padding)
    } else {
        pad(out, fill, padding)?;
        out.write_all(text.as_bytes())
    }
}

/// printf's `%s`: the precision cuts, the width pads with spaces (`0` is ignored).
fn write_str(out: &mut impl Write, text: &str, spec: Spec) -> io::Result<()> {
    let shown = match spec.precision {
        Some(max) => match text.char_indices().nth(max) {
            Some((end, _)) => &text[..end],
            None => text,
        },
        None => text,
    };
    let padding = spec.width.saturating_sub(shown.chars().count());
    if !spec.left {
        pad(out, b' ', padding)?;
    }
    out.write_all(shown.as_bytes())?;
    if spec.left {
        pad(out, b' ', padding)?;
    }
    Ok(())
}

/// `%p` with a width shows at most `width` bytes, padded to `width` (mosquitto's rule).
fn write_payload(out: &mut impl Write, payload: &[u8], spec: Spec) -> io::Result<()> {
    let shown = if spec.width > 0 && payload.len() > spec.width {
        &payload[..spec.width]
    } else {
        payload
    };
    let fill = if spec.zero { b'0' } else { b' ' };
    let padding = spec.width.saturating_sub(shown.len());
    if !spec.left {
        pad(out, fill, padding)?;
    }
    out.write_all(shown)?;
    if spec.left {
        pad(out, b' ', padding)?;
    }
    Ok(())
}

/// `%x`/`%X` as mosquitto 2.1's `write_payload`: a width shows at most `width` bytes and
/// pads to `width` characters; a precision splits the digits into groups of that many
/// nibbles, with the separator (a space by default) between them, counting the right-hand
/// padding as nibbles too. A left-aligned field wider than `width` gets no padding (2.1's
/// `printf("%*s", negative, "")` pads it with spaces; this is not copied).
fn write_hex(out: &mut impl Write, payload: &[u8], spec: Spec, upper: bool) -> io::Result<()> {
    let shown = if spec.width > 0 {
        &payload[..payload.len().min(spec.width)]
    } else {
        payload
    };
    let digits = super::hex(shown, upper);
    let padding = spec.width.saturating_sub(digits.len());
    let group = spec.precision.filter(|&p| p > 0);
    let separator = spec.separator.unwrap_or(b' ');
    let mut text = Vec::with_capacity(padding + digits.len() * 2);
    // mosquitto's `xpos`: the nibbles (and padding characters) written so far.
    let mut nibble = 0usize;
    let mut put = |text: &mut Vec<u8>, byte: u8, separate: bool| {
        text.push(byte);
        if separate {
            if group.is_some_and(|g| nibble % g == g - 1) {
                text.push(separator);
            }
            nibble += 1;
        }
    };
    if !spec.left {
        let fill = if spec.zero { b'0' } else { b' ' };
        for _ in 0..padding {
            put(&mut text, fill, true);
        }
    }
    for (i, &digit) in digits.iter().enumerate() {
        // No separator after the last nibble.
        put(&mut text, digit, i + 1 < digits.len());
    }
    out.write_all(&text)?;
    if spec.left {
        pad(out, b' ', padding)?;
    }
    Ok(())
}

/// `%d`/`%f` as printf's `%f`: `precision` decimals (6 by default), the width padded with
/// spaces, or zeros after the sign with `0`; `inf` and `nan` as glibc writes them.
fn write_float(out: &mut impl Write, value: f64, spec: Spec) -> io::Result<()> {
    let negative = value.is_sign_negative();
    let text = if value.is_nan() {
        if negative { "-nan" } else { "nan" }.to_string()
    } else if value.is_infinite() {
        if negative { "-inf" } else { "inf" }.to_string()
    } else {
        format!("{:.*}", spec.precision.unwrap_or(6), value)
    };
    let padding = spec.width.saturating_sub(text.len());
    if spec.left {
        out.write_all(text.as_bytes())?;
        pad(out, b' ', padding)
    } else if spec.zero && value.is_finite() {
        let digits = match text.strip_prefix('-') {
            Some(rest) => {
                out.write_all(b"-")?;
                rest
            }
            None => text.as_str(),
        };
        pad(out, b'0', padding)?;
        out.write_all(digits.as_bytes())
    } else {
        pad(out, b' ', padding)?;
        out.write_all(text.as_bytes())
    }
}

/// mosquitto 2.1's `%j`/`%J` object (`json_print`), keys in its order. Returns false
/// (writing nothing) when `embedded` and the payload is not JSON.
fn write_mosquitto_json(
    out: &mut impl Write,
    m: &Received,
    pretty: bool,
    embedded: bool,
) -> io::Result<bool> {
    let payload = if embedded {
        if m.payload.is_empty() {
            MosquittoPayload::Null
        } else {
            match std::str::from_utf8(m.payload)
                .ok()
                .and_then(|text| serde_json::from_str::<&serde_json::value::RawValue>(text).ok())
            {
                Some(raw) => MosquittoPayload::Raw(raw),
                None => return Ok(false),
            }
        }
    } else {
        match std::str::from_utf8(m.payload) {
            Ok(text) => MosquittoPayload::Text(text),
            // mosquitto #2213 (2.0.x): a byte array keeps every byte. 2.1 writes the bytes
            // as a C string (cut at a NUL, invalid UTF-8 copied into the JSON); not copied.
            Err(_) => MosquittoPayload::Bytes(m.payload),
        }
    };
    let time = m.local_time();
    let object = MosquittoJson {
        // 2.1's format_time_8601: microseconds, then the offset (2.0.11 put a `Z` before it).
        tst: format!(
            "{}.{:06}{}",
            time.format("%Y-%m-%dT%H:%M:%S"),
            m.nanos() / 1000,
            time.format("%z")
        ),
        topic: &m.topic,
        qos: m.qos,
        retain: m.retain,
        payloadlen: m.payload.len(),
        mid: (m.qos > 0).then_some(m.mid),
        properties: m.properties.map(MosquittoProperties),
        payload,
    };
    let written = if pretty {
        serde_json::to_writer_pretty(&mut *out, &object)
    } else {
        serde_json::to_writer(&mut *out, &object)
    };
    written.map_err(io::Error::from)?;
    Ok(true)
}

#[derive(Serialize)]
struct MosquittoJson<'a> {
    tst: String,
    topic: &'a str,
    qos: u8,
    /// 2.1: `cJSON_AddBoolToObject` (2.0.11: 0 or 1).
    retain: bool,
    payloadlen: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    mid: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<MosquittoProperties<'a>>,
    payload: MosquittoPayload<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum MosquittoPayload<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Raw(&'a serde_json::value::RawValue),
    Null,
}

/// The properties object with mosquitto's hyphenated names. mosquitto writes them in the
/// order they came on the wire; the decoded properties no longer have one, so this order is
/// fixed. `topic-alias` is the real alias (2.0.11 printed a wrong value; fixed in 2.0.16).
struct MosquittoProperties<'a>(&'a PublishProperties);

impl Serialize for MosquittoProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = serializer.serialize_map(None)?;
        if let Some(v) = p.payload_format_indicator {
            map.serialize_entry("payload-format-indicator", &v)?;
        }
        if let Some(v) = p.message_expiry_interval {
            map.serialize_entry("message-expiry-interval", &v)?;
        }
        if let Some(v) = &p.content_type {
            map.serialize_entry("content-type", v)?;
        }
        if let Some(v) = &p.response_topic {
            map.serialize_entry("response-topic", v)?;
        }
        if let Some(v) = &p.correlation_data {
            map.serialize_entry("correlation-data", &String::from_utf8_lossy(v))?;
        }
        if let Some(v) = p.subscription_identifiers.first() {
            map.serialize_entry("subscription-identifier", v)?;
        }
        if let Some(v) = p.topic_alias {
            map.serialize_entry("topic-alias", &v)?;
        }
        if !p.user_properties.is_empty() {
            map.serialize_entry("user-properties", &UserProperties(&p.user_properties))?;
        }
        map.end()
    }
}

/// 2.1's `user-properties`: a list of one-key objects, in the order they came, repeated
/// keys kept (`[{"a":"1"},{"a":"2"}]`; 2.0.x wrote one object, `{"a":"1","a":"2"}`).
struct UserProperties<'a>(&'a [(String, String)]);

impl Serialize for UserProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.0.len()))?;
        for (key, value) in self.0 {
            list.serialize_element(&UserProperty(key, value))?;
        }
        list.end()
    }
}

struct UserProperty<'a>(&'a str, &'a str);

impl Serialize for UserProperty<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

impl Received<'_> {
    fn local_time(&self) -> DateTime<Local> {
        DateTime::<Local>::from(self.time)
    }

    fn since_epoch(&self) -> std::time::Duration {
        self.time
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }

    fn nanos(&self) -> u32 {
        self.since_epoch().subsec_nanos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn message<'a>(payload: &'a [u8], properties: Option<&'a PublishProperties>) -> Received<'a> {
        Received {
            topic: "r/b".into(),
            payload,
            qos: 1,
            retain: true,
            dup: false,
            mid: 7,
            properties,
            time: UNIX_EPOCH + Duration::new(1_795_440_191, 490_083_167),
        }
    }

    fn render(format: &str, m: &Received) -> String {
        let mut out = Vec::new();
        parse(format)
            .unwrap()
            .render(m, false, false, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Each expected string was printed by mosquitto_sub 2.0.11 for the same message
    /// (topic r/b, payload "hello world", retained); these fields are the same in 2.1
    /// (client/sub_client_output.c of 2.1.0). 2.0.11's `%x` lines are gone: 2.1 changed them
    /// (see `hex_as_mosquitto_2_1`).
    #[test]
    fn matches_mosquitto_golden_outputs() {
        let m = message(b"hello world", None);
        let golden = [
            ("[%5p][%-5p][%15p][%-15p][%015p][%.3p][%3.1p][%20.2p]", "[hello][hello][    hello world][hello world    ][0000hello world][hello world][hel][         hello world]"),
            ("[%5l][%-5l][%05l][%10t][%-10t][%010t][%.1t][%5.1t][%5r][%5m][%05m]", "[   11][11   ][00011][       r/b][r/b       ][       r/b][r][    r][1][    7][00007]"),
            ("[%-05l]", "[11   ]"),
            ("[%5%]", "[%]"),
            ("[%5A][%-5E][%05F][%5C][%5R][%5S][%5P][%5D]", "[     ][     ][00000][     ][][     ][][]"),
            ("%t %p %q %r %m %l", "r/b hello world 1 1 7 11"),
            ("@@ \\t\\\\", "@ \t\\"),
            ("%U", "1795440191.490083167"),
            ("@N", "490083167"),
            ("@s", "1795440191"),
        ];
        for (format, expected) in golden {
            assert_eq!(render(format, &m), expected, "{format}");
        }
    }

    /// The message of mosquitto 2.1.0's own client test, test/client/02-subscribe-format.py
    /// (read in yonasBSD/mosquitto, a mirror of eclipse-mosquitto/mosquitto, at commit
    /// 306883594e, whose ChangeLog.txt tops at "2.1.0 - 2026-01-29"; the other 2.1 sources
    /// cited here are from the same commit: client/sub_client_output.c,
    /// client/client_shared.c, man/common/section-output-format.xml, test/client/*.py):
    /// topic 02/sub/format/test, payload "message", QoS 0, not retained, and
    /// for its MQTT 5 runs the properties it publishes and subscription identifier 56.
    fn format_test_message<'a>(
        payload: &'a [u8],
        properties: Option<&'a PublishProperties>,
    ) -> Received<'a> {
        Received {
            topic: "02/sub/format/test".into(),
            qos: 0,
            retain: false,
            mid: 0,
            ..message(payload, properties)
        }
    }

    fn format_test_properties() -> PublishProperties {
        PublishProperties {
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(3600),
            content_type: Some("plain/text".into()),
            response_topic: Some("/dev/null".into()),
            user_properties: (1..=4)
                .map(|i| (format!("name{i}"), format!("value{i}")))
                .collect(),
            subscription_identifiers: vec![56],
            ..PublishProperties::default()
        }
    }

    /// Every `do_test(format, expected)` of mosquitto 2.1.0's test/client/02-subscribe-format.py
    /// (the expected strings without the newline mosquitto_sub appends), in its order.
    #[test]
    fn matches_mosquitto_2_1_format_test() {
        let plain = format_test_message(b"message", None);
        let props = format_test_properties();
        let v5 = format_test_message(b"message", Some(&props));
        let golden: &[(&str, &Received, &str)] = &[
            ("%%", &plain, "%"),
            ("%A", &plain, ""),
            ("%C", &plain, ""),
            ("%2C", &plain, "  "),
            ("%C", &v5, "plain/text"),
            ("%D", &plain, ""),
            ("%E", &plain, ""),
            ("%E", &v5, "3600"),
            ("%F", &plain, ""),
            ("%F", &v5, "1"),
            ("%l", &plain, "7"),
            ("%02l", &plain, "07"),
            ("%2l", &plain, " 7"),
            ("%-2l", &plain, "7 "),
            ("%m", &plain, "0"),
            ("%P", &plain, ""),
            (
                "%P",
                &v5,
                "name1:value1 name2:value2 name3:value3 name4:value4",
            ),
            ("%p", &plain, "message"),
            ("%-12p", &plain, "message     "),
            ("%q", &plain, "0"),
            ("%R", &plain, ""),
            ("%r", &plain, "0"),
            ("%S", &plain, ""),
            ("%S", &v5, "56"),
            ("%t", &plain, "02/sub/format/test"),
            ("%.20t", &plain, "02/sub/format/test"),
            ("%-.20t", &plain, "02/sub/format/test"),
            ("%20t", &plain, "  02/sub/format/test"),
            ("%-20t", &plain, "02/sub/format/test  "),
            ("%10.10t", &plain, "02/sub/for"),
            ("%20.10t", &plain, "          02/sub/for"),
            ("%-20.10t", &plain, "02/sub/for          "),
            ("%x", &plain, "6d657373616765"),
            ("%.1x", &plain, "6 d 6 5 7 3 7 3 6 1 6 7 6 5"),
            ("%.2x", &plain, "6d 65 73 73 61 67 65"),
            ("%.2:x", &plain, "6d:65:73:73:61:67:65"),
            ("%18x", &plain, "    6d657373616765"),
            ("%-18x", &plain, "6d657373616765    "),
            ("%X", &plain, "6D657373616765"),
            ("\\\\", &plain, "\\"),
            ("\\a", &plain, "\x07"),
            ("\\n", &plain, "\n"),
            ("\\r", &plain, "\r"),
            ("\\t", &plain, "\t"),
            ("\\v", &plain, "\x0b"),
            ("@@", &plain, "@"),
            ("text", &plain, "text"),
        ];
        for (format, m, expected) in golden {
            assert_eq!(render(format, m), *expected, "{format}");
        }
        // The same file's float cases (struct.pack of the bytes: the machine's byte order,
        // as mosquitto's memcpy; every platform mqtk is built for is little-endian).
        let e = [0x58, 0x39, 0xB4, 0xC8, 0x76, 0xBE, 0x05, 0x40];
        assert_eq!(render("%.3d", &format_test_message(&e, None)), "2.718");
        let half_root = [0xF4, 0xFD, 0x34, 0x3F];
        assert_eq!(
            render("%.3f", &format_test_message(&half_root, None)),
            "0.707"
        );
    }

    /// Derived from mosquitto 2.1.0's client/sub_client_output.c, `write_payload()` and
    /// `hexsep()` (same source as above): a width keeps at most `width` bytes and pads to
    /// `width` characters; the padding counts towards the groups; no separator after the
    /// last nibble. mosquitto_sub 2.0.11 printed `[%3x][%8x][%.2x]` as
    /// `[ 68][68656c6c][68656c6c6f20776f726c64]` and `%20x` as 10 spaces and 5 bytes.
    #[test]
    fn hex_as_mosquitto_2_1() {
        let m = message(b"hello world", None);
        let golden = [
            ("[%3x][%8x]", "[68656c][68656c6c6f20776f]"),
            ("[%.2x]", "[68 65 6c 6c 6f 20 77 6f 72 6c 64]"),
            ("[%20x]", "[68656c6c6f20776f726c64]"),
            ("[%-30X]", "[68656C6C6F20776F726C64        ]"),
            ("[%030x]", "[0000000068656c6c6f20776f726c64]"),
            ("[%.3x]", "[686 56c 6c6 f20 776 f72 6c6 4]"),
            ("[%.4-X]", "[6865-6C6C-6F20-776F-726C-64]"),
            ("[%030.4x]", "[0000 0000 6865 6c6c 6f20 776f 726c 64]"),
            ("[%26.4_x]", "[    _6865_6c6c_6f20_776f_726c_64]"),
            ("[%-26.4:x]", "[6865:6c6c:6f20:776f:726c:64    ]"),
            (
                "[%.0x][%.22x]",
                "[68656c6c6f20776f726c64][68656c6c6f20776f726c64]",
            ),
            ("[%.2 x]", "[68 65 6c 6c 6f 20 77 6f 72 6c 64]"),
            // Separators are accepted before any field and used by none but %x/%X.
            ("[%.2:t][%:t][%5,l]", "[r/][r/b][   11]"),
        ];
        for (format, expected) in golden {
            assert_eq!(render(format, &m), expected, "{format}");
        }
        let empty = message(b"", None);
        // Padding alone is grouped too: 4 spaces, a separator after each second.
        assert_eq!(render("[%.2x][%4.2x]", &empty), "[][      ]");
    }

    /// printf's `%f` (mosquitto 2.1's `formatted_print_float`): 6 decimals by default, `-`
    /// and `0` flags, and a payload of the wrong size leaves the field out with a warning.
    #[test]
    fn floats_as_printf() {
        let pi = std::f64::consts::PI.to_ne_bytes();
        let m = message(&pi, None);
        assert_eq!(render("%d", &m), "3.141593");
        assert_eq!(
            render("[%10.2d][%-10.2d][%010.2d]", &m),
            "[      3.14][3.14      ][0000003.14]"
        );
        let minus = (-1.5f32).to_ne_bytes();
        let m = message(&minus, None);
        assert_eq!(render("[%08.2f][%.0f]", &m), "[-0001.50][-2]");
        let inf = f32::INFINITY.to_ne_bytes();
        assert_eq!(render("[%06f]", &message(&inf, None)), "[   inf]");
        let mut out = Vec::new();
        let warning = parse("<%d>")
            .unwrap()
            .render(&message(b"abc", None), false, false, &mut out)
            .unwrap();
        assert_eq!(out, b"<>");
        let warning = warning.unwrap();
        assert!(warning.contains("3 bytes, not 8"), "{warning}");
    }

    #[test]
    fn escapes_produce_control_bytes() {
        let m = message(b"x", None);
        let mut out = Vec::new();
        parse("\\0\\a\\e\\n\\r\\t\\v\\\\")
            .unwrap()
            .render(&m, false, false, &mut out)
            .unwrap();
        assert_eq!(out, b"\0\x07\x1b\n\r\t\x0b\\");
    }

    /// On a terminal the fields are escaped, the format's own text (colours) is not.
    #[test]
    fn escaping_spares_the_format_text() {
        let m = Received {
            topic: "t\u{1b}]0;x\u{7}".into(),
            ..message(b"\x1b[2Jp\xc2\x9b", None)
        };
        let mut out = Vec::new();
        parse("\\e[1m%t\\e[0m %p|%j")
            .unwrap()
            .render(&m, false, true, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("\x1b[1mt\\x1b]0;x\\x07\x1b[0m \\x1b[2Jp\\u{9b}|{"),
            "{text}"
        );
        assert!(text.ends_with(r#""payload":"\u001b[2Jp\u009b"}"#), "{text}");
    }

    #[test]
    fn every_byte_value_survives_hex_and_raw_payload() {
        let all: Vec<u8> = (0..=255).collect();
        let m = message(&all, None);
        let hex = render("%x", &m);
        assert_eq!(hex.len(), 512);
        assert!(hex.starts_with("000102") && hex.ends_with("fdfeff"));
        let mut out = Vec::new();
        parse("%p")
            .unwrap()
            .render(&m, false, false, &mut out)
            .unwrap();
        assert_eq!(out, all);
    }

    #[test]
    fn v5_properties_render() {
        let props = PublishProperties {
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(60),
            topic_alias: Some(3),
            response_topic: Some("reply/here".into()),
            correlation_data: Some(bytes::Bytes::from_static(b"c-1")),
            user_properties: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            subscription_identifiers: vec![42],
            content_type: Some("text/plain".into()),
        };
        let m = message(b"hi", Some(&props));
        assert_eq!(
            render("%A|%C|%D|%E|%F|%P|%R|%S|%-4S|", &m),
            "3|text/plain|c-1|60|1|a:1 b:2|reply/here|42|42  |"
        );
        let json = render("%j", &m);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["properties"]["subscription-identifier"], 42);
        assert_eq!(value["properties"]["topic-alias"], 3);
        assert!(json.contains(r#""properties":{"payload-format-indicator":1,"message-expiry-interval":60,"content-type":"text/plain""#), "{json}");
        assert!(
            json.contains(r#","user-properties":[{"a":"1"},{"b":"2"}]},"#),
            "{json}"
        );
    }

    /// mosquitto 2.1.0's test/client/02-subscribe-format-json-properties.py: the message it
    /// publishes and the object it expects from `-F %j` (`tst` blanked, as the test does).
    /// Its `"retain": 0` is compared in Python, where `0 == False`; 2.1's `json_print`
    /// writes `cJSON_AddBoolToObject(root, "retain", ...)`, so the golden says `false`.
    #[test]
    fn json_matches_mosquitto_2_1_properties_test() {
        let props = PublishProperties {
            payload_format_indicator: Some(1),
            content_type: Some("plain/text".into()),
            response_topic: Some("/dev/null".into()),
            correlation_data: Some(bytes::Bytes::from_static(b"2357289375902345")),
            user_properties: ["value4", "value3", "value1", "value2"]
                .iter()
                .map(|v| ("name".to_string(), v.to_string()))
                .collect(),
            topic_alias: Some(1),
            subscription_identifiers: vec![99],
            ..PublishProperties::default()
        };
        let m = Received {
            topic: "02/sub/format/json/properties/test".into(),
            retain: false,
            mid: 1,
            ..message(b"message", Some(&props))
        };
        let mut got: serde_json::Value = serde_json::from_str(&render("%j", &m)).unwrap();
        got["tst"] = "".into();
        let expected = serde_json::json!({
            "tst": "",
            "topic": "02/sub/format/json/properties/test",
            "qos": 1,
            "retain": false,
            "payloadlen": 7,
            "mid": 1,
            "properties": {
                "payload-format-indicator": 1,
                "content-type": "plain/text",
                "response-topic": "/dev/null",
                "correlation-data": "2357289375902345",
                "user-properties": [
                    {"name": "value4"},
                    {"name": "value3"},
                    {"name": "value1"},
                    {"name": "value2"}
                ],
                "topic-alias": 1,
                "subscription-identifier": 99
            },
            "payload": "message"
        });
        assert_eq!(got, expected);
        // The same test for MQTT 3.1.1 (02-subscribe-format-json-qos0.py): no properties,
        // no mid at QoS 0.
        let plain = Received {
            topic: "02/sub/format/json/test".into(),
            qos: 0,
            retain: false,
            ..message(b"message", None)
        };
        let json = render("%j", &plain);
        assert!(
            json.ends_with(r#","topic":"02/sub/format/json/test","qos":0,"retain":false,"payloadlen":7,"payload":"message"}"#),
            "{json}"
        );
    }

    #[test]
    fn json_fields_follow_mosquitto() {
        let m = message(b"a\tb\"c\\", None);
        let json = render("%j", &m);
        assert!(json.starts_with(r#"{"tst":""#), "{json}");
        assert!(
            json.ends_with(
                r#","topic":"r/b","qos":1,"retain":true,"payloadlen":6,"mid":7,"payload":"a\tb\"c\\"}"#
            ),
            "{json}"
        );
        let tst = serde_json::from_str::<serde_json::Value>(&json).unwrap()["tst"]
            .as_str()
            .unwrap()
            .to_string();
        // 2026-11-23T13:23:11.490083+0000: local time, microseconds, then the offset (the
        // man page's `%j` example in 2.1, `"tst":"2020-05-06T22:12:00.000000+0100"`;
        // mosquitto 2.0.11 printed `.490083Z+0000`).
        assert_eq!(tst.len(), "2026-11-23T13:23:11.490083+0000".len(), "{tst}");
        assert_eq!(&tst[19..26], ".490083");
        assert!(tst[26..].starts_with(['+', '-']), "{tst}");

        let binary = message(&[0, 255], None);
        assert!(render("%j", &binary).ends_with(r#""payload":[0,255]}"#));
        let embedded = message(br#"{"b":1,"a":[true]}"#, None);
        assert!(render("%J", &embedded).ends_with(r#""payload":{"b":1,"a":[true]}}"#));
        let mut out = Vec::new();
        let warning = parse("<%J>")
            .unwrap()
            .render(&message(b"not json", None), false, false, &mut out)
            .unwrap();
        assert!(warning.unwrap().contains("not valid JSON"));
        assert_eq!(out, b"<>");
    }

    #[test]
    fn malformed_formats_point_at_the_character() {
        let cases = [
            ("[%5p%z]", 5, "unknown field '%z'"),
            ("abc%", 3, "incomplete field"),
            // '-' after the flags is a separator (2.1), so the field letter is the '5'.
            ("%0-5l", 3, "unknown field '%5'"),
            ("x@", 1, "incomplete time field"),
            ("@Q", 1, "unknown time field '@Q'"),
            ("a\\", 1, "incomplete escape"),
            ("a\\q", 2, "unknown escape '\\q'"),
            ("%5@", 0, "incomplete field"),
            ("%.2:", 0, "incomplete field"),
            (
                "ab%99999999999999999999p",
                2,
                "width or precision above 65535",
            ),
            ("%.70000t", 0, "width or precision above 65535"),
        ];
        for (format, position, message) in cases {
            let error = parse(format).unwrap_err();
            assert_eq!(error.position, position, "{format}: {error:?}");
            assert!(error.message.starts_with(message), "{format}: {error:?}");
            assert!(error
                .describe(format)
                .contains(&format!("at character {}", position + 1)));
        }
    }

    #[test]
    fn time_fields_use_local_time() {
        let m = message(b"x", None);
        let local = DateTime::<Local>::from(m.time);
        assert_eq!(render("@Y-@m-@d", &m), local.format("%Y-%m-%d").to_string());
        assert_eq!(
            render("%I", &m),
            local.format("%Y-%m-%dT%H:%M:%S%z").to_string()
        );
        assert_eq!(render("%.4I", &m), local.format("%Y").to_string());
        assert!(parse("%I @H:@M:@S @z @%").is_ok());
    }
}

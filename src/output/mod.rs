//! Output and interchange formats. `jsonl` is the JSON-lines message schema shared by
//! `mqtk pub --jsonl` (input) and `mqtk sub --json` (output); `format` is mosquitto's `-F`;
//! [`Printer`] writes received messages in the chosen style to stdout, buffered; `stdio`
//! owns stdout and stderr for every command; `escape` keeps the terminal out of reach of
//! what brokers and publishers send.

pub mod bench;
pub mod escape;
pub mod format;
pub mod jsonl;
pub mod ping;
pub mod stdio;

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rumqttc::v5::mqttbytes::v5::PublishProperties;

use crate::cli::{OutputArgs, PayloadFormatArg};
use crate::engine::packets::Message;
use crate::error::Failure;
use escape::Escape;
use format::Template;
use jsonl::JsonMessage;
use stdio::Stdout;

/// A received message as the printers see it.
#[derive(Debug)]
pub struct Received<'a> {
    pub topic: Cow<'a, str>,
    pub payload: &'a [u8],
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    /// The packet id (0 for QoS 0).
    pub mid: u16,
    pub properties: Option<&'a PublishProperties>,
    /// When it was read (wall clock).
    pub time: SystemTime,
}

impl<'a> Received<'a> {
    /// `topic` is the message's topic as text (the caller has usually decoded it already).
    pub fn new(message: &'a Message, topic: Cow<'a, str>, time: SystemTime) -> Received<'a> {
        Received {
            topic,
            payload: &message.payload,
            qos: message.qos,
            retain: message.retain,
            dup: message.dup,
            mid: message.pkid,
            properties: message.properties.as_ref(),
            time,
        }
    }
}

/// How payload bytes are shown (`--payload-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadFormat {
    /// Raw bytes; in JSON, `payload` when UTF-8, else `payload_base64`.
    #[default]
    Auto,
    /// UTF-8 text, invalid sequences replaced by U+FFFD.
    Text,
    Base64,
    Hex,
}

/// The output style of `mqtk sub`.
#[derive(Debug, Clone)]
pub enum Style {
    /// The payload alone (mosquitto's default).
    Payload,
    /// `topic payload` (-v).
    Verbose,
    /// A `-F` format.
    Format(Template),
    /// One `JsonMessage` object per message (--json).
    Json,
}

/// The output flags (`sub`, `rr`), validated: everything a [`Printer`] is made of.
#[derive(Debug, Clone)]
pub struct PrintOptions {
    pub style: Style,
    pub payload_format: PayloadFormat,
    /// End each message with a newline (off with -N).
    pub eol: bool,
    pub pretty: bool,
    /// Control characters as received, even on a terminal (--raw).
    pub raw: bool,
}

impl PrintOptions {
    /// Validates -v, -F, --json, --payload-format, -N, --pretty and --raw.
    pub fn from_args(args: &OutputArgs) -> Result<PrintOptions, Failure> {
        let style = if let Some(text) = &args.format {
            Style::Format(format::parse(text).map_err(|e| Failure::Usage(e.describe(text)))?)
        } else if args.json {
            Style::Json
        } else if args.verbose {
            Style::Verbose
        } else {
            Style::Payload
        };
        Ok(PrintOptions {
            style,
            payload_format: match args.payload_format {
                PayloadFormatArg::Auto => PayloadFormat::Auto,
                PayloadFormatArg::Text => PayloadFormat::Text,
                PayloadFormatArg::Base64 => PayloadFormat::Base64,
                PayloadFormatArg::Hex => PayloadFormat::Hex,
            },
            eol: !args.no_newline,
            pretty: args.pretty,
            raw: args.raw,
        })
    }

    /// A printer to stdout in this style.
    pub fn printer(&self) -> Printer {
        Printer::new(
            self.style.clone(),
            self.payload_format,
            self.eol,
            self.pretty,
            self.raw,
        )
    }
}

/// Writes messages to a buffered stdout. The caller flushes when no more messages are
/// waiting, so a sparse stream is seen at once and a burst costs one write per buffer.
/// On a terminal, control characters in topics, payloads and properties are escaped
/// (not in a -F format's own text: `\e[1m` there is the user's); `raw` keeps them.
pub struct Printer {
    style: Style,
    payload_format: PayloadFormat,
    /// End each message with a newline (off with -N).
    eol: bool,
    pretty: bool,
    /// The style shows the time of arrival: stamp each message with the wall clock (only
    /// then, it costs a clock read).
    stamp: bool,
    out: Stdout,
}

const BUFFER: usize = 64 * 1024;

impl Printer {
    pub fn new(
        style: Style,
        payload_format: PayloadFormat,
        eol: bool,
        pretty: bool,
        raw: bool,
    ) -> Printer {
        let out = Stdout::new(BUFFER);
        let stamp = match &style {
            Style::Json => true,
            Style::Format(template) => template.uses_time(),
            Style::Payload | Style::Verbose => false,
        };
        Printer {
            style,
            payload_format,
            eol,
            pretty,
            stamp,
            out: if raw { out.raw() } else { out },
        }
    }

    /// Writes one message as it arrives now; returns a warning for stderr, if any.
    pub fn print_message(
        &mut self,
        message: &Message,
        topic: Cow<'_, str>,
    ) -> io::Result<Option<String>> {
        let time = if self.stamp {
            SystemTime::now()
        } else {
            SystemTime::UNIX_EPOCH
        };
        self.print(&Received::new(message, topic, time))
    }

    /// Writes one message; returns a warning for stderr, if any.
    pub fn print(&mut self, m: &Received) -> io::Result<Option<String>> {
        let out = &mut self.out;
        match &self.style {
            // As mosquitto: an empty payload prints nothing, not even a newline.
            Style::Payload if m.payload.is_empty() => return Ok(None),
            Style::Payload => write_payload(out, m.payload, self.payload_format)?,
            Style::Verbose if m.payload.is_empty() => {
                if self.eol {
                    out.write_shown(m.topic.as_bytes(), Escape::Text)?;
                    out.write_all(b" (null)")?;
                } else {
                    return Ok(None);
                }
            }
            Style::Verbose => {
                out.write_shown(m.topic.as_bytes(), Escape::Text)?;
                out.write_all(b" ")?;
                write_payload(out, m.payload, self.payload_format)?;
            }
            Style::Format(template) => {
                let escape = out.escape(Escape::Text) != Escape::Off;
                let warning = template.render(m, self.pretty, escape, out)?;
                if self.eol {
                    out.write_all(b"\n")?;
                }
                return Ok(warning);
            }
            Style::Json => {
                let object = JsonMessage::from_received(m, self.payload_format);
                let mut json = out.shown(Escape::Json);
                let written = if self.pretty {
                    serde_json::to_writer_pretty(&mut json, &object)
                } else {
                    serde_json::to_writer(&mut json, &object)
                };
                written.map_err(io::Error::from)?;
            }
        }
        if self.eol {
            out.write_all(b"\n")?;
        }
        Ok(None)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn write_payload(out: &mut Stdout, payload: &[u8], format: PayloadFormat) -> io::Result<()> {
    match format {
        PayloadFormat::Auto => out.write_shown(payload, Escape::Text),
        PayloadFormat::Text => {
            out.write_shown(String::from_utf8_lossy(payload).as_bytes(), Escape::Text)
        }
        PayloadFormat::Base64 => out.write_all(BASE64.encode(payload).as_bytes()),
        PayloadFormat::Hex => out.write_all(&hex(payload, false)),
    }
}

/// Lowercase (or uppercase) hex digits of `bytes`.
pub fn hex(bytes: &[u8], upper: bool) -> Vec<u8> {
    let digits = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut text = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(digits[usize::from(b >> 4)]);
        text.push(digits[usize::from(b & 15)]);
    }
    text
}

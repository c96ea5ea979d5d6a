//! Control characters made visible. A message, a topic or a broker's reason string may hold
//! ESC, OSC or CSI sequences that would drive the terminal showing them (retitle it, hide
//! text, write to the clipboard); on a terminal they are printed as `\x1b`, never as
//! themselves. On a pipe or a file the bytes stay exact (see `Stdout`), and
//! `mqtk sub --raw` keeps them on a terminal too.
//!
//! Escaped: C0 controls except tab and newline, DEL, and the C1 controls U+0080-U+009F
//! (in UTF-8, and as the bare bytes 0x80-0x9F a Latin-1 terminal would obey).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// How control characters are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As they are (a pipe, a file, `--raw`).
    Off,
    /// `\x1b` for C0 and DEL, `\u{9b}` for a C1 character, `\x9b` for a bare byte.
    Text,
    /// Inside JSON output: `\u001b`, `\u009b`, so the JSON stays valid and means the same.
    Json,
}

/// A control character that is escaped (tab and newline are not).
fn is_escaped(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}')
}

/// Whether `bytes` may hold something to escape (a cheap look before the real one).
fn maybe_escaped(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| (b < 0x20 && b != b'\t' && b != b'\n') || (0x7f..=0x9f).contains(&b))
}

/// Appends `bytes` to `out` with control characters escaped as `mode` says.
pub fn escape_into(bytes: &[u8], mode: Escape, out: &mut Vec<u8>) {
    if mode == Escape::Off || !maybe_escaped(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let mut from = 0;
        for (at, c) in valid.char_indices() {
            if is_escaped(c) {
                out.extend_from_slice(&valid.as_bytes()[from..at]);
                text.clear();
                push_char(c, mode, &mut text);
                out.extend_from_slice(text.as_bytes());
                from = at + c.len_utf8();
            }
        }
        out.extend_from_slice(&valid.as_bytes()[from..]);
        for &b in chunk.invalid() {
            if (0x80..=0x9f).contains(&b) {
                text.clear();
                match mode {
                    Escape::Json => {
                        let _ = write!(text, "\\u{b:04x}");
                    }
                    _ => {
                        let _ = write!(text, "\\x{b:02x}");
                    }
                }
                out.extend_from_slice(text.as_bytes());
            } else {
                out.push(b);
            }
        }
    }
}

/// `text` with control characters escaped as `mode` says (borrowed when there are none).
pub fn escape_str(text: &str, mode: Escape) -> Cow<'_, str> {
    if mode == Escape::Off || !text.chars().any(is_escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_escaped(c) {
            push_char(c, mode, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Appends the escape of one control character.
fn push_char(c: char, mode: Escape, out: &mut String) {
    let code = u32::from(c);
    let _ = match mode {
        Escape::Json => write!(out, "\\u{code:04x}"),
        _ if code < 0x80 => write!(out, "\\x{code:02x}"),
        _ => write!(out, "\\u{{{code:x}}}"),
    };
}

/// The `-d` trace's escape: every control character, tab and newline included, so one
/// packet stays one line.
pub fn escape_char(c: char, out: &mut String) {
    push_char(c, Escape::Text, out);
}

/// A writer that escapes what goes through it. Each write is escaped on its own, so a
/// UTF-8 character must not be split across two writes (the printers write whole fields).
pub struct Escaper<W: Write> {
    inner: W,
    mode: Escape,
    scratch: Vec<u8>,
}

impl<W: Write> Escaper<W> {
    pub fn new(inner: W, mode: Escape) -> Escaper<W> {
        Escaper {
            inner,
            mode,
            scratch: Vec::new(),
        }
    }
}

impl<W: Write> Write for Escaper<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.mode == Escape::Off {
            return self.inner.write(buf);
        }
        self.scratch.clear();
        escape_into(buf, self.mode, &mut self.scratch);
        self.inner.write_all(&self.scratch)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], mode: Escape) -> String {
        let mut out = Vec::new();
        escape_into(bytes, mode, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn terminal_sequences_become_visible() {
        let osc = b"\x1b]0;owned\x07\x1b[2J\tok\n\x7f";
        assert_eq!(
            text(osc, Escape::Text),
            "\\x1b]0;owned\\x07\\x1b[2J\tok\n\\x7f"
        );
        assert_eq!(text("a\u{9b}31m".as_bytes(), Escape::Text), "a\\u{9b}31m");
        assert_eq!(text(b"bare \x9b byte", Escape::Text), "bare \\x9b byte");
        assert_eq!(text(b"\r\0", Escape::Text), "\\x0d\\x00");
    }

    #[test]
    fn text_without_controls_is_untouched() {
        let plain = "grüße, ěšč, 日本, \u{a0}\u{ff}".as_bytes();
        assert_eq!(text(plain, Escape::Text).as_bytes(), plain);
        // Invalid UTF-8 outside the C1 range passes as it is.
        let mut out = Vec::new();
        escape_into(b"\xff\xc3", Escape::Text, &mut out);
        assert_eq!(out, b"\xff\xc3");
        assert!(matches!(
            escape_str("plain", Escape::Text),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn off_keeps_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        escape_into(&all, Escape::Off, &mut out);
        assert_eq!(out, all);
    }

    #[test]
    fn json_escapes_stay_json() {
        let json = serde_json::to_string("\u{1b}x\u{7f}\u{9b}").unwrap();
        let escaped = text(json.as_bytes(), Escape::Json);
        assert_eq!(escaped, r#""\u001bx\u007f\u009b""#);
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "\u{1b}x\u{7f}\u{9b}");
    }

    #[test]
    fn the_escaper_writes_through() {
        let mut out = Vec::new();
        let mut w = Escaper::new(&mut out, Escape::Text);
        w.write_all(b"\x1b[1m").unwrap();
        w.write_all(b"bold").unwrap();
        assert_eq!(out, b"\\x1b[1mbold");
        assert_eq!(escape_str("\u{1b}]8;;", Escape::Text), "\\x1b]8;;");
    }
}

//! The `-L/--url` broker URL: `mqtt://`, `mqtts://`, `ws://`, `wss://` with
//! `[user[:pass]@]host[:port][/path]`, parsed by hand (rumqttc's `parse_url` mishandles ws).

use crate::error::{shorten, Failure};

/// The URL scheme, which picks the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Mqtt,
    Mqtts,
    Ws,
    Wss,
}

impl Scheme {
    /// Whether the scheme runs over TLS.
    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Mqtts | Scheme::Wss)
    }

    /// Whether the scheme runs over WebSockets.
    pub fn is_ws(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }
}

/// A parsed broker URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub scheme: Scheme,
    pub username: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// Everything after the first `/` following the authority, without that `/`.
    pub path: Option<String>,
}

impl std::str::FromStr for BrokerUrl {
    type Err = Failure;

    fn from_str(url: &str) -> Result<Self, Failure> {
        let bad = |why: &str| {
            Failure::Usage(format!(
                "-L/--url '{}': {why} (expected mqtt[s]://[user[:pass]@]host[:port][/topic] or ws[s]://host[:port]/path)",
                shorten(&redact(url))
            ))
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("missing scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => Scheme::Mqtt,
            "mqtts" | "ssl" => Scheme::Mqtts,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            _ => return Err(bad("unknown scheme")),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, Some(path.to_string())),
            None => (rest, None),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((u, p)) => (Some(percent_decode(u)), Some(percent_decode(p))),
                None => (Some(percent_decode(info)), None),
            },
            None => (None, None),
        };
        let (host, port) = split_host_port(hostport).map_err(|why| bad(&why))?;
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        Ok(BrokerUrl {
            scheme,
            username,
            password,
            host,
            port,
            path,
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let parse_port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| "the port is not a number from 1 to 65535".to_string())
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed '[' in host")?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected '{}' after host", shorten(after))),
        };
        return Ok((host.to_string(), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_string(), Some(parse_port(port)?))),
        None => Ok((text.to_string(), None)),
    }
}

/// Decodes `%XX` escapes so passwords can carry `@`, `:` and `/`.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with any password replaced, for error messages. Errs on the side of hiding:
/// everything between the first `:` after the scheme and the last `@` goes.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match (rest.find(':'), rest.rfind('@')) {
        (Some(colon), Some(at)) if colon < at => {
            format!("{scheme}://{}:***{}", &rest[..colon], &rest[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> BrokerUrl {
        url.parse().unwrap()
    }

    #[test]
    fn full_mqtt_url_with_topic() {
        let url = parse("mqtt://alice:s%40cret@broker.local:1884/a/b/c");
        assert_eq!(url.scheme, Scheme::Mqtt);
        assert_eq!(url.username.as_deref(), Some("alice"));
        assert_eq!(url.password.as_deref(), Some("s@cret"));
        assert_eq!(url.host, "broker.local");
        assert_eq!(url.port, Some(1884));
        assert_eq!(url.path.as_deref(), Some("a/b/c"));
    }

    #[test]
    fn ws_and_ipv6() {
        let url = parse("wss://[::1]:8443/mqtt");
        assert_eq!(
            (url.scheme, url.host.as_str(), url.port),
            (Scheme::Wss, "::1", Some(8443))
        );
        assert_eq!(url.path.as_deref(), Some("mqtt"));
        let url = parse("ws://localhost");
        assert_eq!((url.port, url.path), (None, None));
    }

    #[test]
    fn bad_urls_are_usage_errors_without_password() {
        for bad in [
            "localhost:1883",
            "http://x",
            "mqtt://:1883",
            "mqtt://h:0",
            "mqtt://h:99999",
        ] {
            assert!(bad.parse::<BrokerUrl>().is_err(), "{bad}");
        }
        let err = "foo://u:secret@h"
            .parse::<BrokerUrl>()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}

//! The connection module shared by every command: the validated [`ConnectOptions`] built
//! once from the connection flags (flag > env > profile > default); `crate::engine` opens
//! the MQTT connection those options describe.

pub mod broker;
pub mod codes;
pub mod config;
pub mod filter;
pub mod props;
pub mod socks;
pub mod tls;
pub mod x509;

pub use filter::{filter_matches, validate_filter};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio_rustls::rustls::ClientConfig;

use crate::cli::{ConnArgs, SessionArgs};
use crate::error::{io_reason, shorten, shorten_path, Failure};
use broker::BrokerUrl;
use config::Profile;
use props::PropertySet;
use tls::{TlsSettings, TlsVersion};

/// MQTT's largest packet (the remaining-length field's limit); mosquitto's default too.
pub const MAX_PACKET_SIZE: u32 = 268_435_455;
/// The largest packet accepted from a broker unless --max-packet-size says otherwise: a
/// broker cannot make mqtk hold more than this for one packet.
pub const DEFAULT_MAX_INCOMING: u32 = 16 * 1024 * 1024;
/// How long a QoS 1/2 message or a request may wait for its answer unless --ack-timeout.
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait between reconnect attempts unless --reconnect-max-delay.
pub const DEFAULT_RECONNECT_MAX_DELAY: Duration = Duration::from_secs(10);

/// The MQTT protocol version spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolVersion {
    /// MQTT 3.1 ("MQIsdp", protocol level 3).
    V31,
    V311,
    V5,
}

impl ProtocolVersion {
    /// "3.1", "3.1.1" or "5", as messages and reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V31 => "3.1",
            ProtocolVersion::V311 => "3.1.1",
            ProtocolVersion::V5 => "5",
        }
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the broker is and how bytes get there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// TCP (with TLS when `ConnectOptions::tls` is set).
    Tcp { host: String, port: u16 },
    /// WebSocket to the full URL `ws[s]://host:port/path`.
    WebSocket {
        url: String,
        host: String,
        port: u16,
    },
    /// A unix domain socket.
    Unix(PathBuf),
}

/// The proxy (`--proxy`) that tunnels the connection to the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    pub login: Option<(String, Secret)>,
}

/// How the proxy is asked for the tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// HTTP CONNECT (`http://`).
    Http,
    /// SOCKS5, RFC 1928 (`socks5h://` and `socks5://`). With `remote_dns` (`socks5h`) the
    /// proxy resolves the broker's host name; without it (`socks5`, curl's meaning) mqtk
    /// resolves it and sends the address.
    Socks5 { remote_dns: bool },
}

/// A password that never shows up in `Debug` output or traces.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The will message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
}

/// Everything needed to connect, validated. Commands never see clap types.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub endpoint: Endpoint,
    /// The TLS client config when TLS is on; built once and shared.
    pub tls: Option<Arc<ClientConfig>>,
    pub ws_headers: Vec<(String, String)>,
    pub proxy: Option<ProxySettings>,
    pub version: ProtocolVersion,
    pub client_id: String,
    pub clean_session: bool,
    /// MQTT 5 session expiry in seconds (`u32::MAX` = never).
    pub session_expiry: Option<u32>,
    pub keepalive: Duration,
    pub connect_timeout: Duration,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub will: Option<Will>,
    pub properties: PropertySet,
    /// The topic carried in an `mqtt://host/topic` URL.
    pub url_topic: Option<String>,
    /// QoS 1/2 messages in flight at once.
    pub max_inflight: u16,
    /// The largest packet accepted from the broker (announced in an MQTT 5 CONNECT).
    pub max_incoming: u32,
    /// The largest packet sent (lowered further by the broker's CONNACK).
    pub max_outgoing: u32,
    /// `-A`: the local addresses the TCP socket may be bound to (one per family at most is
    /// used: the first of the broker address's family). Empty: the system picks.
    pub bind: Vec<std::net::IpAddr>,
    /// An unanswered message or request this old means the connection is lost.
    pub ack_timeout: Duration,
    /// `--reconnect-limit`, when given (each command has its own default).
    pub reconnect_limit: Option<Duration>,
    pub reconnect_max_delay: Duration,
    /// Caps the TCP socket's send buffer (SO_SNDBUF) when set: `bench` sets it for
    /// flat-out QoS 0 publishers, so what they measure is the broker, not kernel buffers.
    pub send_buffer: Option<usize>,
    pub debug: bool,
    pub quiet: bool,
}

impl ConnectOptions {
    /// Validates the connection flags, reading the config file and secrets they point to.
    pub fn from_args(args: &ConnArgs, session: &SessionArgs) -> Result<ConnectOptions, Failure> {
        Self::from_args_with_v5_flag(args, session, None)
    }

    /// As [`ConnectOptions::from_args`]; `v5_flag` names a command flag that only exists in
    /// MQTT 5 (`--no-local`): like `-D`, it selects MQTT 5 unless `-V 311` says otherwise.
    pub fn from_args_with_v5_flag(
        args: &ConnArgs,
        session: &SessionArgs,
        v5_flag: Option<&str>,
    ) -> Result<ConnectOptions, Failure> {
        refuse_unsupported(args)?;
        let profile = config::load_profile(args.profile.as_deref(), args.quiet)?;
        Resolver {
            args,
            profile,
            v5_flag,
        }
        .resolve(session)
    }

    /// The broker, as shown in messages (`localhost:1883`, `ws://…`, `unix:/path`).
    pub fn broker_display(&self) -> String {
        let tls = if self.tls.is_some() { " (TLS)" } else { "" };
        match &self.endpoint {
            Endpoint::Tcp { host, port } if host.contains(':') => {
                format!("[{}]:{port}{tls}", shorten(host))
            }
            Endpoint::Tcp { host, port } => format!("{}:{port}{tls}", shorten(host)),
            Endpoint::WebSocket { url, .. } => shorten(url),
            Endpoint::Unix(path) => format!("unix:{}", shorten_path(path)),
        }
    }
}

/// Merges flags, environment and profile, then validates.
struct Resolver<'a> {
    args: &'a ConnArgs,
    profile: Profile,
    v5_flag: Option<&'a str>,
}

/// The broker address settings of one source (flags, environment, profile). A URL and the
/// separate fields of the same source compete; a higher source beats a lower one field by
/// field, so `MQTK_HOST` never beats `-L`, and `-h` beats both.
#[derive(Default)]
struct AddressLayer {
    host: Option<String>,
    port: Option<u16>,
    username: Option<String>,
    url: Option<BrokerUrl>,
}

impl AddressLayer {
    fn host(&self) -> Option<String> {
        self.host
            .clone()
            .or(self.url.as_ref().map(|u| u.host.clone()))
    }

    fn port(&self) -> Option<u16> {
        self.port.or(self.url.as_ref().and_then(|u| u.port))
    }

    fn username(&self) -> Option<String> {
        self.username
            .clone()
            .or(self.url.as_ref().and_then(|u| u.username.clone()))
    }

    fn password(&self) -> Option<String> {
        self.url.as_ref().and_then(|u| u.password.clone())
    }
}

/// A non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_layer() -> Result<AddressLayer, Failure> {
    let port = env_var("MQTK_PORT")
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|&port| port != 0)
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "MQTK_PORT '{}': give a port from 1 to 65535",
                        shorten(&p)
                    ))
                })
        })
        .transpose()?;
    let url = env_var("MQTK_URL")
        .map(|u| {
            u.parse::<BrokerUrl>().map_err(|e| match e {
                Failure::Usage(m) => Failure::Usage(m.replacen("-L/--url", "MQTK_URL", 1)),
                other => other,
            })
        })
        .transpose()?;
    Ok(AddressLayer {
        host: env_var("MQTK_HOST"),
        port,
        username: env_var("MQTK_USERNAME"),
        url,
    })
}

impl Resolver<'_> {
    fn resolve(self, session: &SessionArgs) -> Result<ConnectOptions, Failure> {
        let args = self.args;
        let p = &self.profile;

        let layers = [
            AddressLayer {
                host: args.host.clone(),
                port: args.port,
                username: args.username.clone(),
                url: args.url.as_deref().map(str::parse).transpose()?,
            },
            env_layer()?,
            AddressLayer {
                host: p.host.clone(),
                port: p.port,
                username: p.username.clone(),
                url: p.url.as_deref().map(str::parse).transpose()?,
            },
        ];
        // The scheme comes from the highest source that gives a URL.
        let url: Option<BrokerUrl> = layers.iter().find_map(|l| l.url.clone());
        let properties = PropertySet::parse(&args.property)?;
        let version = self.version(&properties)?;

        let ws = args.ws
            || url
                .as_ref()
                .map_or(p.ws == Some(true), |u| u.scheme.is_ws());
        let unix = args.unix.clone().or(p.unix.clone());
        let tls_settings = self.tls_settings(url.as_ref())?;
        let port_given = layers.iter().find_map(AddressLayer::port);
        // mosquitto switches TLS on for port 8883 without other TLS options.
        let port_8883 = port_given == Some(8883) && unix.is_none();
        let tls_settings = tls_settings.or_else(|| port_8883.then(TlsSettings::default));
        let tls_on = tls_settings.is_some();

        let host = layers
            .iter()
            .find_map(AddressLayer::host)
            .unwrap_or_else(|| "localhost".to_string());
        if host.is_empty() {
            return Err(Failure::Usage(
                "-h/--host is empty: give the broker's host name or address".into(),
            ));
        }
        let port = port_given.unwrap_or(match (ws, tls_on) {
            (false, false) => 1883,
            (false, true) => 8883,
            (true, false) => 80,
            (true, true) => 443,
        });
        if port == 0 {
            return Err(Failure::Usage(
                "-p/--port 0: give a port from 1 to 65535".into(),
            ));
        }

        let ws_headers = args
            .ws_header
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let proxy = args
            .proxy
            .clone()
            .or(p.proxy.clone())
            .map(|u| parse_proxy(&u))
            .transpose()?;
        let endpoint = if let Some(path) = unix {
            if ws || tls_on || proxy.is_some() {
                return Err(Failure::Usage(
                    "--unix cannot be combined with TLS, WebSockets or --proxy: drop one of them"
                        .into(),
                ));
            }
            Endpoint::Unix(path)
        } else if ws {
            let path = args
                .ws_path
                .clone()
                .or(url
                    .as_ref()
                    .filter(|u| u.scheme.is_ws())
                    .and_then(|u| u.path.clone()))
                .or(p.ws_path.clone())
                .unwrap_or_else(|| "mqtt".to_string());
            let scheme = if tls_on { "wss" } else { "ws" };
            let shown_host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            let url = format!(
                "{scheme}://{shown_host}:{port}/{}",
                path.trim_start_matches('/')
            );
            Endpoint::WebSocket { url, host, port }
        } else {
            Endpoint::Tcp { host, port }
        };
        let is_ws = matches!(endpoint, Endpoint::WebSocket { .. });
        if !is_ws && (!ws_headers.is_empty() || args.ws_path.is_some()) {
            return Err(Failure::Usage(
                "--ws-header and --ws-path need a WebSocket connection (--ws or a ws:// URL)"
                    .into(),
            ));
        }

        let tls = match &tls_settings {
            Some(settings) => {
                if settings.insecure && !args.quiet {
                    crate::output::stdio::stderr!(
                        "mqtk: warning: --insecure: the broker's certificate is not verified"
                    );
                }
                Some(tls::client_config(settings, args.quiet)?)
            }
            None => None,
        };

        let (client_id, clean_session) = client_identity(session, version)?;
        let session_expiry = session_expiry(session, version, &properties)?;
        let keepalive = self.keepalive();
        let connect_timeout = self.connect_timeout()?;
        let (username, password) = self.credentials(&layers)?;
        let will = will(args, &properties)?;
        let bind = bind_addresses(args.bind_address.as_deref(), &endpoint)?;

        // `-D connect maximum-packet-size` is what CONNECT announces: hold to it too.
        let max_incoming = args
            .max_packet_size
            .or(properties.connect.as_ref().and_then(|p| p.max_packet_size))
            .unwrap_or(DEFAULT_MAX_INCOMING);
        Ok(ConnectOptions {
            endpoint,
            tls,
            ws_headers,
            proxy,
            version,
            client_id,
            clean_session,
            session_expiry,
            keepalive,
            connect_timeout,
            username,
            password,
            will,
            properties,
            url_topic: url
                .filter(|u| !u.scheme.is_ws())
                .and_then(|u| u.path)
                .filter(|t| !t.is_empty()),
            max_inflight: 1000,
            max_incoming,
            max_outgoing: args.max_packet_size.unwrap_or(MAX_PACKET_SIZE),
            bind,
            ack_timeout: args.ack_timeout.unwrap_or(DEFAULT_ACK_TIMEOUT),
            reconnect_limit: args.reconnect_limit,
            reconnect_max_delay: args
                .reconnect_max_delay
                .unwrap_or(DEFAULT_RECONNECT_MAX_DELAY),
            send_buffer: None,
            debug: args.debug,
            quiet: args.quiet,
        })
    }

    fn version(&self, properties: &PropertySet) -> Result<ProtocolVersion, Failure> {
        let given = self
            .args
            .protocol_version
            .clone()
            .or(self.profile.protocol_version.clone());
        let version = given.as_deref().map(parse_protocol_version).transpose()?;
        let old = version.filter(|v| *v != ProtocolVersion::V5);
        if let (Some(v), Some(flag)) = (old, self.v5_flag) {
            return Err(Failure::Usage(format!(
                "{flag} needs MQTT 5: drop -V {} (it selects MQTT 5 by itself)",
                version_flag(v)
            )));
        }
        match (version, properties.is_empty() && self.v5_flag.is_none()) {
            (Some(v), false) if v != ProtocolVersion::V5 => Err(Failure::Usage(format!(
                "-D properties need MQTT 5: drop -V {} (any -D selects MQTT 5)",
                version_flag(v)
            ))),
            (None, false) => Ok(ProtocolVersion::V5),
            (Some(v), _) => Ok(v),
            (None, true) => Ok(ProtocolVersion::V311),
        }
    }

    fn tls_settings(&self, url: Option<&BrokerUrl>) -> Result<Option<TlsSettings>, Failure> {
        let (a, p) = (self.args, &self.profile);
        let cafile = a.cafile.clone().or(p.cafile.clone());
        let capath = a.capath.clone().or(p.capath.clone());
        let use_os_certs = a.tls_use_os_certs || p.tls_use_os_certs == Some(true);
        let cert = a.cert.clone().or(p.cert.clone());
        let key = a.key.clone().or(p.key.clone());
        let insecure = a.insecure || p.insecure == Some(true);
        let version = a
            .tls_version
            .clone()
            .or(p.tls_version.clone())
            .map(|v| v.parse::<TlsVersion>())
            .transpose()?;
        let alpn = if a.tls_alpn.is_empty() {
            p.tls_alpn.clone().unwrap_or_default()
        } else {
            a.tls_alpn.clone()
        };
        let client_auth = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Failure::Usage(
                    "--cert needs --key (the client's private key)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(Failure::Usage(
                    "--key needs --cert (the client's certificate)".into(),
                ))
            }
        };
        let ciphers = a.ciphers.as_deref().map(tls::parse_ciphers).transpose()?;
        let keylog = match &a.tls_keylog {
            Some(path) => Some(tls::KeyLogTarget {
                path: path.clone(),
                from_env: false,
            }),
            None => std::env::var_os("SSLKEYLOGFILE")
                .filter(|p| !p.is_empty())
                .map(|p| tls::KeyLogTarget {
                    path: PathBuf::from(p),
                    from_env: true,
                }),
        };
        let url_tls = url.is_some_and(|u| u.scheme.is_tls());
        // Any TLS flag switches TLS on; SSLKEYLOGFILE does not.
        let any = url_tls
            || ciphers.is_some()
            || a.tls_keylog.is_some()
            || cafile.is_some()
            || capath.is_some()
            || use_os_certs
            || client_auth.is_some()
            || insecure
            || version.is_some()
            || !alpn.is_empty();
        Ok(any.then_some(TlsSettings {
            cafile,
            capath,
            use_os_certs,
            client_auth,
            insecure,
            version,
            alpn,
            ciphers,
            keylog,
        }))
    }

    fn keepalive(&self) -> Duration {
        let seconds = self.args.keepalive.or(self.profile.keepalive).unwrap_or(60);
        Duration::from_secs(u64::from(seconds))
    }

    fn connect_timeout(&self) -> Result<Duration, Failure> {
        let from_profile = self
            .profile
            .connect_timeout
            .as_deref()
            .map(|t| {
                humantime::parse_duration(t).map_err(|_| {
                    Failure::Usage(format!(
                        "config file: connect-timeout '{}': give a duration such as 10s",
                        shorten(t)
                    ))
                })
            })
            .transpose()?;
        let timeout = self
            .args
            .connect_timeout
            .or(from_profile)
            .unwrap_or(Duration::from_secs(10));
        if timeout.is_zero() {
            return Err(Failure::Usage(
                "--connect-timeout 0: give a duration above zero, e.g. 10s".into(),
            ));
        }
        Ok(timeout)
    }

    /// Password order: -P, --password-file, MQTK_PASSWORD, MQTK_PASSWORD_FILE, URL, profile.
    /// Username: the first source (flag, environment, profile) that gives one. Password:
    /// -P, --password-file, the -L URL, MQTK_PASSWORD, MQTK_PASSWORD_FILE, MQTK_URL, then the
    /// profile's password, URL and password-file.
    fn credentials(
        &self,
        layers: &[AddressLayer; 3],
    ) -> Result<(Option<String>, Option<Secret>), Failure> {
        let (a, p) = (self.args, &self.profile);
        let [flags, env, profile] = layers;
        let username = layers.iter().find_map(AddressLayer::username);
        let password = match (&a.password, &a.password_file) {
            (Some(_), Some(_)) => {
                return Err(Failure::Usage(
                    "give the password once: -P/--pw or --password-file".into(),
                ))
            }
            (Some(pw), None) => Some(pw.clone()),
            (None, Some(file)) => Some(read_password_file(file, "--password-file")?),
            (None, None) => {
                if let Some(pw) = flags.password() {
                    Some(pw)
                } else if let Some(pw) = env_var("MQTK_PASSWORD") {
                    Some(pw)
                } else if let Some(file) = env_var("MQTK_PASSWORD_FILE") {
                    Some(read_password_file(Path::new(&file), "MQTK_PASSWORD_FILE")?)
                } else if let Some(pw) = env.password() {
                    Some(pw)
                } else if let Some(pw) = p.password.clone().or(profile.password()) {
                    Some(pw)
                } else if let Some(file) = &p.password_file {
                    Some(read_password_file(file, "config file password-file")?)
                } else {
                    None
                }
            }
        };
        check_length(username.as_deref().unwrap_or(""), "-u/--username")?;
        check_length(password.as_deref().unwrap_or(""), "the password")?;
        if password.is_some() && username.is_none() {
            return Err(Failure::Usage(
                "a password needs a username: add -u/--username".into(),
            ));
        }
        Ok((username, password.map(Secret)))
    }
}

/// The mosquitto flags mqtk cannot honour, refused in one line that says what to do
/// instead (they are hidden from --help; without them clap would say "unknown flag").
fn refuse_unsupported(args: &ConnArgs) -> Result<(), Failure> {
    let refusal = if args.psk.is_some() || args.psk_identity.is_some() {
        let flag = if args.psk.is_some() {
            "--psk"
        } else {
            "--psk-identity"
        };
        Some(format!(
            "{flag}: not supported: mqtk's TLS library (rustls) has no TLS-PSK; use certificates instead (--cafile, and --cert/--key to authenticate the client)"
        ))
    } else if args.tls_engine.is_some() || args.tls_engine_kpass_sha1.is_some() {
        let flag = if args.tls_engine.is_some() {
            "--tls-engine"
        } else {
            "--tls-engine-kpass-sha1"
        };
        Some(format!(
            "{flag}: not supported: mqtk cannot use OpenSSL engines (hardware keys); give the client key as a PEM file with --key instead"
        ))
    } else if let Some(form) = args
        .keyform
        .as_deref()
        .filter(|f| !f.eq_ignore_ascii_case("pem"))
    {
        Some(format!(
            "--keyform '{}': not supported: mqtk reads keys from PEM files only (--keyform pem, the default); give the key as a PEM file with --key instead",
            shorten(form)
        ))
    } else if args.srv {
        Some(
            "-S: not supported: mqtk does not look up DNS SRV records; look up _mqtt._tcp.HOST yourself (dig +short SRV _mqtt._tcp.example.com) and give its host and port with -h and -p instead"
                .to_string(),
        )
    } else {
        None
    };
    match refusal {
        Some(message) => Err(Failure::Usage(message)),
        None => Ok(()),
    }
}

/// `-A ADDRESS`: an IP address, or a name resolved now to this machine's addresses. Only
/// for TCP (a unix socket has no address to bind).
fn bind_addresses(
    address: Option<&str>,
    endpoint: &Endpoint,
) -> Result<Vec<std::net::IpAddr>, Failure> {
    use std::net::ToSocketAddrs;
    let Some(address) = address else {
        return Ok(Vec::new());
    };
    if matches!(endpoint, Endpoint::Unix(_)) {
        return Err(Failure::Usage(
            "-A binds a TCP socket: a --unix connection has no local address to bind; drop -A"
                .into(),
        ));
    }
    let literal = address.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<std::net::IpAddr>() {
        return Ok(vec![ip]);
    }
    let bad = || {
        Failure::Usage(format!(
            "-A '{}': give a local IP address (127.0.0.1, ::1) or a name that resolves to one",
            shorten(address)
        ))
    };
    if address.is_empty() {
        return Err(bad());
    }
    let found: Vec<std::net::IpAddr> = (address, 0)
        .to_socket_addrs()
        .map_err(|_| bad())?
        .map(|a| a.ip())
        .collect();
    if found.is_empty() {
        return Err(bad());
    }
    Ok(found)
}

fn read_password_file(path: &Path, what: &str) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::NoInput(format!("{what} {}: {}", shorten_path(path), io_reason(&e)))
    })?;
    let line = text.lines().next().unwrap_or("");
    Ok(line.to_string())
}

fn client_identity(
    session: &SessionArgs,
    version: ProtocolVersion,
) -> Result<(String, bool), Failure> {
    let id = match (&session.id, &session.id_prefix) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(prefix)) => Some(format!("{prefix}{}", std::process::id())),
        (None, None) => None,
    };
    let clean = !session.disable_clean_session;
    if !clean && id.as_deref().is_none_or(str::is_empty) {
        return Err(Failure::Usage(
            "-c/--disable-clean-session needs a client id the broker can find again: add -i ID"
                .into(),
        ));
    }
    if let Some(id) = &id {
        if id.len() > 65535 {
            return Err(Failure::Usage("-i/--id is longer than 65535 bytes".into()));
        }
        if version == ProtocolVersion::V31 && (id.is_empty() || id.len() > 23) {
            return Err(Failure::Usage(format!(
                "-i/--id '{}': MQTT 3.1 takes client ids of 1 to 23 bytes ({} given): shorten it, or use -V 311",
                shorten(id),
                id.len()
            )));
        }
    }
    let id = id.unwrap_or_else(|| match version {
        // MQTT 5 lets the broker assign an id, as mosquitto does.
        ProtocolVersion::V5 => String::new(),
        ProtocolVersion::V31 | ProtocolVersion::V311 => random_client_id(),
    });
    Ok((id, clean))
}

/// `mqtk-` and 18 random alphanumerics (23 bytes: the MQTT 3.1.1 guaranteed id length).
pub fn random_client_id() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    format!("mqtk-{}", Alphanumeric.sample_string(&mut rand::rng(), 18))
}

fn session_expiry(
    session: &SessionArgs,
    version: ProtocolVersion,
    properties: &PropertySet,
) -> Result<Option<u32>, Failure> {
    let from_property = properties
        .connect
        .as_ref()
        .and_then(|c| c.session_expiry_interval);
    let Some(text) = session.session_expiry.as_deref() else {
        // As mosquitto: a kept MQTT 5 session does not expire unless -x (or the
        // session-expiry-interval property) says otherwise.
        let kept = version == ProtocolVersion::V5 && session.disable_clean_session;
        return Ok(from_property.or(kept.then_some(u32::MAX)));
    };
    if version != ProtocolVersion::V5 {
        return Err(Failure::Usage(format!(
            "-x '{}': session expiry is an MQTT 5 feature: add -V 5",
            shorten(text)
        )));
    }
    match text {
        "inf" | "infinity" | "∞" | "-1" => Ok(Some(u32::MAX)),
        _ => text.parse::<u32>().map(Some).map_err(|_| {
            Failure::Usage(format!(
                "-x '{}': give seconds (0 to 4294967295), inf or -1",
                shorten(text)
            ))
        }),
    }
}

fn will(args: &ConnArgs, properties: &PropertySet) -> Result<Option<Will>, Failure> {
    let Some(topic) = &args.will_topic else {
        if args.will_payload.is_some()
            || args.will_qos.is_some()
            || args.will_retain
            || properties.will.is_some()
        {
            return Err(Failure::Usage(
                "--will-payload, --will-qos, --will-retain and -D will need --will-topic".into(),
            ));
        }
        return Ok(None);
    };
    validate_topic(topic, "--will-topic")?;
    check_length(args.will_payload.as_deref().unwrap_or(""), "--will-payload")?;
    Ok(Some(Will {
        topic: topic.clone(),
        payload: Bytes::from(args.will_payload.clone().unwrap_or_default()),
        qos: args.will_qos.unwrap_or(0),
        retain: args.will_retain,
    }))
}

fn parse_header(text: &str) -> Result<(String, String), Failure> {
    let valid = text.split_once(':').filter(|(name, value)| {
        name.trim().parse::<http::HeaderName>().is_ok()
            && value.trim().parse::<http::HeaderValue>().is_ok()
    });
    match valid {
        Some((name, value)) => Ok((name.trim().to_string(), value.trim().to_string())),
        None => Err(Failure::Usage(format!(
            "--ws-header '{}': write it as 'Name: value' with a valid HTTP header name and value",
            shorten(text)
        ))),
    }
}

/// MQTT strings carry a 16-bit length; longer ones would be written corrupt.
fn check_length(text: &str, flag: &str) -> Result<(), Failure> {
    if text.len() > 65535 {
        return Err(Failure::Usage(format!(
            "{flag} is longer than MQTT's 65535-byte limit"
        )));
    }
    Ok(())
}

/// `-V`: 31, 311 or 5 in mosquitto's spellings.
pub fn parse_protocol_version(text: &str) -> Result<ProtocolVersion, Failure> {
    match text {
        "311" | "mqttv311" | "3.1.1" | "4" => Ok(ProtocolVersion::V311),
        "5" | "mqttv5" | "5.0" => Ok(ProtocolVersion::V5),
        "31" | "mqttv31" | "3.1" | "3" => Ok(ProtocolVersion::V31),
        other => Err(Failure::Usage(format!(
            "-V/--protocol-version '{}': use 31, 311 or 5",
            shorten(other)
        ))),
    }
}

/// The -V value that selects a version.
fn version_flag(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::V31 => "31",
        ProtocolVersion::V311 => "311",
        ProtocolVersion::V5 => "5",
    }
}

/// `--proxy`: `http://[user:pass@]host:port`, or `socks5h://[user:pass@]host[:port]` (the
/// proxy resolves the broker's name) or `socks5://…` (mqtk resolves it); SOCKS5's port
/// defaults to 1080 and its user and password are 1 to 255 bytes each (RFC 1929).
pub fn parse_proxy(text: &str) -> Result<ProxySettings, Failure> {
    let bad = |why: &str| {
        Failure::Usage(format!(
            "--proxy '{}': {why} (expected http://[user:pass@]host:port or socks5[h]://[user:pass@]host[:port])",
            shorten(&broker::redact(text))
        ))
    };
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| bad("missing scheme"))?;
    let kind = match scheme.to_ascii_lowercase().as_str() {
        "http" => ProxyKind::Http,
        "socks5h" => ProxyKind::Socks5 { remote_dns: true },
        "socks5" => ProxyKind::Socks5 { remote_dns: false },
        _ => {
            return Err(bad(
                "only http://, socks5h:// and socks5:// proxies are supported",
            ))
        }
    };
    let rest = rest.trim_end_matches('/');
    let (login, hostport) = match rest.rsplit_once('@') {
        Some((info, hostport)) => {
            let (user, pass) = info.split_once(':').unwrap_or((info, ""));
            (Some((user.to_string(), Secret(pass.to_string()))), hostport)
        }
        None => (None, rest),
    };
    if let (ProxyKind::Socks5 { .. }, Some((user, pass))) = (kind, &login) {
        if !(1..=255).contains(&user.len()) || !(1..=255).contains(&pass.0.len()) {
            return Err(bad(
                "a SOCKS5 user name and password are 1 to 255 bytes each",
            ));
        }
    }
    let url: BrokerUrl = format!("mqtt://{hostport}")
        .parse()
        .map_err(|_| bad("bad host or port"))?;
    let port = match (kind, url.port) {
        (_, Some(port)) => port,
        (ProxyKind::Socks5 { .. }, None) => 1080,
        (ProxyKind::Http, None) => return Err(bad("missing port")),
    };
    Ok(ProxySettings {
        kind,
        host: url.host,
        port,
        login,
    })
}

/// Checks a topic name for publishing: not empty, no wildcards, no NUL, at most 65535 bytes.
pub fn validate_topic(topic: &str, flag: &str) -> Result<(), Failure> {
    let bad = |why: &str| {
        Err(Failure::Usage(format!(
            "{flag} '{}': {why}",
            shorten(topic)
        )))
    };
    if topic.is_empty() {
        return bad("a topic cannot be empty");
    }
    if topic.contains(['+', '#']) {
        return bad("wildcards + and # are only for subscribing; give a plain topic");
    }
    if topic.contains('\0') {
        return bad("a topic cannot contain a NUL character");
    }
    if topic.len() > 65535 {
        return bad("a topic is at most 65535 bytes");
    }
    Ok(())
}

//! The client side of a SOCKS5 proxy handshake (RFC 1928, with RFC 1929 user name and
//! password login): asks the proxy (`--proxy socks5h://` or `socks5://`) for a tunnel to
//! the broker, after which the stream carries the broker's bytes.

use std::io::{Error, ErrorKind};
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const VERSION: u8 = 0x05;
const NO_AUTHENTICATION: u8 = 0x00;
const USER_PASSWORD: u8 = 0x02;
const NO_ACCEPTABLE_METHOD: u8 = 0xFF;
/// RFC 1929's sub-negotiation version.
const USER_PASSWORD_VERSION: u8 = 0x01;
const CONNECT: u8 = 0x01;
const ATYP_IPV4: u8 = 0x01;
const ATYP_DOMAIN: u8 = 0x03;
const ATYP_IPV6: u8 = 0x04;

/// Asks the SOCKS5 proxy at the other end of `stream` for a tunnel to `host:port`.
///
/// With `remote_dns` (`socks5h://`) a host name is sent as is and the proxy resolves it;
/// without (`socks5://`) mqtk resolves it and sends the address, an IPv4 one when the name
/// has both kinds (only one address can be sent, and IPv4 is the likelier to be reachable
/// from the proxy). An IP literal is sent as an address either way. `login` offers RFC 1929
/// user name and password (1 to 255 bytes each) besides "no authentication"; the proxy
/// picks. On success the proxy's reply has been read to its end, so the next byte on
/// `stream` is the broker's.
pub async fn socks5_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    port: u16,
    remote_dns: bool,
    login: Option<(&str, &str)>,
) -> std::io::Result<()> {
    if let Some((user, password)) = login {
        if !(1..=255).contains(&user.len()) || !(1..=255).contains(&password.len()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a SOCKS5 user name and password are 1 to 255 bytes each",
            ));
        }
    }
    let address = target_address(host, port, remote_dns).await?;

    let greeting: &[u8] = match login {
        Some(_) => &[VERSION, 2, NO_AUTHENTICATION, USER_PASSWORD],
        None => &[VERSION, 1, NO_AUTHENTICATION],
    };
    send(stream, greeting).await?;
    let mut choice = [0u8; 2];
    read(
        stream,
        &mut choice,
        "after the SOCKS5 greeting: is it a SOCKS5 proxy?",
    )
    .await?;
    if choice[0] != VERSION {
        return Err(not_socks5(choice[0]));
    }
    match (choice[1], login) {
        (NO_AUTHENTICATION, _) => {}
        (USER_PASSWORD, Some((user, password))) => authenticate(stream, user, password).await?,
        (NO_ACCEPTABLE_METHOD, _) => {
            let offered = match login {
                Some(_) => "no authentication, user name and password",
                None => "no authentication; does it need user:pass@ in --proxy?",
            };
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "the proxy accepts none of our authentication methods (offered: {offered})"
                ),
            ));
        }
        (other, _) => {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!(
                    "the proxy chose authentication method 0x{other:02x}, which we did not offer"
                ),
            ))
        }
    }

    let mut request = vec![VERSION, CONNECT, 0x00];
    request.extend_from_slice(&address);
    request.extend_from_slice(&port.to_be_bytes());
    send(stream, &request).await?;
    let mut head = [0u8; 4];
    read(stream, &mut head, "before answering CONNECT").await?;
    if head[0] != VERSION {
        return Err(not_socks5(head[0]));
    }
    if head[1] != 0x00 {
        return Err(Error::new(
            ErrorKind::ConnectionRefused,
            format!(
                "the proxy answered: {} (SOCKS5 reply 0x{:02x})",
                reply_meaning(head[1]),
                head[1]
            ),
        ));
    }
    // The address the proxy bound for the tunnel: of no use to us, but it must be read.
    let address_len = match head[3] {
        ATYP_IPV4 => 4,
        ATYP_IPV6 => 16,
        ATYP_DOMAIN => {
            let mut len = [0u8; 1];
            read(stream, &mut len, "in the middle of its CONNECT reply").await?;
            usize::from(len[0])
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidData,
                format!("the proxy's CONNECT reply has the unknown address type 0x{other:02x}"),
            ))
        }
    };
    let mut bound = vec![0u8; address_len + 2];
    read(stream, &mut bound, "in the middle of its CONNECT reply").await
}

/// ATYP and address of the CONNECT request: a name for the proxy to resolve, or an address.
async fn target_address(host: &str, port: u16, remote_dns: bool) -> std::io::Result<Vec<u8>> {
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) if remote_dns => {
            let len = u8::try_from(host.len())
                .ok()
                .filter(|&len| len > 0)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        "a SOCKS5 proxy takes host names of 1 to 255 bytes",
                    )
                })?;
            let mut address = vec![ATYP_DOMAIN, len];
            address.extend_from_slice(host.as_bytes());
            return Ok(address);
        }
        Err(_) => {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| Error::new(e.kind(), format!("cannot resolve {host}: {e}")))?
                .collect();
            found
                .iter()
                .find(|a| a.is_ipv4())
                .or(found.first())
                .map(SocketAddr::ip)
                .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("{host} has no address")))?
        }
    };
    Ok(match ip {
        IpAddr::V4(v4) => [&[ATYP_IPV4][..], &v4.octets()].concat(),
        IpAddr::V6(v6) => [&[ATYP_IPV6][..], &v6.octets()].concat(),
    })
}

/// RFC 1929 user name and password sub-negotiation.
async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    user: &str,
    password: &str,
) -> std::io::Result<()> {
    // Lengths checked by the caller: 1 to 255 bytes.
    let mut request = vec![USER_PASSWORD_VERSION, user.len() as u8];
    request.extend_from_slice(user.as_bytes());
    request.push(password.len() as u8);
    request.extend_from_slice(password.as_bytes());
    send(stream, &request).await?;
    let mut status = [0u8; 2];
    read(stream, &mut status, "after the user name and password").await?;
    // The version byte is not checked: some proxies answer 0x05 there.
    if status[1] != 0x00 {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            "the proxy refused the user name or password",
        ));
    }
    Ok(())
}

/// The meaning of a SOCKS5 reply code (RFC 1928 section 6).
fn reply_meaning(code: u8) -> &'static str {
    match code {
        0x01 => "general SOCKS server failure",
        0x02 => "connection not allowed by ruleset",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        _ => "unassigned reply code",
    }
}

fn not_socks5(first: u8) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!(
            "the proxy answered version 0x{first:02x}, not SOCKS5 (0x05): is it a SOCKS5 proxy?"
        ),
    )
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Reads exactly `buf.len()` bytes; an early end says where the proxy hung up.
async fn read<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
    when: &str,
) -> std::io::Result<()> {
    match stream.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(Error::new(
            ErrorKind::UnexpectedEof,
            format!("the proxy closed the connection {when}"),
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::DuplexStream;

    /// How the fake proxy behaves.
    #[derive(Clone)]
    struct Fake {
        /// The version byte of every answer (0x05 for a SOCKS5 proxy).
        version: u8,
        /// The method it picks.
        method: u8,
        /// What it accepts as user name and password.
        login: Option<(&'static str, &'static str)>,
        /// Its CONNECT reply code.
        reply: u8,
        /// ATYP, address and port of the bound address in its reply.
        bound: Vec<u8>,
    }

    impl Default for Fake {
        fn default() -> Fake {
            Fake {
                version: VERSION,
                method: NO_AUTHENTICATION,
                login: None,
                reply: 0x00,
                bound: vec![ATYP_IPV4, 10, 0, 0, 1, 0x1f, 0x90],
            }
        }
    }

    /// What the fake proxy was told.
    #[derive(Debug, Default, PartialEq)]
    struct Seen {
        methods: Vec<u8>,
        login: Option<(String, String)>,
        /// ATYP and address of the CONNECT request.
        atyp: u8,
        address: Vec<u8>,
        port: u16,
    }

    /// Plays the proxy's side; after a successful CONNECT it writes "MQTT", which the
    /// client must read as the first bytes of the tunnel. Stops quietly when the client
    /// hangs up (it gave up on an answer it did not like).
    async fn serve(mut s: DuplexStream, fake: Fake) -> Seen {
        let mut seen = Seen::default();
        let _ = play(&mut s, &fake, &mut seen).await;
        seen
    }

    async fn play(s: &mut DuplexStream, fake: &Fake, seen: &mut Seen) -> std::io::Result<()> {
        let mut head = [0u8; 2];
        s.read_exact(&mut head).await?;
        assert_eq!(head[0], VERSION);
        seen.methods = vec![0; usize::from(head[1])];
        s.read_exact(&mut seen.methods).await?;
        s.write_all(&[fake.version, fake.method]).await?;
        if fake.version != VERSION || fake.method == NO_ACCEPTABLE_METHOD {
            return Ok(());
        }
        if fake.method == USER_PASSWORD {
            assert_eq!(s.read_u8().await?, USER_PASSWORD_VERSION);
            let user = read_field(s).await?;
            let password = read_field(s).await?;
            let ok = fake.login == Some((user.as_str(), password.as_str()));
            seen.login = Some((user, password));
            s.write_all(&[USER_PASSWORD_VERSION, if ok { 0 } else { 1 }])
                .await?;
            if !ok {
                return Ok(());
            }
        }
        let mut request = [0u8; 4];
        s.read_exact(&mut request).await?;
        assert_eq!(request[..3], [VERSION, CONNECT, 0]);
        seen.atyp = request[3];
        let len = match seen.atyp {
            ATYP_IPV4 => 4,
            ATYP_IPV6 => 16,
            _ => usize::from(s.read_u8().await?),
        };
        seen.address = vec![0; len];
        s.read_exact(&mut seen.address).await?;
        seen.port = s.read_u16().await?;
        let mut reply = vec![VERSION, fake.reply, 0];
        reply.extend_from_slice(&fake.bound);
        s.write_all(&reply).await?;
        if fake.reply == 0 {
            s.write_all(b"MQTT").await?;
        }
        Ok(())
    }

    /// Reads one length-prefixed field of RFC 1929's request.
    async fn read_field(s: &mut DuplexStream) -> std::io::Result<String> {
        let mut field = vec![0; usize::from(s.read_u8().await?)];
        s.read_exact(&mut field).await?;
        Ok(String::from_utf8(field).unwrap())
    }

    /// Runs the handshake against the fake; on success, checks the tunnel starts right
    /// after the reply.
    async fn handshake(
        fake: Fake,
        host: &str,
        remote_dns: bool,
        login: Option<(&str, &str)>,
    ) -> (std::io::Result<()>, Seen) {
        let (client, server) = tokio::io::duplex(1024);
        let (result, seen) = tokio::join!(
            async move {
                // Moved in, so that the client hangs up when it gives up.
                let mut client = client;
                socks5_handshake(&mut client, host, 1883, remote_dns, login).await?;
                let mut first = [0u8; 4];
                client.read_exact(&mut first).await?;
                assert_eq!(&first, b"MQTT");
                Ok(())
            },
            serve(server, fake)
        );
        (result, seen)
    }

    #[tokio::test]
    async fn no_auth_sends_the_host_name_for_the_proxy_to_resolve() {
        let (result, seen) = handshake(Fake::default(), "broker.example", true, None).await;
        result.unwrap();
        assert_eq!(
            seen,
            Seen {
                methods: vec![NO_AUTHENTICATION],
                login: None,
                atyp: ATYP_DOMAIN,
                address: b"broker.example".to_vec(),
                port: 1883,
            }
        );
    }

    #[tokio::test]
    async fn without_remote_dns_the_address_is_sent() {
        let (result, seen) = handshake(Fake::default(), "localhost", false, None).await;
        result.unwrap();
        // localhost resolves to loopback; an IPv4 address is preferred.
        match seen.atyp {
            ATYP_IPV4 => assert_eq!(seen.address[0], 127),
            ATYP_IPV6 => assert_eq!(seen.address, std::net::Ipv6Addr::LOCALHOST.octets()),
            other => panic!("address type {other}"),
        }
    }

    #[tokio::test]
    async fn ip_literals_are_sent_as_addresses_even_with_remote_dns() {
        let (result, seen) = handshake(Fake::default(), "127.0.0.1", true, None).await;
        result.unwrap();
        assert_eq!((seen.atyp, seen.address), (ATYP_IPV4, vec![127, 0, 0, 1]));
        let (result, seen) = handshake(Fake::default(), "::1", true, None).await;
        result.unwrap();
        assert_eq!(seen.atyp, ATYP_IPV6);
        assert_eq!(seen.address, std::net::Ipv6Addr::LOCALHOST.octets());
    }

    #[tokio::test]
    async fn user_and_password_are_sent_when_the_proxy_asks() {
        let fake = Fake {
            method: USER_PASSWORD,
            login: Some(("alice", "s3cret")),
            ..Fake::default()
        };
        let (result, seen) = handshake(fake, "localhost", true, Some(("alice", "s3cret"))).await;
        result.unwrap();
        assert_eq!(seen.methods, [NO_AUTHENTICATION, USER_PASSWORD]);
        assert_eq!(seen.login, Some(("alice".into(), "s3cret".into())));
        assert_eq!(seen.address, b"localhost");
    }

    #[tokio::test]
    async fn a_proxy_without_auth_is_fine_when_a_login_is_offered() {
        let (result, seen) =
            handshake(Fake::default(), "localhost", true, Some(("alice", "pw"))).await;
        result.unwrap();
        assert_eq!(seen.login, None);
    }

    #[tokio::test]
    async fn a_refused_login_says_so() {
        let fake = Fake {
            method: USER_PASSWORD,
            login: Some(("alice", "right")),
            ..Fake::default()
        };
        let (result, _) = handshake(fake, "localhost", true, Some(("alice", "wrong"))).await;
        let e = result.unwrap_err();
        assert_eq!(e.to_string(), "the proxy refused the user name or password");
    }

    #[tokio::test]
    async fn no_acceptable_method() {
        let fake = Fake {
            method: NO_ACCEPTABLE_METHOD,
            ..Fake::default()
        };
        let (result, _) = handshake(fake, "localhost", true, None).await;
        let e = result.unwrap_err().to_string();
        assert!(
            e.starts_with("the proxy accepts none of our authentication methods"),
            "{e}"
        );
        assert!(e.contains("user:pass@"), "{e}");
    }

    #[tokio::test]
    async fn a_method_we_did_not_offer_is_an_error() {
        let fake = Fake {
            method: USER_PASSWORD,
            ..Fake::default()
        };
        let (result, _) = handshake(fake, "localhost", true, None).await;
        let e = result.unwrap_err().to_string();
        assert!(e.contains("method 0x02, which we did not offer"), "{e}");
    }

    #[tokio::test]
    async fn every_reply_code_is_named() {
        for (code, meaning) in [
            (0x01, "general SOCKS server failure"),
            (0x02, "connection not allowed by ruleset"),
            (0x03, "network unreachable"),
            (0x04, "host unreachable"),
            (0x05, "connection refused"),
            (0x06, "TTL expired"),
            (0x07, "command not supported"),
            (0x08, "address type not supported"),
            (0x09, "unassigned reply code"),
        ] {
            let fake = Fake {
                reply: code,
                ..Fake::default()
            };
            let (result, _) = handshake(fake, "localhost", true, None).await;
            let e = result.unwrap_err().to_string();
            assert_eq!(
                e,
                format!("the proxy answered: {meaning} (SOCKS5 reply 0x{code:02x})")
            );
            assert_eq!(e.lines().count(), 1);
        }
    }

    #[tokio::test]
    async fn bound_addresses_of_every_type_are_read_to_their_end() {
        let name = b"proxy.example.net";
        let mut domain = vec![ATYP_DOMAIN, name.len() as u8];
        domain.extend_from_slice(name);
        domain.extend_from_slice(&[0x07, 0x5b]);
        let mut v6 = vec![ATYP_IPV6];
        v6.extend_from_slice(&[0; 16]);
        v6.extend_from_slice(&[0, 0]);
        for bound in [vec![ATYP_IPV4, 0, 0, 0, 0, 0, 0], v6, domain] {
            let fake = Fake {
                bound,
                ..Fake::default()
            };
            // `handshake` checks the next bytes are the tunnel's "MQTT".
            let (result, _) = handshake(fake, "localhost", true, None).await;
            result.unwrap();
        }
    }

    #[tokio::test]
    async fn an_unknown_bound_address_type_is_an_error() {
        let fake = Fake {
            bound: vec![0x09, 1, 2, 3],
            ..Fake::default()
        };
        let (result, _) = handshake(fake, "localhost", true, None).await;
        let e = result.unwrap_err().to_string();
        assert!(e.contains("unknown address type 0x09"), "{e}");
    }

    #[tokio::test]
    async fn a_non_socks5_answer_asks_whether_it_is_one() {
        // An HTTP proxy's "HTTP/1.1 400": its first byte is 'H'.
        let fake = Fake {
            version: b'H',
            ..Fake::default()
        };
        let (result, _) = handshake(fake, "localhost", true, None).await;
        let e = result.unwrap_err().to_string();
        assert!(e.contains("is it a SOCKS5 proxy?"), "{e}");
        assert!(e.contains("0x48"), "{e}");
    }

    #[tokio::test]
    async fn a_proxy_hanging_up_on_the_greeting_asks_whether_it_is_one() {
        let (mut client, mut server) = tokio::io::duplex(64);
        let (result, ()) = tokio::join!(
            socks5_handshake(&mut client, "localhost", 1883, true, None),
            async move {
                let mut greeting = [0u8; 3];
                server.read_exact(&mut greeting).await.unwrap();
                drop(server);
            }
        );
        let e = result.unwrap_err();
        assert!(e.to_string().contains("is it a SOCKS5 proxy?"), "{e}");
    }

    #[tokio::test]
    async fn bad_lengths_are_refused_before_anything_is_sent() {
        let (mut client, _server) = tokio::io::duplex(64);
        let long = "x".repeat(256);
        for (host, login) in [
            ("localhost", Some(("", "pw"))),
            ("localhost", Some(("user", ""))),
            ("localhost", Some((long.as_str(), "pw"))),
            (long.as_str(), None),
        ] {
            let e = socks5_handshake(&mut client, host, 1883, true, login)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        }
    }
}

/// `parse_proxy`'s SOCKS5 forms (the parser lives in `conn/mod.rs`).
#[cfg(test)]
mod parse_tests {
    use crate::conn::{parse_proxy, ProxyKind, Secret};
    use crate::error::Failure;

    fn usage(text: &str) -> String {
        match parse_proxy(text) {
            Err(Failure::Usage(message)) => message,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn socks5h_and_socks5() {
        let p = parse_proxy("socks5h://127.0.0.1:9050").unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5 { remote_dns: true });
        assert_eq!(
            (p.host.as_str(), p.port, p.login),
            ("127.0.0.1", 9050, None)
        );
        let p = parse_proxy("SOCKS5://proxy.example/").unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5 { remote_dns: false });
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 1080));
        let p = parse_proxy("socks5h://alice:pa:ss@[::1]").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("::1", 1080));
        assert_eq!(p.login, Some(("alice".into(), Secret("pa:ss".into()))));
        let p = parse_proxy("http://u:p@h:3128").unwrap();
        assert_eq!(p.kind, ProxyKind::Http);
    }

    #[test]
    fn bad_forms_name_the_flag_and_hide_the_password() {
        let long = "x".repeat(256);
        for text in [
            "socks4://h:1080".to_string(),
            "h:1080".to_string(),
            "socks5h://alice@h".to_string(),
            "socks5h://:pw@h".to_string(),
            format!("socks5h://{long}:pw@h"),
            format!("socks5h://alice:{long}@h"),
            "socks5h://h:0".to_string(),
            "socks5h://".to_string(),
            "http://h".to_string(),
        ] {
            let message = usage(&text);
            assert!(message.starts_with("--proxy '"), "{message}");
            assert!(message.contains("socks5[h]://"), "{message}");
            assert_eq!(message.lines().count(), 1);
            assert!(!message.contains("pw@"), "{message}");
        }
    }
}

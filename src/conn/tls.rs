//! The rustls `ClientConfig` built once from the TLS flags: CA file/dir, OS roots, client
//! certificate, `--insecure`, protocol version and ALPN. Every PEM problem is an error that
//! names the file; nothing here panics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{verify_server_name, ResolvesClientCert, WebPkiServerVerifier};
use tokio_rustls::rustls::crypto::{
    ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{
    self, CipherSuite, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    SupportedCipherSuite,
};

use super::x509;
use crate::error::{io_reason, one_line, plain, shorten, shorten_path, Failure};

/// TLS version restriction from `--tls-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl std::str::FromStr for TlsVersion {
    type Err = Failure;

    fn from_str(text: &str) -> Result<Self, Failure> {
        match text.to_ascii_lowercase().as_str() {
            "tlsv1.2" | "1.2" => Ok(TlsVersion::Tls12),
            "tlsv1.3" | "1.3" => Ok(TlsVersion::Tls13),
            _ => Err(Failure::Usage(format!(
                "--tls-version '{}': use tlsv1.2 or tlsv1.3 (older versions are insecure and unsupported)",
                shorten(text)
            ))),
        }
    }
}

/// The TLS flags after validation.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub cafile: Option<PathBuf>,
    pub capath: Option<PathBuf>,
    pub use_os_certs: bool,
    pub client_auth: Option<(PathBuf, PathBuf)>,
    pub insecure: bool,
    pub version: Option<TlsVersion>,
    pub alpn: Vec<String>,
    /// `--ciphers`: the TLS 1.2 suites to offer, in order (None: rustls's defaults).
    pub ciphers: Option<Vec<SupportedCipherSuite>>,
    /// Where the TLS secrets go: `--tls-keylog`, else `SSLKEYLOGFILE`.
    pub keylog: Option<KeyLogTarget>,
}

/// The file that receives the TLS secrets, and who named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLogTarget {
    pub path: PathBuf,
    /// Named by `SSLKEYLOGFILE` (a file that cannot be opened is a warning), not by
    /// `--tls-keylog` (an error).
    pub from_env: bool,
}

/// The OpenSSL names of the TLS 1.2 suites mqtk offers (ring's), for `--ciphers` and its
/// shell completion; [`SUITES`] holds the suite of each, in the same order.
pub const CIPHER_NAMES: &[&str] = &[
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

const SUITES: [CipherSuite; 6] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// `--ciphers`: OpenSSL suite names (or their IANA names, TLS_ECDHE_...) separated by ':'
/// (or ','), each one of the TLS 1.2 suites of mqtk's TLS library. Anything else (a
/// suite it lacks, an OpenSSL keyword such as HIGH or !aNULL) is a usage error naming it.
pub fn parse_ciphers(text: &str) -> Result<Vec<SupportedCipherSuite>, Failure> {
    let provider = provider();
    let mut chosen: Vec<SupportedCipherSuite> = Vec::new();
    for name in text.split([':', ',']).map(str::trim) {
        if name.is_empty() {
            continue;
        }
        let wanted = CIPHER_NAMES
            .iter()
            .zip(SUITES)
            .find(|(openssl, _)| openssl.eq_ignore_ascii_case(name))
            .map(|(_, suite)| suite);
        let found = provider.cipher_suites.iter().find(|s| {
            s.version() == &rustls::version::TLS12
                && (Some(s.suite()) == wanted
                    || format!("{:?}", s.suite()).eq_ignore_ascii_case(name))
        });
        match found {
            Some(suite) if !chosen.contains(suite) => chosen.push(*suite),
            Some(_) => {}
            None => {
                return Err(Failure::Usage(format!(
                    "--ciphers '{}': not a TLS 1.2 cipher suite mqtk has; use one or more of {} (joined by ':')",
                    shorten(name),
                    CIPHER_NAMES.join(", ")
                )))
            }
        }
    }
    if chosen.is_empty() {
        return Err(Failure::Usage(format!(
            "--ciphers '{}': name at least one suite, e.g. ECDHE-RSA-AES128-GCM-SHA256",
            shorten(text)
        )));
    }
    Ok(chosen)
}

/// Writes the TLS secrets in the NSS key log format (`LABEL client_random secret`, hex),
/// which Wireshark reads; the file is created owner-only and appended to.
struct KeyLogWriter {
    file: std::sync::Mutex<std::fs::File>,
}

impl std::fmt::Debug for KeyLogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogWriter")
    }
}

impl KeyLogWriter {
    fn open(path: &Path) -> std::io::Result<KeyLogWriter> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        Ok(KeyLogWriter {
            file: std::sync::Mutex::new(options.open(path)?),
        })
    }
}

impl rustls::KeyLog for KeyLogWriter {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        use std::io::Write as _;
        let mut line =
            Vec::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.extend_from_slice(label.as_bytes());
        line.push(b' ');
        line.extend(crate::output::hex(client_random, false));
        line.push(b' ');
        line.extend(crate::output::hex(secret, false));
        line.push(b'\n');
        if let Ok(mut file) = self.file.lock() {
            // A full disk loses a line of secrets, not the connection.
            let _ = file.write_all(&line);
        }
    }
}

/// The key log for `target`: an error for a `--tls-keylog` file that cannot be opened, a
/// warning (unless `quiet`) and no key log for an `SSLKEYLOGFILE` one.
fn key_log(target: &KeyLogTarget, quiet: bool) -> Result<Option<Arc<dyn rustls::KeyLog>>, Failure> {
    let flag = if target.from_env {
        "SSLKEYLOGFILE"
    } else {
        "--tls-keylog"
    };
    match KeyLogWriter::open(&target.path) {
        Ok(writer) => {
            if !quiet {
                crate::output::stdio::stderr!(
                    "mqtk: warning: {flag}: the TLS secrets go to {}: anyone who can read it can decrypt this traffic",
                    shorten_path(&target.path)
                );
            }
            Ok(Some(Arc::new(writer)))
        }
        Err(e) if target.from_env => {
            if !quiet {
                crate::output::stdio::stderr!(
                    "mqtk: warning: SSLKEYLOGFILE {}: cannot write: {}; no TLS secrets are logged",
                    shorten_path(&target.path),
                    io_reason(&e)
                );
            }
            Ok(None)
        }
        Err(e) => Err(Failure::NoInput(format!(
            "--tls-keylog {}: cannot write: {}",
            shorten_path(&target.path),
            io_reason(&e)
        ))),
    }
}

/// The one crypto provider mqtk uses (ring, as rumqttc's webpki needs it anyway).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Builds the shared client config; `quiet` silences the key log's warning.
pub fn client_config(settings: &TlsSettings, quiet: bool) -> Result<Arc<ClientConfig>, Failure> {
    let versions: &[&rustls::SupportedProtocolVersion] = match settings.version {
        Some(TlsVersion::Tls12) => &[&rustls::version::TLS12],
        Some(TlsVersion::Tls13) => &[&rustls::version::TLS13],
        None => rustls::DEFAULT_VERSIONS,
    };
    let provider = match &settings.ciphers {
        // As OpenSSL's cipher list: the TLS 1.2 suites named, the TLS 1.3 ones untouched.
        Some(tls12) => {
            let mut custom = ring::default_provider();
            custom
                .cipher_suites
                .retain(|s| s.version() == &rustls::version::TLS13);
            custom.cipher_suites.extend(tls12.iter().copied());
            Arc::new(custom)
        }
        None => provider(),
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| Failure::Tls(format!("TLS setup failed: {}", plain(&e.to_string()))))?;
    let builder = if settings.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider.clone())))
    } else {
        let (roots, pinned) = root_store(settings)?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| Failure::Tls(format!("TLS setup failed: {}", plain(&e.to_string()))))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier { webpki, pinned }))
    };
    let mut config = match &settings.client_auth {
        Some((cert, key)) => {
            builder.with_client_cert_resolver(Arc::new(client_certificate(cert, key, &provider)?))
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = settings
        .alpn
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .collect();
    if let Some(target) = &settings.keylog {
        if let Some(log) = key_log(target, quiet)? {
            config.key_log = log;
        }
    }
    Ok(Arc::new(config))
}

/// The trusted CAs, and every certificate of --cafile and --capath as given (a server
/// certificate among them is trusted when the broker presents exactly it).
fn root_store(
    settings: &TlsSettings,
) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), Failure> {
    let mut store = RootCertStore::empty();
    let mut pinned = Vec::new();
    if let Some(file) = &settings.cafile {
        let certs = read_certificates(file, "--cafile")?;
        pinned.extend(certs.iter().cloned());
        let (added, _) = store.add_parsable_certificates(certs);
        if added == 0 {
            return Err(Failure::Tls(format!(
                "--cafile {}: no usable CA certificate in it",
                shorten_path(file)
            )));
        }
    }
    if let Some(dir) = &settings.capath {
        add_ca_dir(&mut store, &mut pinned, dir)?;
    }
    if settings.use_os_certs || (settings.cafile.is_none() && settings.capath.is_none()) {
        add_os_certs(&mut store, settings.use_os_certs)?;
    }
    Ok((store, pinned))
}

fn add_ca_dir(
    store: &mut RootCertStore,
    pinned: &mut Vec<CertificateDer<'static>>,
    dir: &Path,
) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::NoInput(format!("--capath {}: {}", shorten_path(dir), io_reason(&e)))
    })?;
    let mut added = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        // A CA folder holds hash links and other files too: take what parses.
        if let Ok(certs) = CertificateDer::pem_file_iter(&path) {
            let certs: Vec<_> = certs.flatten().collect();
            pinned.extend(certs.iter().cloned());
            added += store.add_parsable_certificates(certs).0;
        }
    }
    if added == 0 {
        return Err(Failure::Tls(format!(
            "--capath {}: no PEM CA certificates in it",
            shorten_path(dir)
        )));
    }
    Ok(())
}

fn add_os_certs(store: &mut RootCertStore, asked: bool) -> Result<(), Failure> {
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "it is empty".to_string(), |e| one_line(&e.to_string()));
        let flag = if asked {
            "--tls-use-os-certs"
        } else {
            "TLS without --cafile"
        };
        return Err(Failure::Tls(format!(
            "{flag}: cannot load the system's CA certificates: {why}; install ca-certificates or give --cafile"
        )));
    }
    Ok(())
}

fn cert_path_ok<'a>(path: &'a Path, flag: &str) -> Result<&'a Path, Failure> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(path),
        Err(e) => Err(Failure::NoInput(format!(
            "{flag} {}: {}",
            shorten_path(path),
            io_reason(&e)
        ))),
    }
}

fn read_certificates(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let bad = |why: String| Failure::Tls(format!("{flag} {}: {why}", shorten_path(path)));
    let certs = CertificateDer::pem_file_iter(cert_path_ok(path, flag)?)
        .map_err(|e| bad(pem_reason(&e)))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            bad(format!(
                "not a valid PEM certificate file ({})",
                pem_reason(&e)
            ))
        })?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// A PEM reading error in words.
fn pem_reason(error: &tokio_rustls::rustls::pki_types::pem::Error) -> String {
    use tokio_rustls::rustls::pki_types::pem::Error as E;
    match error {
        E::Io(e) => io_reason(e),
        E::MissingSectionEnd { .. } => "a BEGIN line has no END line".into(),
        E::IllegalSectionStart { .. } => "a malformed BEGIN line".into(),
        E::Base64Decode(_) => "bad base64 between BEGIN and END".into(),
        _ => "unreadable PEM".into(),
    }
}

/// The client certificate and key, checked here so that a problem names the file: the key
/// must belong to the certificate, and the certificate must be valid now. X.509 v1 client
/// certificates are sent as they are (mosquitto accepts them; rustls would refuse to load
/// them).
fn client_certificate(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<ClientCertificate, Failure> {
    let chain = read_certificates(cert, "--cert")?;
    let key_der = PrivateKeyDer::from_pem_file(cert_path_ok(key, "--key")?).map_err(|_| {
        Failure::Tls(format!(
            "--key {}: no private key in it; give a PEM key in PKCS#1, PKCS#8 or SEC1 form",
            shorten_path(key)
        ))
    })?;
    let signing = provider.key_provider.load_private_key(key_der).map_err(|_| {
        Failure::Tls(format!(
            "--key {}: mqtk cannot use this key: give an RSA (2048 bits or more), ECDSA P-256/P-384 or Ed25519 key",
            shorten_path(key)
        ))
    })?;
    let Some(info) = x509::parse(&chain[0]) else {
        return Err(Failure::Tls(format!(
            "--cert {}: the first certificate in it cannot be read as X.509",
            shorten_path(cert)
        )));
    };
    if let Some(public) = signing.public_key() {
        if public.as_ref() != info.spki.as_slice() {
            return Err(Failure::Tls(format!(
                "--key {} does not belong to --cert {} (their public keys differ): give the key the certificate was made for",
                shorten_path(key),
                shorten_path(cert)
            )));
        }
    }
    let now = UnixTime::now().as_secs() as i64;
    if now > info.not_after {
        return Err(Failure::Tls(format!(
            "--cert {}: the certificate expired on {}: have the CA issue a new one, e.g. openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -days 365 -out client.pem",
            shorten_path(cert),
            x509::date(info.not_after)
        )));
    }
    if now < info.not_before {
        return Err(Failure::Tls(format!(
            "--cert {}: the certificate is not valid before {} (the clock here says {}): check the clock, or wait",
            shorten_path(cert),
            x509::date(info.not_before),
            x509::date(now)
        )));
    }
    Ok(ClientCertificate(Arc::new(CertifiedKey::new(
        chain, signing,
    ))))
}

/// Offers the one client certificate to every server that asks.
#[derive(Debug)]
struct ClientCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// webpki's verification, with two additions: a certificate given in --cafile/--capath
/// and presented byte for byte by the broker is trusted as it is (a self-signed server
/// certificate, which webpki refuses as "a CA used as an end entity"), its dates and host
/// name still checked; and a refused certificate is examined so the error can say why in
/// words (X.509 v1, a host name only in the CN).
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let error = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(error) => error,
        };
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return verify_pinned(end_entity, server_name, now);
        }
        Err(diagnose(error, end_entity, server_name))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A certificate the user trusts as it is: valid now and for the host connected to.
fn verify_pinned(
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    use rustls::CertificateError as C;
    let seconds = |s: i64| UnixTime::since_unix_epoch(Duration::from_secs(s.max(0) as u64));
    if let Some(info) = x509::parse(cert) {
        let at = now.as_secs() as i64;
        if at < info.not_before {
            return Err(C::NotValidYetContext {
                time: now,
                not_before: seconds(info.not_before),
            }
            .into());
        }
        if at > info.not_after {
            return Err(C::ExpiredContext {
                time: now,
                not_after: seconds(info.not_after),
            }
            .into());
        }
    }
    let parsed = ParsedCertificate::try_from(cert).map_err(|e| diagnose(e, cert, server_name))?;
    verify_server_name(&parsed, server_name).map_err(|e| diagnose(e, cert, server_name))?;
    Ok(ServerCertVerified::assertion())
}

/// The error for a refused server certificate, explained when the certificate shows why.
fn diagnose(
    error: rustls::Error,
    cert: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
) -> rustls::Error {
    use rustls::CertificateError as C;
    let Some(info) = x509::parse(cert) else {
        return error;
    };
    let name = server_name.to_str().into_owned();
    let ip = matches!(server_name, ServerName::IpAddress(_));
    let name_error = matches!(
        &error,
        rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. })
    );
    let ca_as_end_entity = matches!(
        &error,
        rustls::Error::InvalidCertificate(C::Other(other)) if other.0.to_string() == "CaUsedAsEndEntity"
    );
    let problem = if ca_as_end_entity {
        CertProblem::CaCertificate {
            self_issued: info.self_issued,
        }
    } else if info.version < 3 {
        CertProblem::Version1 {
            name,
            ip,
            self_issued: info.self_issued,
        }
    } else if name_error && !info.has_san {
        CertProblem::CommonNameOnly {
            common_name: info.common_name.unwrap_or_default(),
            name,
            ip,
            self_issued: info.self_issued,
        }
    } else {
        return error;
    };
    C::Other(rustls::OtherError(Arc::new(problem))).into()
}

/// A server certificate problem mqtk explains itself, with the openssl line that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// A CA certificate (basicConstraints CA:TRUE) that is not in the trusted files as it is.
    CaCertificate { self_issued: bool },
    /// X.509 v1 (no extensions, so no subjectAltName): webpki refuses it.
    Version1 {
        name: String,
        ip: bool,
        self_issued: bool,
    },
    /// A v3 certificate whose host name is only in the subject's CN.
    CommonNameOnly {
        common_name: String,
        name: String,
        ip: bool,
        self_issued: bool,
    },
}

impl CertProblem {
    /// The openssl command that makes a certificate this client accepts for the host.
    pub fn fix(&self) -> String {
        let (name, ip, self_issued) = match self {
            CertProblem::CaCertificate { .. } => {
                return "give that very certificate as --cafile, or the CA that signed it".into()
            }
            CertProblem::Version1 {
                name,
                ip,
                self_issued,
            }
            | CertProblem::CommonNameOnly {
                name,
                ip,
                self_issued,
                ..
            } => (shorten(name), *ip, *self_issued),
        };
        let san = if ip {
            format!("IP:{name}")
        } else {
            format!("DNS:{name}")
        };
        if self_issued {
            format!(
                "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -subj /CN={name} -addext subjectAltName={san} -days 365"
            )
        } else {
            format!(
                "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -out server.crt -extfile <(printf 'subjectAltName={san}')"
            )
        }
    }
}

impl std::fmt::Display for CertProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertProblem::CaCertificate { self_issued: true } => write!(
                f,
                "certificate is self-signed and is not one given in --cafile/--capath: {}",
                self.fix()
            ),
            CertProblem::CaCertificate { self_issued: false } => write!(
                f,
                "certificate is a CA certificate (CA:TRUE), not a server's, and not one given in --cafile/--capath: {}",
                self.fix()
            ),
            CertProblem::Version1 { .. } => write!(
                f,
                "certificate is X.509 version 1 (made by openssl x509 -req without an extension file), which rustls refuses for a server: re-issue it as version 3 with a subjectAltName: {}",
                self.fix()
            ),
            CertProblem::CommonNameOnly { common_name, .. } => write!(
                f,
                "certificate names its host only as CN={} and has no subjectAltName, which TLS clients no longer read: re-issue it with one: {}",
                shorten(common_name),
                self.fix()
            ),
        }
    }
}

impl std::error::Error for CertProblem {}

/// `--insecure`: accepts any certificate and name, but still checks handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

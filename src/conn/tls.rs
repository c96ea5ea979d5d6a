//! The rustls `ClientConfig` built once from the TLS flags: CA file/dir, OS roots, client
//! certificate, `--insecure`, protocol version and ALPN. Every PEM problem is an error that
//! names the file; nothing here panics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::error::Failure;

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
                "--tls-version '{text}': use tlsv1.2 or tlsv1.3 (older versions are insecure and unsupported)"
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
}

/// The one crypto provider mqtk uses (ring, as rumqttc's webpki needs it anyway).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// Builds the shared client config.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, Failure> {
    let versions: &[&rustls::SupportedProtocolVersion] = match settings.version {
        Some(TlsVersion::Tls12) => &[&rustls::version::TLS12],
        Some(TlsVersion::Tls13) => &[&rustls::version::TLS13],
        None => rustls::DEFAULT_VERSIONS,
    };
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| Failure::Tls(format!("TLS setup failed: {e}")))?;
    let builder = if settings.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        builder.with_root_certificates(root_store(settings)?)
    };
    let mut config = match &settings.client_auth {
        Some((cert, key)) => {
            let chain = read_certificates(cert, "--cert")?;
            let key = PrivateKeyDer::from_pem_file(cert_path_ok(key, "--key")?).map_err(|e| {
                Failure::Tls(format!(
                    "--key {}: no usable private key ({e}); give a PEM key in PKCS#1, PKCS#8 or SEC1 form",
                    key.display()
                ))
            })?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                Failure::Tls(format!(
                    "--cert/--key: the key does not fit the certificate ({e})"
                ))
            })?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = settings
        .alpn
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .collect();
    Ok(Arc::new(config))
}

fn root_store(settings: &TlsSettings) -> Result<RootCertStore, Failure> {
    let mut store = RootCertStore::empty();
    if let Some(file) = &settings.cafile {
        let (added, _) = store.add_parsable_certificates(read_certificates(file, "--cafile")?);
        if added == 0 {
            return Err(Failure::Tls(format!(
                "--cafile {}: no valid CA certificate in it",
                file.display()
            )));
        }
    }
    if let Some(dir) = &settings.capath {
        add_ca_dir(&mut store, dir)?;
    }
    if settings.use_os_certs || (settings.cafile.is_none() && settings.capath.is_none()) {
        add_os_certs(&mut store, settings.use_os_certs)?;
    }
    Ok(store)
}

fn add_ca_dir(store: &mut RootCertStore, dir: &Path) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::NoInput(format!("--capath {}: {e}", dir.display())))?;
    let mut added = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        // A CA folder holds hash links and other files too: take what parses.
        if let Ok(certs) = CertificateDer::pem_file_iter(&path) {
            added += store.add_parsable_certificates(certs.flatten()).0;
        }
    }
    if added == 0 {
        return Err(Failure::Tls(format!(
            "--capath {}: no PEM CA certificates in it",
            dir.display()
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
            .map_or_else(|| "it is empty".to_string(), |e| e.to_string());
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
        Err(e) => Err(Failure::NoInput(format!("{flag} {}: {e}", path.display()))),
    }
}

fn read_certificates(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let bad = |why: String| Failure::Tls(format!("{flag} {}: {why}", path.display()));
    let certs = CertificateDer::pem_file_iter(cert_path_ok(path, flag)?)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not a valid PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}

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

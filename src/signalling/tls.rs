//! TLS for the backends' clients: certificates always verified, against the web's roots, the
//! system's CA store and an optional extra CA file.

use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::error::SignallingError;

/// The CAs installed on the system (a company's or a self-hosted one; `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` name another store, as OpenSSL's tools read them), parsed once per process:
/// reading and parsing the whole store is too slow to repeat for every connection.
fn system_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let started = std::time::Instant::now();
        let mut roots = rustls::RootCertStore::empty();
        // A store that cannot be read, or a certificate in it that cannot be used, leaves the
        // others: the web's roots and the CA file still apply.
        let system = rustls_native_certs::load_native_certs();
        for error in &system.errors {
            tracing::debug!("the system's CA store: {error}");
        }
        let (added, ignored) = roots.add_parsable_certificates(system.certs);
        tracing::debug!(added, ignored, took = ?started.elapsed(), "CAs from the system's store");
        roots
    })
}

/// Reads the system's CA store now, so that the first share's connection does not wait for
/// it. Called on a thread of its own at start.
pub fn preload() {
    system_roots();
}

/// TLS for `wss://` and `https://`: certificates are always verified, against the public web
/// roots, the system's CA store and, if given, an extra CA file (for a server with a private or
/// self-signed certificate).
pub(crate) fn client_config(
    ca_file: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, SignallingError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots.roots.extend(system_roots().roots.iter().cloned());
    if let Some(path) = ca_file {
        let bad = |cause: String| SignallingError::BadCaFile {
            path: path.to_owned(),
            cause,
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| bad(e.to_string()))?;
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad("no PEM certificate in it".into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SignallingError::BadCaFile {
            path: ca_file.unwrap_or_default().to_owned(),
            cause: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

//! TLS for the backends' clients: certificates always verified, against the web's roots and
//! an optional extra CA file.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::error::SignallingError;

/// TLS for `wss://`: certificates are always verified, against the public web roots and, if
/// given, an extra CA file (for a server with a private or self-signed certificate).
pub(crate) fn client_config(
    ca_file: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, SignallingError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
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

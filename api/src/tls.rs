//! In-process HTTPS (SEC-4): the server's certificate and key, read from
//! PEM files, served with rustls on ring (the build's one TLS stack).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The rustls configuration for `cert` (a PEM chain, leaf first) and `key`.
/// TLS 1.2 and 1.3 only, rustls' safe cipher suites; the HTTP server adds
/// ALPN (`h2`, `http/1.1`).
///
/// # Errors
/// When a file cannot be read, holds no certificate or key, or the key does
/// not match the certificate. The messages name the files, never their
/// content.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("cannot read the certificate {}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "no certificate in {} (BOUTIQUE_TLS_CERT)",
        cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("cannot read a private key from {}", key.display()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS key does not fit the certificate")
}

//! TLS to upstreams with rustls (aws-lc-rs provider): the server's
//! certificate chain, validity period and host name are verified against
//! the Web PKI roots (`webpki-roots`) plus, optionally, extra roots from a
//! PEM CA bundle the caller configures (that is how tests trust their own
//! CA). There is no switch to skip verification.

use crate::wire::Io;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};

/// Which certificate authorities a connection trusts. Cheap to clone.
#[derive(Clone)]
pub struct Trust {
    config: Arc<ClientConfig>,
    extra_roots: usize,
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trust").field("web_pki", &true).field("extra_roots", &self.extra_roots).finish()
    }
}

impl Default for Trust {
    fn default() -> Self {
        Trust::web_pki()
    }
}

/// A CA bundle that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustError(String);

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CA bundle: {}", self.0)
    }
}

impl std::error::Error for TrustError {}

impl Trust {
    /// The Web PKI roots only (the default).
    pub fn web_pki() -> Trust {
        static WEB_PKI: OnceLock<Trust> = OnceLock::new();
        WEB_PKI
            // No input here: the built-in roots and aws-lc-rs's own protocol versions.
            .get_or_init(|| Trust::build(Vec::new()).expect("aws-lc-rs supports the safe default TLS versions"))
            .clone()
    }

    /// The Web PKI roots plus every certificate of a PEM bundle (at least one).
    pub fn with_pem_roots(pem: &[u8]) -> Result<Trust, TrustError> {
        let extra = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrustError(format!("not PEM certificates: {e}")))?;
        if extra.is_empty() {
            return Err(TrustError("no certificate in it".into()));
        }
        Trust::build(extra)
    }

    /// [`Trust::with_pem_roots`] from a file.
    pub fn with_pem_file(path: &Path) -> Result<Trust, TrustError> {
        let pem = std::fs::read(path).map_err(|e| TrustError(format!("reading {}: {e}", path.display())))?;
        Trust::with_pem_roots(&pem)
    }

    /// How many roots came from a bundle.
    pub fn extra_roots(&self) -> usize {
        self.extra_roots
    }

    fn build(extra: Vec<CertificateDer<'static>>) -> Result<Trust, TrustError> {
        let mut roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let extra_roots = extra.len();
        for cert in extra {
            roots.add(cert).map_err(|e| TrustError(format!("a certificate cannot be a root: {e}")))?;
        }
        let config = ClientConfig::builder_with_provider(Arc::new(crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TrustError(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Trust { config: Arc::new(config), extra_roots })
    }

    /// The rustls configuration (for other TLS clients that must trust the same roots, e.g. HTTPS to a token endpoint).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// A tokio-rustls connector with this trust.
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(self.config.clone())
    }

    /// Runs the TLS handshake over `io` for `host` (a DNS name or an IP
    /// address, checked against the certificate).
    pub(crate) async fn handshake(&self, host: &str, io: Box<dyn Io>) -> Result<Box<dyn Io>, String> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| format!("{host} is not a server name: {e}"))?;
        match self.connector().connect(name, io).await {
            Ok(tls) => Ok(Box::new(tls)),
            Err(e) => Err(format!("with {host}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles() {
        assert!(Trust::web_pki().extra_roots() == 0);
        assert!(Trust::with_pem_roots(b"").is_err());
        assert!(
            Trust::with_pem_roots(b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n").is_err()
        );
        assert!(Trust::with_pem_file(Path::new("/nonexistent/ca.pem")).is_err());
    }
}

//! The SMTP proxy inside `sendas serve`: STARTTLS and implicit TLS
//! listeners on loopback with a self-signed certificate created on first
//! start, plaintext AUTH allowed only because (and only when) the
//! listener is on loopback, and the store's system relay (by default the
//! outbox directory).

use crate::backend::Backends;
use anyhow::Context;
use sendas_relay::Verifier;
use sendas_relay::audit::AuditFlush;
use sendas_smtp_proxy::builder::ProxyBuilder;
use sendas_smtp_proxy::config::{Limits, ProxyConfig};
use sendas_smtp_proxy::server::{Listeners, bind, run};
use sendas_smtp_proxy::session::Deps;
use std::net::SocketAddr;
use std::path::Path;
use tokio::sync::watch;

/// The bound SMTP listeners, ready to serve.
pub struct SmtpProxy {
    /// STARTTLS (submission) address.
    pub addr: SocketAddr,
    /// Implicit TLS address.
    pub tls_addr: SocketAddr,
    listeners: Listeners,
    deps: Deps,
    acceptor: sendas_smtp_proxy::tls::TlsAcceptor,
    audit_flush: AuditFlush,
    /// `verify` for the API, over the relay's own logins and token cache.
    pub verifier: Verifier,
    /// The relay, shared with the API's HTTP send (one relay, two doors).
    pub relay: std::sync::Arc<dyn sendas_relay::Relay>,
    /// The sending limiter, shared with the API's HTTP send (one count, two doors).
    pub limiter: std::sync::Arc<sendas_core::limiter::Limiter>,
    /// The audit writer (spilling to DATA_DIR/audit.spill), shared with the API's HTTP send.
    pub audit: sendas_relay::audit::AuditWriter,
}

impl SmtpProxy {
    /// Binds both listeners and prepares the proxy over `backends`.
    pub async fn bind(
        addr: SocketAddr,
        tls_addr: SocketAddr,
        data_dir: &Path,
        backends: &Backends,
        limits: Limits,
        upstreams: sendas_relay::UpstreamPolicy,
        ca_bundle: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let submission = bind(addr).with_context(|| format!("binding SMTP to {addr}"))?;
        let implicit = bind(tls_addr).with_context(|| format!("binding SMTP/TLS to {tls_addr}"))?;
        let (addr, tls_addr) = (submission.local_addr()?, implicit.local_addr()?);
        let (cert, key) = self_signed(data_dir)?;
        let acceptor = sendas_smtp_proxy::tls::acceptor_from_pem(&cert, &key)?;
        let config = ProxyConfig {
            hostname: "localhost".into(),
            limits: limits.clone(),
            // Plaintext AUTH only on loopback: nothing leaves the machine.
            plaintext_auth_insecure: addr.ip().is_loopback(),
        };
        let mut relay_options = limits.relay_options().with_ca_bundle(ca_bundle).context("the upstream CA bundle")?;
        relay_options.upstreams = upstreams;
        let limiter = std::sync::Arc::new(sendas_core::limiter::Limiter::scaled(
            backends.send_counter.clone(),
            limits.sending_limits_clock_for_tests,
        ));
        let proxy = ProxyBuilder::new(backends.store.clone(), backends.secrets.clone(), config)
            .relay_options(relay_options)
            .shared_failures(backends.shared_failures.clone())
            .limiter(limiter.clone())
            .audit_options(sendas_relay::audit::AuditOptions {
                spill: Some(data_dir.join("audit.spill")),
                ..Default::default()
            })
            .build();
        let verifier = proxy.verifier.context("the proxy's relay")?;
        let listeners = Listeners { submission: Some(submission), implicit_tls: Some(implicit) };
        let relay = proxy.deps.submitter.relay().clone();
        Ok(SmtpProxy {
            audit: proxy.deps.audit.clone(),
            relay,
            limiter,
            addr,
            tls_addr,
            listeners,
            deps: proxy.deps,
            acceptor,
            audit_flush: proxy.audit_flush,
            verifier,
        })
    }

    /// Serves until `shutdown` turns true; transactions in flight finish. The audit writer
    /// ends once every clone of it is gone (the API's too: stop the API first).
    pub async fn serve(self, shutdown: watch::Receiver<bool>) {
        let SmtpProxy { listeners, deps, acceptor, audit_flush, audit, .. } = self;
        drop(audit);
        let drain = deps.config.limits.drain_timeout;
        run(listeners, deps, Some(acceptor), shutdown, drain).await;
        // Every session is over: the audit writer writes what is queued and ends.
        let _ = audit_flush.await;
    }
}

/// The certificate and key in `DATA_DIR/tls/`, created (self-signed for
/// `localhost` and 127.0.0.1) on first start.
pub fn self_signed(dir: &Path) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tls = dir.join("tls");
    let (cert_path, key_path) = (tls.join("cert.pem"), tls.join("key.pem"));
    if cert_path.exists() && key_path.exists() {
        return Ok((std::fs::read(&cert_path)?, std::fs::read(&key_path)?));
    }
    std::fs::create_dir_all(&tls).with_context(|| format!("creating {}", tls.display()))?;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .context("generating a self-signed certificate")?;
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    std::fs::write(&cert_path, &cert_pem)?;
    let mut key = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&key_path)?;
    key.write_all(key_pem.as_bytes())?;
    Ok((cert_pem.into_bytes(), key_pem.into_bytes()))
}

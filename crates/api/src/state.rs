//! What every handler can reach: the store, the secret store (the
//! process's one caching layer, so a secret written here is what the relay
//! reads next in the same process), the relay's verifier, the sending
//! limiter and the audit writer.

use sendas_core::limiter::Limiter;
use sendas_core::ports::{DnsLookup, MemorySendCounter, NoResolver, Store};
use sendas_relay::audit::{AuditOptions, AuditWriter};
use sendas_relay::{CachedSecrets, Relay, RelayOptions, UpstreamRelay, Verifier};
use std::sync::Arc;
use std::time::Duration;

/// How long HTTP send's own audit write waits for the store before the record is logged
/// whole (a Lambda function has no disk that outlives it).
const DIRECT_AUDIT_PATIENCE: Duration = Duration::from_secs(2);

fn direct_audit(store: &Arc<dyn Store>) -> AuditWriter {
    AuditWriter::direct(store.clone(), AuditOptions { spill: None, patience: DIRECT_AUDIT_PATIENCE })
}

/// Shared state of the router.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The secret store (mailbox login secrets), through the credential cache.
    pub secrets: Arc<CachedSecrets>,
    /// Sends HTTP messages: the process's one relay (in `sendas serve`, the proxy's).
    pub relay: Arc<dyn Relay>,
    /// Logs in to a mailbox's SMTP server for `verify`.
    pub verifier: Verifier,
    /// Sending limits: the process's one limiter (in `sendas serve`, the proxy's).
    pub limiter: Arc<Limiter>,
    /// DNS lookups of domain ownership records ([`NoResolver`] until [`AppState::with_dns`]).
    pub dns: Arc<dyn DnsLookup>,
    /// Where HTTP send's audit records go: written in the request (until
    /// [`AppState::with_audit`] gives the process's batched writer, as `sendas serve` does).
    pub audit: AuditWriter,
}

impl AppState {
    /// State sharing the process's credential cache and relay (as `sendas serve` does).
    pub fn new(
        store: Arc<dyn Store>,
        secrets: Arc<CachedSecrets>,
        relay: Arc<dyn Relay>,
        verifier: Verifier,
        limiter: Arc<Limiter>,
    ) -> Self {
        let audit = direct_audit(&store);
        AppState { store, secrets, relay, verifier, limiter, dns: Arc::new(NoResolver), audit }
    }

    /// The same state writing audit records through `audit` (the SMTP door's writer).
    pub fn with_audit(mut self, audit: AuditWriter) -> Self {
        self.audit = audit;
        self
    }

    /// The same state looking domains up with `dns`.
    pub fn with_dns(mut self, dns: Arc<dyn DnsLookup>) -> Self {
        self.dns = dns;
        self
    }

    /// The same state counting sends with `limiter` (the deployment's shared counters).
    pub fn with_limiter(mut self, limiter: Arc<Limiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The delivery pipeline after a message's verdict (the same as the SMTP door's).
    pub fn submitter(&self) -> sendas_relay::Submitter {
        sendas_relay::Submitter::new(self.limiter.clone(), self.relay.clone())
    }

    /// State for a process that runs only the API (a Lambda function, a
    /// test): its own credential cache and relay, and a limiter over
    /// in-memory counters until [`AppState::with_limiter`] gives a shared one.
    pub fn standalone(store: Arc<dyn Store>, secrets: Arc<CachedSecrets>, options: RelayOptions) -> Self {
        let relay = UpstreamRelay::new(store.clone(), secrets.clone(), options);
        let limiter = Arc::new(Limiter::new(Arc::new(MemorySendCounter::default())));
        AppState {
            verifier: relay.verifier(),
            relay: Arc::new(relay),
            audit: direct_audit(&store),
            store,
            secrets,
            limiter,
            dns: Arc::new(NoResolver),
        }
    }
}

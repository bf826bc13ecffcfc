//! What every handler can reach: the store, the secret store (the
//! process's one caching layer, so a secret written here is what the relay
//! reads next in the same process), the relay's verifier and the
//! sending limiter.

use sendas_core::limiter::Limiter;
use sendas_core::ports::{DnsLookup, MemorySendCounter, NoResolver, Store};
use sendas_relay::{CachedSecrets, Relay, RelayOptions, UpstreamRelay, Verifier};
use std::sync::Arc;

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
        AppState { store, secrets, relay, verifier, limiter, dns: Arc::new(NoResolver) }
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
            store,
            secrets,
            limiter,
            dns: Arc::new(NoResolver),
        }
    }
}

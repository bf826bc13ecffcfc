//! The one way to assemble the proxy: the production binary, `sendas
//! serve`, the tests and the fuzz harness all build their [`Deps`] here,
//! so that the authenticator, the relay (with the process's one
//! credential cache), the audit writer and the metrics are wired the same
//! everywhere. Tests and the fuzz harness replace parts (a recording relay,
//! a fake authenticator) through the same builder.

use crate::authn::{Authenticator, StoreAuthenticator};
use crate::config::ProxyConfig;
use crate::metrics::Metrics;
use crate::session::Deps;
use sendas_core::limiter::Limiter;
use sendas_core::ports::{FailureCounter, MemorySendCounter, Store};
use sendas_relay::audit::{AuditFlush, AuditOptions, AuditWriter};
use sendas_relay::{CachedSecrets, Relay, RelayOptions, UpstreamRelay, Verifier};
use std::sync::Arc;

/// Assembles a proxy.
pub struct ProxyBuilder {
    store: Arc<dyn Store>,
    secrets: Arc<CachedSecrets>,
    config: ProxyConfig,
    relay_options: Option<RelayOptions>,
    shared_failures: Option<Arc<dyn FailureCounter>>,
    authn: Option<Arc<dyn Authenticator>>,
    relay: Option<Arc<dyn Relay>>,
    audit_store: Option<Arc<dyn Store>>,
    audit_options: AuditOptions,
    metrics: Option<Arc<Metrics>>,
    limiter: Option<Arc<Limiter>>,
}

/// An assembled proxy: what `server::run` takes, and what must outlive it.
pub struct Proxy {
    /// The session's dependencies.
    pub deps: Deps,
    /// Completes when every queued audit record is written (after the last session ended).
    pub audit_flush: AuditFlush,
    /// `verify` over the relay's own logins and token cache (`None` when the relay was replaced).
    pub verifier: Option<Verifier>,
}

impl ProxyBuilder {
    /// A proxy over `store`, reading secrets through `secrets` (the process's credential cache).
    pub fn new(store: Arc<dyn Store>, secrets: Arc<CachedSecrets>, config: ProxyConfig) -> ProxyBuilder {
        ProxyBuilder {
            store,
            secrets,
            config,
            relay_options: None,
            shared_failures: None,
            authn: None,
            relay: None,
            audit_store: None,
            audit_options: AuditOptions::default(),
            metrics: None,
            limiter: None,
        }
    }

    /// How the relay reaches upstreams (default: the Web PKI roots, the limits' relay timeout).
    pub fn relay_options(mut self, options: RelayOptions) -> Self {
        self.relay_options = Some(options);
        self
    }

    /// AUTH failure counters shared by every replica.
    pub fn shared_failures(mut self, counter: Option<Arc<dyn FailureCounter>>) -> Self {
        self.shared_failures = counter;
        self
    }

    /// Another authenticator (the fuzz harness's).
    pub fn authenticator(mut self, authn: Arc<dyn Authenticator>) -> Self {
        self.authn = Some(authn);
        self
    }

    /// Another relay (a test's recording relay, the fuzz harness's checking relay).
    pub fn relay(mut self, relay: Arc<dyn Relay>) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Audit records go to this store instead.
    pub fn audit_store(mut self, store: Arc<dyn Store>) -> Self {
        self.audit_store = Some(store);
        self
    }

    /// Where audit records go that the store does not take in time (default: logged, 20 s patience).
    pub fn audit_options(mut self, options: AuditOptions) -> Self {
        self.audit_options = options;
        self
    }

    /// Counters shared with the caller (e.g. a `/metrics` endpoint).
    pub fn metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The process's sending limiter (default: one over in-memory counters,
    /// which counts this process alone).
    pub fn limiter(mut self, limiter: Arc<Limiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The assembled proxy. Starts the audit writer (needs a Tokio runtime).
    pub fn build(self) -> Proxy {
        let limits = self.config.limits.clone();
        let authn = self.authn.unwrap_or_else(|| {
            let authn = StoreAuthenticator::new(self.store.clone(), limits.clone());
            Arc::new(match self.shared_failures {
                Some(shared) => authn.with_shared_failures(shared),
                None => authn,
            })
        });
        let (relay, verifier): (Arc<dyn Relay>, _) = match self.relay {
            Some(relay) => (relay, None),
            None => {
                let options = self.relay_options.unwrap_or_else(|| limits.relay_options());
                let upstream = UpstreamRelay::new(self.store.clone(), self.secrets.clone(), options);
                let verifier = upstream.verifier();
                (Arc::new(upstream), Some(verifier))
            }
        };
        let (audit, audit_flush) = AuditWriter::start(self.audit_store.unwrap_or(self.store), self.audit_options);
        let limiter = self.limiter.unwrap_or_else(|| Arc::new(Limiter::new(Arc::new(MemorySendCounter::default()))));
        let metrics = self.metrics.unwrap_or_default();
        metrics.show_limits(limiter.clone());
        metrics.show_audit(audit.counters().clone());
        let budget = crate::budget::MessageBudget::new(limits.message_budget_bytes, limits.tenant_budget_percent);
        let open_transactions = crate::budget::UserTransactions::new(limits.max_transactions_per_user);
        let deps = Deps {
            authn,
            submitter: sendas_relay::Submitter::new(limiter, relay),
            audit,
            metrics,
            budget,
            open_transactions,
            config: Arc::new(self.config),
        };
        Proxy { deps, audit_flush, verifier }
    }
}

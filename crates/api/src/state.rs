//! What every handler can reach: the store, the secret store and the SMTP verifier.

use crate::verify::SmtpVerifier;
use sendas_core::ports::{SecretStore, Store};
use std::sync::Arc;

/// Shared state of the router.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The secret store (mailbox passwords).
    pub secrets: Arc<dyn SecretStore>,
    /// Logs in to a mailbox's SMTP server for `verify`.
    pub verifier: Arc<dyn SmtpVerifier>,
}

impl AppState {
    /// State with the lettre-based verifier.
    pub fn new(store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>) -> Self {
        AppState { store, secrets, verifier: Arc::new(crate::verify::LettreVerifier::default()) }
    }
}

//! The secret store port: SMTP passwords of mailboxes and of the system relay.

use crate::error::StoreError;
use crate::{MailboxId, TenantId};
use async_trait::async_trait;
use secrecy::SecretString;
use std::fmt;

/// The name of a stored secret. Backends may add a prefix of their own.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef(String);

impl SecretRef {
    /// The SMTP password of a mailbox.
    pub fn mailbox(tenant: TenantId, mailbox: MailboxId) -> Self {
        SecretRef(format!("mailbox/{tenant}/{mailbox}"))
    }

    /// The SMTP password of the system relay.
    pub fn system_relay() -> Self {
        SecretRef("platform/system-relay".into())
    }

    /// The name, e.g. `mailbox/<tenant>/<mailbox>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({})", self.0)
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Write-mostly storage of secrets. Reading back is for the relay only;
/// the API never returns a secret.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secret, or `None` when none is stored under that name.
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError>;
    /// Stores (or replaces) a secret.
    async fn put_secret(&self, name: &SecretRef, value: &SecretString) -> Result<(), StoreError>;
    /// Deletes a secret; deleting a missing one is not an error.
    async fn delete_secret(&self, name: &SecretRef) -> Result<(), StoreError>;
}

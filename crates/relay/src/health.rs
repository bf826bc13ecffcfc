//! The mailboxes' health as this process saw it: each login's outcome
//! (ok, or the stage that failed) is written to the store when it differs
//! from what this process last wrote for that mailbox — a failing login
//! is visible in the API at once, and a healthy mailbox costs no write per
//! message. Writes run off the reply path.

use sendas_core::model::{HealthStage, MailboxHealth};
use sendas_core::ports::Store;
use sendas_core::{MailboxId, TenantId, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What this process last wrote per mailbox: `None` ok, else the failed stage.
type Written = Arc<Mutex<HashMap<(TenantId, MailboxId), Option<HealthStage>>>>;

/// Records login outcomes per mailbox.
pub struct HealthBook {
    store: Arc<dyn Store>,
    written: Written,
}

impl HealthBook {
    /// Writes to `store`.
    pub fn new(store: Arc<dyn Store>) -> HealthBook {
        HealthBook { store, written: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Notes an outcome; writes it when it changed (`force`: always, as `verify` does).
    /// Returns the write's task, if one was started.
    pub fn note(
        &self,
        tenant: TenantId,
        mailbox: MailboxId,
        failed_stage: Option<HealthStage>,
        detail: &str,
        force: bool,
    ) -> Option<tokio::task::JoinHandle<()>> {
        {
            let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
            if !force && written.get(&(tenant, mailbox)) == Some(&failed_stage) {
                return None;
            }
            written.insert((tenant, mailbox), failed_stage);
        }
        let health = MailboxHealth {
            tenant_id: tenant,
            mailbox_id: mailbox,
            failed_stage,
            detail: detail.chars().filter(|c| !c.is_control()).take(300).collect(),
            at: Timestamp::now(),
        };
        let (store, written) = (self.store.clone(), self.written.clone());
        Some(tokio::spawn(async move {
            if let Err(e) = store.put_mailbox_health(&health).await {
                tracing::warn!(mailbox = %health.mailbox_id, error = %e, "recording the mailbox's health failed");
                // Not written: the next outcome is written again.
                written.lock().unwrap_or_else(|p| p.into_inner()).remove(&(health.tenant_id, health.mailbox_id));
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::ports::MailboxStore;
    use sendas_core::testing::MemoryStore;

    #[tokio::test]
    async fn writes_only_changes() {
        let store = Arc::new(MemoryStore::default());
        let book = HealthBook::new(store.clone());
        let (t, m) = (TenantId::generate(), MailboxId::generate());
        let wait = |h: Option<tokio::task::JoinHandle<()>>| async move {
            if let Some(h) = h {
                let _ = h.await;
            }
            true
        };
        assert!(wait(book.note(t, m, None, "250 ok", false)).await);
        assert!(book.note(t, m, None, "250 ok again", false).is_none(), "unchanged: no write");
        assert!(wait(book.note(t, m, Some(HealthStage::Token), "invalid_grant", false)).await);
        let listed = store.list_mailbox_health(t).await.unwrap_or_default();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].failed_stage, Some(HealthStage::Token));
        assert_eq!(listed[0].detail, "invalid_grant");
        assert!(book.note(t, m, Some(HealthStage::Token), "x", true).is_some(), "forced");
    }
}

//! Mailboxes: quota and per-tenant address uniqueness in one transaction;
//! a system mailbox's address also claimed platform-wide (`system_addresses`).

use super::tenants::{claim_system_address, free_system_address};
use super::{SqliteStore, scoped, versioned};
use crate::db::{get_all, get_one, sql_err, to_body, touched};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sendas_core::model::{Mailbox, MailboxHealth, Tenant};
use sendas_core::ports::{MailboxStore, Page, PageRequest};
use sendas_core::{EmailAddress, MailboxId, StoreError, TenantId};

#[async_trait]
impl MailboxStore for SqliteStore {
    async fn create_mailbox(&self, m: &Mailbox) -> Result<(), StoreError> {
        let (t, id, address, system, body) =
            (m.tenant_id.to_string(), m.id.to_string(), m.address.to_string(), m.system, to_body(m)?);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let tenant: Tenant = get_one(&tx, "SELECT body FROM tenants WHERE id = ?1", params![t])?;
                let taken: Option<i64> = tx
                    .query_row(
                        "SELECT 1 FROM mailboxes WHERE tenant_id = ?1 AND (address = ?2 OR id = ?3)",
                        params![t, address, id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_err)?;
                if taken.is_some() {
                    return Err(StoreError::Conflict("address taken".into()));
                }
                let used: i64 = tx
                    .query_row("SELECT COUNT(*) FROM mailboxes WHERE tenant_id = ?1 AND system = 0", params![t], |r| {
                        r.get(0)
                    })
                    .map_err(sql_err)?;
                if !system && used >= i64::from(tenant.mailbox_quota) {
                    return Err(StoreError::QuotaExceeded);
                }
                tx.execute(
                    "INSERT INTO mailboxes (tenant_id, id, address, system, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![t, id, address, system, body],
                )
                .map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn get_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<Mailbox, StoreError> {
        scoped::get(self, "mailboxes", tenant.to_string(), id.to_string()).await
    }
    async fn find_mailbox_by_address(&self, tenant: TenantId, address: &EmailAddress) -> Result<Mailbox, StoreError> {
        let (t, a) = (tenant.to_string(), address.to_string());
        self.db
            .call(move |c| {
                get_one(c, "SELECT body FROM mailboxes WHERE tenant_id = ?1 AND address = ?2", params![t, a])
            })
            .await
    }
    async fn list_mailboxes(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Mailbox>, StoreError> {
        scoped::list(self, "mailboxes", tenant.to_string(), page, |x: &Mailbox| x.id.to_string()).await
    }
    async fn update_mailbox(&self, before: &Mailbox, m: &Mailbox) -> Result<(), StoreError> {
        let (t, id, address, body) = (m.tenant_id.to_string(), m.id.to_string(), m.address.to_string(), to_body(m)?);
        let expected = before.version;
        let system = m.system;
        let added: Vec<_> = m.access.groups.difference(&before.access.groups).copied().collect();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                versioned::require_version(&tx, "mailboxes", &t, &id, expected)?;
                versioned::require_groups(&tx, &t, &added)?;
                let old: String = tx
                    .query_row("SELECT address FROM mailboxes WHERE tenant_id = ?1 AND id = ?2", params![t, id], |r| {
                        r.get(0)
                    })
                    .map_err(sql_err)?;
                if system && old != address {
                    // A system address is unique across the platform: take the new one, free the old.
                    free_system_address(&tx, &t, &old)?;
                    claim_system_address(&tx, &t, &address)?;
                }
                let sql = "UPDATE mailboxes SET address = ?3, body = ?4 WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id, address, body]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn delete_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<(), StoreError> {
        let (t, m) = (tenant.to_string(), id.to_string());
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let (address, system): (String, bool) = tx
                    .query_row(
                        "SELECT address, system FROM mailboxes WHERE tenant_id = ?1 AND id = ?2",
                        params![t, m],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(sql_err)?
                    .ok_or(StoreError::NotFound)?;
                tx.execute("DELETE FROM mailboxes WHERE tenant_id = ?1 AND id = ?2", params![t, m]).map_err(sql_err)?;
                tx.execute("DELETE FROM mailbox_health WHERE tenant_id = ?1 AND mailbox_id = ?2", params![t, m])
                    .map_err(sql_err)?;
                if system {
                    free_system_address(&tx, &t, &address)?;
                }
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn put_mailbox_health(&self, h: &MailboxHealth) -> Result<(), StoreError> {
        let (t, m, body) = (h.tenant_id.to_string(), h.mailbox_id.to_string(), to_body(h)?);
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO mailbox_health (tenant_id, mailbox_id, body) VALUES (?1, ?2, ?3)",
                    params![t, m, body],
                )
                .map(drop)
                .map_err(sql_err)
            })
            .await
    }
    async fn list_mailbox_health(&self, tenant: TenantId) -> Result<Vec<MailboxHealth>, StoreError> {
        let t = tenant.to_string();
        self.db
            .call(move |c| {
                get_all(c, "SELECT body FROM mailbox_health WHERE tenant_id = ?1 ORDER BY mailbox_id", params![t])
            })
            .await
    }
}

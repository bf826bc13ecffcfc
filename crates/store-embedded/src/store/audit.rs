//! The audit log (retention by sweep) and platform settings (system relay, platform domains).

use super::SqliteStore;
use crate::db::{from_body, get_all, sql_err, to_body};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sendas_core::model::{AuditFilter, AuditRecord, PlatformDomains, SystemRelay};
use sendas_core::ports::{AuditStore, Page, PageRequest, SettingsStore};
use sendas_core::{StoreError, TenantId, Timestamp};

/// Cursor of the last record on a page: `<at millis>:<id>`.
fn cursor(r: &AuditRecord) -> String {
    format!("{}:{}", r.at.millis(), r.id)
}

fn parse_cursor(s: &str) -> Result<(i64, String), StoreError> {
    let (at, id) = s.split_once(':').ok_or(StoreError::InvalidCursor)?;
    Ok((at.parse().map_err(|_| StoreError::InvalidCursor)?, id.to_owned()))
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, r: &AuditRecord) -> Result<(), StoreError> {
        self.append_audits(std::slice::from_ref(r)).await
    }

    /// All records in one transaction (one database call).
    async fn append_audits(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        let rows = records
            .iter()
            .map(|r| {
                Ok((
                    r.tenant_id.to_string(),
                    r.at.millis(),
                    r.id.to_string(),
                    r.mailbox_id.map(|m| m.to_string()),
                    r.expires_at.millis(),
                    to_body(r)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.db
            .call(move |c| {
                let tx = c.transaction().map_err(sql_err)?;
                {
                    let mut insert = tx
                        .prepare_cached(
                            "INSERT OR IGNORE INTO audit (tenant_id, at, id, mailbox_id, expires_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        )
                        .map_err(sql_err)?;
                    for (t, at, id, mailbox, expires, body) in rows {
                        insert.execute(params![t, at, id, mailbox, expires, body]).map_err(sql_err)?;
                    }
                }
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn query_audit(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        let t = tenant.to_string();
        let from = f.from.map_or(i64::MIN, Timestamp::millis);
        let to = f.to.map_or(i64::MAX, Timestamp::millis);
        let mailbox = f.mailbox_id.map(|m| m.to_string());
        let user = f.user_id.map(|u| u.to_string());
        let outcome = f.outcome.map(|o| o.as_str());
        let (after_at, after_id) = match &page.after {
            Some(c) => parse_cursor(c)?,
            None => (i64::MAX, String::new()),
        };
        let limit = page.limit();
        let now = Timestamp::now().millis();
        self.db
            .call(move |c| {
                let sql = "SELECT body FROM audit WHERE tenant_id = ?1 AND expires_at > ?2 AND at >= ?3 AND at < ?4 \
                           AND (?5 IS NULL OR mailbox_id = ?5) \
                           AND (?9 IS NULL OR json_extract(body, '$.user_id') = ?9) \
                           AND (?10 IS NULL OR json_extract(body, '$.outcome') = ?10) \
                           AND (at < ?6 OR (at = ?6 AND (?7 = '' OR id < ?7))) \
                           ORDER BY at DESC, id DESC LIMIT ?8";
                let p = params![t, now, from, to, mailbox, after_at, after_id, limit + 1, user, outcome];
                let items = get_all(c, sql, p)?;
                Ok(Page::from_overfetch(items, limit, cursor))
            })
            .await
    }

    async fn purge_expired_audit(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.db
            .call(move |c| {
                let n =
                    c.execute("DELETE FROM audit WHERE expires_at <= ?1", params![now.millis()]).map_err(sql_err)?;
                Ok(n as u64)
            })
            .await
    }
}

const SYSTEM_RELAY: &str = "system_relay";

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn get_system_relay(&self) -> Result<Option<SystemRelay>, StoreError> {
        self.db
            .call(|c| {
                let body: Option<String> = c
                    .query_row("SELECT body FROM settings WHERE key = ?1", params![SYSTEM_RELAY], |r| r.get(0))
                    .optional()
                    .map_err(sql_err)?;
                body.map(|b| from_body(&b)).transpose()
            })
            .await
    }
    async fn put_system_relay(&self, relay: &SystemRelay) -> Result<(), StoreError> {
        let body = to_body(relay)?;
        self.db
            .call(move |c| {
                c.execute("INSERT OR REPLACE INTO settings (key, body) VALUES (?1, ?2)", params![SYSTEM_RELAY, body])
                    .map(|_| ())
                    .map_err(sql_err)
            })
            .await
    }
    async fn get_platform_domains(&self) -> Result<PlatformDomains, StoreError> {
        self.db.call(|c| super::domains::platform_domains(c)).await
    }
    async fn put_platform_domains(&self, domains: &PlatformDomains) -> Result<(), StoreError> {
        let body = to_body(domains)?;
        self.db
            .call(move |c| {
                let sql = "INSERT OR REPLACE INTO settings (key, body) VALUES (?1, ?2)";
                c.execute(sql, params![super::domains::PLATFORM_DOMAINS, body]).map(drop).map_err(sql_err)
            })
            .await
    }
}

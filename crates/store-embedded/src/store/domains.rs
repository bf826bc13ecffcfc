//! Sending domains, confirmed addresses and the platform domains.
//!
//! A claim is a row of `domains`, unique per `(tenant_id, name)`; the
//! platform-wide claim is the row's `holds` column (1 while the state is
//! `verified` or `assigned`) under the partial unique index `domains_held`
//! on `name WHERE holds = 1`, so two tenants can never hold one name, even
//! if a check were missed. Every write checks inside its IMMEDIATE
//! transaction first, to answer `domain_claimed` rather than a bare
//! constraint violation.

use super::SqliteStore;
use crate::db::{from_body, get_all, get_one, sql_err, to_body, touched};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use sendas_core::error::DOMAIN_CLAIMED;
use sendas_core::model::{AddressConfirmation, PlatformDomains, SendingDomain};
use sendas_core::ports::{ConfirmationStore, DomainStore, Page, PageRequest};
use sendas_core::{DomainId, DomainName, EmailAddress, StoreError, TenantId};

/// The platform-wide holder of `name`, if any.
fn holder(tx: &rusqlite::Connection, name: &str) -> Result<Option<(String, String)>, StoreError> {
    tx.query_row("SELECT tenant_id, id FROM domains WHERE name = ?1 AND holds = 1", params![name], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
    .map_err(sql_err)
}

/// Inserts a new claim: `Conflict` if the id exists or the tenant claims
/// the name already, `Conflict(domain_claimed)` if it holds and another
/// claim holds the name. Shared by `create_domain` and tenant creation.
pub(crate) fn insert_domain(tx: &Transaction<'_>, d: &SendingDomain) -> Result<(), StoreError> {
    let (t, id, name) = (d.tenant_id.to_string(), d.id.to_string(), d.name.as_str());
    let taken: Option<i64> = tx
        .query_row("SELECT 1 FROM domains WHERE tenant_id = ?1 AND (id = ?2 OR name = ?3)", params![t, id, name], |r| {
            r.get(0)
        })
        .optional()
        .map_err(sql_err)?;
    if taken.is_some() {
        return Err(StoreError::Conflict("this tenant claims the domain already".into()));
    }
    let holds = d.state.holds();
    if holds && holder(tx, name)?.is_some() {
        return Err(StoreError::Conflict(DOMAIN_CLAIMED.into()));
    }
    tx.execute(
        "INSERT INTO domains (tenant_id, id, name, holds, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![t, id, name, holds, to_body(d)?],
    )
    .map(drop)
    .map_err(sql_err)
}

/// A stored claim, or `NotFound`.
fn stored_domain(tx: &rusqlite::Connection, t: &str, id: &str) -> Result<SendingDomain, StoreError> {
    get_one(tx, "SELECT body FROM domains WHERE tenant_id = ?1 AND id = ?2", params![t, id])
}

/// The cursor of `list_all_domains`: `<tenant>/<id>` of the last claim of a page.
fn all_cursor(d: &SendingDomain) -> String {
    format!("{}/{}", d.tenant_id, d.id)
}

#[async_trait]
impl DomainStore for SqliteStore {
    async fn create_domain(&self, domain: &SendingDomain) -> Result<(), StoreError> {
        let d = domain.clone();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                insert_domain(&tx, &d)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn get_domain(&self, tenant: TenantId, id: DomainId) -> Result<SendingDomain, StoreError> {
        let (t, id) = (tenant.to_string(), id.to_string());
        self.db.call(move |c| stored_domain(c, &t, &id)).await
    }

    async fn list_domains(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError> {
        super::scoped::list(self, "domains", tenant.to_string(), page, |d: &SendingDomain| d.id.to_string()).await
    }

    async fn list_all_domains(&self, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError> {
        let (after_t, after_id) = match &page.after {
            None => (String::new(), String::new()),
            Some(a) => {
                let (t, id) = a.split_once('/').ok_or(StoreError::InvalidCursor)?;
                if TenantId::parse(t).is_err() || DomainId::parse(id).is_err() {
                    return Err(StoreError::InvalidCursor);
                }
                (t.to_owned(), id.to_owned())
            }
        };
        let limit = page.limit();
        self.db
            .call(move |c| {
                let items = get_all(
                    c,
                    "SELECT body FROM domains WHERE (tenant_id, id) > (?1, ?2) ORDER BY tenant_id, id LIMIT ?3",
                    params![after_t, after_id, limit + 1],
                )?;
                Ok(Page::from_overfetch(items, limit, all_cursor))
            })
            .await
    }

    async fn update_domain(&self, before: &SendingDomain, after: &SendingDomain) -> Result<(), StoreError> {
        let (before, after) = (before.clone(), after.clone());
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let (t, id) = (after.tenant_id.to_string(), after.id.to_string());
                let stored = stored_domain(&tx, &t, &id)?;
                if stored == after {
                    return Ok(()); // a retry of a write that succeeded
                }
                if stored.version != before.version || stored.name != after.name {
                    return Err(StoreError::VersionMismatch);
                }
                let holds = after.state.holds();
                if holds && holder(&tx, after.name.as_str())?.is_some_and(|h| h != (t.clone(), id.clone())) {
                    return Err(StoreError::Conflict(DOMAIN_CLAIMED.into()));
                }
                let sql = "UPDATE domains SET holds = ?3, body = ?4 WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id, holds, to_body(&after)?]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn delete_domain(&self, domain: &SendingDomain) -> Result<(), StoreError> {
        let (t, id, expected) = (domain.tenant_id.to_string(), domain.id.to_string(), domain.version);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                if stored_domain(&tx, &t, &id)?.version != expected {
                    return Err(StoreError::VersionMismatch);
                }
                // The platform-wide claim is the row itself: it goes with it.
                let sql = "DELETE FROM domains WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn domain_holder(&self, name: &DomainName) -> Result<Option<(TenantId, DomainId)>, StoreError> {
        let name = name.as_str().to_owned();
        let found = self.db.call(move |c| holder(c, &name)).await?;
        found
            .map(|(t, id)| match (TenantId::parse(&t), DomainId::parse(&id)) {
                (Ok(t), Ok(id)) => Ok((t, id)),
                _ => Err(StoreError::Corrupt("domain row keys".into())),
            })
            .transpose()
    }
}

#[async_trait]
impl ConfirmationStore for SqliteStore {
    async fn get_confirmation(
        &self,
        tenant: TenantId,
        address: &EmailAddress,
    ) -> Result<AddressConfirmation, StoreError> {
        let (t, a) = (tenant.to_string(), address.to_string());
        self.db
            .call(move |c| {
                get_one(c, "SELECT body FROM confirmations WHERE tenant_id = ?1 AND address = ?2", params![t, a])
            })
            .await
    }

    async fn list_confirmations(&self, tenant: TenantId) -> Result<Vec<AddressConfirmation>, StoreError> {
        let t = tenant.to_string();
        self.db
            .call(move |c| {
                get_all(c, "SELECT body FROM confirmations WHERE tenant_id = ?1 ORDER BY address", params![t])
            })
            .await
    }

    async fn put_confirmation(
        &self,
        before: Option<&AddressConfirmation>,
        after: &AddressConfirmation,
    ) -> Result<(), StoreError> {
        let (t, a, body) = (after.tenant_id.to_string(), after.address.to_string(), to_body(after)?);
        let expected = before.map(|b| b.version);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let stored: Option<String> = tx
                    .query_row(
                        "SELECT body FROM confirmations WHERE tenant_id = ?1 AND address = ?2",
                        params![t, a],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_err)?;
                match (expected, stored) {
                    (None, Some(_)) => return Err(StoreError::Conflict("a confirmation exists".into())),
                    (Some(_), None) => return Err(StoreError::NotFound),
                    (Some(v), Some(body)) if from_body::<AddressConfirmation>(&body)?.version != v => {
                        return Err(StoreError::VersionMismatch);
                    }
                    _ => {}
                }
                tx.execute(
                    "INSERT OR REPLACE INTO confirmations (tenant_id, address, body) VALUES (?1, ?2, ?3)",
                    params![t, a, body],
                )
                .map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn delete_confirmation(&self, tenant: TenantId, address: &EmailAddress) -> Result<(), StoreError> {
        let (t, a) = (tenant.to_string(), address.to_string());
        self.db
            .call(move |c| {
                c.execute("DELETE FROM confirmations WHERE tenant_id = ?1 AND address = ?2", params![t, a])
                    .map(drop)
                    .map_err(sql_err)
            })
            .await
    }
}

/// The settings key of the platform domains.
pub(crate) const PLATFORM_DOMAINS: &str = "platform_domains";

/// The platform domains as stored (empty if never set).
pub(crate) fn platform_domains(c: &rusqlite::Connection) -> Result<PlatformDomains, StoreError> {
    let body: Option<String> = c
        .query_row("SELECT body FROM settings WHERE key = ?1", params![PLATFORM_DOMAINS], |r| r.get(0))
        .optional()
        .map_err(sql_err)?;
    body.map(|b| from_body(&b)).transpose().map(Option::unwrap_or_default)
}

//! Tenants, the atomic creation of a tenant with its first items, and the
//! platform-wide claims of system addresses (`system_addresses`).

use super::{SqliteStore, page_by_id};
use crate::db::{get_one, sql_err, to_body, touched};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use sendas_core::StoreError;
use sendas_core::TenantId;
use sendas_core::model::Tenant;
use sendas_core::ports::{NewTenant, Page, PageRequest, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(&self, new: &NewTenant) -> Result<(), StoreError> {
        let new = new.clone();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql_err)?;
                let t = new.tenant.id.to_string();
                tx.execute("INSERT INTO tenants (id, body) VALUES (?1, ?2)", params![t, to_body(&new.tenant)?])
                    .map_err(sql_err)?;
                tx.execute(
                    "INSERT INTO companies (tenant_id, id, body) VALUES (?1, ?2, ?3)",
                    params![t, new.company.id.to_string(), to_body(&new.company)?],
                )
                .map_err(sql_err)?;
                let m = &new.system_mailbox;
                tx.execute(
                    "INSERT INTO mailboxes (tenant_id, id, address, system, body) VALUES (?1, ?2, ?3, 1, ?4)",
                    params![t, m.id.to_string(), m.address.as_str(), to_body(m)?],
                )
                .map_err(sql_err)?;
                claim_system_address(&tx, &t, m.address.as_str())?;
                insert_token(&tx, &new.admin_token)?;
                for d in &new.domains {
                    super::domains::insert_domain(&tx, d)?;
                }
                tx.commit().map_err(sql_err)
            })
            .await
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        self.db.call(move |c| get_one(c, "SELECT body FROM tenants WHERE id = ?1", params![id.to_string()])).await
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let page = page.clone();
        self.db
            .call(move |c| {
                page_by_id(
                    c,
                    "SELECT body FROM tenants WHERE ?1 = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                    "",
                    &page,
                    |t: &Tenant| t.id.to_string(),
                )
            })
            .await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let (id, body) = (tenant.id.to_string(), to_body(tenant)?);
        self.db
            .call(move |c| {
                touched(c.execute("UPDATE tenants SET body = ?2 WHERE id = ?1", params![id, body]).map_err(sql_err)?)
            })
            .await
    }
}

/// Claims a system address for tenant `t` (system addresses are unique
/// across the platform; the claim of one the tenant holds already stands).
pub(crate) fn claim_system_address(conn: &rusqlite::Connection, t: &str, address: &str) -> Result<(), StoreError> {
    let holder: Option<String> = conn
        .query_row("SELECT tenant_id FROM system_addresses WHERE address = ?1", params![address], |r| r.get(0))
        .optional()
        .map_err(sql_err)?;
    match holder {
        Some(h) if h == t => Ok(()),
        Some(_) => Err(StoreError::Conflict("another tenant's system mailbox has this address".into())),
        None => conn
            .execute("INSERT INTO system_addresses (address, tenant_id) VALUES (?1, ?2)", params![address, t])
            .map(drop)
            .map_err(sql_err),
    }
}

/// Frees tenant `t`'s claim of a system address (nothing if it holds none).
pub(crate) fn free_system_address(conn: &rusqlite::Connection, t: &str, address: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM system_addresses WHERE address = ?1 AND tenant_id = ?2", params![address, t])
        .map(drop)
        .map_err(sql_err)
}

/// Inserts a token row (shared by tenant creation and `create_token`).
pub(crate) fn insert_token(
    conn: &rusqlite::Connection,
    token: &sendas_core::model::ApiToken,
) -> Result<(), StoreError> {
    let tenant = token.role.tenant().map(|t| t.to_string());
    conn.execute(
        "INSERT INTO tokens (id, tenant_id, body) VALUES (?1, ?2, ?3)",
        params![token.id.to_string(), tenant, to_body(token)?],
    )
    .map(|_| ())
    .map_err(sql_err)
}

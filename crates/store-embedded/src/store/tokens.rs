//! SMTP credentials and API tokens.

use super::tenants::insert_token;
use super::{SqliteStore, page_by_id};
use crate::db::{get_all, get_one, sql_err, to_body, touched};
use async_trait::async_trait;
use rusqlite::{TransactionBehavior, params};
use sendas_core::model::{ApiToken, SmtpCredential};
use sendas_core::ports::{CredentialStore, Page, PageRequest, TokenStore};
use sendas_core::{CredentialId, StoreError, TenantId, TokenId, UserId};

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn create_credential(&self, c: &SmtpCredential, max_per_user: usize) -> Result<(), StoreError> {
        let (t, u, id, body) = (c.tenant_id.to_string(), c.user_id.to_string(), c.id.to_string(), to_body(c)?);
        self.db
            .call(move |conn| {
                // Count and insert in one write transaction: the cap holds under races.
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let held: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM credentials WHERE tenant_id = ?1 AND user_id = ?2",
                        params![t, u],
                        |r| r.get(0),
                    )
                    .map_err(sql_err)?;
                if usize::try_from(held).unwrap_or(usize::MAX) >= max_per_user {
                    return Err(StoreError::QuotaExceeded);
                }
                tx.execute(
                    "INSERT INTO credentials (tenant_id, user_id, id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![t, u, id, body],
                )
                .map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn list_credentials(&self, tenant: TenantId, user: UserId) -> Result<Vec<SmtpCredential>, StoreError> {
        let (t, u) = (tenant.to_string(), user.to_string());
        self.db
            .call(move |c| {
                get_all(
                    c,
                    "SELECT body FROM credentials WHERE tenant_id = ?1 AND user_id = ?2 ORDER BY id",
                    params![t, u],
                )
            })
            .await
    }
    async fn delete_credential(&self, tenant: TenantId, user: UserId, id: CredentialId) -> Result<(), StoreError> {
        let (t, u, id) = (tenant.to_string(), user.to_string(), id.to_string());
        self.db
            .call(move |c| {
                let sql = "DELETE FROM credentials WHERE tenant_id = ?1 AND user_id = ?2 AND id = ?3";
                touched(c.execute(sql, params![t, u, id]).map_err(sql_err)?)
            })
            .await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let token = token.clone();
        self.db.call(move |c| insert_token(c, &token)).await
    }
    async fn get_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        let id = id.to_string();
        self.db.call(move |c| get_one(c, "SELECT body FROM tokens WHERE id = ?1", params![id])).await
    }
    async fn list_tokens(&self, tenant: Option<TenantId>, page: &PageRequest) -> Result<Page<ApiToken>, StoreError> {
        let (t, page) = (tenant.map(|t| t.to_string()).unwrap_or_default(), page.clone());
        self.db
            .call(move |c| {
                // Operator tokens have a NULL tenant: `IFNULL(tenant_id, '')` makes them the '' scope.
                let sql = "SELECT body FROM tokens WHERE IFNULL(tenant_id, '') = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
                page_by_id(c, sql, &t, &page, |x: &ApiToken| x.id.to_string())
            })
            .await
    }
    async fn delete_token(&self, id: TokenId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.db
            .call(move |c| touched(c.execute("DELETE FROM tokens WHERE id = ?1", params![id]).map_err(sql_err)?))
            .await
    }
}

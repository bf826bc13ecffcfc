//! `Idempotency-Key` records: claimed in one IMMEDIATE transaction.

use super::SqliteStore;
use crate::db::{from_body, sql_err, to_body};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sendas_core::model::{IdempotencyClaim, IdempotencyRecord};
use sendas_core::ports::IdempotencyStore;
use sendas_core::{StoreError, TenantId, Timestamp, UserId};

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency(&self, r: &IdempotencyRecord, now: Timestamp) -> Result<IdempotencyClaim, StoreError> {
        let (t, u, key, expires, body) =
            (r.tenant_id.to_string(), r.user_id.to_string(), r.key.clone(), r.expires_at.millis(), to_body(r)?);
        let now = now.millis();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let existing: Option<(i64, String)> = tx
                    .query_row(
                        "SELECT expires_at, body FROM idempotency WHERE tenant_id = ?1 AND user_id = ?2 AND key = ?3",
                        params![t, u, key],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(sql_err)?;
                if let Some((at, stored)) = existing
                    && at >= now
                {
                    return Ok(IdempotencyClaim::Taken(from_body(&stored)?));
                }
                tx.execute(
                    "INSERT OR REPLACE INTO idempotency (tenant_id, user_id, key, expires_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![t, u, key, expires, body],
                )
                .map_err(sql_err)?;
                tx.commit().map_err(sql_err)?;
                Ok(IdempotencyClaim::Claimed)
            })
            .await
    }
    async fn put_idempotency(&self, r: &IdempotencyRecord) -> Result<(), StoreError> {
        let (t, u, key, expires, body) =
            (r.tenant_id.to_string(), r.user_id.to_string(), r.key.clone(), r.expires_at.millis(), to_body(r)?);
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO idempotency (tenant_id, user_id, key, expires_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![t, u, key, expires, body],
                )
                .map(drop)
                .map_err(sql_err)
            })
            .await
    }
    async fn release_idempotency(&self, tenant: TenantId, user: UserId, key: &str) -> Result<(), StoreError> {
        let (t, u, key) = (tenant.to_string(), user.to_string(), key.to_owned());
        self.db
            .call(move |c| {
                c.execute(
                    "DELETE FROM idempotency WHERE tenant_id = ?1 AND user_id = ?2 AND key = ?3",
                    params![t, u, key],
                )
                .map(drop)
                .map_err(sql_err)
            })
            .await
    }
}

//! Sending-limit counters: one row per (tenant, scope, window bucket),
//! raised by one conditional UPSERT, so processes sharing the file (two
//! `sendas serve` on one data directory) never count past a limit.

use super::SqliteStore;
use crate::db::sql_err;
use async_trait::async_trait;
use rusqlite::params;
use sendas_core::StoreError;
use sendas_core::model::Allowance;
use sendas_core::ports::{CounterKey, SendCounter, Units};

/// One call in this many also deletes the expired counters.
const PRUNE_EVERY: u64 = 256;

#[async_trait]
impl SendCounter for SqliteStore {
    async fn take(&self, key: &CounterKey, take: Units, allowance: Allowance) -> Result<bool, StoreError> {
        if !Units::default().fits(take, allowance) {
            return Ok(false);
        }
        let (tenant, scope) = (key.tenant.to_string(), key.scope_id());
        let bucket = format!("{}#{}", key.window.name(), key.bucket);
        let expires = i64::try_from(key.expires_at()).unwrap_or(i64::MAX);
        let prune = self.db.calls().is_multiple_of(PRUNE_EVERY);
        self.db
            .call(move |c| {
                if prune {
                    let now = sendas_core::Timestamp::now().seconds();
                    c.execute("DELETE FROM send_counters WHERE expires_at < ?1", params![now]).map_err(sql_err)?;
                }
                let changed = c
                    .execute(
                        "INSERT INTO send_counters (tenant_id, scope, bucket, messages, recipients, expires_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                         ON CONFLICT (tenant_id, scope, bucket) DO UPDATE SET \
                           messages = messages + excluded.messages, recipients = recipients + excluded.recipients \
                         WHERE (?7 IS NULL OR messages + excluded.messages <= ?7) \
                           AND (?8 IS NULL OR recipients + excluded.recipients <= ?8)",
                        params![
                            tenant,
                            scope,
                            bucket,
                            take.messages,
                            take.recipients,
                            expires,
                            allowance.messages,
                            allowance.recipients
                        ],
                    )
                    .map_err(sql_err)?;
                Ok(changed == 1)
            })
            .await
    }
}

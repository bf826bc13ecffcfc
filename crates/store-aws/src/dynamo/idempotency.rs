//! `Idempotency-Key` records: `IDEMP#<t>#<u>` / `<key>`, claimed with one
//! conditional PutItem (absent, or expired), deleted by DynamoDB TTL.

use super::{DynamoStore, decode, item_with_keys, n, s};
use crate::error::unavailable;
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::{IdempotencyClaim, IdempotencyRecord};
use sendas_core::ports::IdempotencyStore;
use sendas_core::{StoreError, TenantId, Timestamp, UserId};

fn item(r: &IdempotencyRecord) -> Result<super::Item, StoreError> {
    let mut item = item_with_keys(r, &[(PK, idempotency_pk(r.tenant_id, r.user_id)), (SK, r.key.clone())])?;
    item.insert(TTL.into(), n(r.expires_at.seconds()));
    item.insert("expires_ms".into(), n(r.expires_at.millis()));
    Ok(item)
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim_idempotency(&self, r: &IdempotencyRecord, now: Timestamp) -> Result<IdempotencyClaim, StoreError> {
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item(r)?))
            .condition_expression("attribute_not_exists(PK) OR expires_ms < :now")
            .expression_attribute_values(":now", n(now.millis()))
            .send()
            .await;
        match result.map_err(unavailable) {
            Ok(_) => Ok(IdempotencyClaim::Claimed),
            Err(StoreError::Conflict(_)) => {
                let existing = self.get_item(idempotency_pk(r.tenant_id, r.user_id), r.key.clone()).await?;
                match existing {
                    Some(found) => Ok(IdempotencyClaim::Taken(decode(found)?)),
                    // Released between the two requests: the caller may try again.
                    None => Err(StoreError::Unavailable("the idempotency key changed hands; retry".into())),
                }
            }
            Err(e) => Err(e),
        }
    }
    async fn put_idempotency(&self, r: &IdempotencyRecord) -> Result<(), StoreError> {
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item(r)?))
            .send()
            .await
            .map(drop)
            .map_err(unavailable)
    }
    async fn release_idempotency(&self, tenant: TenantId, user: UserId, key: &str) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .key(PK, s(idempotency_pk(tenant, user)))
            .key(SK, s(key))
            .send()
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

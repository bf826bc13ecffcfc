//! The audit log (newest first, expiry by DynamoDB TTL) and platform settings.

use super::{DynamoStore, Item, decode, item_with_keys, n, s};
use crate::error::unavailable;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use sendas_core::model::{AuditFilter, AuditRecord, PlatformDomains, SystemRelay};
use sendas_core::ports::{AuditStore, Page, PageRequest, SettingsStore};
use sendas_core::{StoreError, TenantId, Timestamp};

/// Cursor: the SK of the last record of the page (both indexes sort by it).
fn cursor(r: &AuditRecord) -> String {
    audit_sk(r.at, r.id)
}

fn audit_item(r: &AuditRecord) -> Result<Item, StoreError> {
    let (sk, shard) = (audit_sk(r.at, r.id), audit_shard(r.id));
    let mut keys = vec![(PK, audit_pk(r.tenant_id, shard)), (SK, sk.clone())];
    if let Some(m) = r.mailbox_id {
        keys.push((GSI1PK, audit_mailbox_gsi(r.tenant_id, m, shard)));
        keys.push((GSI1SK, sk));
    }
    let mut item = item_with_keys(r, &keys)?;
    item.insert(TTL.into(), n(r.expires_at.seconds()));
    Ok(item)
}

fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait]
impl AuditStore for DynamoStore {
    async fn append_audit(&self, r: &AuditRecord) -> Result<(), StoreError> {
        self.put_new(audit_item(r)?).await
    }

    /// BatchWriteItem, 25 records a request; unprocessed items are sent again (with backoff).
    async fn append_audits(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        for chunk in records.chunks(25) {
            let mut writes = chunk
                .iter()
                .map(|r| {
                    let put = PutRequest::builder().set_item(Some(audit_item(r)?)).build().map_err(build_err)?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for attempt in 0..8u32 {
                let out = self
                    .client()
                    .batch_write_item()
                    .request_items(self.table(), writes)
                    .send()
                    .await
                    .map_err(unavailable)?;
                writes = out.unprocessed_items.and_then(|mut u| u.remove(self.table())).unwrap_or_default();
                if writes.is_empty() {
                    break;
                }
                if attempt == 7 {
                    return Err(StoreError::Unavailable("audit records left unprocessed".into()));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(())
    }

    /// One Query per shard, in parallel, each reading at most a page of the
    /// range below the cursor; the newest `limit` of their union is the page.
    async fn query_audit(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        let lo = f.from.map_or_else(|| "0".repeat(20), audit_sk_floor);
        let mut hi = f.to.map_or_else(|| "~".into(), audit_sk_ceiling_before);
        // The cursor is the SK of the last record shown (unique across shards):
        // every shard resumes at it, and the record itself is dropped below.
        if let Some(after) = &page.after {
            if after.len() <= 21 || !after.is_ascii() {
                return Err(StoreError::InvalidCursor);
            }
            hi = hi.min(after.clone());
        }
        let want = page.limit() as usize + 1;
        let shards = (0..AUDIT_SHARDS).map(|shard| self.audit_shard_query(tenant, f, shard, &lo, &hi, want));
        let mut items: Vec<AuditRecord> = Vec::new();
        for shard in futures::future::join_all(shards).await {
            items.extend(shard?);
        }
        items.retain(|r| page.after.as_deref() != Some(cursor(r).as_str()));
        items.sort_by_key(|r| std::cmp::Reverse(cursor(r)));
        items.truncate(want);
        Ok(Page::from_overfetch(items, page.limit(), cursor))
    }

    async fn purge_expired_audit(&self, _now: Timestamp) -> Result<u64, StoreError> {
        // DynamoDB TTL deletes expired records; reads already hide them.
        Ok(0)
    }
}

impl DynamoStore {
    /// The newest `want` matching records of one shard in `[lo, hi]`
    /// (one more than asked, as `hi` may be the cursor's own record).
    async fn audit_shard_query(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        shard: u8,
        lo: &str,
        hi: &str,
        want: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (index, pk_name, sk_name, pk) = match f.mailbox_id {
            Some(m) => (Some(GSI1), GSI1PK, GSI1SK, audit_mailbox_gsi(tenant, m, shard)),
            None => (None, PK, SK, audit_pk(tenant, shard)),
        };
        let now = Timestamp::now().millis();
        // User and outcome are filters on the time range (read, then dropped: the cost is the range read).
        let mut filter = String::from("expires_at > :now");
        let mut values = Vec::new();
        if let Some(u) = f.user_id {
            filter.push_str(" AND user_id = :user");
            values.push((":user", s(u.to_string())));
        }
        if let Some(o) = f.outcome {
            filter.push_str(" AND outcome = :outcome");
            values.push((":outcome", s(o.as_str())));
        }
        let mut query = self
            .client()
            .query()
            .table_name(self.table())
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .filter_expression(filter)
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":lo", s(lo))
            .expression_attribute_values(":hi", s(hi))
            .expression_attribute_values(":now", n(now))
            .scan_index_forward(false);
        for (name, value) in values {
            query = query.expression_attribute_values(name, value);
        }
        // Expired (and filtered) records are filtered after DynamoDB counted them against `Limit`: follow up until full.
        self.query_all(query, None, Some(want + 1)).await
    }
}

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn get_system_relay(&self) -> Result<Option<SystemRelay>, StoreError> {
        self.get_item(PLATFORM.into(), SYSTEM_RELAY_SK).await?.map(decode).transpose()
    }
    async fn put_system_relay(&self, relay: &SystemRelay) -> Result<(), StoreError> {
        let item = item_with_keys(relay, &[(PK, PLATFORM.into()), (SK, SYSTEM_RELAY_SK.into())])?;
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
    async fn get_platform_domains(&self) -> Result<PlatformDomains, StoreError> {
        Ok(self.get_item(PLATFORM.into(), PLATFORM_DOMAINS_SK).await?.map(decode).transpose()?.unwrap_or_default())
    }
    async fn put_platform_domains(&self, domains: &PlatformDomains) -> Result<(), StoreError> {
        let item = item_with_keys(domains, &[(PK, PLATFORM.into()), (SK, PLATFORM_DOMAINS_SK.into())])?;
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}

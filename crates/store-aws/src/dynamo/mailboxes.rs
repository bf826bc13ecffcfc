//! Mailboxes: the quota counter on the tenant item and the per-tenant
//! address claims, both enforced inside one transaction; a system
//! mailbox's address also claimed platform-wide (`SYSADDR#<address>`).

use super::versioned::{claim_group, mailbox_sk, put_mailbox};
use super::{DynamoStore, Item, decode, failed, item_with_keys, n, s, tx};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::{Mailbox, MailboxHealth};
use sendas_core::ports::{MailboxStore, Page, PageRequest};
use sendas_core::{EmailAddress, MailboxId, StoreError, TenantId};
use std::collections::HashMap;

/// The mailbox item with its keys.
pub(crate) fn mailbox_item(m: &Mailbox) -> Result<Item, StoreError> {
    item_with_keys(m, &[(PK, tenant_pk(m.tenant_id)), (SK, mailbox_sk(m.id))])
}

/// The claim that reserves `m.address` in its tenant.
pub(crate) fn address_claim(m: &Mailbox) -> Result<Item, StoreError> {
    Ok(HashMap::from([
        (PK.to_owned(), s(tenant_pk(m.tenant_id))),
        (SK.to_owned(), s(address_sk(&m.address))),
        ("mailbox_id".to_owned(), s(m.id.to_string())),
    ]))
}

/// The platform-wide claim of a system mailbox's address (system addresses are unique across the platform).
pub(crate) fn system_address_claim(m: &Mailbox) -> Item {
    HashMap::from([
        (PK.to_owned(), s(system_address_pk(&m.address))),
        (SK.to_owned(), s(SYSTEM_ADDRESS_SK)),
        ("tenant_id".to_owned(), s(m.tenant_id.to_string())),
        ("mailbox_id".to_owned(), s(m.id.to_string())),
    ])
}

/// Frees `m`'s system-address claim: never another tenant's; a mailbox
/// created before the claims existed has none to free.
fn free_system_address(table: &str, m: &Mailbox) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
    let mine = HashMap::from([(":sys_t".to_owned(), s(m.tenant_id.to_string()))]);
    tx::delete(
        table,
        system_address_pk(&m.address),
        SYSTEM_ADDRESS_SK.into(),
        Some(("attribute_not_exists(PK) OR tenant_id = :sys_t", mine)),
    )
}

fn claim_is_mine(m: &Mailbox) -> (&'static str, HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) {
    ("mailbox_id = :mid", HashMap::from([(":mid".to_owned(), s(m.id.to_string()))]))
}

#[async_trait]
impl MailboxStore for DynamoStore {
    async fn create_mailbox(&self, m: &Mailbox) -> Result<(), StoreError> {
        let t = m.tenant_id;
        let mut items = Vec::new();
        if !m.system {
            items.push(tx::update(
                self.table(),
                tenant_pk(t),
                MAILBOX_COUNT_SK,
                "SET n = n + :one",
                "n < quota",
                HashMap::from([(":one".to_owned(), n(1))]),
            )?);
        } else {
            // Still require the tenant to exist.
            items.push(tx::update(
                self.table(),
                tenant_pk(t),
                MAILBOX_COUNT_SK,
                "SET n = n + :zero",
                "attribute_exists(PK)",
                HashMap::from([(":zero".to_owned(), n(0))]),
            )?);
        }
        items.push(tx::put_new(self.table(), address_claim(m)?)?);
        items.push(tx::put_new(self.table(), mailbox_item(m)?)?);
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(r) if failed(&r, 1) || failed(&r, 2) => Err(StoreError::Conflict("address taken".into())),
            Err(_) => match self.get_item(tenant_pk(t), TENANT_SK).await? {
                None => Err(StoreError::NotFound),
                Some(_) => Err(StoreError::QuotaExceeded),
            },
        }
    }

    async fn get_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<Mailbox, StoreError> {
        self.get(tenant_pk(tenant), mailbox_sk(id)).await
    }

    async fn find_mailbox_by_address(&self, tenant: TenantId, address: &EmailAddress) -> Result<Mailbox, StoreError> {
        let claim = self.get_item(tenant_pk(tenant), address_sk(address)).await?.ok_or(StoreError::NotFound)?;
        let id = claim
            .get("mailbox_id")
            .and_then(|v| v.as_s().ok())
            .and_then(|v| MailboxId::parse(v).ok())
            .ok_or(StoreError::Corrupt("address claim".into()))?;
        self.get_mailbox(tenant, id).await
    }

    async fn list_mailboxes(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Mailbox>, StoreError> {
        self.query_prefix(tenant_pk(tenant), "MAILBOX#", page, |m: &Mailbox| m.id.to_string()).await
    }

    async fn update_mailbox(&self, before: &Mailbox, m: &Mailbox) -> Result<(), StoreError> {
        let t = m.tenant_id;
        let mut items = vec![put_mailbox(self.table(), before, m)?];
        let moves = before.address != m.address;
        if moves {
            items.push(tx::delete(
                self.table(),
                tenant_pk(t),
                address_sk(&before.address),
                Some(claim_is_mine(before)),
            )?);
            items.push(tx::put_new(self.table(), address_claim(m)?)?);
        }
        let system_moves = moves && m.system;
        if system_moves {
            // Items 3 and 4: the platform-wide claim moves with the address.
            items.push(free_system_address(self.table(), before)?);
            items.push(tx::put_new(self.table(), system_address_claim(m))?);
        }
        for g in m.access.groups.difference(&before.access.groups) {
            items.push(claim_group(self.table(), t, *g)?);
        }
        match self.write_items(items).await? {
            Ok(()) => Ok(()),
            Err(r) if failed(&r, 0) => Err(self
                .why_not_written(tenant_pk(t), mailbox_sk(m.id), |_: Mailbox| StoreError::VersionMismatch)
                .await),
            Err(r) if moves && (failed(&r, 1) || failed(&r, 2)) => Err(StoreError::Conflict("address taken".into())),
            Err(r) if system_moves && (failed(&r, 3) || failed(&r, 4)) => {
                Err(StoreError::Conflict("another tenant's system mailbox has this address".into()))
            }
            Err(_) => Err(StoreError::MissingGroup),
        }
    }

    async fn delete_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<(), StoreError> {
        let m: Mailbox = match self.get_item(tenant_pk(tenant), mailbox_sk(id)).await? {
            Some(item) => decode(item)?,
            None => return Err(StoreError::NotFound),
        };
        let exists = ("attribute_exists(PK)", HashMap::new());
        let mut items = vec![
            tx::delete(self.table(), tenant_pk(tenant), mailbox_sk(id), Some(exists))?,
            tx::delete(self.table(), tenant_pk(tenant), address_sk(&m.address), Some(claim_is_mine(&m)))?,
        ];
        if m.system {
            items.push(free_system_address(self.table(), &m)?);
        } else {
            items.push(tx::update(
                self.table(),
                tenant_pk(tenant),
                MAILBOX_COUNT_SK,
                "SET n = n - :one",
                "n > :zero",
                HashMap::from([(":one".to_owned(), n(1)), (":zero".to_owned(), n(0))]),
            )?);
        }
        match self.transact(items).await? {
            Ok(()) => {
                // The health item is the relay's; a stale one is harmless (listed only beside its mailbox).
                let _ = self
                    .client
                    .delete_item()
                    .table_name(self.table())
                    .key(PK, s(health_pk(tenant)))
                    .key(SK, s(id.to_string()))
                    .send()
                    .await;
                Ok(())
            }
            Err(_) => Err(StoreError::NotFound),
        }
    }
    async fn put_mailbox_health(&self, h: &MailboxHealth) -> Result<(), StoreError> {
        let item = item_with_keys(h, &[(PK, health_pk(h.tenant_id)), (SK, h.mailbox_id.to_string())])?;
        self.client
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map(drop)
            .map_err(crate::error::unavailable)
    }
    async fn list_mailbox_health(&self, tenant: TenantId) -> Result<Vec<MailboxHealth>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(health_pk(tenant)))
            .consistent_read(true);
        self.query_all(query, None, None).await
    }
}

//! Sending domains and confirmed addresses (the platform domains are a
//! settings item beside the system relay, in `audit.rs`).
//!
//! A tenant's claim is `CLAIMS#<t>` / `DOMAIN#<id>` (listed by one Query,
//! and platform-wide on GSI1 under `DOMAINS`), with a `DOMAINNAME#<name>`
//! item beside it so a tenant claims a name once. A claim that holds
//! (`verified`, `assigned`) also owns the one item `DOMAIN#<name>` /
//! `DOMAIN` (`tenant_id`, `domain_id`): it is put in the same
//! TransactWriteItems as the state change that takes it, on the condition
//! that it does not exist or is this claim's already, and deleted in the
//! same transaction as the lapse or deletion that frees it. So of ten
//! tenants verifying one name at once exactly one transaction succeeds.
//! A write whose condition failed reads the claim again: when it already
//! equals `after` (a retry of a write that succeeded) the answer is `Ok`.

use super::versioned::at_version;
use super::{DynamoStore, Item, decode, failed, item_with_keys, s, tx};
use crate::error::unavailable;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use sendas_core::error::DOMAIN_CLAIMED;
use sendas_core::model::{AddressConfirmation, SendingDomain};
use sendas_core::ports::{ConfirmationStore, DomainStore, Page, PageRequest};
use sendas_core::{DomainId, DomainName, EmailAddress, StoreError, TenantId};
use std::collections::HashMap;

/// GSI1SK of a claim: `<tenant>#<id>`, so the platform-wide list is ordered by (tenant, id).
fn all_domains_sk(d: &SendingDomain) -> String {
    format!("{}#{}", d.tenant_id, d.id)
}

/// The claim item with its keys.
fn domain_item(d: &SendingDomain) -> Result<Item, StoreError> {
    item_with_keys(
        d,
        &[(PK, claims_pk(d.tenant_id)), (SK, domain_sk(d.id)), (GSI1PK, DOMAINS.into()), (GSI1SK, all_domains_sk(d))],
    )
}

/// The platform-wide claim item of `d.name`, held by `d`.
fn platform_claim(d: &SendingDomain) -> Item {
    HashMap::from([
        (PK.to_owned(), s(domain_claim_pk(&d.name))),
        (SK.to_owned(), s(DOMAIN_CLAIM_SK)),
        ("tenant_id".to_owned(), s(d.tenant_id.to_string())),
        ("domain_id".to_owned(), s(d.id.to_string())),
    ])
}

/// The condition that the platform-wide claim is free or `d`'s own.
fn free_or_mine(d: &SendingDomain) -> (&'static str, HashMap<String, AttributeValue>) {
    (
        "attribute_not_exists(PK) OR (tenant_id = :claim_t AND domain_id = :claim_d)",
        HashMap::from([
            (":claim_t".to_owned(), s(d.tenant_id.to_string())),
            (":claim_d".to_owned(), s(d.id.to_string())),
        ]),
    )
}

/// Takes the platform-wide claim for `d` (fails if another claim holds the name).
fn take_claim(table: &str, d: &SendingDomain) -> Result<TransactWriteItem, StoreError> {
    let (cond, values) = free_or_mine(d);
    tx::put_if(table, platform_claim(d), cond, values)
}

/// Frees the platform-wide claim `d` holds (never another claim's).
fn free_claim(table: &str, d: &SendingDomain) -> Result<TransactWriteItem, StoreError> {
    tx::delete(table, domain_claim_pk(&d.name), DOMAIN_CLAIM_SK.into(), Some(free_or_mine(d)))
}

/// The writes that create claim `d`: the claim, its per-tenant name item
/// and, if it holds, the platform-wide claim (in this order; shared with
/// tenant creation).
pub(crate) fn creation(table: &str, d: &SendingDomain) -> Result<Vec<TransactWriteItem>, StoreError> {
    let name = HashMap::from([
        (PK.to_owned(), s(claims_pk(d.tenant_id))),
        (SK.to_owned(), s(domain_name_sk(&d.name))),
        ("domain_id".to_owned(), s(d.id.to_string())),
    ]);
    let mut items = vec![tx::put_new(table, domain_item(d)?)?, tx::put_new(table, name)?];
    if d.state.holds() {
        items.push(tx::put_new(table, platform_claim(d))?);
    }
    Ok(items)
}

fn text_of(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

#[async_trait]
impl DomainStore for DynamoStore {
    async fn create_domain(&self, domain: &SendingDomain) -> Result<(), StoreError> {
        match self.transact(creation(self.table(), domain)?).await? {
            Ok(()) => Ok(()),
            Err(r) if failed(&r, 0) || failed(&r, 1) => {
                Err(StoreError::Conflict("this tenant claims the domain already".into()))
            }
            Err(_) => Err(StoreError::Conflict(DOMAIN_CLAIMED.into())),
        }
    }

    async fn get_domain(&self, tenant: TenantId, id: DomainId) -> Result<SendingDomain, StoreError> {
        self.get(claims_pk(tenant), domain_sk(id)).await
    }

    async fn list_domains(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError> {
        self.query_prefix(claims_pk(tenant), DOMAIN_PREFIX, page, |d: &SendingDomain| d.id.to_string()).await
    }

    async fn list_all_domains(&self, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError> {
        self.query_gsi(DOMAINS.into(), page, |d: &SendingDomain| {
            (claims_pk(d.tenant_id), domain_sk(d.id), all_domains_sk(d))
        })
        .await
    }

    async fn update_domain(&self, before: &SendingDomain, after: &SendingDomain) -> Result<(), StoreError> {
        let (cond, mut values) = at_version(before.version);
        values.insert(":name".into(), s(after.name.as_str()));
        let names = HashMap::from([("#name".to_owned(), "name".to_owned())]);
        let condition = format!("attribute_exists(PK) AND #name = :name AND {cond}");
        let mut items = vec![tx::put_if_named(self.table(), domain_item(after)?, &condition, names, values)?];
        let (held, holds) = (before.state.holds(), after.state.holds());
        if holds && !held {
            items.push(take_claim(self.table(), after)?);
        } else if held && !holds {
            items.push(free_claim(self.table(), before)?);
        }
        let claims = items.len() > 1;
        match self.write_items(items).await? {
            Ok(()) => Ok(()),
            Err(_) => match self.get_item(claims_pk(after.tenant_id), domain_sk(after.id)).await? {
                None => Err(StoreError::NotFound),
                Some(item) => {
                    let stored: SendingDomain = decode(item)?;
                    if stored == *after {
                        Ok(()) // a retry of a write that succeeded
                    } else if stored.version != before.version || stored.name != after.name || !claims {
                        Err(StoreError::VersionMismatch)
                    } else {
                        Err(StoreError::Conflict(DOMAIN_CLAIMED.into()))
                    }
                }
            },
        }
    }

    async fn delete_domain(&self, domain: &SendingDomain) -> Result<(), StoreError> {
        let (t, table) = (domain.tenant_id, self.table());
        let (cond, values) = at_version(domain.version);
        let mine = HashMap::from([(":d".to_owned(), s(domain.id.to_string()))]);
        let mut items = vec![
            tx::delete(
                table,
                claims_pk(t),
                domain_sk(domain.id),
                Some((&format!("attribute_exists(PK) AND {cond}"), values)),
            )?,
            tx::delete(
                table,
                claims_pk(t),
                domain_name_sk(&domain.name),
                Some(("attribute_not_exists(PK) OR domain_id = :d", mine)),
            )?,
        ];
        if domain.state.holds() {
            items.push(free_claim(table, domain)?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(self
                .why_not_written(claims_pk(t), domain_sk(domain.id), |_: SendingDomain| StoreError::VersionMismatch)
                .await),
        }
    }

    async fn domain_holder(&self, name: &DomainName) -> Result<Option<(TenantId, DomainId)>, StoreError> {
        let Some(claim) = self.get_item(domain_claim_pk(name), DOMAIN_CLAIM_SK).await? else {
            return Ok(None);
        };
        let tenant = text_of(&claim, "tenant_id").and_then(|t| TenantId::parse(&t).ok());
        let id = text_of(&claim, "domain_id").and_then(|d| DomainId::parse(&d).ok());
        match (tenant, id) {
            (Some(t), Some(d)) => Ok(Some((t, d))),
            _ => Err(StoreError::Corrupt("domain claim".into())),
        }
    }
}

#[async_trait]
impl ConfirmationStore for DynamoStore {
    async fn get_confirmation(
        &self,
        tenant: TenantId,
        address: &EmailAddress,
    ) -> Result<AddressConfirmation, StoreError> {
        self.get(tenant_pk(tenant), confirmation_sk(address)).await
    }

    async fn list_confirmations(&self, tenant: TenantId) -> Result<Vec<AddressConfirmation>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(tenant_pk(tenant)))
            .expression_attribute_values(":prefix", s(CONFIRMATION_PREFIX))
            .consistent_read(true);
        self.query_all(query, None, None).await
    }

    async fn put_confirmation(
        &self,
        before: Option<&AddressConfirmation>,
        after: &AddressConfirmation,
    ) -> Result<(), StoreError> {
        let (pk, sk) = (tenant_pk(after.tenant_id), confirmation_sk(&after.address));
        let item = item_with_keys(after, &[(PK, pk.clone()), (SK, sk.clone())])?;
        let Some(before) = before else {
            return self.put_new(item).await.map_err(|e| match e {
                StoreError::Conflict(_) => StoreError::Conflict("a confirmation exists".into()),
                other => other,
            });
        };
        let (cond, values) = at_version(before.version);
        let put = tx::put_if(self.table(), item, &format!("attribute_exists(PK) AND {cond}"), values)?;
        match self.write_items(vec![put]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(self.why_not_written(pk, sk, |_: AddressConfirmation| StoreError::VersionMismatch).await),
        }
    }

    async fn delete_confirmation(&self, tenant: TenantId, address: &EmailAddress) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .key(PK, s(tenant_pk(tenant)))
            .key(SK, s(confirmation_sk(address)))
            .send()
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

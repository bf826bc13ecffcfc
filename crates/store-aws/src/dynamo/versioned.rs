//! Versioned writes and group references on DynamoDB.
//!
//! A user, group or mailbox item is replaced only on the condition that
//! its `version` attribute is still the one read. A write that adds a
//! group to a user or an access list also updates the group item in the
//! same transaction (`ADD refs :one`, on the condition that the group
//! exists and is not being deleted), so a deletion that read the group
//! before fails its own condition on `refs` and starts again: nothing
//! names a group once its deletion returns.

use super::{DynamoStore, Item, decode, item_with_keys, n, s, tx};
use crate::error::unavailable;
use crate::keys::*;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use sendas_core::model::{Group, Mailbox, User};
use sendas_core::{GroupId, StoreError, TenantId};
use std::collections::HashMap;

/// Items in one TransactWriteItems (DynamoDB's limit).
pub(crate) const MAX_TRANSACTION_ITEMS: usize = 100;
/// Rounds a group deletion makes against concurrent edits before it gives up.
const ROUNDS: usize = 8;

pub(crate) fn user_sk(id: sendas_core::UserId) -> String {
    format!("USER#{id}")
}
pub(crate) fn group_sk(id: GroupId) -> String {
    format!("GROUP#{id}")
}
pub(crate) fn mailbox_sk(id: sendas_core::MailboxId) -> String {
    format!("MAILBOX#{id}")
}

/// The condition that an item's stored version is `v` (items written
/// before versions existed have none: version 0), with its values.
pub(crate) fn at_version(v: u64) -> (String, HashMap<String, AttributeValue>) {
    if v == 0 {
        ("attribute_not_exists(version)".into(), HashMap::new())
    } else {
        ("version = :version".into(), HashMap::from([(":version".to_owned(), n(v))]))
    }
}

/// The transaction item that references group `g` from a write: it fails
/// unless the group exists and is not being deleted.
pub(crate) fn claim_group(table: &str, tenant: TenantId, g: GroupId) -> Result<TransactWriteItem, StoreError> {
    tx::update(
        table,
        tenant_pk(tenant),
        &group_sk(g),
        "ADD refs :one",
        "attribute_exists(PK) AND attribute_not_exists(deleting)",
        HashMap::from([(":one".to_owned(), n(1))]),
    )
}

/// A conditional replacement of a user at `before.version` by `after`.
pub(crate) fn put_user(table: &str, before: &User, after: &User) -> Result<TransactWriteItem, StoreError> {
    let item = item_with_keys(after, &[(PK, tenant_pk(after.tenant_id)), (SK, user_sk(after.id))])?;
    let (cond, mut values) = at_version(before.version);
    values.insert(":login".into(), s(after.login.to_string()));
    tx::put_if(table, item, &format!("attribute_exists(PK) AND login = :login AND {cond}"), values)
}

/// A conditional replacement of a mailbox at `before.version` by `after`.
pub(crate) fn put_mailbox(table: &str, before: &Mailbox, after: &Mailbox) -> Result<TransactWriteItem, StoreError> {
    let item = super::mailboxes::mailbox_item(after)?;
    let (cond, values) = at_version(before.version);
    tx::put_if(table, item, &format!("attribute_exists(PK) AND {cond}"), values)
}

impl DynamoStore {
    /// Runs the writes as one conditional PutItem when they are one put,
    /// else as one transaction; `Ok(Err(reasons))` when a condition failed
    /// (a single put's failure is reported as item 0).
    pub(crate) async fn write_items(
        &self,
        mut items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), super::CancelReasons>, StoreError> {
        if let [only] = items.as_mut_slice()
            && let Some(put) = only.put.take()
        {
            let result = self
                .client()
                .put_item()
                .table_name(put.table_name)
                .set_item(Some(put.item))
                .set_condition_expression(put.condition_expression)
                .set_expression_attribute_names(put.expression_attribute_names)
                .set_expression_attribute_values(put.expression_attribute_values)
                .send()
                .await;
            return match result.map_err(unavailable) {
                Ok(_) => Ok(Ok(())),
                Err(StoreError::Conflict(_)) => Ok(Err(vec!["ConditionalCheckFailed".into()])),
                Err(e) => Err(e),
            };
        }
        self.transact(items).await
    }

    /// Why a versioned write of the item at `(pk, sk)` failed its condition.
    pub(crate) async fn why_not_written<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: String,
        explain: impl FnOnce(T) -> StoreError,
    ) -> StoreError {
        match self.get_item(pk, sk).await {
            Ok(None) => StoreError::NotFound,
            Ok(Some(item)) => match decode(item) {
                Ok(stored) => explain(stored),
                Err(e) => e,
            },
            Err(e) => e,
        }
    }

    /// Deletes a group at `g.version` with every reference to it: one
    /// transaction when the group and its references fit in one (up to 99
    /// references), else the group is first marked `deleting` (no new
    /// reference can be added from then on; a rename is refused), the
    /// references are removed in transactions of 100, and the group last.
    /// A deletion interrupted after the mark is finished by the next one.
    pub(crate) async fn delete_group_with_references(&self, g: &Group) -> Result<(), StoreError> {
        let (t, key) = (g.tenant_id, group_sk(g.id));
        for _ in 0..ROUNDS {
            let raw = self.get_item(tenant_pk(t), key.clone()).await?.ok_or(StoreError::NotFound)?;
            let stored: Group = decode(raw.clone())?;
            if stored.version != g.version {
                return Err(StoreError::VersionMismatch);
            }
            if raw.contains_key("deleting") {
                return self.finish_group_deletion(t, g.id).await;
            }
            let unchanged = unchanged_group(&raw, stored.version);
            let mut items = self.removals_of(t, g.id).await?;
            if items.len() < MAX_TRANSACTION_ITEMS {
                items.push(tx::delete(self.table(), tenant_pk(t), key.clone(), Some((&unchanged.0, unchanged.1)))?);
                match self.transact(items).await? {
                    Ok(()) => return Ok(()),
                    Err(_) => continue, // raced an edit: read again
                }
            }
            let mark = tx::update(self.table(), tenant_pk(t), &key, "SET deleting = :yes", &unchanged.0, {
                let mut v = unchanged.1;
                v.insert(":yes".into(), AttributeValue::Bool(true));
                v
            })?;
            if self.transact(vec![mark]).await?.is_ok() {
                return self.finish_group_deletion(t, g.id).await;
            }
        }
        Err(StoreError::Conflict("the group kept changing during its deletion; try again".into()))
    }

    /// Removes every reference to a group marked `deleting`, then the group.
    async fn finish_group_deletion(&self, t: TenantId, g: GroupId) -> Result<(), StoreError> {
        for _ in 0..ROUNDS {
            let items = self.removals_of(t, g).await?;
            if items.is_empty() {
                return match self.delete_existing(tenant_pk(t), group_sk(g)).await {
                    Ok(()) | Err(StoreError::NotFound) => Ok(()),
                    Err(e) => Err(e),
                };
            }
            let mut chunks = Vec::new();
            let mut items = items.into_iter().peekable();
            while items.peek().is_some() {
                chunks.push(items.by_ref().take(MAX_TRANSACTION_ITEMS).collect::<Vec<_>>());
            }
            for chunk in chunks {
                // A chunk that raced an edit is done again in the next round.
                let _ = self.transact(chunk).await?;
            }
        }
        Err(StoreError::Conflict("the group's members kept changing during its deletion; try again".into()))
    }

    /// The conditional writes that remove group `g` from the tenant's users
    /// and access lists, each raising that item's version.
    async fn removals_of(&self, t: TenantId, g: GroupId) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = Vec::new();
        for before in self.all_of::<User>(t, "USER#").await?.into_iter().filter(|u| u.groups.contains(&g)) {
            let mut after = before.clone();
            after.groups.remove(&g);
            after.version += 1;
            items.push(put_user(self.table(), &before, &after)?);
        }
        for before in self.all_of::<Mailbox>(t, "MAILBOX#").await?.into_iter().filter(|m| m.access.groups.contains(&g))
        {
            let mut after = before.clone();
            after.access.groups.remove(&g);
            after.version += 1;
            items.push(put_mailbox(self.table(), &before, &after)?);
        }
        Ok(items)
    }

    /// Every item of the tenant under an SK prefix.
    async fn all_of<T: serde::de::DeserializeOwned>(&self, t: TenantId, prefix: &str) -> Result<Vec<T>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(tenant_pk(t)))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true);
        self.query_all(query, None, None).await
    }
}

/// The condition that a group item is as read: same version, same `refs`.
fn unchanged_group(raw: &Item, version: u64) -> (String, HashMap<String, AttributeValue>) {
    let (mut cond, mut values) = at_version(version);
    match raw.get("refs") {
        Some(refs) => {
            cond.push_str(" AND refs = :refs");
            values.insert(":refs".into(), refs.clone());
        }
        None => cond.push_str(" AND attribute_not_exists(refs)"),
    }
    (cond, values)
}

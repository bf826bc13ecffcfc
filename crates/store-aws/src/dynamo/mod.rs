//! `DynamoStore`: the `Store` traits on one DynamoDB table, plus the item
//! helpers the per-aggregate files share.

mod audit;
mod directory;
mod domains;
mod idempotency;
mod mailboxes;
mod templates;
mod tenants;
mod tokens;
mod versioned;

use crate::error::{corrupt, unavailable};
use crate::keys::{PK, SK};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use sendas_core::StoreError;
use sendas_core::ports::{Page, PageRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The DynamoDB `Store`.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store on `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into() }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads one item by key, strongly consistent.
    pub(crate) async fn get_item(&self, pk: String, sk: impl Into<String>) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// Reads and decodes one item, or `NotFound`.
    pub(crate) async fn get<T: DeserializeOwned>(&self, pk: String, sk: impl Into<String>) -> Result<T, StoreError> {
        let item = self.get_item(pk, sk).await?.ok_or(StoreError::NotFound)?;
        decode(item)
    }

    /// Writes a new item; `Conflict` if the key exists.
    pub(crate) async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Sets the attributes of `value` on an existing item (other attributes
    /// stay); `NotFound` if the item does not exist.
    pub(crate) async fn update_existing<T: Serialize>(
        &self,
        pk: String,
        sk: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let set = SetAll::of(value, HashMap::new())?;
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .condition_expression("attribute_exists(PK)")
            .update_expression(set.expression)
            .set_expression_attribute_names(Some(set.names))
            .set_expression_attribute_values(Some(set.values))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match unavailable(e) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })
    }

    /// Deletes an existing item; `NotFound` if it does not exist.
    pub(crate) async fn delete_existing(&self, pk: String, sk: String) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match unavailable(e) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })
    }

    /// One page of the items under `pk` whose SK starts with `prefix`, in
    /// SK order; the cursor is the id after the prefix. DynamoDB ends a
    /// Query response at 1 MB whatever `Limit` says, so the page is read
    /// with as many Query requests as it takes (see [`Self::query_all`]).
    pub(crate) async fn query_prefix<T: DeserializeOwned>(
        &self,
        pk: String,
        prefix: &str,
        page: &PageRequest,
        id_of: impl Fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        let start = page.after.as_ref().map(|after| {
            HashMap::from([(PK.to_owned(), s(pk.clone())), (SK.to_owned(), s(format!("{prefix}{after}")))])
        });
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true);
        let items = self.query_all(query, start, Some(page.limit() as usize + 1)).await?;
        Ok(Page::from_overfetch(items, page.limit(), id_of))
    }

    /// Runs `query` from `start`, following `LastEvaluatedKey` until `want`
    /// items are read (`None`: until the end). Every follow-up asks only for
    /// the items still missing.
    pub(crate) async fn query_all<T: DeserializeOwned>(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        mut start: Option<Item>,
        want: Option<usize>,
    ) -> Result<Vec<T>, StoreError> {
        let mut items: Vec<T> = Vec::new();
        loop {
            let limit = want.map(|w| i32::try_from(w.saturating_sub(items.len())).unwrap_or(i32::MAX));
            let out =
                query.clone().set_exclusive_start_key(start).set_limit(limit).send().await.map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                items.push(decode(item)?);
            }
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() || want.is_some_and(|w| items.len() >= w) {
                break;
            }
        }
        if let Some(w) = want {
            items.truncate(w);
        }
        Ok(items)
    }

    /// One page of GSI1 under `gsi_pk`, in GSI1SK order; the cursor is GSI1SK.
    /// Needs the base keys of the last item to resume, so they are encoded in the cursor.
    pub(crate) async fn query_gsi<T: DeserializeOwned>(
        &self,
        gsi_pk: String,
        page: &PageRequest,
        base_key: impl Fn(&T) -> (String, String, String),
    ) -> Result<Page<T>, StoreError> {
        use crate::keys::{GSI1, GSI1PK, GSI1SK};
        let start = match &page.after {
            Some(after) => {
                let mut parts = after.splitn(3, '|');
                let (Some(pk), Some(sk), Some(gsk)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(StoreError::InvalidCursor);
                };
                Some(HashMap::from([
                    (PK.to_owned(), s(pk)),
                    (SK.to_owned(), s(sk)),
                    (GSI1PK.to_owned(), s(gsi_pk.clone())),
                    (GSI1SK.to_owned(), s(gsk)),
                ]))
            }
            None => None,
        };
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(gsi_pk));
        let items = self.query_all(query, start, Some(page.limit() as usize + 1)).await?;
        Ok(Page::from_overfetch(items, page.limit(), |item| {
            let (pk, sk, gsk) = base_key(item);
            format!("{pk}|{sk}|{gsk}")
        }))
    }
}

/// `SET` of every attribute of a model value, each name aliased (a model
/// field may be a DynamoDB reserved word); the other attributes of the item
/// stay. `values` may already hold a condition's values.
pub(crate) struct SetAll {
    /// `SET #a0 = :v0, ...`.
    pub(crate) expression: String,
    /// `#aN` -> attribute name.
    pub(crate) names: HashMap<String, String>,
    /// `:vN` -> value, plus the given ones.
    pub(crate) values: HashMap<String, AttributeValue>,
}

impl SetAll {
    pub(crate) fn of<T: Serialize>(value: &T, mut values: HashMap<String, AttributeValue>) -> Result<Self, StoreError> {
        let mut sets = Vec::new();
        let mut names = HashMap::new();
        for (i, (name, v)) in encode(value)?.into_iter().enumerate() {
            sets.push(format!("#a{i} = :v{i}"));
            names.insert(format!("#a{i}"), name);
            values.insert(format!(":v{i}"), v);
        }
        Ok(SetAll { expression: format!("SET {}", sets.join(", ")), names, values })
    }
}

/// A string attribute.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The serde attributes of a model value.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(format!("encoding: {e}")))
}

/// The attributes of a model value plus its keys.
pub(crate) fn item_with_keys<T: Serialize>(value: &T, keys: &[(&str, String)]) -> Result<Item, StoreError> {
    let mut item = encode(value)?;
    for (k, v) in keys {
        item.insert((*k).to_owned(), s(v.clone()));
    }
    Ok(item)
}

/// Decodes a model value (key attributes are ignored).
pub(crate) fn decode<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(corrupt)
}

/// Why a transaction was cancelled: one reason code per item, `"None"` for
/// items that did not fail (e.g. `ConditionalCheckFailed`).
pub(crate) type CancelReasons = Vec<String>;

impl DynamoStore {
    /// Runs a TransactWriteItems. `Ok(Err(reasons))` when a condition
    /// failed; retried with backoff when cancelled by a concurrent
    /// transaction; `Unavailable` on anything else.
    pub(crate) async fn transact(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<Result<(), CancelReasons>, StoreError> {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
        let mut delay = std::time::Duration::from_millis(10);
        for _ in 0..8 {
            let result = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let err = match result {
                Ok(_) => return Ok(Ok(())),
                Err(e) => e,
            };
            let service = match err {
                aws_sdk_dynamodb::error::SdkError::ServiceError(se) => se.into_err(),
                other => return Err(unavailable(other)),
            };
            let reasons: CancelReasons = match &service {
                TransactWriteItemsError::TransactionCanceledException(c) => {
                    c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_owned()).collect()
                }
                other => {
                    let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(other).unwrap_or("no code");
                    return Err(StoreError::Unavailable(format!("TransactWriteItems: {code}")));
                }
            };
            if reasons.iter().any(|r| r == "ConditionalCheckFailed") {
                return Ok(Err(reasons));
            }
            if !reasons.iter().any(|r| r == "TransactionConflict" || r == "ThrottlingError") {
                return Err(StoreError::Unavailable(format!("transaction cancelled: {reasons:?}")));
            }
            tokio::time::sleep(delay + jitter()).await;
            delay = (delay * 2).min(std::time::Duration::from_millis(500));
        }
        Err(StoreError::Unavailable("transaction kept conflicting with concurrent writes".into()))
    }
}

/// Up to 10 ms of random delay, so retries of racing writers spread out.
fn jitter() -> std::time::Duration {
    let [b] = sendas_core::secret::random_bytes::<1>();
    std::time::Duration::from_micros(u64::from(b) * 40)
}

/// Whether item `i` of a cancelled transaction failed its condition.
pub(crate) fn failed(reasons: &CancelReasons, i: usize) -> bool {
    reasons.get(i).map(String::as_str) == Some("ConditionalCheckFailed")
}

/// Builders for transaction items, with build errors mapped.
pub(crate) mod tx {
    use super::Item;
    use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
    use sendas_core::StoreError;
    use std::collections::HashMap;

    fn built<T>(r: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, StoreError> {
        r.map_err(|e| StoreError::Unavailable(format!("building request: {e}")))
    }

    /// Put of a new item (fails if the key exists).
    pub(crate) fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = built(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Put on a condition (with its values).
    pub(crate) fn put_if(
        table: &str,
        item: Item,
        condition: &str,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        put_if_named(table, item, condition, HashMap::new(), values)
    }

    /// Put on a condition with attribute-name aliases (a model field may be a reserved word).
    pub(crate) fn put_if_named(
        table: &str,
        item: Item,
        condition: &str,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = built(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names((!names.is_empty()).then_some(names))
                .set_expression_attribute_values((!values.is_empty()).then_some(values))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Delete with an optional condition.
    pub(crate) fn delete(
        table: &str,
        pk: String,
        sk: String,
        condition: Option<(&str, HashMap<String, AttributeValue>)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut b = Delete::builder().table_name(table).key("PK", super::s(pk)).key("SK", super::s(sk));
        if let Some((expr, values)) = condition {
            // DynamoDB refuses an empty ExpressionAttributeValues map.
            b = b.condition_expression(expr).set_expression_attribute_values((!values.is_empty()).then_some(values));
        }
        Ok(TransactWriteItem::builder().delete(built(b.build())?).build())
    }

    /// Update with an expression, a condition and attribute-name aliases.
    pub(crate) fn update_named(
        table: &str,
        pk: String,
        sk: &str,
        expression: &str,
        condition: &str,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        let u = built(
            Update::builder()
                .table_name(table)
                .key("PK", super::s(pk))
                .key("SK", super::s(sk))
                .update_expression(expression)
                .condition_expression(condition)
                .set_expression_attribute_names((!names.is_empty()).then_some(names))
                .set_expression_attribute_values((!values.is_empty()).then_some(values))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().update(u).build())
    }

    /// Update with an expression and a condition.
    pub(crate) fn update(
        table: &str,
        pk: String,
        sk: &str,
        expression: &str,
        condition: &str,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        update_named(table, pk, sk, expression, condition, HashMap::new(), values)
    }
}

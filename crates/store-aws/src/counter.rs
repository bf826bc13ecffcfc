//! `RequestCounter`: an SDK interceptor that counts the requests a client
//! sends (retries included), for the benchmarks' store-cost figures, and
//! records what each one addressed — operation, table and index, partition
//! keys, secret name — so tests can check requests against the IAM
//! statements of the deployed principal and count the requests a list took.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What one transmitted request addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The operation, as its IAM action is named: `dynamodb:Query`, `secretsmanager:GetSecretValue`.
    pub operation: String,
    /// Each item or table the request touches.
    pub targets: Vec<Target>,
}

/// One table (or index) or secret a request touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The IAM action authorised for this target: the operation itself, or for an item of
    /// TransactWriteItems the per-item action (`dynamodb:PutItem`, `dynamodb:UpdateItem`,
    /// `dynamodb:DeleteItem`, `dynamodb:ConditionCheckItem`).
    pub action: String,
    /// The table name (`table` or `table/index/NAME`) or the secret id.
    pub name: String,
    /// DynamoDB: the partition-key (`PK`) values addressed; empty for secrets.
    pub partition_keys: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    count: AtomicU64,
    log: Mutex<Vec<RecordedRequest>>,
}

/// Counts and records transmitted requests; clones share the count and the record.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<Inner>);

impl RequestCounter {
    /// Requests sent so far.
    pub fn count(&self) -> u64 {
        self.0.count.load(Ordering::Relaxed)
    }

    /// Every request sent so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.0.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Forgets the recorded requests (the count stays).
    pub fn clear(&self) {
        self.0.log.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.count.fetch_add(1, Ordering::Relaxed);
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let body: Value = request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
        let recorded = record(target, &body);
        self.0.log.lock().unwrap_or_else(|p| p.into_inner()).push(recorded);
        Ok(())
    }
}

/// The recorded form of one JSON-protocol request (`X-Amz-Target: Service.Operation`).
fn record(amz_target: &str, body: &Value) -> RecordedRequest {
    let (service, op) = amz_target.split_once('.').unwrap_or(("?", amz_target));
    let prefix = if service.starts_with("DynamoDB") { "dynamodb" } else { "secretsmanager" };
    let operation = format!("{prefix}:{op}");
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let pk = |key: &Value| key.get("PK").and_then(|a| a.get("S")).and_then(Value::as_str).map(str::to_owned);
    let target = |action: &str, name: String, keys: Vec<String>| Target {
        action: action.to_owned(),
        name,
        partition_keys: keys,
    };
    let mut targets = Vec::new();
    match (prefix, op) {
        ("secretsmanager", _) => {
            if let Some(id) = text(body, "SecretId").or_else(|| text(body, "Name")) {
                targets.push(target(&operation, id, Vec::new()));
            }
        }
        (_, "TransactWriteItems" | "TransactGetItems") => {
            for item in body.get("TransactItems").and_then(Value::as_array).into_iter().flatten() {
                for (kind, action) in [
                    ("Put", "dynamodb:PutItem"),
                    ("Update", "dynamodb:UpdateItem"),
                    ("Delete", "dynamodb:DeleteItem"),
                    ("ConditionCheck", "dynamodb:ConditionCheckItem"),
                    ("Get", "dynamodb:GetItem"),
                ] {
                    if let Some(inner) = item.get(kind) {
                        let key = inner.get("Key").or_else(|| inner.get("Item")).and_then(pk);
                        let table = text(inner, "TableName").unwrap_or_default();
                        targets.push(target(action, table, key.into_iter().collect()));
                    }
                }
            }
        }
        (_, "BatchGetItem" | "BatchWriteItem") => {
            for (table, request) in body.get("RequestItems").and_then(Value::as_object).into_iter().flatten() {
                let keys: Vec<String> = match request {
                    // BatchGetItem: {"Keys": [key, ...]}
                    Value::Object(o) => {
                        o.get("Keys").and_then(Value::as_array).into_iter().flatten().filter_map(pk).collect()
                    }
                    // BatchWriteItem: [{"PutRequest": {"Item"}} | {"DeleteRequest": {"Key"}}, ...]
                    Value::Array(writes) => writes
                        .iter()
                        .filter_map(|w| {
                            w.pointer("/PutRequest/Item").or_else(|| w.pointer("/DeleteRequest/Key")).and_then(pk)
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                targets.push(target(&operation, table.clone(), keys));
            }
        }
        _ => {
            if let Some(table) = text(body, "TableName") {
                let name = match text(body, "IndexName") {
                    Some(index) => format!("{table}/index/{index}"),
                    None => table,
                };
                let mut keys: Vec<String> =
                    body.get("Key").or_else(|| body.get("Item")).and_then(pk).into_iter().collect();
                if op == "Query" {
                    keys.extend(query_partition_key(body));
                }
                targets.push(target(&operation, name, keys));
            }
        }
    }
    RecordedRequest { operation, targets }
}

/// The value a Query's key condition binds its partition key to (`PK = :pk`, `GSI1PK = :pk`, `#pk = :pk`).
fn query_partition_key(body: &Value) -> Option<String> {
    let expr = body.get("KeyConditionExpression")?.as_str()?;
    let first = expr.split(" AND ").next()?;
    let (_, value) = first.split_once('=')?;
    let value = value.trim();
    body.get("ExpressionAttributeValues")?.get(value)?.get("S")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_tables_keys_and_secrets() {
        let q = record(
            "DynamoDB_20120810.Query",
            &json!({"TableName": "t", "IndexName": "GSI1", "KeyConditionExpression": "GSI1PK = :pk",
                    "ExpressionAttributeValues": {":pk": {"S": "TENANTS"}}}),
        );
        assert_eq!(q.operation, "dynamodb:Query");
        assert_eq!(
            q.targets,
            vec![Target {
                action: "dynamodb:Query".into(),
                name: "t/index/GSI1".into(),
                partition_keys: vec!["TENANTS".into()]
            }]
        );
        let tx = record(
            "DynamoDB_20120810.TransactWriteItems",
            &json!({"TransactItems": [{"Put": {"TableName": "t", "Item": {"PK": {"S": "A"}}}},
                                      {"Update": {"TableName": "t", "Key": {"PK": {"S": "B"}}}}]}),
        );
        let actions: Vec<_> = tx.targets.iter().map(|t| (t.action.as_str(), t.partition_keys.clone())).collect();
        assert_eq!(
            actions,
            vec![("dynamodb:PutItem", vec!["A".to_owned()]), ("dynamodb:UpdateItem", vec!["B".to_owned()])]
        );
        let batch = record(
            "DynamoDB_20120810.BatchWriteItem",
            &json!({"RequestItems": {"t": [{"PutRequest": {"Item": {"PK": {"S": "AUDIT#x"}}}}]}}),
        );
        assert_eq!(batch.targets[0].partition_keys, vec!["AUDIT#x".to_owned()]);
        let secret = record("secretsmanager.GetSecretValue", &json!({"SecretId": "p/mailbox/a/b"}));
        assert_eq!(
            (secret.operation.as_str(), secret.targets[0].name.as_str()),
            ("secretsmanager:GetSecretValue", "p/mailbox/a/b")
        );
    }
}

//! `DynamoSendCounter`: the sending-limit counters in the store's table,
//! shared by every proxy replica and the HTTP send function.
//!
//! One item per scope and window bucket: `PK = LIMIT#<tenant>#<scope>`
//! (`user/<id>`, `mailbox/<id>`, `tenant`), `SK = <window>#<bucket, 20
//! digits>`, attributes `m` (messages) and `r` (recipients) raised by one
//! `UpdateItem ... ADD` conditioned on the sum staying within the limit,
//! `ttl` a window after the bucket ends. A refused condition answers
//! `false`; the limiter then knows the bucket is spent for that much.
//! Cost: 1 UpdateItem per block the limiter takes (see
//! `sendas_core::limiter`), none per message while a block lasts. A take
//! that has no answer within [`TAKE_TIMEOUT`] fails (the limiter then sends
//! nothing): a hanging request must not hold the tenant's leases.

use crate::dynamo::{n, s};
use crate::error::unavailable;
use crate::keys::{PK, SK, TTL};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use sendas_core::StoreError;
use sendas_core::model::Allowance;
use sendas_core::ports::{CounterKey, SendCounter, Units};
use std::time::Duration;

/// How long one take may wait for DynamoDB (retries included).
pub const TAKE_TIMEOUT: Duration = Duration::from_secs(3);

/// The shared sending-limit counters on the store's DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoSendCounter {
    client: Client,
    table: String,
}

impl DynamoSendCounter {
    /// Counters on `table` (the store's table) through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoSendCounter { client, table: table.into() }
    }
}

/// The counter item's partition key.
pub(crate) fn limit_pk(key: &CounterKey) -> String {
    format!("LIMIT#{}#{}", key.tenant, key.scope_id())
}

#[async_trait]
impl SendCounter for DynamoSendCounter {
    async fn take(&self, key: &CounterKey, take: Units, allowance: Allowance) -> Result<bool, StoreError> {
        if !Units::default().fits(take, allowance) {
            return Ok(false);
        }
        let mut conditions = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(limit_pk(key)))
            .key(SK, s(format!("{}#{:020}", key.window.name(), key.bucket)))
            .update_expression("ADD m :m, r :r SET #ttl = :ttl")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":m", n(take.messages))
            .expression_attribute_values(":r", n(take.recipients))
            .expression_attribute_values(":ttl", n(key.expires_at()));
        // `used + take <= limit` as `used <= limit - take` (the fits check above keeps it >= 0).
        if let Some(limit) = allowance.messages {
            conditions.push("(attribute_not_exists(m) OR m <= :mmax)");
            request = request.expression_attribute_values(":mmax", n(limit - take.messages));
        }
        if let Some(limit) = allowance.recipients {
            conditions.push("(attribute_not_exists(r) OR r <= :rmax)");
            request = request.expression_attribute_values(":rmax", n(limit - take.recipients));
        }
        if !conditions.is_empty() {
            request = request.condition_expression(conditions.join(" AND "));
        }
        match tokio::time::timeout(TAKE_TIMEOUT, request.send()).await {
            Err(_) => Err(StoreError::Unavailable(format!("sending-limit counter: no answer within {TAKE_TIMEOUT:?}"))),
            Ok(Ok(_)) => Ok(true),
            Ok(Err(e)) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Ok(Err(e)) => Err(unavailable(e)),
        }
    }
}

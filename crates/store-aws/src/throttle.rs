//! `DynamoFailureCounter`: AUTH failure counters in the store's table, so
//! that every proxy replica sees the failures of the others.
//!
//! Each key counts in fixed buckets of one window: item `PK =
//! AUTHFAIL#<key>`, `SK = W#<bucket, 20 digits>`, attribute `n` raised by
//! an atomic `ADD`, `ttl` two windows after the bucket starts. The count
//! over the last window is the sliding-window estimate `current +
//! previous × (share of the previous bucket still inside the window)`,
//! rounded up, so a lockout never starts later than with exact counting.
//! Costs: recording = 1 UpdateItem per key (on failures only); a check =
//! 1 BatchGetItem (strongly consistent) for all keys (again for any keys
//! DynamoDB leaves unprocessed).

use crate::dynamo::{Item, n, s};
use crate::error::unavailable;
use crate::keys::{PK, SK, TTL};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use sendas_core::StoreError;
use sendas_core::ports::FailureCounter;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The shared AUTH failure counter on the store's DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoFailureCounter {
    client: Client,
    table: String,
}

impl DynamoFailureCounter {
    /// Counters on `table` (the store's table) through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoFailureCounter { client, table: table.into() }
    }
}

fn pk(key: &str) -> String {
    format!("AUTHFAIL#{key}")
}

fn sk(bucket: u64) -> String {
    format!("W#{bucket:020}")
}

/// Now as (bucket index, seconds into the bucket, window seconds).
fn bucket(window: Duration) -> (u64, f64, u64) {
    let w = window.as_secs().max(1);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    let index = (now / w as f64) as u64;
    (index, now - (index * w) as f64, w)
}

fn estimate(current: u32, previous: u32, into_bucket: f64, window: u64) -> u32 {
    let remaining = (1.0 - into_bucket / window as f64).clamp(0.0, 1.0);
    current + (previous as f64 * remaining).ceil() as u32
}

fn count_of(item: &Item) -> u32 {
    item.get("n").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[async_trait]
impl FailureCounter for DynamoFailureCounter {
    async fn record(&self, keys: &[String], window: Duration) -> Result<(), StoreError> {
        let (index, _, w) = bucket(window);
        for key in keys {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(pk(key)))
                .key(SK, s(sk(index)))
                .update_expression("ADD n :one SET #ttl = :ttl")
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":ttl", n((index + 2) * w))
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    async fn counts(&self, keys: &[String], window: Duration) -> Result<Vec<u32>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (index, into, w) = bucket(window);
        let mut request = KeysAndAttributes::builder().consistent_read(true);
        for key in keys {
            for b in [index, index.saturating_sub(1)] {
                request = request.keys(HashMap::from([(PK.to_owned(), s(pk(key))), (SK.to_owned(), s(sk(b)))]));
            }
        }
        let mut request = Some(request.build().map_err(|e| StoreError::Unavailable(e.to_string()))?);
        let mut found: HashMap<(String, String), u32> = HashMap::new();
        // Keys DynamoDB left unprocessed (throttling, 16 MB) are asked for again, with backoff;
        // if some stay unread, the caller falls back to its local counts.
        for attempt in 0..5u32 {
            let Some(keys) = request.take() else { break };
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
            }
            let out =
                self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(unavailable)?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                if let (Some(pk), Some(sk)) =
                    (item.get(PK).and_then(|v| v.as_s().ok()), item.get(SK).and_then(|v| v.as_s().ok()))
                {
                    found.insert((pk.clone(), sk.clone()), count_of(&item));
                }
            }
            request = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty());
        }
        if request.is_some() {
            return Err(StoreError::Unavailable("failure counters partly unread".into()));
        }
        let get = |key: &str, b: u64| found.get(&(pk(key), sk(b))).copied().unwrap_or(0);
        Ok(keys.iter().map(|k| estimate(get(k, index), get(k, index.saturating_sub(1)), into, w)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::estimate;

    #[test]
    fn the_estimate_weighs_the_previous_bucket_and_rounds_up() {
        assert_eq!(estimate(3, 0, 10.0, 900), 3);
        assert_eq!(estimate(0, 4, 0.0, 900), 4);
        assert_eq!(estimate(1, 4, 450.0, 900), 3);
        assert_eq!(estimate(0, 4, 899.0, 900), 1, "rounded up: a lockout never ends early by rounding");
        assert_eq!(estimate(2, 4, 900.0, 900), 2);
    }
}

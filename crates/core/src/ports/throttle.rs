//! The AUTH failure counter port: failed logins counted per key (a client
//! IP, a login) over a sliding window. A backend shared by several proxy
//! replicas (DynamoDB) makes a lockout hold on every replica; the
//! in-memory counter here serves one process (and is every replica's
//! fallback when the shared one cannot be reached).

use crate::error::StoreError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures per key within a window.
#[async_trait]
pub trait FailureCounter: Send + Sync {
    /// Counts one failure now for each of `keys`.
    async fn record(&self, keys: &[String], window: Duration) -> Result<(), StoreError>;
    /// The failures of each of `keys` within the last `window`, in the order of `keys`.
    async fn counts(&self, keys: &[String], window: Duration) -> Result<Vec<u32>, StoreError>;
}

/// Keys above this many kept in memory make `record` drop the keys without recent failures.
const PRUNE_ABOVE: usize = 10_000;

/// The exact in-memory counter of one process.
#[derive(Debug, Default)]
pub struct MemoryFailureCounter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl MemoryFailureCounter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl FailureCounter for MemoryFailureCounter {
    async fn record(&self, keys: &[String], window: Duration) -> Result<(), StoreError> {
        let mut map = self.lock();
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, at| at.last().is_some_and(|t| t.elapsed() < window));
        }
        for key in keys {
            let list = map.entry(key.clone()).or_default();
            list.retain(|t| t.elapsed() < window);
            list.push(Instant::now());
        }
        Ok(())
    }

    async fn counts(&self, keys: &[String], window: Duration) -> Result<Vec<u32>, StoreError> {
        let map = self.lock();
        Ok(keys
            .iter()
            .map(|k| map.get(k).map_or(0, |l| l.iter().filter(|t| t.elapsed() < window).count() as u32))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_per_key_within_the_window() {
        let c = MemoryFailureCounter::default();
        let (a, b) = ("ip:1".to_owned(), "login:x".to_owned());
        c.record(&[a.clone(), b.clone()], Duration::from_secs(60)).await.expect("memory");
        c.record(std::slice::from_ref(&a), Duration::from_secs(60)).await.expect("memory");
        assert_eq!(
            c.counts(&[a.clone(), b.clone(), "other".into()], Duration::from_secs(60)).await.ok(),
            Some(vec![2, 1, 0])
        );
        assert_eq!(c.counts(&[a], Duration::ZERO).await.ok(), Some(vec![0]), "nothing is within an empty window");
    }
}

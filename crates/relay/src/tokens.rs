//! One access-token cache per process, one slot per mailbox login: every
//! session of the process shares the slot's token; a token is refreshed
//! ahead of its expiry ([`AccessToken::fresh`]); and one refresh is in
//! flight per slot however many sessions need it (single flight: the
//! others wait on the slot and take the token it brings). A token the
//! server refused is named as `stale`: the next request fetches a new one
//! unless another session already did.

use crate::oauth::{AccessToken, TokenError};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// A slot: the mailbox and its login method (a changed method or client is another slot).
pub type TokenKey = String;

type Slot = Arc<tokio::sync::Mutex<Option<AccessToken>>>;

/// The process's token cache.
#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<TokenKey, Slot>>,
}

impl TokenCache {
    fn slot(&self, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key.to_owned()).or_default().clone()
    }

    /// The slot's token: the cached one when fresh and not `stale`, else
    /// the one `fetch` brings (only one fetch runs per slot at a time).
    pub async fn get<F, Fut>(
        &self,
        key: &str,
        stale: Option<&SecretString>,
        fetch: F,
    ) -> Result<SecretString, TokenError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, TokenError>>,
    {
        let slot = self.slot(key);
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            let refused = stale.is_some_and(|s| s.expose_secret() == token.secret.expose_secret());
            if token.fresh() && !refused {
                return Ok(token.secret.clone());
            }
        }
        *cached = None;
        let token = fetch().await?;
        let secret = token.secret.clone();
        *cached = Some(token);
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn token(n: usize, life: Duration) -> AccessToken {
        AccessToken { secret: format!("token-{n}").into(), issued: Instant::now(), lifetime: life }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_waiters_one_fetch_then_stale_and_expiry_refresh() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let fetch = |fetches: Arc<AtomicUsize>, life| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(token(n, life))
        };
        let tasks = (0..50).map(|_| {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tokio::spawn(async move {
                cache
                    .get("m1", None, || fetch(fetches, Duration::from_secs(3600)))
                    .await
                    .map(|s| s.expose_secret().to_owned())
            })
        });
        let got: Vec<_> = futures_join(tasks).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(got.iter().all(|t| t.as_deref() == Ok("token-1")), "{got:?}");
        // The server refused token-1: the next caller fetches token-2; one naming token-1 again does not refetch.
        let stale: SecretString = "token-1".into();
        let t2 = cache.get("m1", Some(&stale), || fetch(fetches.clone(), Duration::from_secs(3600))).await;
        assert_eq!(t2.map(|s| s.expose_secret().to_owned()).as_deref(), Ok("token-2"));
        let again = cache.get("m1", Some(&stale), || fetch(fetches.clone(), Duration::from_secs(3600))).await;
        assert_eq!(again.map(|s| s.expose_secret().to_owned()).as_deref(), Ok("token-2"));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // A short-lived token is refreshed once it is no longer fresh.
        let short = cache.get("m2", None, || fetch(fetches.clone(), Duration::from_millis(200))).await;
        assert!(short.is_ok());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = cache.get("m2", None, || fetch(fetches.clone(), Duration::from_millis(200))).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 4);
        // A failed fetch caches nothing.
        let failed = cache.get("m3", None, || async { Err(TokenError::Unavailable("down".into())) }).await;
        assert!(failed.is_err());
        let ok = cache.get("m3", None, || fetch(fetches.clone(), Duration::from_secs(60))).await;
        assert!(ok.is_ok());
    }

    async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::new();
        for t in tasks.collect::<Vec<_>>() {
            if let Ok(v) = t.await {
                out.push(v);
            }
        }
        out
    }
}

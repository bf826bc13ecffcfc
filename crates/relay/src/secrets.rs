//! The one credential cache: a decorator over any `SecretStore` that keeps
//! what it read for one TTL, so a warm message costs no secret-store
//! request. Writes and deletes go through it and replace or drop the
//! cached value at once, so in one process (`sendas serve`, the API's
//! verify, a rotated refresh token stored back) the next read sees them;
//! another process sees them within the TTL.

use async_trait::async_trait;
use secrecy::SecretString;
use sendas_core::StoreError;
use sendas_core::ports::{SecretRef, SecretStore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a secret read from the store is reused by default.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(30);

/// A caching `SecretStore` over another one.
pub struct CachedSecrets {
    inner: Arc<dyn SecretStore>,
    ttl: Duration,
    cache: Mutex<HashMap<SecretRef, (Instant, SecretString)>>,
}

impl CachedSecrets {
    /// Caches `inner`'s secrets for `ttl`.
    pub fn new(inner: Arc<dyn SecretStore>, ttl: Duration) -> Self {
        CachedSecrets { inner, ttl, cache: Mutex::new(HashMap::new()) }
    }

    /// Caches `inner`'s secrets for [`DEFAULT_SECRET_TTL`].
    pub fn with_default_ttl(inner: Arc<dyn SecretStore>) -> Arc<Self> {
        Arc::new(CachedSecrets::new(inner, DEFAULT_SECRET_TTL))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<SecretRef, (Instant, SecretString)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets a cached secret (the next read asks the store).
    pub fn invalidate(&self, name: &SecretRef) {
        self.cache().remove(name);
    }
}

#[async_trait]
impl SecretStore for CachedSecrets {
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError> {
        if let Some((at, value)) = self.cache().get(name)
            && at.elapsed() < self.ttl
        {
            return Ok(Some(value.clone()));
        }
        let value = self.inner.get_secret(name).await?;
        match &value {
            Some(v) => {
                self.cache().insert(name.clone(), (Instant::now(), v.clone()));
            }
            None => self.invalidate(name),
        }
        Ok(value)
    }

    async fn put_secret(&self, name: &SecretRef, value: &SecretString) -> Result<(), StoreError> {
        self.invalidate(name);
        self.inner.put_secret(name, value).await?;
        self.cache().insert(name.clone(), (Instant::now(), value.clone()));
        Ok(())
    }

    async fn delete_secret(&self, name: &SecretRef) -> Result<(), StoreError> {
        self.invalidate(name);
        self.inner.delete_secret(name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use sendas_core::testing::MemorySecretStore;
    use sendas_core::{MailboxId, TenantId};

    #[tokio::test]
    async fn reads_once_per_ttl_and_sees_its_own_writes_at_once() {
        let inner = Arc::new(MemorySecretStore::default());
        let name = SecretRef::mailbox(TenantId::generate(), MailboxId::generate());
        inner.put_secret(&name, &"one".into()).await.ok();
        let cached = CachedSecrets::new(inner.clone(), Duration::from_secs(60));
        async fn read_from(c: &CachedSecrets, name: &SecretRef) -> Option<String> {
            c.get_secret(name).await.ok().flatten().map(|s| s.expose_secret().to_owned())
        }
        assert_eq!(read_from(&cached, &name).await.as_deref(), Some("one"));
        // Another process changes it: this one keeps the cached value for the TTL.
        inner.put_secret(&name, &"two".into()).await.ok();
        assert_eq!(read_from(&cached, &name).await.as_deref(), Some("one"));
        // A write through the cache is seen at once.
        cached.put_secret(&name, &"three".into()).await.ok();
        assert_eq!(read_from(&cached, &name).await.as_deref(), Some("three"));
        cached.delete_secret(&name).await.ok();
        assert_eq!(read_from(&cached, &name).await, None);
        // TTL zero: every read asks the store.
        let uncached = CachedSecrets::new(inner.clone(), Duration::ZERO);
        inner.put_secret(&name, &"four".into()).await.ok();
        assert_eq!(read_from(&uncached, &name).await.as_deref(), Some("four"));
        inner.put_secret(&name, &"five".into()).await.ok();
        assert_eq!(read_from(&uncached, &name).await.as_deref(), Some("five"));
    }
}

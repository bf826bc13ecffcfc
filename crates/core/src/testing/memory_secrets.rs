//! An in-memory `SecretStore`.

use crate::error::StoreError;
use crate::ports::{SecretRef, SecretStore};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Mutex;

/// Secrets in a map; for tests and the contract suite's reference.
#[derive(Default)]
pub struct MemorySecretStore {
    secrets: Mutex<HashMap<SecretRef, SecretString>>,
}

impl MemorySecretStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SecretRef, SecretString>> {
        self.secrets.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl SecretStore for MemorySecretStore {
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError> {
        Ok(self.map().get(name).map(|s| SecretString::from(s.expose_secret().to_owned())))
    }
    async fn put_secret(&self, name: &SecretRef, value: &SecretString) -> Result<(), StoreError> {
        self.map().insert(name.clone(), SecretString::from(value.expose_secret().to_owned()));
        Ok(())
    }
    async fn delete_secret(&self, name: &SecretRef) -> Result<(), StoreError> {
        self.map().remove(name);
        Ok(())
    }
}

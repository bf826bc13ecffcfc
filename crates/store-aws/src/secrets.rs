//! `SecretsManagerStore`: one AWS Secrets Manager secret per mailbox,
//! named `<prefix><SecretRef>` (e.g. `sendas/mailbox/<tenant>/<mailbox>`),
//! with reads cached for a short TTL so the relay does not call Secrets
//! Manager for every message. Writes and deletes through this instance
//! update its cache at once; other instances see them within the TTL.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use secrecy::{ExposeSecret, SecretString};
use sendas_core::StoreError;
use sendas_core::ports::{SecretRef, SecretStore};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a read secret is reused before Secrets Manager is asked again.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(60);

type Cache = HashMap<String, (Instant, Option<SecretString>)>;

/// The Secrets Manager `SecretStore`.
pub struct SecretsManagerStore {
    client: Client,
    prefix: String,
    ttl: Duration,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for SecretsManagerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.cache().len();
        f.debug_struct("SecretsManagerStore")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .field("cached", &cached)
            .finish_non_exhaustive()
    }
}

fn fail<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    op: &str,
    e: SdkError<E, R>,
) -> StoreError {
    let code = e.code().unwrap_or("no code").to_owned();
    StoreError::Unavailable(format!("secrets manager {op}: {code}: {}", DisplayErrorContext(&e)))
}

impl SecretsManagerStore {
    /// A store naming secrets `<prefix><name>`, caching reads for `ttl`.
    pub fn new(client: Client, prefix: impl Into<String>, ttl: Duration) -> Self {
        SecretsManagerStore { client, prefix: prefix.into(), ttl, cache: Mutex::new(HashMap::new()) }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn full_name(&self, name: &SecretRef) -> String {
        format!("{}{}", self.prefix, name.as_str())
    }

    fn remember(&self, id: String, value: Option<&SecretString>) {
        let copy = value.map(|v| SecretString::from(v.expose_secret().to_owned()));
        self.cache().insert(id, (Instant::now(), copy));
    }
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError> {
        let id = self.full_name(name);
        if let Some((at, value)) = self.cache().get(&id)
            && at.elapsed() < self.ttl
        {
            return Ok(value.as_ref().map(|v| SecretString::from(v.expose_secret().to_owned())));
        }
        let value = match self.client.get_secret_value().secret_id(&id).send().await {
            Ok(out) => out.secret_string.map(SecretString::from),
            // Missing, or deleted and pending removal: no secret.
            Err(e) if matches!(e.code(), Some("ResourceNotFoundException" | "InvalidRequestException")) => None,
            Err(e) => return Err(fail("GetSecretValue", e)),
        };
        self.remember(id, value.as_ref());
        Ok(value)
    }

    async fn put_secret(&self, name: &SecretRef, value: &SecretString) -> Result<(), StoreError> {
        let id = self.full_name(name);
        let put = self.client.put_secret_value().secret_id(&id).secret_string(value.expose_secret()).send().await;
        match put {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                let created = self
                    .client
                    .create_secret()
                    .name(&id)
                    .description("sendas mailbox SMTP password")
                    .secret_string(value.expose_secret())
                    .send()
                    .await;
                match created {
                    Ok(_) => {}
                    // Created concurrently by another writer: store our value as the new version.
                    Err(e) if e.code() == Some("ResourceExistsException") => {
                        self.client
                            .put_secret_value()
                            .secret_id(&id)
                            .secret_string(value.expose_secret())
                            .send()
                            .await
                            .map_err(|e| fail("PutSecretValue", e))?;
                    }
                    Err(e) => return Err(fail("CreateSecret", e)),
                }
            }
            Err(e) => return Err(fail("PutSecretValue", e)),
        }
        self.remember(id, Some(value));
        Ok(())
    }

    async fn delete_secret(&self, name: &SecretRef) -> Result<(), StoreError> {
        let id = self.full_name(name);
        let deleted = self.client.delete_secret().secret_id(&id).force_delete_without_recovery(true).send().await;
        match deleted {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(fail("DeleteSecret", e)),
        }
        self.remember(id, None);
        Ok(())
    }
}

//! `SecretsManagerStore`: one AWS Secrets Manager secret per mailbox,
//! named `<prefix><SecretRef>` (e.g. `sendas/mailbox/<tenant>/<mailbox>`).
//! No cache here: every composition root puts the one credential cache
//! (`sendas_relay::CachedSecrets`) in front of it.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use secrecy::{ExposeSecret, SecretString};
use sendas_core::StoreError;
use sendas_core::ports::{SecretRef, SecretStore};
/// The Secrets Manager `SecretStore`.
pub struct SecretsManagerStore {
    client: Client,
    prefix: String,
}

impl std::fmt::Debug for SecretsManagerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerStore").field("prefix", &self.prefix).finish_non_exhaustive()
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
    /// A store naming secrets `<prefix><name>`.
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        SecretsManagerStore { client, prefix: prefix.into() }
    }

    fn full_name(&self, name: &SecretRef) -> String {
        format!("{}{}", self.prefix, name.as_str())
    }
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError> {
        let id = self.full_name(name);
        let value = match self.client.get_secret_value().secret_id(&id).send().await {
            Ok(out) => out.secret_string.map(SecretString::from),
            // Missing, or deleted and pending removal: no secret.
            Err(e) if matches!(e.code(), Some("ResourceNotFoundException" | "InvalidRequestException")) => None,
            Err(e) => return Err(fail("GetSecretValue", e)),
        };
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
                    .description("sendas mailbox login secret")
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
        Ok(())
    }
}

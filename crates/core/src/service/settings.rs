//! Platform settings: the system relay (operator only). Its password goes
//! to the `SecretStore`, bound to the relay's settings like every login
//! secret ([`BoundSecret`]); the settings only say whether one is set.

use super::require_operator;
use crate::error::ServiceError;
use crate::model::{BoundSecret, EndpointFingerprint, Role, SmtpSettings, SystemRelay};
use crate::ports::{SecretRef, SecretStore, Store};
use crate::secret::SecretString;

/// Sets the system relay; with an SMTP relay and a password, stores the
/// password as a secret. Switching to the outbox deletes a stored password.
pub async fn set_system_relay(
    store: &dyn Store,
    secrets: &dyn SecretStore,
    caller: &Role,
    relay: SystemRelay,
    password: Option<SecretString>,
) -> Result<SystemRelay, ServiceError> {
    require_operator(caller)?;
    let before = store.get_system_relay().await?.as_ref().and_then(SystemRelay::settings);
    let relay = match relay {
        SystemRelay::Outbox { dir } => {
            if dir.trim().is_empty() {
                return Err(ServiceError::invalid("dir", "must not be empty"));
            }
            secrets.delete_secret(&SecretRef::system_relay()).await?;
            SystemRelay::Outbox { dir }
        }
        SystemRelay::Smtp { host, port, tls, username, password_set } => {
            let checked = SmtpSettings::new(&host, port, tls, username.as_deref().unwrap_or("none"))
                .map_err(|e| ServiceError::invalid(e.field, e.reason))?;
            let same_endpoint = before.as_ref().map(EndpointFingerprint::of) == Some(EndpointFingerprint::of(&checked));
            let password_set = match password {
                Some(pw) => {
                    secrets.put_secret(&SecretRef::system_relay(), &BoundSecret::seal(&checked, &pw)).await?;
                    true
                }
                // Another endpoint: the password given for the old one is forgotten.
                None if !same_endpoint => {
                    secrets.delete_secret(&SecretRef::system_relay()).await?;
                    false
                }
                None => password_set && secrets.get_secret(&SecretRef::system_relay()).await?.is_some(),
            };
            SystemRelay::Smtp { host: checked.host().to_owned(), port, tls, username, password_set }
        }
    };
    store.put_system_relay(&relay).await?;
    Ok(relay)
}

/// The system relay (operator only).
pub async fn system_relay(store: &dyn Store, caller: &Role) -> Result<Option<SystemRelay>, ServiceError> {
    require_operator(caller)?;
    Ok(store.get_system_relay().await?)
}

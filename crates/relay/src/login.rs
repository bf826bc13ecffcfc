//! What the relay logs in with, per login method: the stored password, or
//! an OAuth 2.0 access token from the token cache (fetched by the
//! mailbox's grant when the cache has none fresh). A rotated refresh
//! token is stored back at once (through the credential cache), since the
//! provider has already invalidated the old one.
//!
//! Every secret is opened only for the settings it was given for
//! ([`BoundSecret`]): a mailbox whose host, port, TLS mode, username or
//! login method changed since logs in with nothing, and no access token
//! fetched for one endpoint is ever sent to another (the token cache's key
//! holds the settings' fingerprint).

use crate::oauth::{Grants, TokenError};
use crate::secret_format::LoginSecret;
use crate::tokens::TokenCache;
use secrecy::SecretString;
use sendas_core::model::{BoundSecret, EndpointFingerprint, HealthStage, LoginMethod, SmtpSettings};
use sendas_core::ports::{SecretRef, SecretStore};
use sendas_core::{MailboxId, TenantId};
use sendas_smtp_client::Auth;
use std::sync::Arc;

/// Whose login it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// An authenticated mailbox.
    Mailbox {
        /// Its tenant.
        tenant: TenantId,
        /// The mailbox.
        mailbox: MailboxId,
    },
    /// The platform's system relay (password or none).
    SystemRelay,
}

impl Owner {
    /// Where its secret is stored.
    pub fn secret_ref(&self) -> SecretRef {
        match self {
            Owner::Mailbox { tenant, mailbox } => SecretRef::mailbox(*tenant, *mailbox),
            Owner::SystemRelay => SecretRef::system_relay(),
        }
    }

    /// The token-cache slot of this owner with these settings (host, login method and all: a
    /// token is never handed to an endpoint it was not fetched for).
    fn token_key(&self, settings: &SmtpSettings) -> String {
        format!("{}|{}", self.secret_ref(), EndpointFingerprint::of(settings).as_str())
    }
}

/// Why no login could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Not the mailbox's fault (the secret store is unreachable): try again later.
    Internal(String),
    /// A stage of the mailbox's login failed.
    Stage {
        /// Which.
        stage: HealthStage,
        /// Refused for a reason an admin must fix (a revoked grant, a wrong
        /// password, nothing stored), rather than unavailable for now.
        refused: bool,
        /// What happened, sanitised, never a secret.
        detail: String,
    },
}

impl LoginFailure {
    pub(crate) fn refused(stage: HealthStage, detail: impl Into<String>) -> LoginFailure {
        LoginFailure::Stage { stage, refused: true, detail: detail.into() }
    }
}

impl From<TokenError> for LoginFailure {
    fn from(e: TokenError) -> LoginFailure {
        match e {
            TokenError::Unavailable(why) => {
                LoginFailure::Stage { stage: HealthStage::Token, refused: false, detail: why }
            }
            TokenError::Refused(why) => LoginFailure::refused(HealthStage::Token, why),
        }
    }
}

/// Logins for every owner: secrets, grants and the token cache.
pub struct Logins {
    secrets: Arc<dyn SecretStore>,
    tokens: TokenCache,
    grants: Grants,
}

impl Logins {
    /// Reads secrets from `secrets` (the caching decorator) and runs grants with `grants`.
    pub fn new(secrets: Arc<dyn SecretStore>, grants: Grants) -> Logins {
        Logins { secrets, tokens: TokenCache::default(), grants }
    }

    async fn secret(&self, owner: &Owner, settings: &SmtpSettings) -> Result<LoginSecret, LoginFailure> {
        let method = settings.login();
        let stored = self
            .secrets
            .get_secret(&owner.secret_ref())
            .await
            .map_err(|_| LoginFailure::Internal("the secret store is unavailable".into()))?;
        let stage = if method.is_oauth() { HealthStage::Token } else { HealthStage::Auth };
        let Some(stored) = stored else {
            return Err(LoginFailure::refused(stage, format!("no secret is stored for the {} login", method.name())));
        };
        let opened =
            BoundSecret::open(settings, &stored).map_err(|why| LoginFailure::refused(stage, why.describe()))?;
        LoginSecret::decode(method, &opened).map_err(|why| LoginFailure::refused(stage, why))
    }

    /// The SHA-256 of `owner`'s stored secret as stored (`None`: none, or unreadable now).
    pub(crate) async fn secret_digest(&self, owner: &Owner) -> Option<[u8; 32]> {
        use sha2::Digest;
        let stored = self.secrets.get_secret(&owner.secret_ref()).await.ok()??;
        Some(sha2::Sha256::digest(secrecy::ExposeSecret::expose_secret(&stored).as_bytes()).into())
    }

    /// The login for `settings`: a password, or a bearer token for `settings.username()`.
    /// `stale` names a token the server just refused (it is not reused).
    pub async fn auth(
        &self,
        owner: &Owner,
        settings: &SmtpSettings,
        stale: Option<&SecretString>,
    ) -> Result<Auth, LoginFailure> {
        let method = settings.login();
        let username = settings.username().to_owned();
        if let LoginMethod::Password = method {
            return match self.secret(owner, settings).await? {
                LoginSecret::Password(password) => Ok(Auth::Password { username, password }),
                _ => Err(LoginFailure::refused(HealthStage::Auth, "the stored secret is not a password")),
            };
        }
        let key = owner.token_key(settings);
        let token = self.tokens.get(&key, stale, || self.grant(owner, settings)).await?;
        Ok(Auth::Bearer { username, token })
    }

    /// Runs the mailbox's grant (reading its secret first: it may have been rotated or replaced).
    async fn grant(&self, owner: &Owner, settings: &SmtpSettings) -> Result<crate::oauth::AccessToken, TokenError> {
        let (method, subject) = (settings.login(), settings.username());
        let secret = self.secret(owner, settings).await.map_err(|f| match f {
            LoginFailure::Internal(why) => TokenError::Unavailable(why),
            LoginFailure::Stage { detail, .. } => TokenError::Refused(detail),
        })?;
        tracing::debug!(owner = ?owner, method = method.name(), "requesting an access token");
        let granted = match (method, &secret) {
            (LoginMethod::OAuth2ClientCredentials { token_url, client_id, scope }, LoginSecret::ClientSecret(cs)) => {
                self.grants.client_credentials(token_url, client_id, cs, scope).await?
            }
            (
                LoginMethod::OAuth2RefreshToken { token_url, client_id, scope },
                LoginSecret::RefreshToken { client_secret, refresh_token },
            ) => {
                let granted = self
                    .grants
                    .refresh(token_url, client_id, client_secret.as_ref(), refresh_token, scope.as_deref())
                    .await?;
                if let Some(rotated) = &granted.new_refresh_token {
                    let replacement = LoginSecret::RefreshToken {
                        client_secret: client_secret.clone(),
                        refresh_token: rotated.clone(),
                    };
                    if let Err(e) = self
                        .secrets
                        .put_secret(&owner.secret_ref(), &BoundSecret::seal(settings, &replacement.encode()))
                        .await
                    {
                        // The old one is spent: the next refresh will be refused until an admin sets a new one.
                        tracing::error!(owner = ?owner, error = %e, "storing the rotated refresh token failed");
                    }
                }
                granted
            }
            (LoginMethod::GoogleServiceAccount { scope }, LoginSecret::ServiceAccount(key)) => {
                self.grants.service_account(key, subject, scope).await?
            }
            _ => return Err(TokenError::Refused("the stored secret does not fit the login method".into())),
        };
        Ok(granted.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use sendas_core::model::{BoundSecret, TlsMode};
    use sendas_core::testing::MemorySecretStore;
    use sendas_smtp_client::Trust;
    use std::time::Duration;

    fn settings(host: &str) -> SmtpSettings {
        SmtpSettings::new(host, 587, TlsMode::Starttls, "desk@example.com").expect("valid")
    }

    fn logins(secrets: Arc<dyn SecretStore>) -> Logins {
        let http = crate::http::TokenHttp::new(&Trust::default(), Duration::from_secs(1), &Default::default());
        Logins::new(secrets, Grants::new(http))
    }

    /// Whatever the mailbox item says (a raced write, a bug elsewhere), a secret sealed for one
    /// endpoint is never handed to another: not as a password, not to a token endpoint.
    #[tokio::test]
    async fn a_secret_sealed_for_other_settings_is_never_used() {
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
        let owner = Owner::Mailbox { tenant: TenantId::generate(), mailbox: MailboxId::generate() };
        let given_for = settings("smtp.example.com");
        let sealed = BoundSecret::seal(&given_for, &SecretString::from("hunter2"));
        secrets.put_secret(&owner.secret_ref(), &sealed).await.expect("put");
        let logins = logins(secrets.clone());

        match logins.auth(&owner, &given_for, None).await {
            Ok(Auth::Password { password, .. }) => assert_eq!(password.expose_secret(), "hunter2"),
            other => panic!("the right settings log in: {other:?}"),
        }
        let moved = settings("evil.example.net");
        let refused = logins.auth(&owner, &moved, None).await.err();
        match refused {
            Some(LoginFailure::Stage { stage: HealthStage::Auth, refused: true, detail }) => {
                assert!(detail.contains("set it again"), "{detail}");
            }
            other => panic!("another host got {other:?}"),
        }
        // An OAuth method pointing at a token endpoint nobody listens on: refused before any request.
        let oauth = given_for
            .clone()
            .with_login(LoginMethod::OAuth2ClientCredentials {
                token_url: "http://127.0.0.1:9/token".into(),
                client_id: "c".into(),
                scope: "s".into(),
            })
            .expect("valid");
        match logins.auth(&owner, &oauth, None).await.err() {
            Some(LoginFailure::Stage { stage: HealthStage::Token, refused: true, detail }) => {
                assert!(detail.contains("set it again"), "{detail}");
            }
            other => panic!("another login method got {other:?}"),
        }
        // A secret stored unbound (before secrets were bound) opens for nobody.
        secrets.put_secret(&owner.secret_ref(), &SecretString::from("hunter2")).await.expect("put");
        assert!(matches!(logins.auth(&owner, &given_for, None).await, Err(LoginFailure::Stage { refused: true, .. })));
    }
}

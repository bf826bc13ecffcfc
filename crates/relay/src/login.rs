//! What the relay logs in with, per login method: the stored password, or
//! an OAuth 2.0 access token from the token cache (fetched by the
//! mailbox's grant when the cache has none fresh). A rotated refresh
//! token is stored back at once (through the credential cache), since the
//! provider has already invalidated the old one.

use crate::oauth::{Grants, TokenError};
use crate::secret_format::LoginSecret;
use crate::tokens::TokenCache;
use secrecy::SecretString;
use sendas_core::model::{HealthStage, LoginMethod, SmtpSettings};
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

    /// The token-cache slot of this owner with this login method.
    fn token_key(&self, method: &LoginMethod) -> String {
        let method = serde_json::to_string(method).unwrap_or_default();
        format!("{}|{method}", self.secret_ref())
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

    async fn secret(&self, owner: &Owner, method: &LoginMethod) -> Result<LoginSecret, LoginFailure> {
        let stored = self
            .secrets
            .get_secret(&owner.secret_ref())
            .await
            .map_err(|_| LoginFailure::Internal("the secret store is unavailable".into()))?;
        let stage = if method.is_oauth() { HealthStage::Token } else { HealthStage::Auth };
        let Some(stored) = stored else {
            return Err(LoginFailure::refused(stage, format!("no secret is stored for the {} login", method.name())));
        };
        LoginSecret::decode(method, &stored).map_err(|why| LoginFailure::refused(stage, why))
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
            return match self.secret(owner, method).await? {
                LoginSecret::Password(password) => Ok(Auth::Password { username, password }),
                _ => Err(LoginFailure::refused(HealthStage::Auth, "the stored secret is not a password")),
            };
        }
        let key = owner.token_key(method);
        let token = self.tokens.get(&key, stale, || self.grant(owner, method, &username)).await?;
        Ok(Auth::Bearer { username, token })
    }

    /// Runs the mailbox's grant (reading its secret first: it may have been rotated or replaced).
    async fn grant(
        &self,
        owner: &Owner,
        method: &LoginMethod,
        subject: &str,
    ) -> Result<crate::oauth::AccessToken, TokenError> {
        let secret = self.secret(owner, method).await.map_err(|f| match f {
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
                    if let Err(e) = self.secrets.put_secret(&owner.secret_ref(), &replacement.encode()).await {
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

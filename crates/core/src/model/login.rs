//! How the relay logs in to an authenticated mailbox's own SMTP server
//! (SPEC §1 `authenticated`): with a password (AUTH PLAIN/LOGIN), or with
//! an OAuth 2.0 access token (SASL XOAUTH2 / OAUTHBEARER) obtained by one
//! of three grants. Only the non-secret half lives here; the secret half
//! (password, client secret, refresh token, service-account key) is in the
//! `SecretStore` under `SecretRef::mailbox`.

use super::mailbox::is_loopback;
use serde::{Deserialize, Serialize};

/// Microsoft 365's scope for SMTP AUTH with an app's own permission (`SMTP.SendAsApp`).
pub const MICROSOFT_SMTP_SCOPE: &str = "https://outlook.office365.com/.default";
/// Google's scope for SMTP (and IMAP, POP) with XOAUTH2.
pub const GOOGLE_MAIL_SCOPE: &str = "https://mail.google.com/";
/// Google's token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// Microsoft Entra ID's v2.0 token endpoint of a directory (tenant).
pub fn microsoft_token_url(directory: &str) -> String {
    format!("https://login.microsoftonline.com/{directory}/oauth2/v2.0/token")
}

/// The login method of an authenticated mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum LoginMethod {
    /// AUTH PLAIN (or LOGIN) with the stored password.
    #[default]
    Password,
    /// OAuth 2.0 client credentials (RFC 6749 §4.4), as Microsoft 365 does
    /// it for an app registration with `SMTP.SendAsApp`; secret: the client secret.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials {
        /// The token endpoint.
        token_url: String,
        /// The application (client) id.
        client_id: String,
        /// The scope requested.
        scope: String,
    },
    /// OAuth 2.0 refresh token (RFC 6749 §6), as Google (user consent) and
    /// generic providers do it; secrets: the client secret and the refresh
    /// token (a rotated one is stored back).
    #[serde(rename = "oauth2_refresh_token")]
    OAuth2RefreshToken {
        /// The token endpoint.
        token_url: String,
        /// The client id.
        client_id: String,
        /// The scope requested, if the provider wants one on refresh.
        scope: Option<String>,
    },
    /// A Google service account with domain-wide delegation: the JWT bearer
    /// grant (RFC 7523) with `sub` = the mailbox; secret: the JSON key file
    /// (it names the token endpoint and the account).
    GoogleServiceAccount {
        /// The scope requested.
        scope: String,
    },
}

/// Why a login method was refused; the field is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginMethodError {
    /// The field at fault.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

impl LoginMethod {
    /// `password`, `oauth2_client_credentials`, `oauth2_refresh_token`, `google_service_account`.
    pub fn name(&self) -> &'static str {
        match self {
            LoginMethod::Password => "password",
            LoginMethod::OAuth2ClientCredentials { .. } => "oauth2_client_credentials",
            LoginMethod::OAuth2RefreshToken { .. } => "oauth2_refresh_token",
            LoginMethod::GoogleServiceAccount { .. } => "google_service_account",
        }
    }

    /// Whether the upstream login uses an OAuth 2.0 access token.
    pub fn is_oauth(&self) -> bool {
        !matches!(self, LoginMethod::Password)
    }

    /// Checks the fields: a token endpoint over HTTPS (HTTP only to a
    /// loopback host), a client id and scopes without control characters.
    pub fn validate(&self) -> Result<(), LoginMethodError> {
        match self {
            LoginMethod::Password => Ok(()),
            LoginMethod::OAuth2ClientCredentials { token_url, client_id, scope } => {
                check_token_url(token_url)?;
                check_text("smtp.login.client_id", client_id)?;
                check_text("smtp.login.scope", scope)
            }
            LoginMethod::OAuth2RefreshToken { token_url, client_id, scope } => {
                check_token_url(token_url)?;
                check_text("smtp.login.client_id", client_id)?;
                scope.as_deref().map(|s| check_text("smtp.login.scope", s)).unwrap_or(Ok(()))
            }
            LoginMethod::GoogleServiceAccount { scope } => check_text("smtp.login.scope", scope),
        }
    }
}

fn check_text(field: &'static str, value: &str) -> Result<(), LoginMethodError> {
    if value.is_empty() || value.len() > 512 || value.chars().any(char::is_control) {
        return Err(LoginMethodError { field, reason: "1..=512 characters, no control characters" });
    }
    Ok(())
}

/// A token endpoint: `https://host/...`, or `http://` to a loopback host (tests, local development).
pub fn check_token_url(url: &str) -> Result<(), LoginMethodError> {
    let bad = LoginMethodError {
        field: "smtp.login.token_url",
        reason: "an https:// URL (http:// only to a loopback host), without user info or fragment",
    };
    if url.len() > 2048 || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad);
    }
    let (scheme, rest) = url.split_once("://").ok_or(bad.clone())?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || url.contains('#') {
        return Err(bad);
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map(|(h, _)| h).unwrap_or(authority),
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(&host.to_ascii_lowercase()) => Ok(()),
        _ => Err(bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_urls() {
        assert!(check_token_url("https://login.microsoftonline.com/x/oauth2/v2.0/token").is_ok());
        assert!(check_token_url("http://127.0.0.1:8080/token").is_ok());
        assert!(check_token_url("http://[::1]:8080/token").is_ok());
        assert!(check_token_url("http://localhost/token").is_ok());
        assert!(check_token_url("http://idp.example.com/token").is_err());
        assert!(check_token_url("https://user@idp.example.com/token").is_err());
        assert!(check_token_url("ftp://idp.example.com/token").is_err());
        assert!(check_token_url("https:///token").is_err());
        assert!(check_token_url("https://idp.example.com/token#x").is_err());
        assert!(check_token_url("https://idp.example.com/to ken").is_err());
    }

    #[test]
    fn methods_validate_and_round_trip() {
        let m = LoginMethod::OAuth2ClientCredentials {
            token_url: microsoft_token_url("contoso.onmicrosoft.com"),
            client_id: "app".into(),
            scope: MICROSOFT_SMTP_SCOPE.into(),
        };
        assert!(m.validate().is_ok());
        assert_eq!(m.name(), "oauth2_client_credentials");
        let bad =
            LoginMethod::OAuth2RefreshToken { token_url: GOOGLE_TOKEN_URL.into(), client_id: "".into(), scope: None };
        assert_eq!(bad.validate().err().map(|e| e.field), Some("smtp.login.client_id"));
        assert!(LoginMethod::GoogleServiceAccount { scope: "a\nb".into() }.validate().is_err());
        assert!(!LoginMethod::Password.is_oauth() && m.is_oauth());
    }
}

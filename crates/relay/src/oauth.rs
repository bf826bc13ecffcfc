//! The OAuth 2.0 grants that get a mailbox's access token: client
//! credentials (RFC 6749 §4.4, Microsoft 365) and refresh token (§6,
//! Google and generic providers) through the `oauth2` crate, and the JWT
//! bearer grant (RFC 7523, a Google service account with domain-wide
//! delegation) with an assertion signed by `jsonwebtoken`.
//!
//! Errors keep two classes: the endpoint could not answer (down, slow,
//! 5xx, garbage: [`TokenError::Unavailable`], the proxy answers 451 and
//! the client retries) or it refused the grant (`invalid_grant`,
//! `invalid_client`, a key it does not accept: [`TokenError::Refused`],
//! an admin must fix the mailbox's login). No error carries a secret, a
//! token or a response body.

use crate::http::TokenHttp;
use crate::secret_format::ServiceAccountKey;
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{ClientId, ClientSecret, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Used when a token response says nothing about its lifetime.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// How long a service-account assertion is valid (Google's maximum).
const ASSERTION_LIFETIME: u64 = 3600;
/// RFC 7523's grant type.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// An access token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    /// The token.
    pub secret: SecretString,
    /// When it was issued (received).
    pub issued: Instant,
    /// How long it lives from `issued`.
    pub lifetime: Duration,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken").field("lifetime", &self.lifetime).finish_non_exhaustive()
    }
}

impl AccessToken {
    /// Still good for a while: a fifth of its lifetime (at most a minute) is
    /// kept as margin, so a token is refreshed ahead of its expiry and never
    /// reaches the server about to expire.
    pub fn fresh(&self) -> bool {
        let margin = (self.lifetime / 5).min(Duration::from_secs(60));
        self.issued.elapsed() + margin < self.lifetime
    }
}

/// A grant's answer: the access token, and a new refresh token when the provider rotated it.
#[derive(Debug)]
pub struct Granted {
    /// The access token.
    pub token: AccessToken,
    /// The rotated refresh token, to be stored in place of the used one.
    pub new_refresh_token: Option<SecretString>,
}

/// Why no token was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The token endpoint was down, slow, or answered garbage: try again later.
    Unavailable(String),
    /// The endpoint refused the grant or the client (`invalid_grant`, `invalid_client`, ...), or the key is unusable.
    Refused(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Unavailable(why) => write!(f, "token endpoint unavailable: {why}"),
            TokenError::Refused(why) => write!(f, "token endpoint refused: {why}"),
        }
    }
}

/// Runs the grants over one HTTP client.
#[derive(Clone)]
pub struct Grants {
    http: TokenHttp,
}

fn url(token_url: &str) -> Result<TokenUrl, TokenError> {
    TokenUrl::new(token_url.to_owned()).map_err(|_| TokenError::Refused("the token URL is not a URL".into()))
}

fn granted(response: &BasicTokenResponse) -> Granted {
    Granted {
        token: AccessToken {
            secret: response.access_token().secret().to_owned().into(),
            issued: Instant::now(),
            lifetime: response.expires_in().unwrap_or(DEFAULT_LIFETIME),
        },
        new_refresh_token: response.refresh_token().map(|r| r.secret().to_owned().into()),
    }
}

/// `invalid_grant` (with the endpoint's description, sanitised) or the like.
fn refused(e: &BasicErrorResponse) -> TokenError {
    let code = e.error().to_string();
    match e.error() {
        BasicErrorResponseType::Extension(x) if x == "temporarily_unavailable" || x == "server_error" => {
            TokenError::Unavailable(code)
        }
        _ => {
            let description = e.error_description().map(|d| format!(" ({})", clean(d))).unwrap_or_default();
            TokenError::Refused(format!("{code}{description}"))
        }
    }
}

fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(300).collect()
}

fn classify<E: std::error::Error>(e: RequestTokenError<E, BasicErrorResponse>) -> TokenError {
    match e {
        RequestTokenError::ServerResponse(r) => refused(&r),
        RequestTokenError::Request(e) => TokenError::Unavailable(clean(&e.to_string())),
        // Never the body: it may hold a token.
        RequestTokenError::Parse(_, _) => {
            TokenError::Unavailable("the token endpoint's answer is not OAuth 2.0".into())
        }
        RequestTokenError::Other(_) => TokenError::Unavailable("the token endpoint answered unexpectedly".into()),
    }
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

impl Grants {
    /// Grants over `http`.
    pub fn new(http: TokenHttp) -> Grants {
        Grants { http }
    }

    /// Client credentials: the app's own token (Microsoft 365, `SMTP.SendAsApp`).
    pub async fn client_credentials(
        &self,
        token_url: &str,
        client_id: &str,
        client_secret: &SecretString,
        scope: &str,
    ) -> Result<Granted, TokenError> {
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_owned()))
            .set_token_uri(url(token_url)?);
        let response = client
            .exchange_client_credentials()
            .add_scopes(scope.split_whitespace().map(|s| Scope::new(s.to_owned())))
            .request_async(&self.http)
            .await
            .map_err(classify)?;
        Ok(granted(&response))
    }

    /// Refresh token: a user's consented token (Google, generic); the answer may rotate the refresh token.
    pub async fn refresh(
        &self,
        token_url: &str,
        client_id: &str,
        client_secret: Option<&SecretString>,
        refresh_token: &SecretString,
        scope: Option<&str>,
    ) -> Result<Granted, TokenError> {
        let mut client = BasicClient::new(ClientId::new(client_id.to_owned())).set_token_uri(url(token_url)?);
        if let Some(secret) = client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        let refresh = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let mut request = client.exchange_refresh_token(&refresh);
        if let Some(scope) = scope {
            request = request.add_scopes(scope.split_whitespace().map(|s| Scope::new(s.to_owned())));
        }
        let response = request.request_async(&self.http).await.map_err(classify)?;
        Ok(granted(&response))
    }

    /// JWT bearer (RFC 7523): an assertion signed with the service account's
    /// key, `sub` = the mailbox it acts for (domain-wide delegation).
    pub async fn service_account(
        &self,
        key: &ServiceAccountKey,
        subject: &str,
        scope: &str,
    ) -> Result<Granted, TokenError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let claims = Assertion {
            iss: &key.client_email,
            sub: subject,
            scope,
            aud: &key.token_uri,
            iat: now,
            exp: now + ASSERTION_LIFETIME,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = key.private_key_id.clone();
        let signing = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.expose_secret().as_bytes())
            .map_err(|_| TokenError::Refused("the service account's private key is not an RSA key in PEM".into()))?;
        let assertion = jsonwebtoken::encode(&header, &claims, &signing)
            .map_err(|_| TokenError::Refused("the service account's key cannot sign".into()))?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", JWT_BEARER)
            .append_pair("assertion", &assertion)
            .finish();
        let request = http::Request::post(&key.token_uri)
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::ACCEPT, "application/json")
            .body(body.into_bytes())
            .map_err(|_| TokenError::Refused("the key's token_uri cannot be requested".into()))?;
        let response = self.http.send(request).await.map_err(|e| TokenError::Unavailable(clean(&e.0)))?;
        let status = response.status();
        if status.is_success() {
            let parsed: BasicTokenResponse = serde_json::from_slice(response.body())
                .map_err(|_| TokenError::Unavailable("the token endpoint's answer is not OAuth 2.0".into()))?;
            return Ok(granted(&parsed));
        }
        match serde_json::from_slice::<BasicErrorResponse>(response.body()) {
            Ok(error) if status.is_client_error() => Err(refused(&error)),
            _ => Err(TokenError::Unavailable(format!("the token endpoint answered HTTP {}", status.as_u16()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_keeps_a_margin() {
        let token = |age: u64, life: u64| AccessToken {
            secret: "t".into(),
            issued: Instant::now() - Duration::from_secs(age),
            lifetime: Duration::from_secs(life),
        };
        assert!(token(0, 3600).fresh());
        assert!(token(3500, 3600).fresh());
        assert!(!token(3541, 3600).fresh(), "within the last minute: refreshed ahead");
        assert!(!token(9, 10).fresh(), "short tokens keep a fifth as margin");
        assert!(token(7, 10).fresh());
        assert!(!format!("{:?}", token(0, 1)).contains("\"t\""));
    }

    #[test]
    fn endpoint_errors_are_classified() {
        let e = |json: &str| serde_json::from_str::<BasicErrorResponse>(json).map(|r| refused(&r)).ok();
        assert!(matches!(e(r#"{"error":"invalid_grant","error_description":"revoked\r\n"}"#),
            Some(TokenError::Refused(t)) if t == "invalid_grant (revoked  )"));
        assert!(matches!(e(r#"{"error":"invalid_client"}"#), Some(TokenError::Refused(_))));
        assert!(matches!(e(r#"{"error":"temporarily_unavailable"}"#), Some(TokenError::Unavailable(_))));
    }
}

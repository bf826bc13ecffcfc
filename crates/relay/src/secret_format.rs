//! What a mailbox's secret holds for each login method, and how it is
//! stored under `SecretRef::mailbox`: a password as itself (as it always
//! was); the OAuth secrets as a small JSON object (`client_secret`,
//! `refresh_token`); a Google service account as its JSON key file, as
//! Google hands it out. `Debug` never shows a secret.

use secrecy::{ExposeSecret, SecretString};
use sendas_core::model::{LoginMethod, check_token_url};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The secret half of a login method.
#[derive(Debug, Clone)]
pub enum LoginSecret {
    /// `password`.
    Password(SecretString),
    /// `oauth2_client_credentials`.
    ClientSecret(SecretString),
    /// `oauth2_refresh_token`: the client secret (absent for public clients) and the current refresh token.
    RefreshToken {
        /// The client secret.
        client_secret: Option<SecretString>,
        /// The refresh token (replaced when the provider rotates it).
        refresh_token: SecretString,
    },
    /// `google_service_account`.
    ServiceAccount(ServiceAccountKey),
}

/// The fields of a Google service-account JSON key that the JWT bearer grant needs.
#[derive(Clone, Deserialize)]
pub struct ServiceAccountKey {
    /// `service_account`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The account, the assertion's `iss`.
    pub client_email: String,
    /// The key's id, the assertion's `kid`.
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// The RSA private key, PEM.
    pub private_key: SecretString,
    /// The token endpoint, the assertion's `aud`.
    pub token_uri: String,
    /// The whole file, as stored.
    #[serde(skip)]
    raw: Option<SecretString>,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct OAuthSecrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl LoginSecret {
    /// Reads the stored secret of a mailbox whose login method is `method`.
    /// The error names what is wrong, never the secret.
    pub fn decode(method: &LoginMethod, stored: &SecretString) -> Result<LoginSecret, String> {
        let text = stored.expose_secret();
        let oauth = || {
            serde_json::from_str::<OAuthSecrets>(text)
                .map_err(|_| format!("the stored secret is not the {} secrets (JSON)", method.name()))
        };
        match method {
            LoginMethod::Password => Ok(LoginSecret::Password(stored.clone())),
            LoginMethod::OAuth2ClientCredentials { .. } => match oauth()?.client_secret {
                Some(s) if !s.is_empty() => Ok(LoginSecret::ClientSecret(s.into())),
                _ => Err("no client secret is stored".into()),
            },
            LoginMethod::OAuth2RefreshToken { .. } => {
                let o = oauth()?;
                match o.refresh_token {
                    Some(r) if !r.is_empty() => Ok(LoginSecret::RefreshToken {
                        client_secret: o.client_secret.filter(|s| !s.is_empty()).map(SecretString::from),
                        refresh_token: r.into(),
                    }),
                    _ => Err("no refresh token is stored".into()),
                }
            }
            LoginMethod::GoogleServiceAccount { .. } => ServiceAccountKey::parse(text).map(LoginSecret::ServiceAccount),
        }
    }

    /// The form it is stored in.
    pub fn encode(&self) -> SecretString {
        let json = |o: OAuthSecrets| SecretString::from(serde_json::to_string(&o).unwrap_or_default());
        match self {
            LoginSecret::Password(p) => p.clone(),
            LoginSecret::ClientSecret(s) => {
                json(OAuthSecrets { client_secret: Some(s.expose_secret().to_owned()), refresh_token: None })
            }
            LoginSecret::RefreshToken { client_secret, refresh_token } => json(OAuthSecrets {
                client_secret: client_secret.as_ref().map(|s| s.expose_secret().to_owned()),
                refresh_token: Some(refresh_token.expose_secret().to_owned()),
            }),
            LoginSecret::ServiceAccount(key) => key.raw.clone().unwrap_or_else(|| SecretString::from("")),
        }
    }

    /// Whether this secret belongs to `method`.
    pub fn fits(&self, method: &LoginMethod) -> bool {
        matches!(
            (self, method),
            (LoginSecret::Password(_), LoginMethod::Password)
                | (LoginSecret::ClientSecret(_), LoginMethod::OAuth2ClientCredentials { .. })
                | (LoginSecret::RefreshToken { .. }, LoginMethod::OAuth2RefreshToken { .. })
                | (LoginSecret::ServiceAccount(_), LoginMethod::GoogleServiceAccount { .. })
        )
    }
}

impl ServiceAccountKey {
    /// Parses and checks a JSON key file: `type` = `service_account`, a
    /// `client_email`, an RSA `private_key` in PEM, a usable `token_uri`.
    pub fn parse(json: &str) -> Result<ServiceAccountKey, String> {
        let mut key: ServiceAccountKey = serde_json::from_str(json)
            .map_err(|_| "not a service-account JSON key (type, client_email, private_key, token_uri)".to_owned())?;
        if key.kind != "service_account" {
            return Err("the key's type is not service_account".into());
        }
        if key.client_email.is_empty() || key.client_email.chars().any(char::is_control) {
            return Err("the key's client_email is empty or has control characters".into());
        }
        check_token_url(&key.token_uri).map_err(|e| format!("the key's token_uri: {}", e.reason))?;
        jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key.expose_secret().as_bytes())
            .map_err(|_| "the key's private_key is not an RSA private key in PEM".to_owned())?;
        key.raw = Some(json.to_owned().into());
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method_rt() -> LoginMethod {
        LoginMethod::OAuth2RefreshToken {
            token_url: "https://idp.example/token".into(),
            client_id: "c".into(),
            scope: None,
        }
    }

    #[test]
    fn round_trips_and_refusals_never_show_the_secret() {
        let rt = LoginSecret::RefreshToken { client_secret: Some("cs-1".into()), refresh_token: "rt-1".into() };
        let stored = rt.encode();
        let back = LoginSecret::decode(&method_rt(), &stored).map_err(|e| e.to_string());
        assert!(
            matches!(&back, Ok(LoginSecret::RefreshToken { refresh_token, .. }) if refresh_token.expose_secret() == "rt-1")
        );
        assert!(back.as_ref().is_ok_and(|b| b.fits(&method_rt())));
        let shown = format!("{back:?}");
        assert!(!shown.contains("rt-1") && !shown.contains("cs-1"), "{shown}");
        let cc = LoginMethod::OAuth2ClientCredentials {
            token_url: "https://idp.example/token".into(),
            client_id: "c".into(),
            scope: "s".into(),
        };
        let e = LoginSecret::decode(&cc, &"plain-password".into()).err().unwrap_or_default();
        assert!(!e.contains("plain-password") && e.contains("oauth2_client_credentials"), "{e}");
        let sa = LoginMethod::GoogleServiceAccount { scope: "s".into() };
        let e = LoginSecret::decode(&sa, &r#"{"type":"service_account","client_email":"a@b","private_key":"nope","token_uri":"https://oauth2.googleapis.com/token"}"#.into())
            .err()
            .unwrap_or_default();
        assert!(e.contains("private_key") && !e.contains("nope"), "{e}");
    }
}

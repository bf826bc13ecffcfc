//! A login secret bound to the endpoint it was given for (SPEC §3: the
//! secret of an authenticated mailbox is bound to its endpoint).
//!
//! The [`EndpointFingerprint`] of SMTP settings is the SHA-256 of
//! everything that decides where a secret goes and as whom: host, port,
//! TLS mode, username and the login method with every parameter (token URL
//! or directory, client id, scope, the service account's subject is the
//! username). Every stored secret is kept as a [`BoundSecret`]: the
//! fingerprint of the settings it was given for, then the secret. Whoever
//! reads it (the relay, `verify`) opens it only for settings of the same
//! fingerprint: a changed host, a token URL pointing elsewhere or another
//! login method can never receive it, whatever order the writes landed in.
//! The service also forgets a secret whose settings change, so the API
//! shows `password_set: false` and the admin gives it again.

use super::SmtpSettings;
use crate::secret::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// What a secret was given for, as 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointFingerprint(String);

impl EndpointFingerprint {
    /// The fingerprint of `settings` (its secret-flag excluded).
    pub fn of(settings: &SmtpSettings) -> EndpointFingerprint {
        let canonical = serde_json::json!({
            "host": settings.host(),
            "port": settings.port(),
            "tls": settings.tls(),
            "username": settings.username(),
            "login": settings.login(),
        });
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        EndpointFingerprint(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The hex form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The prefix of every bound secret's stored form.
const PREFIX: &str = "sendas-bound-v1:";

/// A secret as stored: `sendas-bound-v1:<fingerprint>:<secret>`.
pub struct BoundSecret;

/// Why a stored secret cannot be used for the settings at hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unbound {
    /// It was given for other settings (host, port, TLS, username or login method changed since).
    OtherEndpoint,
    /// It is not in the bound form (stored before secrets were bound).
    NotBound,
}

impl Unbound {
    /// In words, for the health and `verify` (never the secret).
    pub fn describe(&self) -> &'static str {
        match self {
            Unbound::OtherEndpoint => {
                "the stored secret was given for other SMTP or login settings: an admin must set it again"
            }
            Unbound::NotBound => "the stored secret is bound to no settings: an admin must set it again",
        }
    }
}

impl BoundSecret {
    /// The stored form of `secret`, given for `settings`.
    pub fn seal(settings: &SmtpSettings, secret: &SecretString) -> SecretString {
        let fp = EndpointFingerprint::of(settings);
        SecretString::from(format!("{PREFIX}{}:{}", fp.as_str(), secret.expose_secret()))
    }

    /// The secret in `stored`, when it was given for `settings`.
    pub fn open(settings: &SmtpSettings, stored: &SecretString) -> Result<SecretString, Unbound> {
        let text = stored.expose_secret();
        let rest = text.strip_prefix(PREFIX).ok_or(Unbound::NotBound)?;
        let (fp, secret) = rest.split_once(':').ok_or(Unbound::NotBound)?;
        if fp != EndpointFingerprint::of(settings).as_str() {
            return Err(Unbound::OtherEndpoint);
        }
        Ok(SecretString::from(secret.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LoginMethod, TlsMode};

    fn settings(host: &str, port: u16, user: &str) -> SmtpSettings {
        SmtpSettings::new(host, port, TlsMode::Starttls, user).expect("valid")
    }

    #[test]
    fn a_sealed_secret_opens_only_for_the_settings_it_was_given_for() {
        let s = settings("smtp.example.com", 587, "ann@example.com");
        let sealed = BoundSecret::seal(&s, &SecretString::from("pa:ss:word"));
        assert_eq!(BoundSecret::open(&s, &sealed).map(|p| p.expose_secret().to_owned()), Ok("pa:ss:word".into()));
        for other in [
            settings("evil.example.net", 587, "ann@example.com"),
            settings("smtp.example.com", 2525, "ann@example.com"),
            settings("smtp.example.com", 587, "bob@example.com"),
            SmtpSettings::new("smtp.example.com", 587, TlsMode::Tls, "ann@example.com").expect("valid"),
            s.clone()
                .with_login(LoginMethod::OAuth2ClientCredentials {
                    token_url: "https://login.example.com/token".into(),
                    client_id: "c".into(),
                    scope: "s".into(),
                })
                .expect("valid"),
        ] {
            assert_eq!(BoundSecret::open(&other, &sealed).err(), Some(Unbound::OtherEndpoint), "{other:?}");
        }
        assert_eq!(BoundSecret::open(&s, &SecretString::from("pa:ss:word")).err(), Some(Unbound::NotBound));
    }

    #[test]
    fn every_oauth_parameter_is_part_of_the_fingerprint() {
        let base = settings("smtp.office365.com", 587, "ann@example.com");
        let with = |token_url: &str, client_id: &str, scope: &str| {
            EndpointFingerprint::of(
                &base
                    .clone()
                    .with_login(LoginMethod::OAuth2ClientCredentials {
                        token_url: token_url.into(),
                        client_id: client_id.into(),
                        scope: scope.into(),
                    })
                    .expect("valid"),
            )
        };
        let a = with("https://login.microsoftonline.com/t/oauth2/v2.0/token", "c", "s");
        assert_eq!(a, with("https://login.microsoftonline.com/t/oauth2/v2.0/token", "c", "s"));
        assert_ne!(a, with("https://attacker.example/token", "c", "s"));
        assert_ne!(a, with("https://login.microsoftonline.com/t/oauth2/v2.0/token", "d", "s"));
        assert_ne!(a, with("https://login.microsoftonline.com/t/oauth2/v2.0/token", "c", "t"));
    }

    #[test]
    fn the_debug_form_shows_no_secret() {
        let s = settings("smtp.example.com", 587, "ann@example.com");
        let sealed = BoundSecret::seal(&s, &SecretString::from("hunter2"));
        assert!(!format!("{sealed:?}").contains("hunter2"));
    }
}

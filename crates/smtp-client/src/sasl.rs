//! SASL for SMTP AUTH (RFC 4954): what the client logs in with
//! ([`Auth`]: a password, or an OAuth 2.0 bearer token), which mechanism
//! it picks from the server's offer, and the initial responses — PLAIN
//! (RFC 4616), XOAUTH2 (Google/Microsoft), OAUTHBEARER (RFC 7628). LOGIN
//! answers the server's two prompts instead. Secrets stay in
//! `SecretString` (redacted `Debug`); encoded responses live in
//! `Zeroizing` buffers, wiped when dropped.

use crate::caps::Capabilities;
use data_encoding::BASE64;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// What the client logs in with. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A password: AUTH PLAIN, else LOGIN.
    Password {
        /// The login name.
        username: String,
        /// The password.
        password: SecretString,
    },
    /// An OAuth 2.0 access token: XOAUTH2, else OAUTHBEARER.
    Bearer {
        /// The mailbox the token is for.
        username: String,
        /// The access token.
        token: SecretString,
    },
}

/// A SASL mechanism the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// PLAIN (password).
    Plain,
    /// LOGIN (password).
    Login,
    /// XOAUTH2 (bearer token).
    XOAuth2,
    /// OAUTHBEARER, RFC 7628 (bearer token).
    OAuthBearer,
}

impl Mechanism {
    /// The name on the AUTH line.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// Whether it carries an OAuth token (and has the error dance: `334 <JSON>`, then 535).
    pub fn is_oauth(self) -> bool {
        matches!(self, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
    }

    /// What the client answers the `334 <error JSON>` of a failed OAuth login
    /// (base64 on the wire): an empty line for XOAUTH2, `AQ==` (%x01) for OAUTHBEARER.
    pub(crate) fn oauth_error_ack(self) -> &'static str {
        match self {
            Mechanism::OAuthBearer => "AQ==",
            _ => "",
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Auth {
    /// The login name.
    pub fn username(&self) -> &str {
        match self {
            Auth::Password { username, .. } | Auth::Bearer { username, .. } => username,
        }
    }

    /// The mechanisms this login can use, best first.
    pub fn mechanisms(&self) -> &'static [Mechanism] {
        match self {
            Auth::Password { .. } => &[Mechanism::Plain, Mechanism::Login],
            Auth::Bearer { .. } => &[Mechanism::XOAuth2, Mechanism::OAuthBearer],
        }
    }

    /// The best mechanism the server offers, if any.
    pub fn choose(&self, caps: &Capabilities) -> Option<Mechanism> {
        self.mechanisms().iter().copied().find(|m| caps.offers_auth(m.name()))
    }

    /// The initial response of `mechanism`, base64, or `None` when the
    /// mechanism has none (LOGIN) or does not fit this login.
    pub(crate) fn initial_response(&self, mechanism: Mechanism) -> Option<Zeroizing<String>> {
        let raw: Zeroizing<Vec<u8>> = match (self, mechanism) {
            (Auth::Password { username, password }, Mechanism::Plain) => {
                join(&[b"\0", username.as_bytes(), b"\0", password.expose_secret().as_bytes()])
            }
            (Auth::Bearer { username, token }, Mechanism::XOAuth2) => join(&[
                b"user=",
                username.as_bytes(),
                b"\x01auth=Bearer ",
                token.expose_secret().as_bytes(),
                b"\x01\x01",
            ]),
            (Auth::Bearer { username, token }, Mechanism::OAuthBearer) => join(&[
                b"n,a=",
                gs2_saslname(username).as_bytes(),
                b",\x01auth=Bearer ",
                token.expose_secret().as_bytes(),
                b"\x01\x01",
            ]),
            _ => return None,
        };
        Some(Zeroizing::new(BASE64.encode(&raw)))
    }

    /// LOGIN's answers to the server's first and second prompt, base64.
    pub(crate) fn login_answer(&self, prompt: usize) -> Option<Zeroizing<String>> {
        match (self, prompt) {
            (Auth::Password { username, .. }, 0) => Some(Zeroizing::new(BASE64.encode(username.as_bytes()))),
            (Auth::Password { password, .. }, 1) => {
                Some(Zeroizing::new(BASE64.encode(password.expose_secret().as_bytes())))
            }
            _ => None,
        }
    }
}

fn join(parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// RFC 5801's saslname: `,` → `=2C`, `=` → `=3D`.
fn gs2_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// The decoded text of a server challenge (base64), for error details;
/// `None` when it is not base64 or empty.
pub(crate) fn decode_challenge(text: &str) -> Option<String> {
    let bytes = BASE64.decode(text.trim().as_bytes()).ok()?;
    let s = String::from_utf8_lossy(&bytes).trim().to_owned();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(s: &Zeroizing<String>) -> Vec<u8> {
        BASE64.decode(s.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn initial_responses() {
        let pw = Auth::Password { username: "relay@example.test".into(), password: "hunter2".into() };
        let ir = pw.initial_response(Mechanism::Plain).unwrap_or_default();
        assert_eq!(decoded(&ir), b"\0relay@example.test\0hunter2");
        assert!(pw.initial_response(Mechanism::Login).is_none());
        assert!(pw.initial_response(Mechanism::XOAuth2).is_none());
        assert_eq!(pw.login_answer(0).map(|a| decoded(&a)), Some(b"relay@example.test".to_vec()));
        assert_eq!(pw.login_answer(1).map(|a| decoded(&a)), Some(b"hunter2".to_vec()));
        assert!(pw.login_answer(2).is_none());

        let bearer = Auth::Bearer { username: "a,b=c@example.test".into(), token: "tok".into() };
        let x = bearer.initial_response(Mechanism::XOAuth2).unwrap_or_default();
        assert_eq!(decoded(&x), b"user=a,b=c@example.test\x01auth=Bearer tok\x01\x01");
        let o = bearer.initial_response(Mechanism::OAuthBearer).unwrap_or_default();
        assert_eq!(decoded(&o), b"n,a=a=2Cb=3Dc@example.test,\x01auth=Bearer tok\x01\x01");
    }

    #[test]
    fn choice_and_debug() {
        let caps = |m: &[&str]| Capabilities { auth: m.iter().map(|s| s.to_string()).collect(), ..Default::default() };
        let bearer = Auth::Bearer { username: "u".into(), token: "secret-token".into() };
        assert_eq!(bearer.choose(&caps(&["OAUTHBEARER", "XOAUTH2"])), Some(Mechanism::XOAuth2));
        assert_eq!(bearer.choose(&caps(&["PLAIN", "OAUTHBEARER"])), Some(Mechanism::OAuthBearer));
        assert_eq!(bearer.choose(&caps(&["PLAIN", "LOGIN"])), None);
        let pw = Auth::Password { username: "u".into(), password: "secret-pw".into() };
        assert_eq!(pw.choose(&caps(&["LOGIN", "PLAIN"])), Some(Mechanism::Plain));
        assert_eq!(pw.choose(&caps(&["LOGIN"])), Some(Mechanism::Login));
        let shown = format!("{bearer:?} {pw:?}");
        assert!(!shown.contains("secret-token") && !shown.contains("secret-pw"), "{shown}");
        assert_eq!(decode_challenge("eyJzdGF0dXMiOiI0MDEifQ==").as_deref(), Some("{\"status\":\"401\"}"));
        assert_eq!(decode_challenge(""), None);
    }
}

//! `verify`: log in to a mailbox's SMTP server (connect, STARTTLS or TLS,
//! AUTH, QUIT) and report how far it got, without sending mail and without
//! the password ever reaching the report or a log line.

use async_trait::async_trait;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use secrecy::{ExposeSecret, SecretString};
use sendas_core::model::{SmtpSettings, TlsMode};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// How far a login attempt got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStage {
    /// TCP connect and greeting (with implicit TLS: the handshake too).
    Connect,
    /// STARTTLS.
    Tls,
    /// AUTH.
    Auth,
    /// Logged in and said QUIT.
    Done,
}

/// The outcome of `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VerifyReport {
    /// Whether the login succeeded.
    pub ok: bool,
    /// The last stage reached (`done` when ok).
    pub stage: VerifyStage,
    /// The server's answer or the failure, sanitised.
    pub detail: String,
}

/// Logs in to an SMTP server.
#[async_trait]
pub trait SmtpVerifier: Send + Sync {
    /// Tries connect, TLS, AUTH and QUIT with these settings and password.
    async fn verify(&self, settings: &SmtpSettings, password: &SecretString) -> VerifyReport;
}

/// The real verifier, on lettre's SMTP client.
#[derive(Debug, Clone)]
pub struct LettreVerifier {
    /// Per-step timeout.
    pub timeout: Duration,
}

impl Default for LettreVerifier {
    fn default() -> Self {
        LettreVerifier { timeout: Duration::from_secs(10) }
    }
}

/// Keeps an upstream text printable, short, and free of the password.
pub fn sanitise(text: &str, password: &str) -> String {
    let mut clean: String =
        text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(300).collect::<String>().trim().to_owned();
    if !password.is_empty() && clean.contains(password) {
        clean = clean.replace(password, "[redacted]");
    }
    clean
}

fn fail(stage: VerifyStage, e: &lettre::transport::smtp::Error, password: &str) -> VerifyReport {
    VerifyReport { ok: false, stage, detail: sanitise(&e.to_string(), password) }
}

#[async_trait]
impl SmtpVerifier for LettreVerifier {
    async fn verify(&self, settings: &SmtpSettings, password: &SecretString) -> VerifyReport {
        let pw = password.expose_secret();
        let hello = ClientId::Domain("sendas.verify".into());
        let tls = || TlsParameters::new(settings.host().to_owned());
        let implicit = match settings.tls() {
            TlsMode::Tls => match tls() {
                Ok(p) => Some(p),
                Err(e) => return fail(VerifyStage::Connect, &e, pw),
            },
            _ => None,
        };
        let address = (settings.host(), settings.port());
        let connected = AsyncSmtpConnection::connect_tokio1(address, Some(self.timeout), &hello, implicit, None).await;
        let mut conn = match connected {
            Ok(c) => c,
            Err(e) => return fail(VerifyStage::Connect, &e, pw),
        };
        if settings.tls() == TlsMode::Starttls {
            let upgraded = match tls() {
                Ok(p) => conn.starttls(p, &hello).await,
                Err(e) => Err(e),
            };
            if let Err(e) = upgraded {
                conn.abort().await;
                return fail(VerifyStage::Tls, &e, pw);
            }
        }
        let credentials = Credentials::new(settings.username().to_owned(), pw.to_owned());
        let auth =
            tokio::time::timeout(self.timeout, conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)).await;
        let report = match auth {
            Ok(Ok(response)) => VerifyReport {
                ok: true,
                stage: VerifyStage::Done,
                detail: sanitise(
                    &format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" ")),
                    pw,
                ),
            },
            Ok(Err(e)) => fail(VerifyStage::Auth, &e, pw),
            Err(_) => VerifyReport { ok: false, stage: VerifyStage::Auth, detail: "timed out".into() },
        };
        if report.ok {
            let _ = conn.quit().await;
        } else {
            conn.abort().await;
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::sanitise;

    #[test]
    fn sanitise_removes_controls_and_the_password() {
        assert_eq!(sanitise("535 bad\r\nhunter2 seen", "hunter2"), "535 bad  [redacted] seen");
        assert_eq!(sanitise(&"x".repeat(1000), "p").len(), 300);
    }
}

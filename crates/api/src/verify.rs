//! `verify`: log in to a mailbox's SMTP server (connect, STARTTLS or TLS,
//! AUTH, QUIT) and report how far it got, without sending mail and without
//! the password ever reaching the report or a log line.

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use secrecy::{ExposeSecret, SecretString};
use sendas_core::model::SmtpSettings;
use sendas_smtp_client::Stage;
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

/// The real verifier: `sendas_smtp_client::login` (lettre's SMTP client on our socket).
#[derive(Debug, Clone)]
pub struct LettreVerifier {
    /// Timeout of each step (connect, TLS, AUTH).
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

#[async_trait]
impl SmtpVerifier for LettreVerifier {
    async fn verify(&self, settings: &SmtpSettings, password: &SecretString) -> VerifyReport {
        let pw = password.expose_secret();
        let hello = ClientId::Domain("sendas.verify".into());
        let credentials = Credentials::new(settings.username().to_owned(), pw.to_owned());
        let mut logged_in = match sendas_smtp_client::login(settings, Some(&credentials), &hello, self.timeout).await {
            Ok(l) => l,
            Err(e) => {
                let stage = match e.stage() {
                    Stage::Connect => VerifyStage::Connect,
                    Stage::Tls => VerifyStage::Tls,
                    Stage::Auth => VerifyStage::Auth,
                };
                return VerifyReport { ok: false, stage, detail: sanitise(&e.to_string(), pw) };
            }
        };
        let detail = logged_in
            .auth_reply
            .as_ref()
            .map(|r| format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" ")))
            .unwrap_or_default();
        let report = VerifyReport { ok: true, stage: VerifyStage::Done, detail: sanitise(&detail, pw) };
        let _ = logged_in.conn.quit().await;
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

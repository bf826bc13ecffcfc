//! `verify`'s report: the relay's own login to a mailbox's server
//! (`sendas_relay::Verifier`: connect, TLS, token, AUTH, QUIT), and the
//! stage it got to. No mail is sent, and no secret reaches the report or
//! a log line; the outcome also becomes the mailbox's health.

use sendas_core::model::HealthStage;
use sendas_relay::Verified;
use serde::Serialize;
use utoipa::ToSchema;

/// How far a login attempt got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStage {
    /// TCP connect and greeting (with implicit TLS: the handshake too).
    Connect,
    /// The TLS handshake or STARTTLS: certificate, host name.
    Tls,
    /// Getting an OAuth 2.0 access token from the token endpoint.
    Token,
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
    /// The stage that failed (`done` when ok).
    pub stage: VerifyStage,
    /// The server's answer or the failure, sanitised.
    pub detail: String,
}

impl VerifyReport {
    /// The report of a verify; `None` when it failed for a reason outside
    /// the mailbox's login (the secret store is unreachable).
    pub fn from_verified(v: Verified) -> Option<VerifyReport> {
        let stage = match (v.ok, v.failed_stage) {
            (true, _) => VerifyStage::Done,
            (false, Some(HealthStage::Connect)) => VerifyStage::Connect,
            (false, Some(HealthStage::Tls)) => VerifyStage::Tls,
            (false, Some(HealthStage::Token)) => VerifyStage::Token,
            (false, Some(HealthStage::Auth)) => VerifyStage::Auth,
            (false, None) => return None,
        };
        Some(VerifyReport { ok: v.ok, stage, detail: v.detail })
    }
}

//! A mailbox's health: the outcome of the relay's last login to its own
//! server (or of `verify`), so that an admin sees a broken login before
//! the users do. Written by the relay when the outcome changes.

use crate::{MailboxId, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// The stage a login to the mailbox's server failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStage {
    /// TCP connect, greeting, EHLO.
    Connect,
    /// The TLS handshake or STARTTLS: certificate, host name, protocol.
    Tls,
    /// Getting an OAuth 2.0 access token from the token endpoint.
    Token,
    /// AUTH: the server refused the mailbox's login.
    Auth,
}

impl HealthStage {
    /// `connect`, `tls`, `token`, `auth`.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStage::Connect => "connect",
            HealthStage::Tls => "tls",
            HealthStage::Token => "token",
            HealthStage::Auth => "auth",
        }
    }
}

/// The last relay outcome of an authenticated mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxHealth {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The mailbox.
    pub mailbox_id: MailboxId,
    /// `None` when the last login succeeded; else the stage that failed.
    pub failed_stage: Option<HealthStage>,
    /// What happened, sanitised (the server's reply, the token endpoint's error code); never a secret.
    pub detail: String,
    /// When.
    pub at: Timestamp,
}

impl MailboxHealth {
    /// Whether the last login succeeded.
    pub fn ok(&self) -> bool {
        self.failed_stage.is_none()
    }
}

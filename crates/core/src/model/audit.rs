//! Audit records of SMTP transactions: who sent as which mailbox, and the outcome.
//! Never holds passwords or message bodies.

use crate::{AuditId, EmailAddress, MailboxId, TenantId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long audit records are kept unless configured otherwise (90 days).
pub const DEFAULT_AUDIT_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

/// Whether the transaction was relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Accepted by the upstream and answered 250.
    Accepted,
    /// Refused for good (a 5xx: policy, size, the upstream).
    Rejected,
    /// Failed for now (a 4xx: upstream or store unavailable, the mailbox's
    /// login refused, a limit reached); the client keeps the message and retries.
    Deferred,
    /// The connection failed or timed out after the message's final dot,
    /// before the upstream's reply: it may have been delivered. Answered
    /// `451 4.4.2`; the sending-limit units stay spent; sendas never sends
    /// it again on its own.
    Uncertain,
}

impl AuditOutcome {
    /// The outcome of a transaction answered with `code`.
    pub fn of_reply(code: u16) -> AuditOutcome {
        match code {
            200..=299 => AuditOutcome::Accepted,
            400..=499 => AuditOutcome::Deferred,
            _ => AuditOutcome::Rejected,
        }
    }

    /// `accepted`, `rejected`, `deferred`, `uncertain`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Accepted => "accepted",
            AuditOutcome::Rejected => "rejected",
            AuditOutcome::Deferred => "deferred",
            AuditOutcome::Uncertain => "uncertain",
        }
    }
}

/// Which door a message came through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditChannel {
    /// The SMTP submission proxy.
    #[default]
    Smtp,
    /// `POST /v1/me/messages`.
    Http,
}

/// One SMTP transaction, or one message sent over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Tenant of the authenticated user.
    pub tenant_id: TenantId,
    /// Its id (time-ordered).
    pub id: AuditId,
    /// When the transaction ended.
    pub at: Timestamp,
    /// The authenticated user.
    pub user_id: Option<UserId>,
    /// The sending mailbox, when one was determined.
    pub mailbox_id: Option<MailboxId>,
    /// The sending mailbox's address.
    pub sending_address: Option<EmailAddress>,
    /// MAIL FROM as the client sent it (truncated).
    pub envelope_sender: Option<String>,
    /// Number of accepted recipients.
    pub recipients: u32,
    /// Message-ID header (truncated).
    pub message_id: Option<String>,
    /// Message size in bytes.
    pub size: u64,
    /// Outcome.
    pub outcome: AuditOutcome,
    /// The SMTP code the client got.
    pub smtp_code: u16,
    /// The reply text the client got.
    pub smtp_reply: String,
    /// The upstream's reply, if it was reached.
    pub upstream_reply: Option<String>,
    /// When the backend may delete it (retention).
    pub expires_at: Timestamp,
    /// The door it came through (records from before channels: SMTP).
    #[serde(default)]
    pub channel: AuditChannel,
    /// What authenticated it (records from before: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<AuditCredential>,
}

/// Which kind of secret authenticated a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An SMTP app password.
    AppPassword,
    /// An API token.
    ApiToken,
}

/// The credential or token that authenticated a transaction, and who issued it
/// (never the secret: its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCredential {
    /// App password or API token.
    pub kind: CredentialKind,
    /// Its id.
    pub id: String,
    /// Who issued it, when known.
    pub issued_by: Option<crate::model::Issuer>,
}

/// Which records to read: a tenant's, optionally in `[from, to)`, of one
/// mailbox, of one user, with one outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Inclusive lower bound.
    pub from: Option<Timestamp>,
    /// Exclusive upper bound.
    pub to: Option<Timestamp>,
    /// Only this mailbox.
    pub mailbox_id: Option<MailboxId>,
    /// Only this user's transactions.
    pub user_id: Option<UserId>,
    /// Only this outcome.
    pub outcome: Option<AuditOutcome>,
}

impl AuditFilter {
    /// Whether `r` passes the user and outcome conditions (time and mailbox
    /// are the backends' key conditions).
    pub fn matches_user_and_outcome(&self, r: &AuditRecord) -> bool {
        self.user_id.is_none_or(|u| r.user_id == Some(u)) && self.outcome.is_none_or(|o| r.outcome == o)
    }
}

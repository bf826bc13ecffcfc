//! The audit log's side of the pipeline, for both doors: [`AuditDraft`],
//! the one builder of a transaction's record (the same truncation and
//! sanitising for SMTP and HTTP), and [`AuditWriter`], which gets every
//! record into the store without losing one (SPEC §3): batched off the
//! reply path, waiting while the store refuses, then spilled to a local
//! append-only file replayed on the next start, and as the last resort
//! logged whole as one JSON line.

mod spill;
mod writer;

pub use writer::{AuditCounters, AuditFlush, AuditOptions, AuditWriter, LINGER, MAX_BATCH};

use crate::submit::Outcome;
use sendas_core::model::{AuditChannel, AuditCredential, AuditOutcome, AuditRecord, DEFAULT_AUDIT_RETENTION, Mailbox};
use sendas_core::{AuditId, EmailAddress, MailboxId, TenantId, Timestamp, UserId};
use sendas_message::reply::Reply;
use sendas_smtp_client::sanitise;

/// What a transaction's record says apart from how it ended.
#[derive(Debug, Clone)]
pub struct AuditDraft {
    /// The authenticated user's tenant.
    pub tenant: TenantId,
    /// The authenticated user.
    pub user: UserId,
    /// The app password or API token it authenticated with.
    pub credential: Option<AuditCredential>,
    /// The door.
    pub channel: AuditChannel,
    /// The sending mailbox, once one was determined.
    pub mailbox: Option<AuditedMailbox>,
    /// MAIL FROM as the client gave it (HTTP: the sending mailbox's address).
    pub envelope_sender: Option<String>,
    /// Accepted recipients.
    pub recipients: u32,
    /// The Message-ID header.
    pub message_id: Option<String>,
    /// The message's size in bytes.
    pub size: u64,
}

/// What a record names of the sending mailbox.
#[derive(Debug, Clone)]
pub struct AuditedMailbox {
    /// Its id.
    pub id: MailboxId,
    /// Its address.
    pub address: EmailAddress,
}

impl From<&Mailbox> for AuditedMailbox {
    fn from(m: &Mailbox) -> Self {
        AuditedMailbox { id: m.id, address: m.address.clone() }
    }
}

impl AuditDraft {
    /// The record of a transaction answered `reply` (outcome told by its code).
    pub fn answered(&self, reply: &Reply, upstream: Option<&str>) -> AuditRecord {
        self.record(AuditOutcome::of_reply(reply.code), reply, upstream)
    }

    /// The record of a submitted message that ended as `outcome`.
    pub fn submitted(&self, outcome: &Outcome) -> AuditRecord {
        let (audited, _, _, upstream) = outcome.audited();
        self.record(audited, &outcome.reply(), upstream.as_deref())
    }

    /// The record with `outcome`, the client's `reply` and the upstream's text.
    pub fn record(&self, outcome: AuditOutcome, reply: &Reply, upstream: Option<&str>) -> AuditRecord {
        let now = Timestamp::now();
        AuditRecord {
            tenant_id: self.tenant,
            id: AuditId::generate(),
            at: now,
            user_id: Some(self.user),
            mailbox_id: self.mailbox.as_ref().map(|m| m.id),
            sending_address: self.mailbox.as_ref().map(|m| m.address.clone()),
            envelope_sender: self.envelope_sender.as_ref().map(|s| s.chars().take(254).collect()),
            recipients: self.recipients,
            message_id: self.message_id.as_ref().filter(|m| !m.is_empty()).map(|m| m.chars().take(200).collect()),
            size: self.size,
            outcome,
            smtp_code: reply.code,
            smtp_reply: sanitise(&reply.lines.join(" ")).chars().take(500).collect(),
            upstream_reply: upstream.map(|u| sanitise(u).chars().take(500).collect()),
            expires_at: now.plus(DEFAULT_AUDIT_RETENTION),
            channel: self.channel,
            credential: self.credential.clone(),
        }
    }
}

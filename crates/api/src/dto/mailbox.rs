//! Mailboxes, their access lists, dropdowns, audit records.

use super::{TlsName, time};
use sendas_core::model::{AuditOutcome, AuditRecord, Mailbox, MailboxScope};
use sendas_core::{AuditId, CompanyId, GroupId, MailboxId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};

/// SMTP settings of an authenticated mailbox (the password is write-only, elsewhere).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpView {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsName,
    /// AUTH username.
    pub username: String,
    /// Whether a password is stored (read-only).
    #[serde(default)]
    pub password_set: bool,
}

/// A mailbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: MailboxId,
    /// Normalised address.
    pub address: String,
    /// Display name.
    pub display_name: String,
    /// Usable from every company of the tenant.
    pub global: bool,
    /// Owning company when not global.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<CompanyId>,
    /// May appear in From / Sender.
    pub sender: bool,
    /// May appear in Reply-To.
    pub reply: bool,
    /// Only listed users and groups may use it.
    pub restricted: bool,
    /// Usable at all.
    pub enabled: bool,
    /// Relays through its own SMTP server.
    pub authenticated: bool,
    /// The tenant's system mailbox.
    pub system: bool,
    /// SMTP settings when authenticated.
    pub smtp: Option<SmtpView>,
    /// Users allowed when restricted.
    #[schema(value_type = Vec<String>)]
    pub users: BTreeSet<UserId>,
    /// Groups allowed when restricted.
    #[schema(value_type = Vec<String>)]
    pub groups: BTreeSet<GroupId>,
    /// Creation time.
    pub created_at: String,
}

impl From<Mailbox> for MailboxView {
    fn from(m: Mailbox) -> Self {
        let company_id = match m.scope {
            MailboxScope::Global => None,
            MailboxScope::Company(c) => Some(c),
        };
        MailboxView {
            id: m.id,
            global: m.global(),
            authenticated: m.authenticated(),
            address: m.address.to_string(),
            display_name: m.display_name.to_string(),
            company_id,
            sender: m.flags.sender,
            reply: m.flags.reply,
            restricted: m.flags.restricted,
            enabled: m.flags.enabled,
            system: m.system,
            smtp: m.smtp.map(|s| SmtpView {
                host: s.host().to_owned(),
                port: s.port(),
                tls: s.tls().into(),
                username: s.username().to_owned(),
                password_set: s.password_set,
            }),
            users: m.access.users,
            groups: m.access.groups,
            created_at: time(m.created_at),
        }
    }
}

/// Creating or replacing a mailbox's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxBody {
    /// Address, unique in the tenant.
    pub address: String,
    /// Display name.
    pub display_name: String,
    /// Usable from every company (`true`), or only from `company_id`.
    pub global: bool,
    /// Owning company; required when not global.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<CompanyId>,
    /// May appear in From / Sender.
    pub sender: bool,
    /// May appear in Reply-To.
    pub reply: bool,
    /// Usable at all (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// SMTP settings: present makes the mailbox `authenticated`.
    pub smtp: Option<SmtpView>,
}

fn yes() -> bool {
    true
}

/// Setting the write-only SMTP password of a mailbox.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The password; stored in the secret store, never returned.
    #[schema(value_type = String, write_only)]
    pub password: secrecy::SecretString,
}

/// Who may use a mailbox.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    /// Only listed users and members of listed groups may use it.
    pub restricted: bool,
    /// Users.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub users: BTreeSet<UserId>,
    /// Groups.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub groups: BTreeSet<GroupId>,
}

/// An entry of a dropdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxChoice {
    /// Mailbox id.
    #[schema(value_type = String, format = Uuid)]
    pub id: MailboxId,
    /// Address.
    pub address: String,
    /// Display name.
    pub display_name: String,
}

impl From<&Mailbox> for MailboxChoice {
    fn from(m: &Mailbox) -> Self {
        MailboxChoice { id: m.id, address: m.address.to_string(), display_name: m.display_name.to_string() }
    }
}

/// The two dropdowns of the communication manager.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dropdowns {
    /// Mailboxes usable as From (sender address).
    pub from: Vec<MailboxChoice>,
    /// Mailboxes usable as Reply-To.
    pub reply_to: Vec<MailboxChoice>,
}

impl From<sendas_core::policy::UsableMailboxes> for Dropdowns {
    fn from(u: sendas_core::policy::UsableMailboxes) -> Self {
        Dropdowns {
            from: u.from.iter().map(MailboxChoice::from).collect(),
            reply_to: u.reply_to.iter().map(MailboxChoice::from).collect(),
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Records before this time (RFC 3339).
    pub to: Option<String>,
    /// Only this mailbox.
    pub mailbox_id: Option<String>,
    /// Page size, 1..=500.
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

/// One SMTP transaction in the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: AuditId,
    /// Time.
    pub at: String,
    /// Authenticated user.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    /// Sending mailbox.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub mailbox_id: Option<MailboxId>,
    /// Sending mailbox's address.
    pub sending_address: Option<String>,
    /// MAIL FROM.
    pub envelope_sender: Option<String>,
    /// Number of recipients.
    pub recipients: u32,
    /// Message-ID.
    pub message_id: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// `accepted` or `rejected`.
    pub outcome: String,
    /// SMTP code the client got.
    pub smtp_code: u16,
    /// Reply text the client got.
    pub smtp_reply: String,
    /// The upstream's reply.
    pub upstream_reply: Option<String>,
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        AuditView {
            id: r.id,
            at: time(r.at),
            user_id: r.user_id,
            mailbox_id: r.mailbox_id,
            sending_address: r.sending_address.map(|a| a.to_string()),
            envelope_sender: r.envelope_sender,
            recipients: r.recipients,
            message_id: r.message_id,
            size: r.size,
            outcome: match r.outcome {
                AuditOutcome::Accepted => "accepted".into(),
                AuditOutcome::Rejected => "rejected".into(),
            },
            smtp_code: r.smtp_code,
            smtp_reply: r.smtp_reply,
            upstream_reply: r.upstream_reply,
        }
    }
}

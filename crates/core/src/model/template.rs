//! Message templates: what the communication manager offers a user to send,
//! with a preset From and Reply-To mailbox (SPEC §4).

use super::{MailboxScope, Name};
use crate::{MailboxId, TemplateId, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A template of a tenant, global or owned by a company. Subject and bodies
/// are template sources (`{{ name }}` placeholders); `variables` are the
/// names they use, found when the template is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: TemplateId,
    /// Its name, as the user picks it.
    pub name: Name,
    /// Usable from every company of the tenant, or from one.
    pub scope: MailboxScope,
    /// The subject's source.
    pub subject: String,
    /// The text body's source.
    pub text_body: String,
    /// The HTML body's source, if any (variables are HTML-escaped in it).
    pub html_body: Option<String>,
    /// The variables the sources use.
    pub variables: BTreeSet<String>,
    /// The preset From mailbox.
    pub from_mailbox: Option<MailboxId>,
    /// The preset Reply-To mailbox.
    pub reply_to_mailbox: Option<MailboxId>,
    /// A disabled template is offered to nobody.
    pub enabled: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// Raised by every change (the API's `ETag`); 1 when created.
    pub version: u64,
}

//! Message templates.

use super::time;
use sendas_core::model::{MailboxScope, Template};
use sendas_core::{CompanyId, MailboxId, TemplateId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

fn yes() -> bool {
    true
}

/// A template as an admin writes it (create, or replace at PUT).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// Its name, as users pick it.
    pub name: String,
    /// Offered in every company of the tenant (else set `company_id`).
    #[serde(default)]
    pub global: bool,
    /// The company whose users it is offered to, when not global.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<CompanyId>,
    /// The subject: template source, `{{ variable }}` placeholders; renders to one line.
    pub subject: String,
    /// The text body (template source).
    pub text_body: String,
    /// The HTML body (template source; variables are HTML-escaped in it).
    pub html_body: Option<String>,
    /// The preset From mailbox (a sender mailbox of the tenant).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub from_mailbox_id: Option<MailboxId>,
    /// The preset Reply-To mailbox (a reply mailbox of the tenant).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub reply_to_mailbox_id: Option<MailboxId>,
    /// Offered at all (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: TemplateId,
    /// Name.
    pub name: String,
    /// Offered in every company of the tenant.
    pub global: bool,
    /// The company it belongs to when not global.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<CompanyId>,
    /// Subject source.
    pub subject: String,
    /// Text body source.
    pub text_body: String,
    /// HTML body source.
    pub html_body: Option<String>,
    /// The variables the sources use (each must be given when sending).
    pub variables: BTreeSet<String>,
    /// Preset From mailbox.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub from_mailbox_id: Option<MailboxId>,
    /// Preset Reply-To mailbox.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub reply_to_mailbox_id: Option<MailboxId>,
    /// Offered at all.
    pub enabled: bool,
    /// Creation time.
    pub created_at: String,
    /// Raised by every change; also the `ETag` (`"<version>"`) to send as `If-Match`.
    pub version: u64,
}

impl From<Template> for TemplateView {
    fn from(t: Template) -> Self {
        let company_id = match t.scope {
            MailboxScope::Global => None,
            MailboxScope::Company(c) => Some(c),
        };
        TemplateView {
            id: t.id,
            name: t.name.to_string(),
            global: company_id.is_none(),
            company_id,
            subject: t.subject,
            text_body: t.text_body,
            html_body: t.html_body,
            variables: t.variables,
            from_mailbox_id: t.from_mailbox,
            reply_to_mailbox_id: t.reply_to_mailbox,
            enabled: t.enabled,
            created_at: time(t.created_at),
            version: t.version,
        }
    }
}

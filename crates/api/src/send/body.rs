//! What `POST /v1/me/messages` takes and answers.

use sendas_core::{MailboxId, TemplateId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A message to send: a template with its variables, or a subject and
/// bodies; From and Reply-To as mailbox ids (default: the template's presets).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// A template offered to the user (`GET /v1/me/templates`).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub template_id: Option<TemplateId>,
    /// The template's variables (each one it uses must be given).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Without a template: the subject (plain text, one line).
    pub subject: Option<String>,
    /// Without a template: the text body.
    pub text_body: Option<String>,
    /// Without a template: an HTML body (sent as given).
    pub html_body: Option<String>,
    /// The From mailbox, one of the user's From dropdown (default: the template's preset).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub from_mailbox_id: Option<MailboxId>,
    /// The Reply-To mailbox, one of the user's Reply-To dropdown (default: the template's preset; none: no Reply-To).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub reply_to_mailbox_id: Option<MailboxId>,
    /// Recipients (To header).
    #[serde(default)]
    pub to: Vec<String>,
    /// Recipients (Cc header).
    #[serde(default)]
    pub cc: Vec<String>,
    /// Recipients not shown in the message.
    #[serde(default)]
    pub bcc: Vec<String>,
    /// Files attached.
    #[serde(default)]
    pub attachments: Vec<AttachmentBody>,
}

/// One attached file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentBody {
    /// The file name shown to recipients (no path).
    pub filename: String,
    /// The content, base64 (standard alphabet, padded).
    pub content_base64: String,
    /// The content type; default: sniffed from the content, else `application/octet-stream`.
    pub content_type: Option<String>,
}

/// The upstream accepted the message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentView {
    /// The Message-ID header of the message sent.
    pub message_id: String,
    /// The mailbox it was sent as.
    #[schema(value_type = String, format = Uuid)]
    pub from_mailbox_id: MailboxId,
    /// The upstream's reply (with its queue id).
    pub upstream_reply: String,
    /// Recipients the upstream accepted the message for.
    pub recipients: u32,
}

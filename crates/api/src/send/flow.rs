//! One message over HTTP, the same path as SMTP mail: the user's
//! permission snapshot, the template rendered, the message built, the
//! bytes checked by the same verdict as DATA (the bytes checked are the
//! bytes relayed), then the same pipeline as SMTP (`sendas_relay::Submitter`:
//! limits, relay, outcome, the audit's texts), audited with channel `http`.

use super::body::{SendBody, SentView};
use super::compose::{Parts, compose};
use super::error::SendError;
use crate::state::AppState;
use sendas_core::limiter::Demand;
use sendas_core::model::{AuditChannel, AuditCredential, Mailbox, Template};
use sendas_core::policy::template_offered;
use sendas_core::render::{Rendered, render};
use sendas_core::service::permissions::{PermissionSnapshot, snapshot};
use sendas_core::{EmailAddress, MailboxId, ServiceError, StoreError, TenantId, UserId};
use sendas_message::data::{DataLimits, read_whole};
use sendas_message::limits::{MAX_HEADER_SIZE, MAX_LINE, MAX_MESSAGE_SIZE, MAX_RECIPIENTS};
use sendas_message::reply::Reply;
use sendas_message::verdict::{Verdict, decide};
use sendas_relay::audit::AuditDraft;
use sendas_relay::{Envelope, NotSent, Outcome, RelayError};

/// Sends `body` as user `user` of tenant `tenant`. A sender the user may
/// not use is audited too (`rejected`, 550 5.7.1), as on SMTP.
/// `credential` is the API token the request authenticated with (for the audit record).
pub async fn send(
    s: &AppState,
    tenant: TenantId,
    user: UserId,
    credential: Option<AuditCredential>,
    body: &SendBody,
) -> Result<SentView, SendError> {
    let draft = AuditDraft {
        tenant,
        user,
        credential,
        channel: AuditChannel::Http,
        mailbox: None,
        envelope_sender: None,
        recipients: 0,
        message_id: None,
        size: 0,
    };
    let result = send_checked(s, &draft, body).await;
    if let Err(SendError::SenderNotAllowed(why)) = &result {
        let refused = Reply::new(550, "5.7.1", why.clone());
        s.audit.record(draft.answered(&refused, None)).await;
    }
    result
}

async fn send_checked(s: &AppState, draft: &AuditDraft, body: &SendBody) -> Result<SentView, SendError> {
    let (tenant, user) = (draft.tenant, draft.user);
    let snap = snapshot(s.store.as_ref(), tenant, user).await?;
    let template = match body.template_id {
        Some(id) => Some(offered_template(s, &snap, id).await?),
        None => None,
    };
    let rendered = match &template {
        Some(t) => render(t, &body.variables).map_err(ServiceError::from)?,
        None => plain(body)?,
    };
    let from_id = body.from_mailbox_id.or(template.as_ref().and_then(|t| t.from_mailbox));
    let from_id =
        from_id.ok_or_else(|| ServiceError::invalid("from_mailbox_id", "required (the template has no preset)"))?;
    let from = usable(&snap.usable.from, from_id, "From")?;
    let reply_id = body.reply_to_mailbox_id.or(template.as_ref().and_then(|t| t.reply_to_mailbox));
    let reply_to = reply_id.map(|id| usable(&snap.usable.reply_to, id, "Reply-To")).transpose()?;
    let (to, cc, bcc) = (recipients("to", &body.to)?, recipients("cc", &body.cc)?, recipients("bcc", &body.bcc)?);
    let all: Vec<EmailAddress> = to.iter().chain(&cc).chain(&bcc).cloned().collect();
    if all.is_empty() || all.len() > MAX_RECIPIENTS {
        return Err(ServiceError::invalid("to", format!("1..={MAX_RECIPIENTS} recipients in to, cc and bcc")).into());
    }
    let composed = compose(&Parts {
        from,
        reply_to,
        to: &to,
        cc: &cc,
        bcc: &bcc,
        subject: &rendered.subject,
        text: &rendered.text,
        html: rendered.html.as_deref(),
        attachments: &body.attachments,
        executables_allowed: snap.tenant.allow_executable_attachments,
    })?;

    let mut draft = AuditDraft {
        mailbox: Some(from.into()),
        envelope_sender: Some(from.address.to_string()),
        recipients: all.len() as u32,
        message_id: Some(composed.message_id.clone()),
        ..draft.clone()
    };
    let received = read_whole(&composed.bytes, DataLimits { max_size: MAX_MESSAGE_SIZE, max_line: MAX_LINE });
    draft.size = received.size as u64;
    let mailbox = match decide(&received, Some(&from.address), &snap.usable, MAX_HEADER_SIZE, MAX_LINE) {
        Verdict::Relay { mailbox, .. } => mailbox,
        Verdict::Reject { reply, .. } => {
            s.audit.record(draft.answered(&reply, None)).await;
            return Err(SendError::Refused(reply));
        }
    };
    // The same limits as SMTP, counted by the same shared counters.
    let demand = Demand::new(&snap.tenant, &snap.user, Some(mailbox), all.len());
    if let Some(limit) = s.limiter.never_fits(&demand) {
        // More recipients than a limit allows in a whole window: retrying cannot help.
        let why = format!("{} recipients are more than {} allows", all.len(), limit.describe());
        return Err(ServiceError::invalid("to", why).into());
    }
    let envelope = Envelope { from: mailbox.address.clone(), to: all.iter().map(|a| a.to_string()).collect() };
    let outcome = s.submitter().submit(&demand, mailbox, &envelope, &received.message).await;
    draft.mailbox = Some(mailbox.into());
    s.audit.record(draft.submitted(&outcome)).await;
    match outcome {
        Outcome::Delivered { upstream_reply } => Ok(SentView {
            message_id: composed.message_id.clone(),
            from_mailbox_id: mailbox.id,
            upstream_reply,
            recipients: all.len() as u32,
        }),
        Outcome::NotSent(NotSent::Limit(reached)) => Err(SendError::Limited(reached)),
        Outcome::NotSent(NotSent::LimitsUnavailable(_)) => Err(SendError::LimitsUnavailable),
        Outcome::NotSent(NotSent::Upstream(why)) => Err(SendError::Relay(RelayError::Temporary(why))),
        Outcome::NotSent(NotSent::LoginRefused(why)) => Err(SendError::Relay(RelayError::LoginRefused(why))),
        Outcome::Refused { code, text } => Err(SendError::Relay(RelayError::Permanent { code, text })),
        Outcome::Uncertain(why) => Err(SendError::Relay(RelayError::Uncertain(why))),
    }
}

/// The template if it is offered to the user; a preset the user may not use is `403 sender_not_allowed`.
async fn offered_template(
    s: &AppState,
    snap: &PermissionSnapshot,
    id: sendas_core::TemplateId,
) -> Result<Template, SendError> {
    let template = s.store.get_template(snap.tenant.id, id).await.map_err(|e| match e {
        StoreError::NotFound => ServiceError::invalid("template_id", "no such template"),
        other => other.into(),
    })?;
    if template_offered(&template, &snap.user, &snap.usable) {
        return Ok(template);
    }
    let no_presets = Template { from_mailbox: None, reply_to_mailbox: None, ..template.clone() };
    if template_offered(&no_presets, &snap.user, &snap.usable) {
        return Err(SendError::SenderNotAllowed("the template's preset mailbox is not one you may use".into()));
    }
    Err(ServiceError::invalid("template_id", "this template is not offered to you").into())
}

/// A message without a template: subject and bodies as given.
fn plain(body: &SendBody) -> Result<Rendered, ServiceError> {
    let subject =
        body.subject.clone().ok_or_else(|| ServiceError::invalid("subject", "required without a template"))?;
    sendas_core::render::check_subject(&subject)?;
    let text =
        body.text_body.clone().ok_or_else(|| ServiceError::invalid("text_body", "required without a template"))?;
    Ok(Rendered { subject, text, html: body.html_body.clone() })
}

/// The mailbox `id` among the user's usable ones, else `403 sender_not_allowed`.
fn usable<'a>(list: &'a [Mailbox], id: MailboxId, usage: &str) -> Result<&'a Mailbox, SendError> {
    list.iter()
        .find(|m| m.id == id)
        .ok_or_else(|| SendError::SenderNotAllowed(format!("{usage}: not a mailbox you may use there")))
}

fn recipients(field: &'static str, list: &[String]) -> Result<Vec<EmailAddress>, ServiceError> {
    list.iter()
        .enumerate()
        .map(|(i, a)| EmailAddress::parse(a).map_err(|e| ServiceError::invalid(field, format!("{field}[{i}]: {e}"))))
        .collect()
}

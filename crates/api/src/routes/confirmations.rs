//! Confirming a single address (served by the `mailboxes` function, which
//! may reach the system relay): the admin asks for a code for one
//! mailbox's address, sendas mails it from the platform's sender through
//! the system relay, and the admin enters it. The code is in no response.

use crate::dto::*;
use crate::extract::{Body, Caller, Ids};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use sendas_core::model::AddressConfirmation;
use sendas_core::service::confirmations::{self, CodeToSend};
use sendas_core::service::mailboxes;
use sendas_core::{MailboxId, ServiceError, TenantId, Timestamp};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_confirmation, request_code)).routes(routes!(enter_code))
}

fn view(c: AddressConfirmation, now: Timestamp) -> ConfirmationView {
    let waiting = c.code_hash.is_some() && c.code_expires_at.is_some_and(|t| t.millis() > now.millis());
    ConfirmationView {
        address: c.address.to_string(),
        confirmed_at: c.confirmed_at.map(time),
        code_expires_at: if waiting { c.code_expires_at.map(time) } else { None },
        tries_left: if waiting { confirmations::MAX_TRIES.saturating_sub(c.failed_tries) } else { 0 },
        codes_sent_today: c.sent.iter().filter(|t| now.millis() - t.millis() < 24 * 3_600_000).count() as u32,
    }
}

/// Reads the confirmation of the mailbox's address.
#[utoipa::path(get, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/confirmation", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 200, body = ConfirmationView), (status = "4XX", body = Problem)))]
async fn get_confirmation(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<Json<ConfirmationView>> {
    let found = confirmations::of_mailbox(s.store.as_ref(), &c, t, id).await?;
    Ok(Json(view(found.ok_or(ApiError(ServiceError::NotFound))?, Timestamp::now())))
}

/// Mails a new code to the mailbox's address (a new code voids the old;
/// at most 3 per address and 20 per tenant a day: `429 too_many_codes`).
#[utoipa::path(post, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/confirmation", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 202, body = ConfirmationView), (status = "4XX", body = Problem)))]
async fn request_code(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<(StatusCode, Json<ConfirmationView>)> {
    let now = Timestamp::now();
    let (record, code) = confirmations::request(s.store.as_ref(), &c, t, id, now).await?;
    mail_code(&s, t, &code).await?;
    Ok((StatusCode::ACCEPTED, Json(view(record, now))))
}

/// Enters the code: the right one confirms the address (for this tenant, as normalised).
#[utoipa::path(post, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/confirmation/code", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    request_body = CodeBody, responses((status = 200, body = ConfirmationView), (status = "4XX", body = Problem)))]
async fn enter_code(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Body(b): Body<CodeBody>,
) -> ApiResult<Json<ConfirmationView>> {
    let now = Timestamp::now();
    Ok(Json(view(confirmations::confirm(s.store.as_ref(), &c, t, id, &b.code, now).await?, now)))
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no auto-reply to a code.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// Mails the code through the system relay, as the tenant's system mailbox's route (no login of the tenant's).
async fn mail_code(s: &AppState, t: TenantId, code: &CodeToSend) -> ApiResult<()> {
    let (subject, body) = confirmations::message_text(&code.code);
    let unavailable = |e: String| ApiError(ServiceError::Unavailable(e));
    let address = |a: &sendas_core::EmailAddress| {
        a.as_str().parse::<lettre::Address>().map_err(|e| ApiError(ServiceError::Internal(e.to_string())))
    };
    let message = lettre::Message::builder()
        .from(lettre::message::Mailbox::new(Some("sendas".into()), address(&code.from)?))
        .to(lettre::message::Mailbox::new(None, address(&code.to)?))
        .subject(subject)
        .date_now()
        .header(AutoSubmitted)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| ApiError(ServiceError::Internal(e.to_string())))?;
    let system = mailboxes::all_mailboxes(s.store.as_ref(), t)
        .await
        .map_err(|e| ApiError(e.into()))?
        .into_iter()
        .find(|m| m.system)
        .ok_or(ApiError(ServiceError::NotFound))?;
    let sender = sendas_core::model::Mailbox { address: code.from.clone(), smtp: None, ..system };
    let envelope = sendas_relay::Envelope { from: code.from.clone(), to: vec![code.to.to_string()] };
    s.relay
        .relay(&sender, &envelope, &message.formatted())
        .await
        .map_err(|e| unavailable(format!("the code was not sent: {e:?}")))?;
    Ok(())
}

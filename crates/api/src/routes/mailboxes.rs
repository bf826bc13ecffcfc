//! Area `mailboxes` (admin of a tenant): mailboxes, their password and
//! access lists, `verify`, and the audit log.

use super::created;
use crate::dto::*;
use crate::extract::{Body, Caller, Ids, Params};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::verify::VerifyReport;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::model::{AuditFilter, MailboxFlags, MailboxScope, SmtpSettings};
use sendas_core::ports::SecretRef;
use sendas_core::service::{audit, mailboxes};
use sendas_core::{MailboxId, TenantId, Timestamp};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mailboxes, create_mailbox))
        .routes(routes!(get_mailbox, update_mailbox, delete_mailbox))
        .routes(routes!(set_password))
        .routes(routes!(set_access))
        .routes(routes!(verify_mailbox))
        .routes(routes!(list_audit))
}

fn input(b: MailboxBody, restricted: bool) -> ApiResult<mailboxes::MailboxInput> {
    let scope = match (b.global, b.company_id) {
        (true, None) => MailboxScope::Global,
        (false, Some(c)) => MailboxScope::Company(c),
        (true, Some(_)) => return Err(ApiError::invalid("company_id", "a global mailbox has no company")),
        (false, None) => return Err(ApiError::invalid("company_id", "required when the mailbox is not global")),
    };
    let smtp = match b.smtp {
        Some(v) => Some(
            SmtpSettings::new(&v.host, v.port, v.tls.into(), &v.username)
                .map_err(|e| ApiError::invalid(e.field, e.reason))?,
        ),
        None => None,
    };
    Ok(mailboxes::MailboxInput {
        address: b.address,
        display_name: b.display_name,
        scope,
        flags: MailboxFlags { sender: b.sender, reply: b.reply, restricted, enabled: b.enabled },
        smtp,
    })
}

/// Lists mailboxes.
#[utoipa::path(get, path = "/tenants/{tenant_id}/mailboxes", tag = "mailboxes", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), Paging),
    responses((status = 200, body = List<MailboxView>), (status = "4XX", body = Problem)))]
async fn list_mailboxes(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<MailboxView>>> {
    let page = mailboxes::list(s.store.as_ref(), &c, t, &p.request()?).await?;
    Ok(Json(List::from_page(page, MailboxView::from)))
}

/// Creates a mailbox within the tenant's quota (`409 quota_exceeded` beyond it).
#[utoipa::path(post, path = "/tenants/{tenant_id}/mailboxes", tag = "mailboxes", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path)), request_body = MailboxBody,
    responses((status = 201, body = MailboxView), (status = "4XX", body = Problem)))]
async fn create_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<MailboxBody>,
) -> ApiResult<(StatusCode, Json<MailboxView>)> {
    sendas_core::service::require_admin(&c, t)?;
    Ok(created(mailboxes::create(s.store.as_ref(), &c, t, input(b, false)?).await?.into()))
}

/// Reads a mailbox.
#[utoipa::path(get, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn get_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<Json<MailboxView>> {
    Ok(Json(mailboxes::get(s.store.as_ref(), &c, t, id).await?.into()))
}

/// Replaces a mailbox's address, name, scope, flags and SMTP settings
/// (`restricted` and the access list are set at `/access`, the password at `/password`).
#[utoipa::path(put, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    request_body = MailboxBody, responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn update_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Body(b): Body<MailboxBody>,
) -> ApiResult<Json<MailboxView>> {
    let current = mailboxes::get(s.store.as_ref(), &c, t, id).await?;
    let updated = mailboxes::update(s.store.as_ref(), &c, t, id, input(b, current.flags.restricted)?).await?;
    Ok(Json(updated.into()))
}

/// Deletes a mailbox and its stored password (never the system mailbox).
#[utoipa::path(delete, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<StatusCode> {
    mailboxes::delete(s.store.as_ref(), s.secrets.as_ref(), &c, t, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the write-only SMTP password of an authenticated mailbox.
#[utoipa::path(put, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/password", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    request_body = PasswordBody, responses((status = 204), (status = "4XX", body = Problem)))]
async fn set_password(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Body(b): Body<PasswordBody>,
) -> ApiResult<StatusCode> {
    mailboxes::set_password(s.store.as_ref(), s.secrets.as_ref(), &c, t, id, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets `restricted` and the users and groups who may use the mailbox.
#[utoipa::path(put, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/access", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    request_body = AccessBody, responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn set_access(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Body(b): Body<AccessBody>,
) -> ApiResult<Json<MailboxView>> {
    let m = mailboxes::set_access(s.store.as_ref(), &c, t, id, b.restricted, b.users, b.groups).await?;
    Ok(Json(m.into()))
}

/// Logs in to the mailbox's SMTP server (connect, TLS, AUTH, QUIT) and reports the outcome.
#[utoipa::path(post, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/verify", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 200, body = VerifyReport), (status = "4XX", body = Problem)))]
async fn verify_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<Json<VerifyReport>> {
    let mailbox = mailboxes::get(s.store.as_ref(), &c, t, id).await?;
    let Some(settings) = mailbox.smtp else {
        return Err(ApiError::invalid("smtp", "the mailbox has no SMTP settings (not authenticated)"));
    };
    let password = s.secrets.get_secret(&SecretRef::mailbox(t, id)).await.map_err(|e| ApiError(e.into()))?;
    let Some(password) = password else {
        return Err(ApiError::invalid("password", "no password is set for this mailbox"));
    };
    Ok(Json(s.verifier.verify(&settings, &password).await))
}

/// Reads the audit log, newest first, filtered by time and mailbox.
#[utoipa::path(get, path = "/tenants/{tenant_id}/audit", tag = "mailboxes", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), AuditQuery),
    responses((status = 200, body = List<AuditView>), (status = "4XX", body = Problem)))]
async fn list_audit(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(q): Params<AuditQuery>,
) -> ApiResult<Json<List<AuditView>>> {
    let time = |field: &'static str, v: Option<String>| -> ApiResult<Option<Timestamp>> {
        v.map(|v| Timestamp::parse_rfc3339(&v).ok_or_else(|| ApiError::invalid(field, "not an RFC 3339 time")))
            .transpose()
    };
    let mailbox_id = q
        .mailbox_id
        .map(|m| MailboxId::parse(&m).map_err(|_| ApiError::invalid("mailbox_id", "not a mailbox id")))
        .transpose()?;
    let filter = AuditFilter { from: time("from", q.from)?, to: time("to", q.to)?, mailbox_id };
    let page = page_request(q.limit, q.after.as_deref())?;
    let records = audit::query(s.store.as_ref(), &c, t, &filter, &page).await?;
    Ok(Json(List::from_page(records, AuditView::from)))
}

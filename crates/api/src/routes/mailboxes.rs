//! Area `mailboxes` (admin of a tenant): mailboxes, their login secrets
//! (write-only) and access lists, their health, `verify`, and the audit log.

use super::created;
use crate::dto::*;
use crate::etag::{Precondition, Tagged};
use crate::extract::{Body, Caller, Ids, Params};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::verify::VerifyReport;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::model::{AuditFilter, AuditOutcome, LoginMethod, Mailbox, MailboxFlags, MailboxScope, SmtpSettings};
use sendas_core::secret::SecretString;
use sendas_core::service::{audit, mailboxes};
use sendas_core::{MailboxId, TenantId, Timestamp};
use sendas_relay::{LoginSecret, ServiceAccountKey};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mailboxes, create_mailbox))
        .routes(routes!(get_mailbox, update_mailbox, delete_mailbox))
        .routes(routes!(set_password))
        .routes(routes!(set_credentials))
        .routes(routes!(set_access))
        .routes(routes!(verify_mailbox))
        .routes(routes!(list_audit))
}

/// The service's input from a body; fields the body leaves out keep `current`'s values.
fn input(b: MailboxBody, current: Option<&Mailbox>) -> ApiResult<mailboxes::MailboxInput> {
    let restricted = current.is_some_and(|m| m.flags.restricted);
    let scope = match (b.global, b.company_id) {
        (true, None) => MailboxScope::Global,
        (false, Some(c)) => MailboxScope::Company(c),
        (true, Some(_)) => return Err(ApiError::invalid("company_id", "a global mailbox has no company")),
        (false, None) => return Err(ApiError::invalid("company_id", "required when the mailbox is not global")),
    };
    let smtp = match b.smtp {
        Some(v) => {
            let login = v.login.to_method().map_err(|(field, reason)| ApiError::invalid(field, reason))?;
            Some(
                SmtpSettings::new(&v.host, v.port, v.tls.into(), &v.username)
                    .and_then(|s| s.with_login(login))
                    .map_err(|e| ApiError::invalid(e.field, e.reason))?,
            )
        }
        None => None,
    };
    Ok(mailboxes::MailboxInput {
        address: b.address,
        display_name: b.display_name,
        scope,
        flags: MailboxFlags { sender: b.sender, reply: b.reply, restricted, enabled: b.enabled },
        smtp,
        limits: b.limits.map(Into::into).or(current.map(|m| m.limits)).unwrap_or_default(),
        display_name_policy: b
            .display_name_policy
            .map(Into::into)
            .or(current.map(|m| m.display_name_policy))
            .unwrap_or_default(),
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
    let facts = Facts::load(&s, t).await?;
    Ok(Json(List::from_page(page, |m| facts.view(m))))
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
    let m = mailboxes::create(s.store.as_ref(), &c, t, input(b, None)?).await?;
    Ok(created(Facts::load(&s, t).await?.view(m)))
}

/// Reads a mailbox.
#[utoipa::path(get, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn get_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<Tagged<Json<MailboxView>>> {
    let mailbox = mailboxes::get(s.store.as_ref(), &c, t, id).await?;
    Ok(tagged(mailbox, &Facts::load(&s, t).await?))
}

/// The view of `m` with its facts and its `ETag`.
fn tagged(m: Mailbox, facts: &Facts) -> Tagged<Json<MailboxView>> {
    Tagged(m.version, Json(facts.view(m)))
}

/// What a mailbox view shows besides the mailbox: the tenant's mailbox
/// health and rule 0's facts (why an address is or is not owned).
pub(crate) struct Facts {
    health: std::collections::HashMap<MailboxId, sendas_core::model::MailboxHealth>,
    book: sendas_core::policy::OwnershipBook,
}

impl Facts {
    /// Loads them for tenant `t` (two reads and the ownership book's, in parallel).
    pub(crate) async fn load(s: &AppState, t: TenantId) -> ApiResult<Facts> {
        let (health, book) =
            futures::join!(s.store.list_mailbox_health(t), sendas_core::service::ownership::book(s.store.as_ref(), t));
        let health = health.map_err(|e| ApiError(e.into()))?;
        let book = book.map_err(|e| ApiError(e.into()))?;
        Ok(Facts { health: health.into_iter().map(|h| (h.mailbox_id, h)).collect(), book })
    }

    /// The view of `m` with its health (authenticated mailboxes only) and ownership.
    pub(crate) fn view(&self, m: Mailbox) -> MailboxView {
        let h = self.health.get(&m.id).filter(|_| m.authenticated()).cloned();
        let ownership = self.book.of(&m);
        let mut view = MailboxView::from(m);
        view.health = h.map(HealthView::from);
        view.ownership = ownership.into();
        view
    }
}

/// Replaces a mailbox's address, name, scope, flags and SMTP settings
/// (`restricted` and the access list are set at `/access`, the password at `/password`).
#[utoipa::path(put, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag this edit was made from: 412 if it is no longer current")),
    request_body = MailboxBody, responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn update_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Precondition(p): Precondition,
    Body(b): Body<MailboxBody>,
) -> ApiResult<Tagged<Json<MailboxView>>> {
    let current = mailboxes::get(s.store.as_ref(), &c, t, id).await?;
    let updated =
        mailboxes::update(s.store.as_ref(), s.secrets.as_ref(), &c, t, id, input(b, Some(&current))?, &p).await?;
    Ok(tagged(updated, &Facts::load(&s, t).await?))
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

/// Sets the write-only secrets of an authenticated mailbox's login: the
/// fields its login method needs (see `CredentialsBody`), no others.
#[utoipa::path(put, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/credentials", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    request_body = CredentialsBody, responses((status = 204), (status = "4XX", body = Problem)))]
async fn set_credentials(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Body(b): Body<CredentialsBody>,
) -> ApiResult<StatusCode> {
    if let Some(password) = only_password(&b) {
        mailboxes::set_password(s.store.as_ref(), s.secrets.as_ref(), &c, t, id, password).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    mailboxes::set_login_secret(s.store.as_ref(), s.secrets.as_ref(), &c, t, id, |settings| {
        login_secret(settings.login(), b).map(|secret| secret.encode())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The password of a body that holds nothing else.
fn only_password(b: &CredentialsBody) -> Option<&SecretString> {
    let others = b.client_secret.is_some() || b.refresh_token.is_some() || b.service_account_key.is_some();
    b.password.as_ref().filter(|_| !others)
}

/// The login secret from the body's fields, checked against `method`: only
/// the fields the method uses, and those it needs.
fn login_secret(method: &LoginMethod, b: CredentialsBody) -> Result<LoginSecret, sendas_core::ServiceError> {
    use sendas_core::ServiceError;
    use sendas_core::secret::ExposeSecret;
    let uses: &[&str] = match method {
        LoginMethod::Password => &["password"],
        LoginMethod::OAuth2ClientCredentials { .. } => &["client_secret"],
        LoginMethod::OAuth2RefreshToken { .. } => &["client_secret", "refresh_token"],
        LoginMethod::GoogleServiceAccount { .. } => &["service_account_key"],
    };
    let given = [
        ("password", b.password.is_some()),
        ("client_secret", b.client_secret.is_some()),
        ("refresh_token", b.refresh_token.is_some()),
        ("service_account_key", b.service_account_key.is_some()),
    ];
    if let Some((field, _)) = given.iter().find(|(field, given)| *given && !uses.contains(field)) {
        return Err(ServiceError::invalid(field, format!("not used by the {} login method", method.name())));
    }
    let missing =
        |field: &'static str| ServiceError::invalid(field, format!("required by the {} login method", method.name()));
    let text = |field: &'static str, v: Option<SecretString>| -> Result<SecretString, ServiceError> {
        match v {
            Some(v) if !v.expose_secret().is_empty() && v.expose_secret().len() <= 8192 => Ok(v),
            Some(_) => Err(ServiceError::invalid(field, "1..=8192 characters")),
            None => Err(missing(field)),
        }
    };
    match method {
        // A password alone goes through `mailboxes::set_password` (its own checks).
        LoginMethod::Password => Err(missing("password")),
        LoginMethod::OAuth2ClientCredentials { .. } => {
            Ok(LoginSecret::ClientSecret(text("client_secret", b.client_secret)?))
        }
        LoginMethod::OAuth2RefreshToken { .. } => {
            let client_secret = b.client_secret.map(|c| text("client_secret", Some(c))).transpose()?;
            Ok(LoginSecret::RefreshToken { client_secret, refresh_token: text("refresh_token", b.refresh_token)? })
        }
        LoginMethod::GoogleServiceAccount { .. } => {
            let key = b.service_account_key.ok_or_else(|| missing("service_account_key"))?;
            let key = ServiceAccountKey::parse(key.text().expose_secret())
                .map_err(|why| ServiceError::invalid("service_account_key", why))?;
            Ok(LoginSecret::ServiceAccount(key))
        }
    }
}

/// Sets `restricted` and the users and groups who may use the mailbox.
#[utoipa::path(put, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/access", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag this edit was made from: 412 if it is no longer current")),
    request_body = AccessBody, responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn set_access(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
    Precondition(p): Precondition,
    Body(b): Body<AccessBody>,
) -> ApiResult<Tagged<Json<MailboxView>>> {
    let m = mailboxes::set_access(s.store.as_ref(), &c, t, id, b.restricted, b.users, b.groups, &p).await?;
    Ok(tagged(m, &Facts::load(&s, t).await?))
}

/// Logs in to the mailbox's SMTP server (connect, TLS, token, AUTH, QUIT)
/// with its login method, reports the stage it got to, and records the
/// outcome as the mailbox's health.
#[utoipa::path(post, path = "/tenants/{tenant_id}/mailboxes/{mailbox_id}/verify", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("mailbox_id" = String, Path)),
    responses((status = 200, body = VerifyReport), (status = "4XX", body = Problem)))]
async fn verify_mailbox(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, MailboxId)>,
) -> ApiResult<Json<VerifyReport>> {
    let mailbox = mailboxes::get(s.store.as_ref(), &c, t, id).await?;
    let Some(settings) = &mailbox.smtp else {
        return Err(ApiError::invalid("smtp", "the mailbox has no SMTP settings (not authenticated)"));
    };
    if !settings.password_set {
        return Err(ApiError::invalid("credentials", "no secret is set for this mailbox's login"));
    }
    match VerifyReport::from_verified(s.verifier.verify(&mailbox).await) {
        Some(report) => Ok(Json(report)),
        None => Err(ApiError(sendas_core::StoreError::Unavailable("the secret store".into()).into())),
    }
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
    let user_id = q
        .user_id
        .map(|u| sendas_core::UserId::parse(&u).map_err(|_| ApiError::invalid("user_id", "not a user id")))
        .transpose()?;
    let outcome = match q.outcome.as_deref() {
        None => None,
        Some("accepted") => Some(AuditOutcome::Accepted),
        Some("rejected") => Some(AuditOutcome::Rejected),
        Some("deferred") => Some(AuditOutcome::Deferred),
        Some("uncertain") => Some(AuditOutcome::Uncertain),
        Some(_) => return Err(ApiError::invalid("outcome", "accepted, rejected, deferred or uncertain")),
    };
    let filter = AuditFilter { from: time("from", q.from)?, to: time("to", q.to)?, mailbox_id, user_id, outcome };
    let page = page_request(q.limit, q.after.as_deref())?;
    let records = audit::query(s.store.as_ref(), &c, t, &filter, &page).await?;
    Ok(Json(List::from_page(records, AuditView::from)))
}

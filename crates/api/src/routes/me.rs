//! Area `me` (user tokens): the user itself, its two dropdowns and its
//! own SMTP credentials; and, for any token, what the token itself is
//! (`/token`: a client such as the web app learns its role and tenant).

use super::created;
use super::directory::issue_credential;
use crate::dto::*;
use crate::extract::{Body, Caller, Ids};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::CredentialId;
use sendas_core::service::{credentials, directory, permissions, require_user, templates};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_token))
        .routes(routes!(get_me))
        .routes(routes!(my_mailboxes))
        .routes(routes!(my_credentials, create_my_credential))
        .routes(routes!(revoke_my_credential))
        .routes(routes!(my_templates))
}

/// The token itself: its role, and the tenant and user it is bound to (any token).
#[utoipa::path(get, path = "/token", tag = "me", security(("bearer" = ["operator", "admin", "user"])),
    responses((status = 200, body = WhoAmI), (status = "4XX", body = Problem)))]
async fn get_token(Caller(c): Caller) -> Json<WhoAmI> {
    Json(WhoAmI::of(&c))
}

/// The user of the token, with its tenant.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = ["user"])),
    responses((status = 200, body = MeView), (status = "4XX", body = Problem)))]
async fn get_me(State(s): State<AppState>, Caller(c): Caller) -> ApiResult<Json<MeView>> {
    let (t, u) = require_user(&c)?;
    let user = directory::get_user(s.store.as_ref(), &c, t, u).await?;
    let tenant = s.store.get_tenant(t).await.map_err(|e| crate::problem::ApiError(e.into()))?;
    Ok(Json(MeView { user: user.into(), tenant: tenant.into() }))
}

/// The two dropdowns: mailboxes usable as From and as Reply-To.
#[utoipa::path(get, path = "/me/mailboxes", tag = "me", security(("bearer" = ["user"])),
    responses((status = 200, body = Dropdowns), (status = "4XX", body = Problem)))]
async fn my_mailboxes(State(s): State<AppState>, Caller(c): Caller) -> ApiResult<Json<Dropdowns>> {
    let (t, u) = require_user(&c)?;
    Ok(Json(permissions::usable_by(s.store.as_ref(), &c, t, u).await?.into()))
}

/// The user's own app passwords (without the passwords).
#[utoipa::path(get, path = "/me/smtp-credentials", tag = "me", security(("bearer" = ["user"])),
    responses((status = 200, body = Vec<CredentialView>), (status = "4XX", body = Problem)))]
async fn my_credentials(State(s): State<AppState>, Caller(c): Caller) -> ApiResult<Json<Vec<CredentialView>>> {
    let (t, u) = require_user(&c)?;
    let list = credentials::list(s.store.as_ref(), &c, t, u).await?;
    Ok(Json(list.into_iter().map(CredentialView::from).collect()))
}

/// Issues an app password for the user itself (shown once).
#[utoipa::path(post, path = "/me/smtp-credentials", tag = "me", security(("bearer" = ["user"])),
    request_body = NameBody, responses((status = 201, body = CredentialIssued), (status = "4XX", body = Problem)))]
async fn create_my_credential(
    State(s): State<AppState>,
    Caller(c): Caller,
    Body(b): Body<NameBody>,
) -> ApiResult<(StatusCode, Json<CredentialIssued>)> {
    let (t, u) = require_user(&c)?;
    Ok(created(issue_credential(&s, &c, t, u, &b.name).await?))
}

/// Revokes one of the user's own app passwords.
#[utoipa::path(delete, path = "/me/smtp-credentials/{credential_id}", tag = "me", security(("bearer" = ["user"])),
    params(("credential_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn revoke_my_credential(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(id): Ids<CredentialId>,
) -> ApiResult<StatusCode> {
    let (t, u) = require_user(&c)?;
    credentials::revoke(s.store.as_ref(), &c, t, u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The templates offered to the user: enabled, of its tenant (global or of
/// one of its companies), whose preset From and Reply-To are in its dropdowns.
#[utoipa::path(get, path = "/me/templates", tag = "me", security(("bearer" = ["user"])),
    responses((status = 200, body = Vec<TemplateView>), (status = "4XX", body = Problem)))]
async fn my_templates(State(s): State<AppState>, Caller(c): Caller) -> ApiResult<Json<Vec<TemplateView>>> {
    let (t, u) = require_user(&c)?;
    let offered = templates::offered_to(s.store.as_ref(), &c, t, u).await?;
    Ok(Json(offered.into_iter().map(TemplateView::from).collect()))
}

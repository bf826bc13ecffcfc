//! Area `directory` (admin of a tenant): companies, users, groups and
//! members, API tokens, users' SMTP credentials and dropdowns.

use super::created;
use crate::dto::*;
use crate::etag::{Precondition, Tagged};
use crate::extract::{Body, Caller, Ids, Params};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::model::Role;
use sendas_core::service::{credentials, directory, permissions, tokens};
use sendas_core::{CompanyId, CredentialId, GroupId, TenantId, TokenId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_companies, create_company))
        .routes(routes!(get_company, update_company))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(user_mailboxes))
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(revoke_credential))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(list_members))
        .routes(routes!(add_member, remove_member))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .merge(super::templates::routes())
}

/// Lists companies.
#[utoipa::path(get, path = "/tenants/{tenant_id}/companies", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), Paging),
    responses((status = 200, body = List<CompanyView>), (status = "4XX", body = Problem)))]
async fn list_companies(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<CompanyView>>> {
    let page = directory::list_companies(s.store.as_ref(), &c, t, &p.request()?).await?;
    Ok(Json(List::from_page(page, CompanyView::from)))
}

/// Creates a company.
#[utoipa::path(post, path = "/tenants/{tenant_id}/companies", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path)), request_body = NameBody,
    responses((status = 201, body = CompanyView), (status = "4XX", body = Problem)))]
async fn create_company(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<NameBody>,
) -> ApiResult<(StatusCode, Json<CompanyView>)> {
    Ok(created(directory::create_company(s.store.as_ref(), &c, t, &b.name).await?.into()))
}

/// Reads a company.
#[utoipa::path(get, path = "/tenants/{tenant_id}/companies/{company_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("company_id" = String, Path)),
    responses((status = 200, body = CompanyView), (status = "4XX", body = Problem)))]
async fn get_company(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, CompanyId)>,
) -> ApiResult<Json<CompanyView>> {
    Ok(Json(directory::get_company(s.store.as_ref(), &c, t, id).await?.into()))
}

/// Renames a company.
#[utoipa::path(patch, path = "/tenants/{tenant_id}/companies/{company_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("company_id" = String, Path)),
    request_body = NameBody, responses((status = 200, body = CompanyView), (status = "4XX", body = Problem)))]
async fn update_company(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, CompanyId)>,
    Body(b): Body<NameBody>,
) -> ApiResult<Json<CompanyView>> {
    Ok(Json(directory::rename_company(s.store.as_ref(), &c, t, id, &b.name).await?.into()))
}

/// Lists users.
#[utoipa::path(get, path = "/tenants/{tenant_id}/users", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), Paging),
    responses((status = 200, body = List<UserView>), (status = "4XX", body = Problem)))]
async fn list_users(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<UserView>>> {
    let page = directory::list_users(s.store.as_ref(), &c, t, &p.request()?).await?;
    Ok(Json(List::from_page(page, UserView::from)))
}

/// Creates a user.
#[utoipa::path(post, path = "/tenants/{tenant_id}/users", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path)), request_body = NewUserBody,
    responses((status = 201, body = UserView), (status = "4XX", body = Problem)))]
async fn create_user(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let input = directory::CreateUser {
        login: b.login,
        name: b.name,
        companies: b.companies,
        groups: b.groups,
        limits: b.limits.into(),
    };
    Ok(created(directory::create_user(s.store.as_ref(), &c, t, input).await?.into()))
}

/// Reads a user (an admin, or the user itself).
#[utoipa::path(get, path = "/tenants/{tenant_id}/users/{user_id}", tag = "directory",
    security(("bearer" = ["admin", "self"])), params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = Problem)))]
async fn get_user(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, UserId)>,
) -> ApiResult<Tagged<Json<UserView>>> {
    Ok(tagged_user(directory::get_user(s.store.as_ref(), &c, t, id).await?))
}

/// A user's view with its `ETag`.
fn tagged_user(u: sendas_core::model::User) -> Tagged<Json<UserView>> {
    Tagged(u.version, Json(u.into()))
}

/// Enables or disables a user, or changes its name, companies, groups or sending limits.
#[utoipa::path(patch, path = "/tenants/{tenant_id}/users/{user_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("user_id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag this edit was made from: 412 if it is no longer current")),
    request_body = UserPatch, responses((status = 200, body = UserView), (status = "4XX", body = Problem)))]
async fn update_user(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, UserId)>,
    Precondition(p): Precondition,
    Body(b): Body<UserPatch>,
) -> ApiResult<Tagged<Json<UserView>>> {
    let change = directory::UpdateUser {
        name: b.name,
        enabled: b.enabled,
        companies: b.companies,
        groups: b.groups,
        limits: b.limits.map(Into::into),
    };
    Ok(tagged_user(directory::update_user(s.store.as_ref(), &c, t, id, change, &p).await?))
}

/// The mailboxes a user may use as From and as Reply-To.
#[utoipa::path(get, path = "/tenants/{tenant_id}/users/{user_id}/mailboxes", tag = "directory",
    security(("bearer" = ["admin", "self"])), params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Dropdowns), (status = "4XX", body = Problem)))]
async fn user_mailboxes(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, UserId)>,
) -> ApiResult<Json<Dropdowns>> {
    Ok(Json(permissions::usable_by(s.store.as_ref(), &c, t, id).await?.into()))
}

/// Lists a user's SMTP credentials (app passwords, without the passwords).
#[utoipa::path(get, path = "/tenants/{tenant_id}/users/{user_id}/smtp-credentials", tag = "directory",
    security(("bearer" = ["admin", "self"])), params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Vec<CredentialView>), (status = "4XX", body = Problem)))]
async fn list_credentials(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, UserId)>,
) -> ApiResult<Json<Vec<CredentialView>>> {
    let list = credentials::list(s.store.as_ref(), &c, t, id).await?;
    Ok(Json(list.into_iter().map(CredentialView::from).collect()))
}

/// Issues an app password for a user (shown once).
#[utoipa::path(post, path = "/tenants/{tenant_id}/users/{user_id}/smtp-credentials", tag = "directory",
    security(("bearer" = ["admin", "self"])), params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    request_body = NameBody, responses((status = 201, body = CredentialIssued), (status = "4XX", body = Problem)))]
async fn create_credential(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, UserId)>,
    Body(b): Body<NameBody>,
) -> ApiResult<(StatusCode, Json<CredentialIssued>)> {
    Ok(created(issue_credential(&s, &c, t, id, &b.name).await?))
}

/// Issues a credential and pairs it with the user's login (shared with `/me`).
pub(crate) async fn issue_credential(
    s: &AppState,
    c: &Role,
    t: TenantId,
    user: UserId,
    name: &str,
) -> ApiResult<CredentialIssued> {
    let issued = credentials::issue(s.store.as_ref(), c, t, user, name).await?;
    let login = s.store.get_user(t, user).await.map_err(|e| ApiError(e.into()))?.login;
    Ok(CredentialIssued { info: issued.credential.into(), username: login.to_string(), password: issued.password })
}

/// Revokes a user's app password.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/users/{user_id}/smtp-credentials/{credential_id}",
    tag = "directory", security(("bearer" = ["admin", "self"])),
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("credential_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn revoke_credential(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, u, id)): Ids<(TenantId, UserId, CredentialId)>,
) -> ApiResult<StatusCode> {
    credentials::revoke(s.store.as_ref(), &c, t, u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists groups.
#[utoipa::path(get, path = "/tenants/{tenant_id}/groups", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), Paging),
    responses((status = 200, body = List<GroupView>), (status = "4XX", body = Problem)))]
async fn list_groups(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<GroupView>>> {
    let page = directory::list_groups(s.store.as_ref(), &c, t, &p.request()?).await?;
    Ok(Json(List::from_page(page, GroupView::from)))
}

/// Creates a group.
#[utoipa::path(post, path = "/tenants/{tenant_id}/groups", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path)), request_body = NameBody,
    responses((status = 201, body = GroupView), (status = "4XX", body = Problem)))]
async fn create_group(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<NameBody>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    Ok(created(directory::create_group(s.store.as_ref(), &c, t, &b.name).await?.into()))
}

/// Reads a group.
#[utoipa::path(get, path = "/tenants/{tenant_id}/groups/{group_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("group_id" = String, Path)),
    responses((status = 200, body = GroupView), (status = "4XX", body = Problem)))]
async fn get_group(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, GroupId)>,
) -> ApiResult<Tagged<Json<GroupView>>> {
    let g = directory::get_group(s.store.as_ref(), &c, t, id).await?;
    Ok(Tagged(g.version, Json(g.into())))
}

/// Renames a group.
#[utoipa::path(patch, path = "/tenants/{tenant_id}/groups/{group_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("group_id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag this edit was made from: 412 if it is no longer current")),
    request_body = NameBody, responses((status = 200, body = GroupView), (status = "4XX", body = Problem)))]
async fn update_group(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, GroupId)>,
    Precondition(p): Precondition,
    Body(b): Body<NameBody>,
) -> ApiResult<Tagged<Json<GroupView>>> {
    let g = directory::rename_group(s.store.as_ref(), &c, t, id, &b.name, &p).await?;
    Ok(Tagged(g.version, Json(g.into())))
}

/// Deletes a group (and removes it from members and mailbox access lists).
#[utoipa::path(delete, path = "/tenants/{tenant_id}/groups/{group_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("group_id" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag this edit was made from: 412 if it is no longer current")),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_group(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, GroupId)>,
    Precondition(p): Precondition,
) -> ApiResult<StatusCode> {
    directory::delete_group(s.store.as_ref(), &c, t, id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the members of a group.
#[utoipa::path(get, path = "/tenants/{tenant_id}/groups/{group_id}/members", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("group_id" = String, Path)),
    responses((status = 200, body = Vec<UserView>), (status = "4XX", body = Problem)))]
async fn list_members(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, GroupId)>,
) -> ApiResult<Json<Vec<UserView>>> {
    let members = directory::group_members(s.store.as_ref(), &c, t, id).await?;
    Ok(Json(members.into_iter().map(UserView::from).collect()))
}

/// Adds a user to a group.
#[utoipa::path(put, path = "/tenants/{tenant_id}/groups/{group_id}/members/{user_id}", tag = "directory",
    security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), ("group_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = Problem)))]
async fn add_member(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, g, u)): Ids<(TenantId, GroupId, UserId)>,
) -> ApiResult<Tagged<Json<UserView>>> {
    Ok(tagged_user(directory::set_membership(s.store.as_ref(), &c, t, g, u, true).await?))
}

/// Removes a user from a group.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/groups/{group_id}/members/{user_id}", tag = "directory",
    security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), ("group_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = "4XX", body = Problem)))]
async fn remove_member(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, g, u)): Ids<(TenantId, GroupId, UserId)>,
) -> ApiResult<Tagged<Json<UserView>>> {
    Ok(tagged_user(directory::set_membership(s.store.as_ref(), &c, t, g, u, false).await?))
}

/// Lists the tenant's API tokens.
#[utoipa::path(get, path = "/tenants/{tenant_id}/tokens", tag = "directory",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path), Paging),
    responses((status = 200, body = List<TokenView>), (status = "4XX", body = Problem)))]
async fn list_tokens(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<TokenView>>> {
    let page = tokens::list(s.store.as_ref(), &c, Some(t), &p.request()?).await?;
    Ok(Json(List::from_page(page, TokenView::from)))
}

/// Issues an admin or user token of the tenant (shown once).
#[utoipa::path(post, path = "/tenants/{tenant_id}/tokens", tag = "directory",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path)), request_body = NewTokenBody,
    responses((status = 201, body = TokenIssued), (status = "4XX", body = Problem)))]
async fn create_token(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<TokenIssued>)> {
    let role = match (b.role, b.user_id) {
        (RoleName::Admin, None) => Role::Admin { tenant_id: t },
        (RoleName::User, Some(user_id)) => Role::User { tenant_id: t, user_id },
        (RoleName::User, None) => return Err(ApiError::invalid("user_id", "a user token needs user_id")),
        (RoleName::Admin, Some(_)) => return Err(ApiError::invalid("user_id", "only user tokens have a user_id")),
        (RoleName::Operator, _) => {
            return Err(ApiError::invalid("role", "operator tokens are issued at /v1/operator-tokens"));
        }
    };
    let issued = tokens::issue(s.store.as_ref(), &c, role, &b.name).await?;
    Ok(created(TokenIssued { info: issued.token.into(), token: issued.text }))
}

/// Revokes one of the tenant's API tokens.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/tokens/{token_id}", tag = "directory",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path), ("token_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn revoke_token(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, TokenId)>,
) -> ApiResult<StatusCode> {
    tokens::revoke_in(s.store.as_ref(), &c, Some(t), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

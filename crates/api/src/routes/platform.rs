//! Area `platform` (operator): tenants, quota, system relay, operator tokens.

use super::created;
use crate::dto::*;
use crate::extract::{Body, Caller, Ids, Params};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::model::{Role, SystemRelay};
use sendas_core::service::{domains, settings, tenants, tokens};
use sendas_core::{TenantId, Timestamp, TokenId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(get_system_relay, put_system_relay))
        .routes(routes!(list_operator_tokens, create_operator_token))
        .routes(routes!(revoke_operator_token))
        .routes(routes!(get_platform_domains, put_platform_domains))
        .routes(routes!(assign_domain))
        .routes(routes!(set_system_address))
        .routes(routes!(list_all_domains))
}

/// Reads the platform domains and the platform's sender.
#[utoipa::path(get, path = "/platform-domains", tag = "platform", security(("bearer" = ["operator"])),
    responses((status = 200, body = PlatformDomainsView), (status = "4XX", body = Problem)))]
async fn get_platform_domains(
    State(s): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<PlatformDomainsView>> {
    Ok(Json(domains::platform(s.store.as_ref(), &caller).await?.into()))
}

/// Sets the platform domains (only the operator places addresses in them,
/// or under them) and the platform's no-reply sender (in one of them).
#[utoipa::path(put, path = "/platform-domains", tag = "platform", security(("bearer" = ["operator"])),
    request_body = PlatformDomainsView,
    responses((status = 200, body = PlatformDomainsView), (status = "4XX", body = Problem)))]
async fn put_platform_domains(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Body(b): Body<PlatformDomainsView>,
) -> ApiResult<Json<PlatformDomainsView>> {
    let saved = domains::set_platform(s.store.as_ref(), &caller, &b.domains, b.sender.as_deref()).await?;
    Ok(Json(saved.into()))
}

/// Every tenant's sending domains (the operator's review of claims).
#[utoipa::path(get, path = "/domains", tag = "platform", security(("bearer" = ["operator"])), params(Paging),
    responses((status = 200, body = List<DomainView>), (status = "4XX", body = Problem)))]
async fn list_all_domains(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<DomainView>>> {
    let page = domains::list_all(s.store.as_ref(), &caller, &p.request()?).await?;
    Ok(Json(List::from_page(page, DomainView::from)))
}

/// Assigns a domain to a tenant as its own (`assigned`, not re-checked): a
/// claim of it becomes assigned. `409 domain_claimed` if another tenant holds it.
#[utoipa::path(post, path = "/tenants/{tenant_id}/domain-assignments", tag = "platform",
    security(("bearer" = ["operator"])), params(("tenant_id" = String, Path)), request_body = DomainBody,
    responses((status = 201, body = DomainView), (status = "4XX", body = Problem)))]
async fn assign_domain(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<DomainBody>,
) -> ApiResult<(StatusCode, Json<DomainView>)> {
    let d = domains::assign(s.store.as_ref(), &caller, t, &b.name, Timestamp::now()).await?;
    Ok(created(domains::DomainStatus { domain: d, held_elsewhere: false }.into()))
}

/// Sets the address of a tenant's system mailbox (only the operator does):
/// in a platform domain or a verified or assigned domain of the tenant.
#[utoipa::path(put, path = "/tenants/{tenant_id}/system-address", tag = "platform",
    security(("bearer" = ["operator"])), params(("tenant_id" = String, Path)), request_body = SystemAddressBody,
    responses((status = 200, body = MailboxView), (status = "4XX", body = Problem)))]
async fn set_system_address(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<SystemAddressBody>,
) -> ApiResult<Json<MailboxView>> {
    let m = sendas_core::service::mailboxes::set_system_address(s.store.as_ref(), &caller, t, &b.address).await?;
    Ok(Json(super::mailboxes::Facts::load(&s, t).await?.view(m)))
}

/// Creates a tenant with its first company, system mailbox and admin token.
#[utoipa::path(post, path = "/tenants", tag = "platform", security(("bearer" = ["operator"])),
    request_body = NewTenantBody,
    responses((status = 201, body = TenantCreated), (status = "4XX", body = Problem)))]
async fn create_tenant(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Body(b): Body<NewTenantBody>,
) -> ApiResult<(StatusCode, Json<TenantCreated>)> {
    let input = tenants::CreateTenant {
        name: b.name,
        company_name: b.company_name,
        system_address: b.system_address,
        mailbox_quota: b.mailbox_quota,
        domains: b.domains,
    };
    let c = tenants::create(s.store.as_ref(), &caller, input).await?;
    let facts = super::mailboxes::Facts::load(&s, c.tenant.id).await?;
    Ok(created(TenantCreated {
        tenant: c.tenant.into(),
        company: c.company.into(),
        system_mailbox: facts.view(c.system_mailbox),
        admin_token: TokenIssued { info: c.admin_token.token.into(), token: c.admin_token.text },
    }))
}

/// Lists tenants.
#[utoipa::path(get, path = "/tenants", tag = "platform", security(("bearer" = ["operator"])), params(Paging),
    responses((status = 200, body = List<TenantView>), (status = "4XX", body = Problem)))]
async fn list_tenants(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<TenantView>>> {
    let page = tenants::list(s.store.as_ref(), &caller, &p.request()?).await?;
    Ok(Json(List::from_page(page, TenantView::from)))
}

/// Reads a tenant.
#[utoipa::path(get, path = "/tenants/{tenant_id}", tag = "platform", security(("bearer" = ["operator", "admin"])),
    params(("tenant_id" = String, Path)),
    responses((status = 200, body = TenantView), (status = "4XX", body = Problem)))]
async fn get_tenant(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Ids(t): Ids<TenantId>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::get(s.store.as_ref(), &caller, t).await?.into()))
}

/// Renames, enables or disables a tenant, sets its mailbox quota and sending limits, or lets HTTP send attach executables (operator only).
#[utoipa::path(patch, path = "/tenants/{tenant_id}", tag = "platform", security(("bearer" = ["operator"])),
    params(("tenant_id" = String, Path)), request_body = TenantPatch,
    responses((status = 200, body = TenantView), (status = "4XX", body = Problem)))]
async fn update_tenant(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<TenantPatch>,
) -> ApiResult<Json<TenantView>> {
    let change = tenants::TenantChange {
        name: b.name,
        enabled: b.enabled,
        mailbox_quota: b.mailbox_quota,
        allow_executable_attachments: b.allow_executable_attachments,
        limits: b.limits.map(Into::into),
    };
    let tenant = tenants::change(s.store.as_ref(), &caller, t, change).await?;
    Ok(Json(tenant.into()))
}

/// Reads the system relay settings.
#[utoipa::path(get, path = "/system-relay", tag = "platform", security(("bearer" = ["operator"])),
    responses((status = 200, body = RelayView), (status = "4XX", body = Problem)))]
async fn get_system_relay(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<RelayView>> {
    let relay = settings::system_relay(s.store.as_ref(), &caller).await?;
    relay.map(|r| Json(r.into())).ok_or(ApiError(sendas_core::ServiceError::NotFound))
}

/// Sets the system relay (an SMTP relay, or the outbox directory).
#[utoipa::path(put, path = "/system-relay", tag = "platform", security(("bearer" = ["operator"])),
    request_body = RelayView,
    responses((status = 200, body = RelayView), (status = "4XX", body = Problem)))]
async fn put_system_relay(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Body(b): Body<RelayView>,
) -> ApiResult<Json<RelayView>> {
    let (relay, password) = match b {
        RelayView::Outbox { dir } => (SystemRelay::Outbox { dir }, None),
        RelayView::Smtp { host, port, tls, username, password, password_set } => {
            (SystemRelay::Smtp { host, port, tls: tls.into(), username, password_set }, password)
        }
    };
    let saved = settings::set_system_relay(s.store.as_ref(), s.secrets.as_ref(), &caller, relay, password).await?;
    Ok(Json(saved.into()))
}

/// Lists operator tokens.
#[utoipa::path(get, path = "/operator-tokens", tag = "platform", security(("bearer" = ["operator"])), params(Paging),
    responses((status = 200, body = List<TokenView>), (status = "4XX", body = Problem)))]
async fn list_operator_tokens(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<TokenView>>> {
    let page = tokens::list(s.store.as_ref(), &caller, None, &p.request()?).await?;
    Ok(Json(List::from_page(page, TokenView::from)))
}

/// Issues an operator token (shown once).
#[utoipa::path(post, path = "/operator-tokens", tag = "platform", security(("bearer" = ["operator"])),
    request_body = NewOperatorTokenBody,
    responses((status = 201, body = TokenIssued), (status = "4XX", body = Problem)))]
async fn create_operator_token(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Body(b): Body<NewOperatorTokenBody>,
) -> ApiResult<(StatusCode, Json<TokenIssued>)> {
    let issued = tokens::issue(s.store.as_ref(), &caller, Role::Operator, &b.name).await?;
    Ok(created(TokenIssued { info: issued.token.into(), token: issued.text }))
}

/// Revokes an operator token.
#[utoipa::path(delete, path = "/operator-tokens/{token_id}", tag = "platform", security(("bearer" = ["operator"])),
    params(("token_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn revoke_operator_token(
    State(s): State<AppState>,
    Caller(caller): Caller,
    Ids(id): Ids<TokenId>,
) -> ApiResult<StatusCode> {
    tokens::revoke_in(s.store.as_ref(), &caller, None, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Sending domains of a tenant (served by the `mailboxes` function, which
//! may reach the DNS): claim, read the records to publish, verify now,
//! release; the operator also reaches these to review and release.

use super::created;
use crate::dto::*;
use crate::extract::{Body, Caller, Ids};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::service::domains;
use sendas_core::{DomainId, TenantId, Timestamp};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this area.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_domains, claim_domain))
        .routes(routes!(get_domain, release_domain))
        .routes(routes!(verify_domain))
}

/// Lists the tenant's sending domains with their states and records.
#[utoipa::path(get, path = "/tenants/{tenant_id}/domains", tag = "mailboxes",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path)),
    responses((status = 200, body = List<DomainView>), (status = "4XX", body = Problem)))]
async fn list_domains(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
) -> ApiResult<Json<List<DomainView>>> {
    let all = domains::list(s.store.as_ref(), &c, t).await?;
    Ok(Json(List { items: all.into_iter().map(DomainView::from).collect(), next: None }))
}

/// Claims a domain: answers the TXT record to publish (`pending`), or
/// `review` for a look-alike of another tenant's or a platform domain.
/// `409 domain_claimed` if another tenant holds it.
#[utoipa::path(post, path = "/tenants/{tenant_id}/domains", tag = "mailboxes",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path)), request_body = DomainBody,
    responses((status = 201, body = DomainView), (status = "4XX", body = Problem)))]
async fn claim_domain(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<DomainBody>,
) -> ApiResult<(StatusCode, Json<DomainView>)> {
    let d = domains::claim(s.store.as_ref(), &c, t, &b.name, Timestamp::now()).await?;
    Ok(created(DomainStatus { domain: d, held_elsewhere: false }.into()))
}

use sendas_core::service::domains::DomainStatus;

/// Reads one sending domain.
#[utoipa::path(get, path = "/tenants/{tenant_id}/domains/{domain_id}", tag = "mailboxes",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path), ("domain_id" = String, Path)),
    responses((status = 200, body = DomainView), (status = "4XX", body = Problem)))]
async fn get_domain(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, DomainId)>,
) -> ApiResult<Json<DomainView>> {
    Ok(Json(domains::get(s.store.as_ref(), &c, t, id).await?.into()))
}

/// Releases a sending domain: its mailboxes stop being usable at once. An
/// admin may drop its own claim; an assigned one only the operator releases.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/domains/{domain_id}", tag = "mailboxes",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path), ("domain_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn release_domain(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, DomainId)>,
) -> ApiResult<StatusCode> {
    domains::release(s.store.as_ref(), &c, t, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Looks the ownership record up in the DNS now and answers what the
/// resolver said (`last_check`); found → `verified`.
#[utoipa::path(post, path = "/tenants/{tenant_id}/domains/{domain_id}/verify", tag = "mailboxes",
    security(("bearer" = ["operator", "admin"])), params(("tenant_id" = String, Path), ("domain_id" = String, Path)),
    responses((status = 200, body = DomainView), (status = "4XX", body = Problem)))]
async fn verify_domain(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, DomainId)>,
) -> ApiResult<Json<DomainView>> {
    let now = Timestamp::now();
    Ok(Json(domains::verify(s.store.as_ref(), s.dns.as_ref(), &c, t, id, now).await?.into()))
}

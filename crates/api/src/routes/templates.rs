//! Templates (admin of a tenant; part of the `directory` area): create,
//! read, replace (versioned, `ETag`/`If-Match`), delete.

use super::created;
use crate::dto::*;
use crate::etag::{Precondition, Tagged};
use crate::extract::{Body, Caller, Ids, Params};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sendas_core::model::{MailboxScope, Template};
use sendas_core::service::templates::{self, TemplateInput};
use sendas_core::{TemplateId, TenantId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes of this part.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_templates, create_template)).routes(routes!(
        get_template,
        replace_template,
        delete_template
    ))
}

fn input(b: TemplateBody) -> ApiResult<TemplateInput> {
    let scope = match (b.global, b.company_id) {
        (true, None) => MailboxScope::Global,
        (false, Some(c)) => MailboxScope::Company(c),
        (true, Some(_)) => return Err(ApiError::invalid("company_id", "a global template has no company")),
        (false, None) => return Err(ApiError::invalid("company_id", "required when the template is not global")),
    };
    Ok(TemplateInput {
        name: b.name,
        scope,
        subject: b.subject,
        text_body: b.text_body,
        html_body: b.html_body,
        from_mailbox: b.from_mailbox_id,
        reply_to_mailbox: b.reply_to_mailbox_id,
        enabled: b.enabled,
    })
}

fn tagged(t: Template) -> Tagged<Json<TemplateView>> {
    Tagged(t.version, Json(t.into()))
}

/// Lists the tenant's templates.
#[utoipa::path(get, path = "/tenants/{tenant_id}/templates", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), Paging),
    responses((status = 200, body = List<TemplateView>), (status = "4XX", body = Problem)))]
async fn list_templates(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Params(p): Params<Paging>,
) -> ApiResult<Json<List<TemplateView>>> {
    let page = templates::list(s.store.as_ref(), &c, t, &p.request()?).await?;
    Ok(Json(List::from_page(page, TemplateView::from)))
}

/// Creates a template (its variables are found from the sources; a source that does not parse is `422` naming it).
#[utoipa::path(post, path = "/tenants/{tenant_id}/templates", tag = "directory", security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path)), request_body = TemplateBody,
    responses((status = 201, body = TemplateView), (status = "4XX", body = Problem)))]
async fn create_template(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids(t): Ids<TenantId>,
    Body(b): Body<TemplateBody>,
) -> ApiResult<Tagged<(StatusCode, Json<TemplateView>)>> {
    sendas_core::service::require_admin(&c, t)?;
    let template = templates::create(s.store.as_ref(), &c, t, input(b)?).await?;
    Ok(Tagged(template.version, created(template.into())))
}

/// Reads a template.
#[utoipa::path(get, path = "/tenants/{tenant_id}/templates/{template_id}", tag = "directory",
    security(("bearer" = ["admin"])), params(("tenant_id" = String, Path), ("template_id" = String, Path)),
    responses((status = 200, body = TemplateView), (status = "4XX", body = Problem)))]
async fn get_template(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, TemplateId)>,
) -> ApiResult<Tagged<Json<TemplateView>>> {
    Ok(tagged(templates::get(s.store.as_ref(), &c, t, id).await?))
}

/// Replaces a template.
#[utoipa::path(put, path = "/tenants/{tenant_id}/templates/{template_id}", tag = "directory",
    security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), ("template_id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the ETag this edit was made from: 412 if it is no longer current")),
    request_body = TemplateBody, responses((status = 200, body = TemplateView), (status = "4XX", body = Problem)))]
async fn replace_template(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, TemplateId)>,
    Precondition(p): Precondition,
    Body(b): Body<TemplateBody>,
) -> ApiResult<Tagged<Json<TemplateView>>> {
    sendas_core::service::require_admin(&c, t)?;
    Ok(tagged(templates::update(s.store.as_ref(), &c, t, id, input(b)?, &p).await?))
}

/// Deletes a template.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/templates/{template_id}", tag = "directory",
    security(("bearer" = ["admin"])),
    params(("tenant_id" = String, Path), ("template_id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "the ETag this deletion was decided on: 412 if it is no longer current")),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_template(
    State(s): State<AppState>,
    Caller(c): Caller,
    Ids((t, id)): Ids<(TenantId, TemplateId)>,
    Precondition(p): Precondition,
) -> ApiResult<StatusCode> {
    templates::delete(s.store.as_ref(), &c, t, id, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

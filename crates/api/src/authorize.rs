//! Authorisation before anything else of the request is read.
//!
//! Every operation declares who may call it as the scopes of its OpenAPI
//! `bearer` requirement. This layer runs on every matched route before
//! the handler's extractors: it authenticates the token, checks the
//! declared scopes against the caller's role and the tenant and user in
//! the path (with the same `sendas_core::service::require_*` rules the
//! use-cases apply again), and only then lets the body be parsed. So a
//! user token on an admin route gets `403`/`404`, never a `422` that tells
//! it how the body should look. The caller found here is handed to the
//! handler (the token is looked up once).

use crate::extract::Caller;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sendas_core::model::Role;
use sendas_core::service::{
    require_admin, require_admin_or_self, require_operator, require_operator_for, require_operator_or_admin,
    require_user,
};
use sendas_core::{ServiceError, TenantId, UserId};
use std::collections::HashMap;
use std::sync::Arc;

/// Declared scopes per (method, path template), read from the OpenAPI document.
#[derive(Debug, Default)]
pub struct Scopes(HashMap<(String, String), Vec<String>>);

impl Scopes {
    /// The `bearer` scopes of every operation of `doc`.
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Arc<Self> {
        let mut map = HashMap::new();
        let Ok(value) = serde_json::to_value(doc) else { return Arc::new(Scopes(map)) };
        let paths = value.get("paths").and_then(|p| p.as_object()).into_iter().flatten();
        for (path, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let scopes = operation
                    .get("security")
                    .and_then(|s| s.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|req| req.get("bearer").and_then(|b| b.as_array()))
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect();
                map.insert((method.to_ascii_uppercase(), path.clone()), scopes);
            }
        }
        Arc::new(Scopes(map))
    }
}

/// The layer: see the module documentation.
pub async fn authorize(
    State((state, scopes)): State<(AppState, Arc<Scopes>)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let template = parts.extensions.get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_default();
    let Some(declared) = scopes.0.get(&(parts.method.as_str().to_owned(), template)) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let params = RawPathParams::from_request_parts(&mut parts, &state).await.ok();
    let param =
        |name: &str| params.as_ref().and_then(|p| p.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_owned()));
    if let Err(e) = permitted(&caller.0, declared, param("tenant_id").as_deref(), param("user_id").as_deref()) {
        return ApiError(e).into_response();
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

/// Whether `role` may call an operation with these scopes on this path.
fn permitted(role: &Role, scopes: &[String], tenant: Option<&str>, user: Option<&str>) -> Result<(), ServiceError> {
    let tenant = tenant.map(|t| t.parse::<TenantId>().map_err(|_| ServiceError::NotFound)).transpose()?;
    let user = user.map(|u| u.parse::<UserId>().map_err(|_| ServiceError::NotFound)).transpose()?;
    let has = |s: &str| scopes.iter().any(|x| x == s);
    match (tenant, user) {
        // Every role: any valid token (authenticated above).
        _ if has("operator") && has("admin") && has("user") => Ok(()),
        _ if has("user") => require_user(role).map(|_| ()),
        (Some(t), Some(u)) if has("admin") && has("self") => require_admin_or_self(role, t, u),
        (Some(t), _) if has("operator") && has("admin") => require_operator_or_admin(role, t),
        (Some(t), _) if has("admin") => require_admin(role, t),
        (Some(t), _) if has("operator") => require_operator_for(role, t),
        (None, _) if has("operator") => require_operator(role),
        // Anything else is left to the use-case alone.
        _ => Ok(()),
    }
}

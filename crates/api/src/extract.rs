//! Extractors whose rejections are problem+json: the caller's role from
//! the bearer token, JSON bodies, path ids and query strings.

use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sendas_core::ServiceError;
use sendas_core::model::{AuditCredential, CredentialKind, Role};
use serde::de::DeserializeOwned;

/// The authenticated caller.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Role);

/// The token the caller authenticated with (its id and issuer, for the audit log); a
/// request extension set with [`Caller`].
#[derive(Debug, Clone)]
pub struct CallerToken(pub AuditCredential);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Found already by the authorisation layer.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(*caller);
        }
        let header =
            parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(ServiceError::Unauthorized)?;
        let (scheme, token) = header.split_once(' ').ok_or(ServiceError::Unauthorized)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ServiceError::Unauthorized.into());
        }
        let token = sendas_core::service::tokens::authenticate(state.store.as_ref(), token.trim()).await?;
        parts.extensions.insert(CallerToken(AuditCredential {
            kind: CredentialKind::ApiToken,
            id: token.id.to_string(),
            issued_by: token.issued_by,
        }));
        Ok(Caller(token.role))
    }
}

/// A JSON body; malformed or mistyped bodies are `validation_failed`, a
/// body over the limit (axum's default, 2 MiB) is `413 payload_too_large`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::invalid("body", "send the body as Content-Type: application/json").into_response())
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(crate::problem::problem_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                "the request body is larger than the API accepts".to_owned(),
            )),
            Err(e) => Err(ApiError::invalid("body", e.body_text()).into_response()),
        }
    }
}

/// Path parameters; an id that does not parse cannot exist: `not_found`.
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Ids(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ServiceError::NotFound.into()),
            Err(e) => Err(ApiError(ServiceError::Internal(e.body_text()))),
        }
    }
}

/// A query string; bad values are `validation_failed`.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(e @ QueryRejection::FailedToDeserializeQueryString(_)) => {
                Err(ApiError::invalid("query", e.body_text()))
            }
            Err(e) => Err(ApiError::invalid("query", e.body_text())),
        }
    }
}

//! Errors as `application/problem+json` (RFC 9457) with stable `type` values.
//!
//! 4xx bodies say what is wrong (and name the field for validation); 5xx
//! bodies are opaque and carry the request id, while the cause is logged
//! with that id. Nothing here ever formats a secret: service errors carry
//! none.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sendas_core::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// The problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable machine-readable kind: `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `validation_failed`, `payload_too_large`, `conflict`,
    /// `quota_exceeded`, `domain_claimed`, `too_many_pending_claims`, `too_many_codes`,
    /// `unavailable`, `internal`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Short human-readable summary of the kind.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    pub detail: String,
    /// The offending field, for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request id (also in the `x-request-id` header) to quote in a support request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl ApiError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ApiError(ServiceError::invalid(field, reason))
    }
}

tokio::task_local! {
    /// The request id of the request being handled (for 5xx bodies and logs).
    pub static REQUEST_ID: String;
}

fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail, field) = match self.0 {
            ServiceError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                "send a valid API token as `Authorization: Bearer <token>`".to_owned(),
                None,
            ),
            ServiceError::Forbidden(why) => {
                (StatusCode::FORBIDDEN, "forbidden", "Forbidden", format!("this token may not do that: {why}"), None)
            }
            ServiceError::NotFound => {
                (StatusCode::NOT_FOUND, "not_found", "Not found", "no such resource".to_owned(), None)
            }
            ServiceError::Validation { field, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
                format!("{field}: {reason}"),
                Some(field.to_owned()),
            ),
            ServiceError::Conflict(m) => (StatusCode::CONFLICT, "conflict", "Conflict", m, None),
            ServiceError::Refused { kind, detail } => (StatusCode::CONFLICT, kind, "Refused", detail, None),
            ServiceError::RateLimited { kind, detail } => {
                (StatusCode::TOO_MANY_REQUESTS, kind, "Too many requests", detail, None)
            }
            ServiceError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Precondition failed",
                "it changed since the version named in If-Match; read it again (ETag) and redo the edit".to_owned(),
                None,
            ),
            ServiceError::QuotaExceeded => (
                StatusCode::CONFLICT,
                "quota_exceeded",
                "Mailbox quota exceeded",
                "the mailbox quota of this tenant is used up; ask the operator to raise it".to_owned(),
                None,
            ),
            ServiceError::Unavailable(cause) => {
                tracing::warn!(request_id = current_request_id(), %cause, "backend unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "a backend is unavailable; retry later".to_owned(),
                    None,
                )
            }
            ServiceError::Internal(cause) => {
                tracing::error!(request_id = current_request_id(), %cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "internal error".to_owned(), None)
            }
        };
        let problem = Problem { kind, title, status: status.as_u16(), detail, field, request_id: current_request_id() };
        let mut response = problem.into_response_with(status);
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl Problem {
    fn into_response_with(self, status: StatusCode) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response
    }
}

/// A problem+json answer that no `ServiceError` describes (the protocol's
/// own: `405 method_not_allowed`, `413 payload_too_large`).
pub fn problem_response(status: StatusCode, kind: &'static str, title: &'static str, detail: String) -> Response {
    Problem { kind, title, status: status.as_u16(), detail, field: None, request_id: current_request_id() }
        .into_response_with(status)
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

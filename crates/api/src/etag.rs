//! Entity tags. Every answer that holds one user, group or mailbox carries
//! `ETag: "<version>"`; `If-Match` on a write pins the version the client
//! edited, and the write fails with `412 precondition_failed` when that is
//! no longer current. Without `If-Match` the server retries a write that
//! raced another on the fresh item (see `sendas_core::service::edit`).

use crate::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sendas_core::service::edit::IfMatch;

/// The caller's `If-Match`, as the versions it allows.
#[derive(Debug, Clone, Default)]
pub struct Precondition(pub IfMatch);

impl<S: Send + Sync> FromRequestParts<S> for Precondition {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(IF_MATCH).iter().peekable();
        if values.peek().is_none() {
            return Ok(Precondition(IfMatch::Any));
        }
        let mut versions = Vec::new();
        for value in values {
            // A header that is not text names no version of ours: it never matches.
            for tag in value.to_str().unwrap_or("").split(',').map(str::trim) {
                if tag == "*" {
                    return Ok(Precondition(IfMatch::Any));
                }
                // If-Match compares strongly: a weak tag (W/"..") never matches.
                if let Some(v) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|t| t.parse().ok()) {
                    versions.push(v);
                }
            }
        }
        Ok(Precondition(IfMatch::Versions(versions)))
    }
}

/// An answer with the `ETag` of the version it shows.
pub struct Tagged<T>(pub u64, pub T);

impl<T: IntoResponse> IntoResponse for Tagged<T> {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", self.0)) {
            response.headers_mut().insert(ETAG, tag);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn parse(values: &[&str]) -> IfMatch {
        let mut req = Request::builder();
        for v in values {
            req = req.header(IF_MATCH, *v);
        }
        let (mut parts, ()) = req.body(()).expect("request").into_parts();
        Precondition::from_request_parts(&mut parts, &()).await.expect("never rejected").0
    }

    #[tokio::test]
    async fn if_match_forms() {
        assert_eq!(parse(&[]).await, IfMatch::Any);
        assert_eq!(parse(&["*"]).await, IfMatch::Any);
        assert_eq!(parse(&["\"3\""]).await, IfMatch::Versions(vec![3]));
        assert_eq!(parse(&["\"3\", \"5\"", "\"7\""]).await, IfMatch::Versions(vec![3, 5, 7]));
        assert_eq!(parse(&["W/\"3\""]).await, IfMatch::Versions(vec![]), "weak tags never match");
        assert_eq!(parse(&["3", "\"x\""]).await, IfMatch::Versions(vec![]), "not our tags");
    }
}

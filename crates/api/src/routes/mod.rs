//! The routes, one file per area. The areas are also the Lambda
//! functions (`functions/`): each function serves exactly its area.
//!
//! Every operation declares who may call it as the scopes of its `bearer`
//! security requirement: `operator`, `admin` (of the tenant in the path),
//! `self` (the user in the path) or `user` (any user token, acting on
//! itself). The authorization matrix test reads them from the OpenAPI
//! document.

pub mod confirmations;
pub mod directory;
pub mod domains;
pub mod mailboxes;
pub mod me;
pub mod platform;
pub mod templates;

/// `201 Created` with a JSON body.
pub(crate) fn created<T: serde::Serialize>(v: T) -> (axum::http::StatusCode, axum::Json<T>) {
    (axum::http::StatusCode::CREATED, axum::Json(v))
}

//! The error types of the ports and of the use-cases.
//!
//! `StoreError` is what an adapter may answer; `ServiceError` is what a
//! use-case answers, already in the vocabulary the HTTP API maps to
//! problem+json types. Neither ever carries a secret.

use thiserror::Error;

/// What a `Store` or `SecretStore` implementation can answer besides success.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The addressed item does not exist (or belongs to another tenant).
    #[error("not found")]
    NotFound,
    /// A conditional write failed: the item exists already, or a unique
    /// value (address, login) is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Creating a mailbox would exceed the tenant's mailbox quota.
    #[error("mailbox quota exceeded")]
    QuotaExceeded,
    /// The backend could not be reached or failed; the operation may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be decoded, or a secret could not be decrypted.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A page cursor that this backend did not hand out.
    #[error("invalid page cursor")]
    InvalidCursor,
    /// A versioned write found another version stored: the item changed
    /// since it was read.
    #[error("changed since it was read")]
    VersionMismatch,
    /// A write that adds a group to a user or an access list found the
    /// group gone (or being deleted).
    #[error("no such group")]
    MissingGroup,
}

/// What a use-case answers besides success.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// No valid credentials were presented.
    #[error("authentication required")]
    Unauthorized,
    /// The resource does not exist or is not visible to the caller.
    #[error("not found")]
    NotFound,
    /// The caller's role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The input is invalid; names the field.
    #[error("{field}: {reason}")]
    Validation {
        /// The field that failed validation.
        field: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// A unique value is taken or the item exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named a version that is no longer current (HTTP 412),
    /// or, inside a use-case, a write raced another one.
    #[error("the resource changed since that version; read it again")]
    PreconditionFailed,
    /// A rule of the platform refuses the request (HTTP 409 with `kind` as
    /// the problem type, e.g. `domain_claimed`).
    #[error("{detail}")]
    Refused {
        /// The stable problem type.
        kind: &'static str,
        /// What to do about it.
        detail: String,
    },
    /// A per-day or per-window limit is used up (HTTP 429 with `kind` as the problem type).
    #[error("{detail}")]
    RateLimited {
        /// The stable problem type.
        kind: &'static str,
        /// What to do about it.
        detail: String,
    },
    /// The tenant's mailbox quota is used up.
    #[error("the mailbox quota of this tenant is used up; ask the operator to raise it")]
    QuotaExceeded,
    /// A backend failed; retryable.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// Stored data is corrupt.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// A validation error for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ServiceError::Validation { field, reason: reason.into() }
    }
}

/// The text a store puts in a `Conflict` when another tenant holds a domain.
pub const DOMAIN_CLAIMED: &str = "domain_claimed";

impl ServiceError {
    /// Another tenant holds the domain (409 `domain_claimed`).
    pub fn domain_claimed() -> Self {
        ServiceError::Refused {
            kind: DOMAIN_CLAIMED,
            detail: "this domain belongs to another tenant of the platform; only the operator can move it".into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict(m) if m.contains(DOMAIN_CLAIMED) => ServiceError::domain_claimed(),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::QuotaExceeded => ServiceError::QuotaExceeded,
            StoreError::Unavailable(m) => ServiceError::Unavailable(m),
            StoreError::Corrupt(m) => ServiceError::Internal(m),
            StoreError::InvalidCursor => ServiceError::invalid("after", "not a cursor from a previous page"),
            StoreError::VersionMismatch => ServiceError::PreconditionFailed,
            StoreError::MissingGroup => ServiceError::invalid("groups", "no such group in this tenant"),
        }
    }
}

//! `Idempotency-Key` records of HTTP send: a retried request with the same
//! key sends at most once (SPEC §4).

use crate::{TenantId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a finished request's answer is kept for its key.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How long a key stays claimed by a request that never finished (a crash).
pub const IDEMPOTENCY_PENDING: Duration = Duration::from_secs(120);

/// Where a key's request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum IdempotencyState {
    /// A request with this key is being handled.
    Pending,
    /// It was answered with this status and JSON body.
    Done {
        /// HTTP status.
        status: u16,
        /// The JSON body.
        body: String,
    },
}

/// One key of one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The user's tenant.
    pub tenant_id: TenantId,
    /// The user.
    pub user_id: UserId,
    /// The client's key.
    pub key: String,
    /// SHA-256 (hex) of the request it was first used with.
    pub request_hash: String,
    /// Pending or done.
    pub state: IdempotencyState,
    /// When the record may be forgotten (and a pending key claimed again).
    pub expires_at: Timestamp,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key was free (or expired): this request handles it.
    Claimed,
    /// Another request holds it (pending) or already answered it.
    Taken(IdempotencyRecord),
}

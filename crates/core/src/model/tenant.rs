//! The tenant: one SaaS customer and the hard isolation boundary.

use super::{Name, TenantLimits};
use crate::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// Mailboxes a new tenant may have beyond its system mailbox.
pub const DEFAULT_MAILBOX_QUOTA: u32 = 1;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its name.
    pub name: Name,
    /// A disabled tenant can neither sign in nor send.
    pub enabled: bool,
    /// How many mailboxes it may have beyond its system mailbox; only the
    /// operator changes it.
    pub mailbox_quota: u32,
    /// When it was created.
    pub created_at: Timestamp,
    /// Whether HTTP send may attach executable files (programs, scripts);
    /// off unless the operator turns it on for the tenant.
    #[serde(default)]
    pub allow_executable_attachments: bool,
    /// Its sending limits, ceilings and defaults (set by the operator).
    #[serde(default)]
    pub limits: TenantLimits,
}

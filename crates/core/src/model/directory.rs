//! Companies, users and groups of a tenant.

use super::{Login, Name, SendingLimits};
use crate::{CompanyId, GroupId, TenantId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A sub-unit of a tenant (German "Mandant").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: CompanyId,
    /// Its name.
    pub name: Name,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A person who signs in; `login` is unique across the platform and is
/// immutable (it is the SMTP AUTH username).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: UserId,
    /// Platform-unique login.
    pub login: Login,
    /// Display name.
    pub name: Name,
    /// Companies the user has access to (one or more).
    pub companies: BTreeSet<CompanyId>,
    /// Groups the user is a member of.
    pub groups: BTreeSet<GroupId>,
    /// A disabled user can neither sign in nor send.
    pub enabled: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// Raised by every change (the API's `ETag`); 1 when created.
    #[serde(default)]
    pub version: u64,
    /// Its own sending limits (within the tenant's user ceiling; unset: the tenant's default).
    #[serde(default)]
    pub limits: SendingLimits,
}

/// A named set of users, e.g. a department. Membership is stored on the
/// user (`User::groups`), so one read of a user yields everything the
/// permission rule needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: GroupId,
    /// Its name.
    pub name: Name,
    /// When it was created.
    pub created_at: Timestamp,
    /// Raised by every change (the API's `ETag`); 1 when created.
    #[serde(default)]
    pub version: u64,
    /// Its deletion has begun and is removing its references (a store that
    /// cannot do that in one atomic step marks the group first: DynamoDB,
    /// beyond 99 references). From then on the group grants nothing: a
    /// membership in it or an access list naming it does not count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleting: bool,
}

//! Use-cases: load facts through the ports, decide, write.
//!
//! Every function takes the caller's [`Role`] and checks it first, so the
//! HTTP API cannot forget an authorization check: a caller of another
//! tenant gets `NotFound` (never a hint that the resource exists), a
//! caller of the right tenant without the right role gets `Forbidden`.

pub mod audit;
pub mod confirmations;
pub mod credentials;
pub mod directory;
pub mod domains;
pub mod edit;
pub mod mailboxes;
pub mod ownership;
pub mod permissions;
pub mod settings;
pub mod templates;
pub mod tenants;
pub mod tokens;
pub mod upgrade;

#[cfg(test)]
mod tests;

use crate::error::ServiceError;
use crate::model::{Name, Role};
use crate::{TenantId, UserId};

/// Only the operator.
pub fn require_operator(caller: &Role) -> Result<(), ServiceError> {
    match caller {
        Role::Operator => Ok(()),
        _ => Err(ServiceError::Forbidden("operator only")),
    }
}

/// Only an admin of `tenant`; callers bound to another tenant get `NotFound`.
pub fn require_admin(caller: &Role, tenant: TenantId) -> Result<(), ServiceError> {
    match caller {
        Role::Admin { tenant_id } if *tenant_id == tenant => Ok(()),
        Role::Admin { .. } | Role::User { .. } if caller.tenant() != Some(tenant) => Err(ServiceError::NotFound),
        _ => Err(ServiceError::Forbidden("admin of this tenant only")),
    }
}

/// An admin of `tenant`, or the user `user` itself.
pub fn require_admin_or_self(caller: &Role, tenant: TenantId, user: UserId) -> Result<(), ServiceError> {
    match caller {
        Role::User { tenant_id, user_id } if *tenant_id == tenant && *user_id == user => Ok(()),
        Role::User { tenant_id, .. } if *tenant_id == tenant => {
            Err(ServiceError::Forbidden("only the user itself or an admin"))
        }
        _ => require_admin(caller, tenant),
    }
}

/// Only the operator, on something of `tenant`: callers bound to another
/// tenant get `NotFound`, members of the tenant `Forbidden`.
pub fn require_operator_for(caller: &Role, tenant: TenantId) -> Result<(), ServiceError> {
    match caller.tenant() {
        None => require_operator(caller),
        Some(t) if t == tenant => Err(ServiceError::Forbidden("operator only")),
        Some(_) => Err(ServiceError::NotFound),
    }
}

/// The operator or an admin of `tenant`.
pub fn require_operator_or_admin(caller: &Role, tenant: TenantId) -> Result<(), ServiceError> {
    match caller {
        Role::Operator => Ok(()),
        _ => require_admin(caller, tenant),
    }
}

/// A user token; answers the user's tenant and id.
pub fn require_user(caller: &Role) -> Result<(TenantId, UserId), ServiceError> {
    match caller {
        Role::User { tenant_id, user_id } => Ok((*tenant_id, *user_id)),
        _ => Err(ServiceError::Forbidden("a user token is needed")),
    }
}

/// Parses a name field, naming the field on failure.
pub fn parse_name(field: &'static str, value: &str) -> Result<Name, ServiceError> {
    Name::parse(value).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

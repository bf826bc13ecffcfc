//! SMTP credentials (app passwords) and API tokens: stored as hashes only.

use super::Name;
use crate::secret::SecretHash;
use crate::{CredentialId, TenantId, Timestamp, TokenId, UserId};
use serde::{Deserialize, Serialize};

/// An app password of a user for SMTP AUTH. The password itself is shown
/// once when issued; only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpCredential {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Owning user.
    pub user_id: UserId,
    /// Its id.
    pub id: CredentialId,
    /// A name the user chose ("Thunderbird at home").
    pub name: Name,
    /// SHA-256 of the password.
    pub hash: SecretHash,
    /// When it was issued.
    pub created_at: Timestamp,
    /// Who issued it (records from before issuers: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<Issuer>,
}

/// Who issued a credential or token: the user itself, its tenant's admin, or the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    /// The user, for itself.
    User,
    /// An admin of the tenant.
    Admin,
    /// The platform's operator.
    Operator,
}

impl Issuer {
    /// The issuer acting as `role`.
    pub fn of(role: &Role) -> Issuer {
        match role {
            Role::Operator => Issuer::Operator,
            Role::Admin { .. } => Issuer::Admin,
            Role::User { .. } => Issuer::User,
        }
    }
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// Runs the platform.
    Operator,
    /// Administers one tenant.
    Admin {
        /// The tenant.
        tenant_id: TenantId,
    },
    /// Acts as one user.
    User {
        /// The user's tenant.
        tenant_id: TenantId,
        /// The user.
        user_id: UserId,
    },
}

impl Role {
    /// The tenant the role is bound to, if any.
    pub fn tenant(&self) -> Option<TenantId> {
        match self {
            Role::Operator => None,
            Role::Admin { tenant_id } | Role::User { tenant_id, .. } => Some(*tenant_id),
        }
    }
}

/// A bearer token for the HTTP API. The token text is
/// `sendas_<id>_<secret>`; only the secret's hash is kept. Revoking deletes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Its id (also the lookup key inside the token text).
    pub id: TokenId,
    /// What it may do.
    pub role: Role,
    /// A name for humans.
    pub name: Name,
    /// SHA-256 of the secret part.
    pub hash: SecretHash,
    /// When it was issued.
    pub created_at: Timestamp,
    /// Who issued it (tokens from before issuers: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<Issuer>,
}

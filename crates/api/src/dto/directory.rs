//! Companies, users, groups, SMTP credentials.

use super::time;
use sendas_core::model::{Company, Group, SmtpCredential, User};
use sendas_core::{CompanyId, CredentialId, GroupId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// A company.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: CompanyId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
}

impl From<Company> for CompanyView {
    fn from(c: Company) -> Self {
        CompanyView { id: c.id, name: c.name.to_string(), created_at: time(c.created_at) }
    }
}

/// A name (creating or renaming a company or group).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameBody {
    /// The name.
    pub name: String,
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    /// Tenant.
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    /// Login, also the SMTP username.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Companies.
    #[schema(value_type = Vec<String>)]
    pub companies: BTreeSet<CompanyId>,
    /// Groups.
    #[schema(value_type = Vec<String>)]
    pub groups: BTreeSet<GroupId>,
    /// Whether the user may sign in and send.
    pub enabled: bool,
    /// Creation time.
    pub created_at: String,
    /// Raised by every change; also the `ETag` (`"<version>"`) to send as `If-Match`.
    pub version: u64,
    /// Its own sending limits (unset ones: the tenant's user default; all capped by the ceiling).
    pub limits: super::LimitsView,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            tenant_id: u.tenant_id,
            login: u.login.to_string(),
            name: u.name.to_string(),
            companies: u.companies,
            groups: u.groups,
            enabled: u.enabled,
            created_at: time(u.created_at),
            version: u.version,
            limits: u.limits.into(),
        }
    }
}

/// Creating a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Login, unique on the platform (the SMTP username).
    pub login: String,
    /// Display name.
    pub name: String,
    /// Companies (at least one).
    #[schema(value_type = Vec<String>)]
    pub companies: BTreeSet<CompanyId>,
    /// Groups.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub groups: BTreeSet<GroupId>,
    /// Its own sending limits, within the tenant's user ceiling.
    #[serde(default)]
    pub limits: super::LimitsView,
}

/// Changing a user; absent fields stay. The login never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Display name.
    pub name: Option<String>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// Replace the companies.
    #[schema(value_type = Option<Vec<String>>)]
    pub companies: Option<BTreeSet<CompanyId>>,
    /// Replace the groups.
    #[schema(value_type = Option<Vec<String>>)]
    pub groups: Option<BTreeSet<GroupId>>,
    /// Replace its sending limits (within the tenant's user ceiling).
    pub limits: Option<super::LimitsView>,
}

/// A group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: GroupId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
    /// Raised by every change; also the `ETag` (`"<version>"`) to send as `If-Match`.
    pub version: u64,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        GroupView { id: g.id, name: g.name.to_string(), created_at: time(g.created_at), version: g.version }
    }
}

/// An SMTP credential (app password) without the password.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: CredentialId,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
}

impl From<SmtpCredential> for CredentialView {
    fn from(c: SmtpCredential) -> Self {
        CredentialView { id: c.id, name: c.name.to_string(), created_at: time(c.created_at) }
    }
}

/// A newly issued app password: `password` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialIssued {
    /// The credential's record.
    #[serde(flatten)]
    pub info: CredentialView,
    /// The SMTP username (the login).
    pub username: String,
    /// The app password; not shown again.
    #[serde(serialize_with = "super::expose")]
    #[schema(value_type = String)]
    pub password: secrecy::SecretString,
}

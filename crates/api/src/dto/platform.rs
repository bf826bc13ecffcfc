//! Tenants, tokens, the system relay, and `me`.

use super::time;
use sendas_core::model::{ApiToken, Role, SystemRelay, Tenant, TlsMode};
use sendas_core::{TenantId, TokenId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: TenantId,
    /// Name.
    pub name: String,
    /// Whether its users may sign in and send.
    pub enabled: bool,
    /// Mailboxes allowed beyond the system mailbox.
    pub mailbox_quota: u32,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Whether HTTP send may attach executable files (default false).
    pub allow_executable_attachments: bool,
    /// Sending limits: the tenant's own, its users' and mailboxes' ceilings and defaults.
    pub limits: super::TenantLimitsView,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        TenantView {
            id: t.id,
            name: t.name.to_string(),
            enabled: t.enabled,
            mailbox_quota: t.mailbox_quota,
            allow_executable_attachments: t.allow_executable_attachments,
            limits: t.limits.into(),
            created_at: time(t.created_at),
        }
    }
}

/// Creating a tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantBody {
    /// Tenant name.
    pub name: String,
    /// Address of its system mailbox.
    pub system_address: String,
    /// Name of its first company (default: the tenant name).
    pub company_name: Option<String>,
    /// Mailboxes beyond the system mailbox (default 1).
    pub mailbox_quota: Option<u32>,
    /// Domains the operator assigns it (`assigned`: its own, not re-checked);
    /// the system address may be in one of them.
    #[serde(default)]
    pub domains: Vec<String>,
}

/// A created tenant with its first admin token, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantCreated {
    /// The tenant.
    pub tenant: TenantView,
    /// Its first company.
    pub company: super::CompanyView,
    /// Its system mailbox.
    pub system_mailbox: super::MailboxView,
    /// The first admin token (store it now: it is not shown again).
    pub admin_token: TokenIssued,
}

/// Changing a tenant (operator only); absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    /// New name.
    pub name: Option<String>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New mailbox quota.
    pub mailbox_quota: Option<u32>,
    /// Let HTTP send attach executable files (programs, scripts) for this tenant.
    pub allow_executable_attachments: Option<bool>,
    /// Replace the sending limits (every field; absent ones no longer limit).
    pub limits: Option<super::TenantLimitsView>,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// Runs the platform.
    Operator,
    /// Administers one tenant.
    Admin,
    /// Acts as one user.
    User,
}

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: TokenId,
    /// Role.
    pub role: RoleName,
    /// Tenant, for admin and user tokens.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub tenant_id: Option<TenantId>,
    /// User, for user tokens.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: String,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        let (role, tenant_id, user_id) = match t.role {
            Role::Operator => (RoleName::Operator, None, None),
            Role::Admin { tenant_id } => (RoleName::Admin, Some(tenant_id), None),
            Role::User { tenant_id, user_id } => (RoleName::User, Some(tenant_id), Some(user_id)),
        };
        TokenView { id: t.id, role, tenant_id, user_id, name: t.name.to_string(), created_at: time(t.created_at) }
    }
}

/// A newly issued token: `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenIssued {
    /// The token's record.
    #[serde(flatten)]
    pub info: TokenView,
    /// `Authorization: Bearer <token>`; not shown again.
    #[serde(serialize_with = "super::expose")]
    #[schema(value_type = String)]
    pub token: secrecy::SecretString,
}

/// Issuing a token of a tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// `admin` or `user` (operator tokens are issued at `/v1/operator-tokens`).
    pub role: RoleName,
    /// The user, for a user token.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    /// A name for humans.
    pub name: String,
}

/// Issuing an operator token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOperatorTokenBody {
    /// A name for humans.
    pub name: String,
}

/// TLS mode of an SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsName {
    /// STARTTLS on a plain port (587).
    Starttls,
    /// Implicit TLS (465).
    Tls,
    /// No TLS: loopback hosts only.
    None,
}

impl From<TlsName> for TlsMode {
    fn from(t: TlsName) -> Self {
        match t {
            TlsName::Starttls => TlsMode::Starttls,
            TlsName::Tls => TlsMode::Tls,
            TlsName::None => TlsMode::None,
        }
    }
}

impl From<TlsMode> for TlsName {
    fn from(t: TlsMode) -> Self {
        match t {
            TlsMode::Starttls => TlsName::Starttls,
            TlsMode::Tls => TlsName::Tls,
            TlsMode::None => TlsName::None,
        }
    }
}

/// The system relay: where mail of non-authenticated mailboxes goes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RelayView {
    /// One `.eml` file per message in a directory.
    Outbox {
        /// The directory.
        dir: String,
    },
    /// An SMTP relay such as an SES SMTP endpoint.
    Smtp {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// TLS mode.
        tls: TlsName,
        /// AUTH username.
        username: Option<String>,
        /// Write-only: a new password (never returned).
        #[serde(default, skip_serializing)]
        #[schema(value_type = Option<String>, write_only)]
        password: Option<secrecy::SecretString>,
        /// Whether a password is stored (read-only).
        #[serde(default)]
        password_set: bool,
    },
}

impl From<SystemRelay> for RelayView {
    fn from(r: SystemRelay) -> Self {
        match r {
            SystemRelay::Outbox { dir } => RelayView::Outbox { dir },
            SystemRelay::Smtp { host, port, tls, username, password_set } => {
                RelayView::Smtp { host, port, tls: tls.into(), username, password: None, password_set }
            }
        }
    }
}

/// What a token is: its role, and the tenant and user it is bound to.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// `operator`, `admin` or `user`.
    pub role: &'static str,
    /// The tenant of an admin or user token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub tenant_id: Option<sendas_core::TenantId>,
    /// The user of a user token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<sendas_core::UserId>,
}

impl WhoAmI {
    /// The view of `role`.
    pub fn of(role: &sendas_core::model::Role) -> Self {
        use sendas_core::model::Role;
        match role {
            Role::Operator => WhoAmI { role: "operator", tenant_id: None, user_id: None },
            Role::Admin { tenant_id } => WhoAmI { role: "admin", tenant_id: Some(*tenant_id), user_id: None },
            Role::User { tenant_id, user_id } => {
                WhoAmI { role: "user", tenant_id: Some(*tenant_id), user_id: Some(*user_id) }
            }
        }
    }
}

/// The caller of a user token.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// The user.
    pub user: super::UserView,
    /// The user's tenant.
    pub tenant: TenantView,
}

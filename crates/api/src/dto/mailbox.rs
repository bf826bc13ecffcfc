//! Mailboxes, their access lists, dropdowns, audit records.

use super::{TlsName, time};
use sendas_core::model::{AuditRecord, HealthStage, LoginMethod, Mailbox, MailboxHealth, MailboxScope};
use sendas_core::{AuditId, CompanyId, GroupId, MailboxId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};

/// SMTP settings of an authenticated mailbox (the password is write-only, elsewhere).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpView {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsName,
    /// AUTH username (for OAuth 2.0: the mailbox the token is for).
    pub username: String,
    /// How the relay logs in (default: a password).
    #[serde(default)]
    pub login: LoginView,
    /// Whether the login's secret is stored (read-only; the name is kept from when passwords were the only secret).
    #[serde(default)]
    pub password_set: bool,
}

/// How the relay logs in to the mailbox's server. Secrets are set at
/// `/credentials` (write-only) and never shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum LoginView {
    /// AUTH PLAIN/LOGIN with the stored password.
    #[default]
    Password,
    /// Microsoft 365: an Entra ID app's client credentials (`SMTP.SendAsApp`), SASL XOAUTH2.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials {
        /// The Entra ID directory (tenant) id or domain; sets `token_url` to its v2.0 token endpoint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        directory: Option<String>,
        /// The token endpoint (required without `directory`).
        #[serde(default)]
        token_url: Option<String>,
        /// The application (client) id.
        client_id: String,
        /// Default `https://outlook.office365.com/.default`.
        #[serde(default)]
        scope: Option<String>,
    },
    /// Google (user consent) or a generic provider: a refresh token, rotated ones stored back.
    #[serde(rename = "oauth2_refresh_token")]
    OAuth2RefreshToken {
        /// The token endpoint; default Google's `https://oauth2.googleapis.com/token`.
        #[serde(default)]
        token_url: Option<String>,
        /// The OAuth client id.
        client_id: String,
        /// A scope to ask for on refresh (usually none).
        #[serde(default)]
        scope: Option<String>,
    },
    /// Google Workspace: a service account with domain-wide delegation (JWT bearer, `sub` = `username`).
    GoogleServiceAccount {
        /// Default `https://mail.google.com/`.
        #[serde(default)]
        scope: Option<String>,
    },
}

impl LoginView {
    /// The model's login method (defaults filled in).
    pub fn to_method(&self) -> Result<LoginMethod, (&'static str, &'static str)> {
        use sendas_core::model::{GOOGLE_MAIL_SCOPE, GOOGLE_TOKEN_URL, MICROSOFT_SMTP_SCOPE, microsoft_token_url};
        Ok(match self.clone() {
            LoginView::Password => LoginMethod::Password,
            LoginView::OAuth2ClientCredentials { directory, token_url, client_id, scope } => {
                let token_url = match (directory, token_url) {
                    (Some(d), None) => {
                        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
                            return Err(("smtp.login.directory", "a directory (tenant) id or domain"));
                        }
                        microsoft_token_url(&d)
                    }
                    (None, Some(url)) => url,
                    _ => return Err(("smtp.login.token_url", "give exactly one of directory and token_url")),
                };
                LoginMethod::OAuth2ClientCredentials {
                    token_url,
                    client_id,
                    scope: scope.unwrap_or_else(|| MICROSOFT_SMTP_SCOPE.into()),
                }
            }
            LoginView::OAuth2RefreshToken { token_url, client_id, scope } => LoginMethod::OAuth2RefreshToken {
                token_url: token_url.unwrap_or_else(|| GOOGLE_TOKEN_URL.into()),
                client_id,
                scope,
            },
            LoginView::GoogleServiceAccount { scope } => {
                LoginMethod::GoogleServiceAccount { scope: scope.unwrap_or_else(|| GOOGLE_MAIL_SCOPE.into()) }
            }
        })
    }
}

impl From<&LoginMethod> for LoginView {
    fn from(m: &LoginMethod) -> Self {
        match m.clone() {
            LoginMethod::Password => LoginView::Password,
            LoginMethod::OAuth2ClientCredentials { token_url, client_id, scope } => {
                LoginView::OAuth2ClientCredentials {
                    directory: None,
                    token_url: Some(token_url),
                    client_id,
                    scope: Some(scope),
                }
            }
            LoginMethod::OAuth2RefreshToken { token_url, client_id, scope } => {
                LoginView::OAuth2RefreshToken { token_url: Some(token_url), client_id, scope }
            }
            LoginMethod::GoogleServiceAccount { scope } => LoginView::GoogleServiceAccount { scope: Some(scope) },
        }
    }
}

/// The mailbox's last login to its server, as the relay or `verify` saw it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// Whether it succeeded.
    pub ok: bool,
    /// The stage that failed: `connect`, `tls`, `token` or `auth`.
    #[schema(value_type = Option<String>)]
    pub failed_stage: Option<HealthStage>,
    /// The server's or the token endpoint's answer, sanitised.
    pub detail: String,
    /// When (RFC 3339).
    pub at: String,
}

impl From<MailboxHealth> for HealthView {
    fn from(h: MailboxHealth) -> Self {
        HealthView { ok: h.ok(), failed_stage: h.failed_stage, detail: h.detail, at: time(h.at) }
    }
}

/// A mailbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: MailboxId,
    /// Normalised address.
    pub address: String,
    /// Display name.
    pub display_name: String,
    /// Usable from every company of the tenant.
    pub global: bool,
    /// Owning company when not global.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<CompanyId>,
    /// May appear in From / Sender.
    pub sender: bool,
    /// May appear in Reply-To.
    pub reply: bool,
    /// Only listed users and groups may use it.
    pub restricted: bool,
    /// Usable at all.
    pub enabled: bool,
    /// Relays through its own SMTP server.
    pub authenticated: bool,
    /// The tenant's system mailbox.
    pub system: bool,
    /// SMTP settings when authenticated.
    pub smtp: Option<SmtpView>,
    /// The last login to its server (authenticated mailboxes the relay or `verify` has used).
    pub health: Option<HealthView>,
    /// Whether its tenant owns the address (SPEC §2 rule 0) and why: only an
    /// owned address (`verified_domain`, `confirmed`, `operator`) is usable.
    pub ownership: OwnershipName,
    /// Users allowed when restricted.
    #[schema(value_type = Vec<String>)]
    pub users: BTreeSet<UserId>,
    /// Groups allowed when restricted.
    #[schema(value_type = Vec<String>)]
    pub groups: BTreeSet<GroupId>,
    /// Creation time.
    pub created_at: String,
    /// Raised by every change; also the `ETag` (`"<version>"`) to send as `If-Match`.
    pub version: u64,
    /// Its own sending limits (unset ones: the tenant's mailbox default; all capped by the ceiling).
    pub limits: super::LimitsView,
    /// Which display names a message may show for it.
    pub display_name_policy: super::DisplayNamePolicyName,
}

/// Why an address is or is not owned (SPEC §1 "owned address").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipName {
    /// In a verified (or operator-assigned) sending domain of the tenant.
    VerifiedDomain,
    /// A confirmed address of the tenant.
    Confirmed,
    /// A system mailbox's address in a platform domain, set by the operator.
    Operator,
    /// Its domain is claimed but not verified yet (or held for the operator's review).
    PendingDomain,
    /// Its domain lapsed: the ownership record went missing.
    LapsedDomain,
    /// Neither its domain is claimed nor the address confirmed.
    Unconfirmed,
}

impl From<sendas_core::policy::Ownership> for OwnershipName {
    fn from(o: sendas_core::policy::Ownership) -> Self {
        use sendas_core::policy::Ownership as O;
        match o {
            O::VerifiedDomain => OwnershipName::VerifiedDomain,
            O::Confirmed => OwnershipName::Confirmed,
            O::Operator => OwnershipName::Operator,
            O::PendingDomain => OwnershipName::PendingDomain,
            O::LapsedDomain => OwnershipName::LapsedDomain,
            O::Unconfirmed => OwnershipName::Unconfirmed,
        }
    }
}

impl From<Mailbox> for MailboxView {
    fn from(m: Mailbox) -> Self {
        let company_id = match m.scope {
            MailboxScope::Global => None,
            MailboxScope::Company(c) => Some(c),
        };
        MailboxView {
            id: m.id,
            global: m.global(),
            authenticated: m.authenticated(),
            address: m.address.to_string(),
            display_name: m.display_name.to_string(),
            company_id,
            sender: m.flags.sender,
            reply: m.flags.reply,
            restricted: m.flags.restricted,
            enabled: m.flags.enabled,
            system: m.system,
            smtp: m.smtp.map(|s| SmtpView {
                host: s.host().to_owned(),
                port: s.port(),
                tls: s.tls().into(),
                username: s.username().to_owned(),
                login: s.login().into(),
                password_set: s.password_set,
            }),
            health: None,
            ownership: OwnershipName::Unconfirmed,
            users: m.access.users,
            groups: m.access.groups,
            created_at: time(m.created_at),
            version: m.version,
            limits: m.limits.into(),
            display_name_policy: m.display_name_policy.into(),
        }
    }
}

/// Creating or replacing a mailbox's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxBody {
    /// Address, unique in the tenant.
    pub address: String,
    /// Display name.
    pub display_name: String,
    /// Usable from every company (`true`), or only from `company_id`.
    pub global: bool,
    /// Owning company; required when not global.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub company_id: Option<CompanyId>,
    /// May appear in From / Sender.
    pub sender: bool,
    /// May appear in Reply-To.
    pub reply: bool,
    /// Usable at all (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// SMTP settings: present makes the mailbox `authenticated`.
    pub smtp: Option<SmtpView>,
    /// Its own sending limits, within the tenant's mailbox ceiling (absent: kept; on
    /// creation none of its own).
    pub limits: Option<super::LimitsView>,
    /// Which display names a message may show for it (absent: kept; on creation `free`).
    pub display_name_policy: Option<super::DisplayNamePolicyName>,
}

fn yes() -> bool {
    true
}

/// Setting the write-only SMTP password of a mailbox.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The password; stored in the secret store, never returned.
    #[schema(value_type = String, write_only)]
    pub password: secrecy::SecretString,
}

/// Setting the write-only secrets of a mailbox's login; which fields are
/// needed depends on its login method: `password`; `client_secret`
/// (client credentials); `refresh_token` and, for confidential clients,
/// `client_secret` (refresh token); `service_account_key`, the JSON key
/// file as an object or as text (service account).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsBody {
    /// The password (method `password`).
    #[schema(value_type = Option<String>, write_only)]
    pub password: Option<secrecy::SecretString>,
    /// The OAuth client secret.
    #[schema(value_type = Option<String>, write_only)]
    pub client_secret: Option<secrecy::SecretString>,
    /// The OAuth refresh token.
    #[schema(value_type = Option<String>, write_only)]
    pub refresh_token: Option<secrecy::SecretString>,
    /// The Google service account's JSON key.
    #[schema(value_type = Option<Object>, write_only)]
    pub service_account_key: Option<ServiceAccountKeyInput>,
}

/// A JSON key file, as an object or as its text. `Debug` shows nothing.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum ServiceAccountKeyInput {
    /// The file's text.
    Text(secrecy::SecretString),
    /// The file's object.
    Object(serde_json::Map<String, serde_json::Value>),
}

impl ServiceAccountKeyInput {
    /// The file's text.
    pub fn text(&self) -> secrecy::SecretString {
        match self {
            ServiceAccountKeyInput::Text(t) => t.clone(),
            ServiceAccountKeyInput::Object(o) => serde_json::to_string(o).unwrap_or_default().into(),
        }
    }
}

/// Who may use a mailbox.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    /// Only listed users and members of listed groups may use it.
    pub restricted: bool,
    /// Users.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub users: BTreeSet<UserId>,
    /// Groups.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub groups: BTreeSet<GroupId>,
}

/// An entry of a dropdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxChoice {
    /// Mailbox id.
    #[schema(value_type = String, format = Uuid)]
    pub id: MailboxId,
    /// Address.
    pub address: String,
    /// Display name.
    pub display_name: String,
}

impl From<&Mailbox> for MailboxChoice {
    fn from(m: &Mailbox) -> Self {
        MailboxChoice { id: m.id, address: m.address.to_string(), display_name: m.display_name.to_string() }
    }
}

/// The two dropdowns of the communication manager.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dropdowns {
    /// Mailboxes usable as From (sender address).
    pub from: Vec<MailboxChoice>,
    /// Mailboxes usable as Reply-To.
    pub reply_to: Vec<MailboxChoice>,
}

impl From<sendas_core::policy::UsableMailboxes> for Dropdowns {
    fn from(u: sendas_core::policy::UsableMailboxes) -> Self {
        Dropdowns {
            from: u.from.iter().map(MailboxChoice::from).collect(),
            reply_to: u.reply_to.iter().map(MailboxChoice::from).collect(),
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Records before this time (RFC 3339).
    pub to: Option<String>,
    /// Only this mailbox.
    pub mailbox_id: Option<String>,
    /// Only this user's transactions.
    pub user_id: Option<String>,
    /// Only this outcome: `accepted`, `rejected`, `deferred` or `uncertain`.
    pub outcome: Option<String>,
    /// Page size, 1..=500.
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

/// One SMTP transaction in the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: AuditId,
    /// Time.
    pub at: String,
    /// Authenticated user.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
    /// Sending mailbox.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub mailbox_id: Option<MailboxId>,
    /// Sending mailbox's address.
    pub sending_address: Option<String>,
    /// MAIL FROM.
    pub envelope_sender: Option<String>,
    /// Number of recipients.
    pub recipients: u32,
    /// Message-ID.
    pub message_id: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// `accepted` (250), `rejected` (5xx), `deferred` (4xx: the client retries) or
    /// `uncertain` (the upstream's reply to the final dot never came: it may be delivered).
    pub outcome: String,
    /// SMTP code the client got.
    pub smtp_code: u16,
    /// Reply text the client got.
    pub smtp_reply: String,
    /// The upstream's reply.
    pub upstream_reply: Option<String>,
    /// The door: `smtp` (the proxy) or `http` (`POST /v1/me/messages`).
    pub channel: String,
    /// What authenticated it: the app password or API token (its id, never the secret) and
    /// who issued it; absent on records from before.
    pub credential: Option<AuditCredentialView>,
}

/// The credential or token of an audit record.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditCredentialView {
    /// `app_password` or `api_token`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// `user`, `admin` or `operator`, when known.
    pub issued_by: Option<String>,
}

impl From<sendas_core::model::AuditCredential> for AuditCredentialView {
    fn from(c: sendas_core::model::AuditCredential) -> Self {
        use sendas_core::model::{CredentialKind, Issuer};
        AuditCredentialView {
            kind: match c.kind {
                CredentialKind::AppPassword => "app_password".into(),
                CredentialKind::ApiToken => "api_token".into(),
            },
            id: c.id,
            issued_by: c.issued_by.map(|i| {
                match i {
                    Issuer::User => "user",
                    Issuer::Admin => "admin",
                    Issuer::Operator => "operator",
                }
                .into()
            }),
        }
    }
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        AuditView {
            id: r.id,
            at: time(r.at),
            user_id: r.user_id,
            mailbox_id: r.mailbox_id,
            sending_address: r.sending_address.map(|a| a.to_string()),
            envelope_sender: r.envelope_sender,
            recipients: r.recipients,
            message_id: r.message_id,
            size: r.size,
            outcome: r.outcome.as_str().into(),
            smtp_code: r.smtp_code,
            smtp_reply: r.smtp_reply,
            upstream_reply: r.upstream_reply,
            channel: match r.channel {
                sendas_core::model::AuditChannel::Smtp => "smtp".into(),
                sendas_core::model::AuditChannel::Http => "http".into(),
            },
            credential: r.credential.map(Into::into),
        }
    }
}

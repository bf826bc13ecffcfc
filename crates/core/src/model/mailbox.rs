//! Mailboxes: the addresses a tenant may send from or take replies at.

use super::{DisplayNamePolicy, LoginMethod, LoginMethodError, Name, SendingLimits};
use crate::{CompanyId, EmailAddress, GroupId, MailboxId, TenantId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Where a mailbox may be used from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "company_id", rename_all = "snake_case")]
pub enum MailboxScope {
    /// Usable from every company of its tenant (the `global` flag).
    Global,
    /// Usable by users who have access to this company.
    Company(CompanyId),
}

/// The boolean flags of SPEC §1 (`global` is the scope, `authenticated` is
/// the presence of SMTP settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxFlags {
    /// May appear in From / Sender / MAIL FROM.
    pub sender: bool,
    /// May appear in Reply-To.
    pub reply: bool,
    /// Only listed users and members of listed groups may use it.
    pub restricted: bool,
    /// A disabled mailbox can be used by nobody.
    pub enabled: bool,
}

/// Who may use a `restricted` mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessList {
    /// Users listed directly.
    pub users: BTreeSet<UserId>,
    /// Groups whose members may use it.
    pub groups: BTreeSet<GroupId>,
}

/// How the proxy talks to a mailbox's own SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// Implicit TLS from the first byte.
    Tls,
    /// No TLS at all: only for loopback hosts (local development, tests).
    None,
}

/// SMTP submission settings of an `authenticated` mailbox and its login
/// method. The secret (password, client secret, refresh token or key) is
/// not here: it lives in the `SecretStore` under
/// `SecretRef::mailbox(tenant, mailbox)`; `password_set` says whether one
/// was written (the name is kept from when passwords were the only secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    host: String,
    port: u16,
    tls: TlsMode,
    username: String,
    /// How the relay logs in (default: a password).
    #[serde(default)]
    login: LoginMethod,
    /// Whether the login's secret has been stored for this mailbox.
    pub password_set: bool,
}

/// Why SMTP settings were refused; the field is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettingsError {
    /// The field at fault.
    pub field: &'static str,
    /// Why.
    pub reason: &'static str,
}

impl SmtpSettings {
    /// Validates settings: a host name or IP, a non-zero port, a username
    /// without control characters, and `TlsMode::None` only for loopback.
    pub fn new(host: &str, port: u16, tls: TlsMode, username: &str) -> Result<Self, SmtpSettingsError> {
        let host = host.trim().to_ascii_lowercase();
        let valid_host = host.parse::<IpAddr>().is_ok()
            || (!host.is_empty()
                && host.len() <= 253
                && host.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }));
        if !valid_host {
            return Err(SmtpSettingsError { field: "smtp.host", reason: "not a host name or IP address" });
        }
        if port == 0 {
            return Err(SmtpSettingsError { field: "smtp.port", reason: "must be 1..=65535" });
        }
        if tls == TlsMode::None && !is_loopback(&host) {
            return Err(SmtpSettingsError {
                field: "smtp.tls",
                reason: "tls = none is allowed only for loopback hosts; use starttls or tls",
            });
        }
        if username.is_empty() || username.len() > 256 || username.chars().any(char::is_control) {
            return Err(SmtpSettingsError {
                field: "smtp.username",
                reason: "1..=256 characters, no control characters",
            });
        }
        Ok(SmtpSettings {
            host,
            port,
            tls,
            username: username.to_owned(),
            login: LoginMethod::Password,
            password_set: false,
        })
    }

    /// The same settings with another login method (validated).
    pub fn with_login(mut self, login: LoginMethod) -> Result<Self, SmtpSettingsError> {
        login.validate().map_err(|LoginMethodError { field, reason }| SmtpSettingsError { field, reason })?;
        self.login = login;
        Ok(self)
    }

    /// How the relay logs in.
    pub fn login(&self) -> &LoginMethod {
        &self.login
    }

    /// Host name or IP.
    pub fn host(&self) -> &str {
        &self.host
    }
    /// TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// TLS mode.
    pub fn tls(&self) -> TlsMode {
        self.tls
    }
    /// SMTP AUTH username.
    pub fn username(&self) -> &str {
        &self.username
    }
}

/// `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// A mailbox of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: MailboxId,
    /// Its address, unique within the tenant.
    pub address: EmailAddress,
    /// Display name shown to recipients.
    pub display_name: Name,
    /// Owning company, or global.
    pub scope: MailboxScope,
    /// Flags.
    pub flags: MailboxFlags,
    /// Present exactly when the mailbox is `authenticated`.
    pub smtp: Option<SmtpSettings>,
    /// Users and groups allowed when `restricted`.
    pub access: AccessList,
    /// The tenant's system mailbox: exactly one, never deleted, relays
    /// through the system relay.
    pub system: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// Raised by every change (the API's `ETag`); 1 when created.
    #[serde(default)]
    pub version: u64,
    /// Its own sending limits (within the tenant's mailbox ceiling; unset: the tenant's default).
    #[serde(default)]
    pub limits: SendingLimits,
    /// Which display names a message may show for it.
    #[serde(default)]
    pub display_name_policy: DisplayNamePolicy,
}

impl Mailbox {
    /// Whether mail from it goes through its own SMTP server.
    pub fn authenticated(&self) -> bool {
        self.smtp.is_some()
    }

    /// Whether it is usable from every company of its tenant.
    pub fn global(&self) -> bool {
        self.scope == MailboxScope::Global
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_settings_refuse_cleartext_to_remote_hosts() {
        assert!(SmtpSettings::new("smtp.example.com", 587, TlsMode::Starttls, "u").is_ok());
        assert!(SmtpSettings::new("127.0.0.1", 2525, TlsMode::None, "u").is_ok());
        assert!(SmtpSettings::new("::1", 2525, TlsMode::None, "u").is_ok());
        assert!(SmtpSettings::new("localhost", 2525, TlsMode::None, "u").is_ok());
        let e = SmtpSettings::new("smtp.example.com", 25, TlsMode::None, "u").err();
        assert_eq!(e.map(|e| e.field), Some("smtp.tls"));
        assert_eq!(SmtpSettings::new("bad host", 25, TlsMode::Tls, "u").err().map(|e| e.field), Some("smtp.host"));
        assert_eq!(SmtpSettings::new("h.example", 0, TlsMode::Tls, "u").err().map(|e| e.field), Some("smtp.port"));
        assert_eq!(SmtpSettings::new("h.example", 465, TlsMode::Tls, "").err().map(|e| e.field), Some("smtp.username"));
    }
}

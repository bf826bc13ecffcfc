//! The domain model: plain data with validated fields.
//!
//! Every type here is what the store persists and what the use-cases pass
//! around. Invariants that a single value can carry (a valid login, a
//! non-empty name, SMTP settings that do not send a password in clear text
//! to a remote host) are enforced by constructors.

mod audit;
mod bound_secret;
mod confirmation;
mod credential;
mod directory;
mod domain;
mod health;
mod idempotency;
mod limits;
mod login;
mod mailbox;
mod names;
mod settings;
mod template;
mod tenant;

pub use audit::{
    AuditChannel, AuditCredential, AuditFilter, AuditOutcome, AuditRecord, CredentialKind, DEFAULT_AUDIT_RETENTION,
};
pub use bound_secret::{BoundSecret, EndpointFingerprint, Unbound};
pub use confirmation::AddressConfirmation;
pub use credential::{ApiToken, Issuer, Role, SmtpCredential};
pub use directory::{Company, Group, User};
pub use domain::{
    CHALLENGE_LABEL, CHALLENGE_PREFIX, CheckResult, DomainCheck, DomainState, PlatformDomains, SendingDomain,
};
pub use health::{HealthStage, MailboxHealth};
pub use idempotency::{
    IDEMPOTENCY_PENDING, IDEMPOTENCY_RETENTION, IdempotencyClaim, IdempotencyRecord, IdempotencyState,
};
pub use limits::{Allowance, DisplayNamePolicy, LimitError, SendingLimits, TenantLimits, Window};
pub use login::{
    GOOGLE_MAIL_SCOPE, GOOGLE_TOKEN_URL, LoginMethod, LoginMethodError, MICROSOFT_SMTP_SCOPE, check_token_url,
    microsoft_token_url,
};
pub use mailbox::{AccessList, Mailbox, MailboxFlags, MailboxScope, SmtpSettings, TlsMode};
pub use names::{Login, Name, NameError};
pub use settings::SystemRelay;
pub use template::Template;
pub use tenant::{DEFAULT_MAILBOX_QUOTA, Tenant};

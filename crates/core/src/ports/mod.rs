//! Ports: the traits through which use-cases reach storage.
//!
//! Every store signature is tenant-scoped except the few lookups that
//! *establish* the tenant (a token by its id, a user by its platform-unique
//! login, the list of tenants for the operator, the platform settings).
//! Conditional writes that fail answer `StoreError::Conflict`; creating a
//! mailbox beyond the quota answers `StoreError::QuotaExceeded`, atomically
//! also under concurrent requests.

mod dns;
mod page;
mod secrets;
mod send_counter;
mod store;
mod throttle;

pub use dns::{DnsError, DnsLookup, NoResolver, without_query};
pub use page::{Page, PageRequest, read_all};
pub use secrets::{SecretRef, SecretStore};
pub use send_counter::{CounterKey, MemorySendCounter, Scope, SendCounter, Units};
pub use store::{
    AuditStore, CompanyStore, ConfirmationStore, CredentialStore, DomainStore, GroupStore, IdempotencyStore,
    MailboxStore, NewTenant, SettingsStore, Store, TemplateStore, TenantStore, TokenStore, UserStore,
};
pub use throttle::{FailureCounter, MemoryFailureCounter};

//! sendas-core: the domain of sendas without any I/O.
//!
//! It holds the parsed value types (ids, addresses, logins), the model
//! (tenant, company, user, group, mailbox, credentials, tokens, audit
//! records, platform settings), the pure permission policy of SPEC §2, the
//! ports the adapters implement (`Store`, `SecretStore`) and the use-cases
//! in [`service`] that load facts through the ports, ask the policy and
//! write the result.
//!
//! It must not depend on a runtime, on AWS, on axum or on SQLite: adapters
//! live in their own crates. With the `test-util` feature it also exports a
//! [`testing::MemoryStore`] and the store contract suite that every backend
//! is held to.

pub mod address;
pub mod error;
pub mod ids;
pub mod limiter;
pub mod model;
pub mod policy;
pub mod ports;
pub mod render;
pub mod secret;
pub mod service;
pub mod time;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

#[cfg(test)]
mod testing_support;

pub use address::{AddressError, DomainName, EmailAddress};
pub use error::{ServiceError, StoreError};
pub use ids::{
    AuditId, CompanyId, CredentialId, DomainId, GroupId, IdError, MailboxId, TemplateId, TenantId, TokenId, UserId,
};
pub use time::Timestamp;

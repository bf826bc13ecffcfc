//! Identifiers as parsed newtypes: a value that exists is a valid UUID.
//!
//! New ids are UUIDv7, so they sort by creation time in every backend.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// An id string that is not a UUID.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("not a valid id")]
pub struct IdError;

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7())
            }

            /// Parses the hyphenated form (case-insensitive).
            pub fn parse(s: &str) -> Result<Self, IdError> {
                if s.len() != 36 {
                    return Err(IdError);
                }
                uuid::Uuid::parse_str(s).map($name).map_err(|_| IdError)
            }

            /// The lower-case hyphenated form.
            pub fn as_string(&self) -> String {
                self.0.hyphenated().to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.as_string()
            }
        }
    };
}

define_id!(
    /// A tenant: one SaaS customer, the hard isolation boundary.
    TenantId
);
define_id!(
    /// A company (German "Mandant") inside a tenant.
    CompanyId
);
define_id!(
    /// A user of a tenant.
    UserId
);
define_id!(
    /// A group of users of a tenant.
    GroupId
);
define_id!(
    /// A mailbox (an address of a tenant).
    MailboxId
);
define_id!(
    /// An SMTP credential (app password) of a user.
    CredentialId
);
define_id!(
    /// An API token.
    TokenId
);
define_id!(
    /// One audit record.
    AuditId
);
define_id!(
    /// A message template.
    TemplateId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = TenantId::generate();
        assert_eq!(TenantId::parse(&id.to_string()), Ok(id));
        assert_eq!(TenantId::parse(&id.to_string().to_uppercase()), Ok(id));
        for bad in ["", "x", "00000000000000000000000000000000", "{00000000-0000-0000-0000-000000000000}"] {
            assert_eq!(TenantId::parse(bad), Err(IdError), "{bad}");
        }
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, format!("\"{id}\""));
        assert!(serde_json::from_str::<TenantId>("\"nope\"").is_err());
    }

    #[test]
    fn generated_ids_sort_by_creation() {
        let a = MailboxId::generate();
        let b = MailboxId::generate();
        assert!(a.to_string() < b.to_string());
    }
}
define_id!(
    /// A sending domain claimed by a tenant.
    DomainId
);

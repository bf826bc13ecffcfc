//! Key builders of the single-table design (see the crate docs).

use sendas_core::{AuditId, EmailAddress, Timestamp};
use std::fmt::Display;

pub(crate) const PK: &str = "PK";
pub(crate) const SK: &str = "SK";
pub(crate) const GSI1: &str = "GSI1";
pub(crate) const GSI1PK: &str = "GSI1PK";
pub(crate) const GSI1SK: &str = "GSI1SK";
pub(crate) const TTL: &str = "ttl";

pub(crate) fn tenant_pk(t: impl Display) -> String {
    format!("TENANT#{t}")
}
pub(crate) const TENANT_SK: &str = "TENANT";
pub(crate) const TENANTS: &str = "TENANTS";

pub(crate) fn login_pk(login: impl Display) -> String {
    format!("LOGIN#{login}")
}
pub(crate) const LOGIN_SK: &str = "LOGIN";

pub(crate) fn address_sk(a: &EmailAddress) -> String {
    format!("ADDRESS#{a}")
}

pub(crate) fn token_pk(id: impl Display) -> String {
    format!("TOKEN#{id}")
}
pub(crate) const TOKEN_SK: &str = "TOKEN";
pub(crate) fn tokens_gsi(tenant: Option<impl Display>) -> String {
    match tenant {
        Some(t) => format!("TOKENS#{t}"),
        None => "TOKENS#OPERATOR".into(),
    }
}

pub(crate) fn audit_pk(t: impl Display) -> String {
    format!("AUDIT#{t}")
}
pub(crate) fn audit_mailbox_gsi(t: impl Display, m: impl Display) -> String {
    format!("AUDIT#{t}#{m}")
}
/// Sort key of an audit record: zero-padded millis so that string order is time order.
pub(crate) fn audit_sk(at: Timestamp, id: AuditId) -> String {
    format!("{:020}#{id}", at.millis().max(0))
}
/// Lowest sort key at or after `at`.
pub(crate) fn audit_sk_floor(at: Timestamp) -> String {
    format!("{:020}", at.millis().max(0))
}
/// Highest sort key strictly before `at`.
pub(crate) fn audit_sk_ceiling_before(at: Timestamp) -> String {
    format!("{:020}#~", (at.millis() - 1).max(0))
}

/// Mailbox health items: their own partition per tenant, so the proxy may write them and nothing else.
pub(crate) fn health_pk(t: impl Display) -> String {
    format!("HEALTH#{t}")
}

pub(crate) const PLATFORM: &str = "PLATFORM";
pub(crate) const SYSTEM_RELAY_SK: &str = "SYSTEM_RELAY";

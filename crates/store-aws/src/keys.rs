//! Key builders of the single-table design (see the crate docs).

use sendas_core::{AuditId, DomainName, EmailAddress, Timestamp};
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
/// The tenant's mailbox counter item (same partition, own item): `n`
/// non-system mailboxes and a copy of the tenant's `quota`, so creating or
/// deleting a mailbox never rewrites the tenant item (and its GSI1 entry
/// under the one `TENANTS` key).
pub(crate) const MAILBOX_COUNT_SK: &str = "MAILBOXCOUNT";
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

/// Audit partitions per tenant, and per mailbox on GSI1. A record goes to
/// the shard its id picks, so a busy tenant's (or mailbox's) appends spread
/// over this many partition keys instead of capping near the ~1,000
/// writes/s of one; a page by time reads every shard and merges.
pub(crate) const AUDIT_SHARDS: u8 = 8;

/// The shard of an audit record: the low bits of its id (UUIDv7: random).
pub(crate) fn audit_shard(id: AuditId) -> u8 {
    let last = id.as_string().bytes().last().unwrap_or(b'0');
    (last as char).to_digit(16).map_or(0, |d| d as u8) % AUDIT_SHARDS
}
pub(crate) fn audit_pk(t: impl Display, shard: u8) -> String {
    format!("AUDIT#{t}#{shard}")
}
pub(crate) fn audit_mailbox_gsi(t: impl Display, m: impl Display, shard: u8) -> String {
    format!("AUDIT#{t}#{m}#{shard}")
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

/// A user's `Idempotency-Key` records (HTTP send), expired by TTL.
pub(crate) fn idempotency_pk(t: impl Display, u: impl Display) -> String {
    format!("IDEMP#{t}#{u}")
}

pub(crate) const PLATFORM: &str = "PLATFORM";
pub(crate) const SYSTEM_RELAY_SK: &str = "SYSTEM_RELAY";

/// The settings item of the platform domains (under `PLATFORM`).
pub(crate) const PLATFORM_DOMAINS_SK: &str = "PLATFORM_DOMAINS";

/// The partition of a tenant's claims of sending domains: apart from the
/// tenant's other items, so the re-check's IAM principal may write claims
/// (`CLAIMS#*`, `DOMAIN#*`) and nothing else of a tenant.
pub(crate) fn claims_pk(t: impl Display) -> String {
    format!("CLAIMS#{t}")
}
/// A tenant's claim of a sending domain (under `CLAIMS#<t>`).
pub(crate) fn domain_sk(id: impl Display) -> String {
    format!("DOMAIN#{id}")
}
/// The SK prefix of a tenant's claims (`DOMAINNAME#` does not begin with it).
pub(crate) const DOMAIN_PREFIX: &str = "DOMAIN#";
/// The item that makes a name claimed once per tenant (under `CLAIMS#<t>`).
pub(crate) fn domain_name_sk(name: &DomainName) -> String {
    format!("DOMAINNAME#{name}")
}
/// Every tenant's claims on GSI1 (the re-check and the operator's view), GSI1SK `<t>#<id>`.
pub(crate) const DOMAINS: &str = "DOMAINS";
/// The platform-wide claim of a domain that holds: one item per name.
pub(crate) fn domain_claim_pk(name: &DomainName) -> String {
    format!("DOMAIN#{name}")
}
pub(crate) const DOMAIN_CLAIM_SK: &str = "DOMAIN";

/// The platform-wide claim of a system mailbox's address.
pub(crate) fn system_address_pk(a: &EmailAddress) -> String {
    format!("SYSADDR#{a}")
}
pub(crate) const SYSTEM_ADDRESS_SK: &str = "SYSADDR";

/// A tenant's confirmed address (under `TENANT#<t>`).
pub(crate) fn confirmation_sk(a: &EmailAddress) -> String {
    format!("CONFIRM#{a}")
}
pub(crate) const CONFIRMATION_PREFIX: &str = "CONFIRM#";

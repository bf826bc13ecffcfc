//! Sending domains (SPEC §1): a domain a tenant claims and proves it owns
//! with a DNS TXT record, or that the operator assigns; and the platform
//! domains, in which only the operator places addresses.

use crate::{DomainId, DomainName, EmailAddress, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// The label under the domain that holds the ownership record.
pub const CHALLENGE_LABEL: &str = "_sendas-challenge";
/// The prefix of the ownership record's value.
pub const CHALLENGE_PREFIX: &str = "sendas-verification=";

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    /// Claimed; the record was not found yet. Holds nothing.
    Pending,
    /// Its Unicode skeleton equals another tenant's domain or a platform
    /// domain: held until the operator assigns or releases it.
    Review,
    /// The record was found: the domain is the tenant's.
    Verified,
    /// The record was answered missing at every check for 72 h (or the
    /// resolver failed for 7 days): its mailboxes are not usable until it
    /// verifies again; whoever proves it next gets it.
    Lapsed,
    /// The operator's word, not re-checked.
    Assigned,
}

impl DomainState {
    /// Whether the domain belongs to its tenant (the platform-wide claim is held).
    pub fn holds(self) -> bool {
        matches!(self, DomainState::Verified | DomainState::Assigned)
    }
}

/// What one DNS check of the ownership record answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// The record with the expected value was found.
    Found,
    /// The name does not exist (NXDOMAIN).
    NoSuchName,
    /// The name has no TXT record.
    NoRecord,
    /// TXT records are there, none with the expected value.
    WrongValue,
    /// The resolver could not answer (SERVFAIL, REFUSED, timeout, network).
    ResolverFailed,
}

impl CheckResult {
    /// Whether this is an answer that the record is missing (as opposed to a resolver failure).
    pub fn is_missing(self) -> bool {
        matches!(self, CheckResult::NoSuchName | CheckResult::NoRecord | CheckResult::WrongValue)
    }
}

/// The last check of a domain's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheck {
    /// When it ran.
    pub at: Timestamp,
    /// What it found.
    pub result: CheckResult,
    /// What the resolver answered, in words (no secret: the record is public).
    pub detail: String,
}

/// A tenant's claim of a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingDomain {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its id.
    pub id: DomainId,
    /// The domain, normalised.
    pub name: DomainName,
    /// Where it stands.
    pub state: DomainState,
    /// The random value (≥ 128 bits, base32) of the TXT record to publish.
    pub challenge: String,
    /// When it was claimed (or assigned).
    pub created_at: Timestamp,
    /// When the record was last found (or the operator assigned it).
    pub verified_at: Option<Timestamp>,
    /// When it lapsed, if it is lapsed.
    pub lapsed_at: Option<Timestamp>,
    /// Since when every check answered the record missing (reset when found).
    pub missing_since: Option<Timestamp>,
    /// Since when every check failed to get an answer (reset by any answer).
    pub failing_since: Option<Timestamp>,
    /// The last check, if any.
    pub last_check: Option<DomainCheck>,
    /// Optimistic-concurrency version, one higher on every write.
    pub version: u64,
}

impl SendingDomain {
    /// The absolute name of the ownership record.
    pub fn record_name(&self) -> String {
        format!("{CHALLENGE_LABEL}.{}", self.name)
    }

    /// The value of the ownership record.
    pub fn record_value(&self) -> String {
        format!("{CHALLENGE_PREFIX}{}", self.challenge)
    }
}

/// The operator's platform domains and the platform's sender.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformDomains {
    /// Domains in which only the operator places addresses (and every name under them).
    pub domains: Vec<DomainName>,
    /// The no-reply address that sends confirmation codes; in a platform domain.
    pub sender: Option<EmailAddress>,
}

impl PlatformDomains {
    /// Whether `name` is a platform domain or a name under one.
    pub fn covers(&self, name: &DomainName) -> bool {
        self.domains.iter().any(|d| name.is_within(d))
    }
}

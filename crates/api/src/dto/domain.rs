//! Sending domains, the records to publish, and the platform domains.

use super::time;
use sendas_core::DomainId;
use sendas_core::model::{CheckResult, DomainState, PlatformDomains};
use sendas_core::service::domains::DomainStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A domain to claim (admin) or assign (operator).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainBody {
    /// The domain, e.g. `bigbank.example` (Unicode or A-labels; stored as lower-case A-labels).
    pub name: String,
}

/// Where a claim stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DomainStateName {
    /// Claimed; the record was not found yet.
    Pending,
    /// Looks like another tenant's domain or a platform domain: held for the operator's review.
    Review,
    /// The record was found: the domain is this tenant's.
    Verified,
    /// The record went missing for 72 h: its mailboxes are not usable until it verifies again.
    Lapsed,
    /// Assigned by the operator (not re-checked).
    Assigned,
}

impl From<DomainState> for DomainStateName {
    fn from(s: DomainState) -> Self {
        match s {
            DomainState::Pending => DomainStateName::Pending,
            DomainState::Review => DomainStateName::Review,
            DomainState::Verified => DomainStateName::Verified,
            DomainState::Lapsed => DomainStateName::Lapsed,
            DomainState::Assigned => DomainStateName::Assigned,
        }
    }
}

/// A DNS record to publish.
#[derive(Debug, Serialize, ToSchema)]
pub struct DnsRecordView {
    /// Its purpose: `ownership`.
    pub purpose: &'static str,
    /// The absolute name, without the trailing dot.
    pub name: String,
    /// The record type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The value (for TXT: one character string).
    pub value: String,
}

/// What the last lookup answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainCheckView {
    /// When it ran.
    pub at: String,
    /// `found`, `no_such_name` (NXDOMAIN), `no_record`, `wrong_value` or `resolver_failed`.
    pub result: String,
    /// What the resolver answered, in words.
    pub detail: String,
}

/// A sending domain as its tenant sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainView {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: DomainId,
    /// The tenant that claimed it (the operator's list of every claim links to it).
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: sendas_core::TenantId,
    /// The domain (lower-case A-labels).
    pub name: String,
    /// The domain in Unicode.
    pub name_unicode: String,
    /// Where it stands.
    pub state: DomainStateName,
    /// The records to publish.
    pub records: Vec<DnsRecordView>,
    /// Claimed (or assigned) at.
    pub created_at: String,
    /// The record was last found (or the operator assigned it) at.
    pub verified_at: Option<String>,
    /// It lapsed at.
    pub lapsed_at: Option<String>,
    /// Every check since this time answered the record missing.
    pub missing_since: Option<String>,
    /// Every check since this time failed to get an answer.
    pub failing_since: Option<String>,
    /// The last lookup.
    pub last_check: Option<DomainCheckView>,
    /// Another tenant holds this domain now: this claim cannot verify.
    pub held_elsewhere: bool,
    /// Raised by every change.
    pub version: u64,
}

fn result_name(r: CheckResult) -> &'static str {
    match r {
        CheckResult::Found => "found",
        CheckResult::NoSuchName => "no_such_name",
        CheckResult::NoRecord => "no_record",
        CheckResult::WrongValue => "wrong_value",
        CheckResult::ResolverFailed => "resolver_failed",
    }
}

impl From<DomainStatus> for DomainView {
    fn from(s: DomainStatus) -> Self {
        let d = s.domain;
        let records =
            vec![DnsRecordView { purpose: "ownership", name: d.record_name(), kind: "TXT", value: d.record_value() }];
        DomainView {
            id: d.id,
            tenant_id: d.tenant_id,
            name: d.name.to_string(),
            name_unicode: d.name.to_unicode(),
            state: d.state.into(),
            records,
            created_at: time(d.created_at),
            verified_at: d.verified_at.map(time),
            lapsed_at: d.lapsed_at.map(time),
            missing_since: d.missing_since.map(time),
            failing_since: d.failing_since.map(time),
            last_check: d.last_check.map(|c| DomainCheckView {
                at: time(c.at),
                result: result_name(c.result).to_owned(),
                detail: c.detail,
            }),
            held_elsewhere: s.held_elsewhere,
            version: d.version,
        }
    }
}

/// The platform domains and the platform's sender (operator).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformDomainsView {
    /// Domains in which only the operator places addresses (and every name under them).
    pub domains: Vec<String>,
    /// The no-reply address, in a platform domain, that sends confirmation codes.
    pub sender: Option<String>,
}

impl From<PlatformDomains> for PlatformDomainsView {
    fn from(p: PlatformDomains) -> Self {
        PlatformDomainsView {
            domains: p.domains.iter().map(ToString::to_string).collect(),
            sender: p.sender.map(|s| s.to_string()),
        }
    }
}

/// A system mailbox's new address (operator).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemAddressBody {
    /// In a platform domain or a domain of the tenant; unique across the platform.
    pub address: String,
}

/// An entered confirmation code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// The 8 characters from the message (case, spaces and hyphens do not matter).
    pub code: String,
}

impl std::fmt::Debug for CodeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeBody { code: [redacted] }")
    }
}

/// A mailbox address's confirmation (never the code).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationView {
    /// The address, normalised.
    pub address: String,
    /// When it was confirmed; absent while unconfirmed.
    pub confirmed_at: Option<String>,
    /// Until when the code in flight is valid; absent when none waits.
    pub code_expires_at: Option<String>,
    /// Entries left for the code in flight.
    pub tries_left: u32,
    /// Codes sent to the address within 24 h (at most 3).
    pub codes_sent_today: u32,
}

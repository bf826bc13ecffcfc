//! SPEC §2 rule 0: is a mailbox's address owned by its tenant? Decided
//! from plain data — the tenant's domain claims, its confirmed addresses,
//! the platform domains — loaded by `service::ownership`.

use crate::model::{AddressConfirmation, DomainState, Mailbox, PlatformDomains, SendingDomain};
use crate::{DomainName, EmailAddress};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why an address is (or is not) owned: the mailbox view's `ownership`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    /// In a `verified` or `assigned` sending domain of the tenant.
    VerifiedDomain,
    /// A confirmed address of the tenant.
    Confirmed,
    /// A system mailbox's address in a platform domain, set by the operator.
    Operator,
    /// Its domain is claimed but not verified (or held for review).
    PendingDomain,
    /// Its domain lapsed: the record went missing.
    LapsedDomain,
    /// No claim and no confirmation (or a platform domain address that is
    /// not a system mailbox's).
    Unconfirmed,
}

impl Ownership {
    /// Whether mail may be sent from the address (rule 0 holds).
    pub fn is_owned(self) -> bool {
        matches!(self, Ownership::VerifiedDomain | Ownership::Confirmed | Ownership::Operator)
    }
}

/// What rule 0 needs to know about one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnershipBook {
    domains: BTreeMap<DomainName, DomainState>,
    confirmed: BTreeSet<EmailAddress>,
    platform: PlatformDomains,
}

impl OwnershipBook {
    /// The book of a tenant: its claims, its confirmation records, the
    /// platform domains, and the domains another tenant holds (a
    /// confirmation in such a domain ended when that tenant proved it).
    pub fn new(
        domains: &[SendingDomain],
        confirmations: &[AddressConfirmation],
        platform: PlatformDomains,
        held_elsewhere: &BTreeSet<DomainName>,
    ) -> Self {
        let confirmed = confirmations
            .iter()
            .filter(|c| c.confirmed_at.is_some())
            .filter(|c| !held_elsewhere.contains(&c.address.domain_name()))
            .filter(|c| !platform.covers(&c.address.domain_name()))
            .map(|c| c.address.clone())
            .collect();
        OwnershipBook { domains: domains.iter().map(|d| (d.name.clone(), d.state)).collect(), confirmed, platform }
    }

    /// A book in which every mailbox's domain is assigned to its tenant (tests of rules 1-4).
    #[cfg(any(test, feature = "test-util"))]
    pub fn assigning<'a>(mailboxes: impl IntoIterator<Item = &'a Mailbox>) -> Self {
        let domains = mailboxes.into_iter().map(|m| (m.address.domain_name(), DomainState::Assigned)).collect();
        OwnershipBook { domains, ..Default::default() }
    }

    /// The platform domains the book was made with.
    pub fn platform(&self) -> &PlatformDomains {
        &self.platform
    }

    /// Rule 0 for one mailbox. A domain covers exactly itself (never a
    /// subdomain); a platform domain's names are the operator's, owned
    /// only by a system mailbox (whose address only the operator sets).
    pub fn of(&self, mailbox: &Mailbox) -> Ownership {
        let domain = mailbox.address.domain_name();
        if self.platform.covers(&domain) {
            return if mailbox.system { Ownership::Operator } else { Ownership::Unconfirmed };
        }
        match self.domains.get(&domain) {
            Some(DomainState::Verified | DomainState::Assigned) => Ownership::VerifiedDomain,
            _ if self.confirmed.contains(&mailbox.address) => Ownership::Confirmed,
            Some(DomainState::Pending | DomainState::Review) => Ownership::PendingDomain,
            Some(DomainState::Lapsed) => Ownership::LapsedDomain,
            None => Ownership::Unconfirmed,
        }
    }
}

//! Rule 0 exhaustively: every claim state, confirmation, platform and
//! look-alike case of one address, against SPEC §1 written out.

use super::*;
use crate::model::{AccessList, AddressConfirmation, DomainState, Mailbox, MailboxFlags, MailboxScope, Name};
use crate::model::{PlatformDomains, SendingDomain};
use crate::{DomainId, DomainName, EmailAddress, MailboxId, TenantId, Timestamp};
use std::collections::BTreeSet;

const STATES: [Option<DomainState>; 6] = [
    None,
    Some(DomainState::Pending),
    Some(DomainState::Review),
    Some(DomainState::Verified),
    Some(DomainState::Lapsed),
    Some(DomainState::Assigned),
];

fn mailbox(tenant: TenantId, address: &str, system: bool) -> Mailbox {
    Mailbox {
        display_name_policy: Default::default(),
        limits: Default::default(),
        tenant_id: tenant,
        id: MailboxId::generate(),
        address: EmailAddress::parse(address).expect("valid address"),
        display_name: Name::parse("M").expect("valid name"),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
        access: AccessList::default(),
        system,
        created_at: Timestamp(0),
        version: 1,
    }
}

fn claim(tenant: TenantId, name: &str, state: DomainState) -> SendingDomain {
    SendingDomain {
        tenant_id: tenant,
        id: DomainId::generate(),
        name: DomainName::parse(name).expect("valid domain"),
        state,
        challenge: "c".into(),
        created_at: Timestamp(0),
        verified_at: None,
        lapsed_at: None,
        missing_since: None,
        failing_since: None,
        last_check: None,
        version: 1,
    }
}

fn confirmation(tenant: TenantId, address: &str, confirmed: bool) -> AddressConfirmation {
    AddressConfirmation {
        tenant_id: tenant,
        address: EmailAddress::parse(address).expect("valid address"),
        code_hash: None,
        code_expires_at: None,
        failed_tries: 0,
        sent: vec![],
        confirmed_at: confirmed.then_some(Timestamp(1)),
        version: 1,
    }
}

/// SPEC §1 "owned address", written independently of `OwnershipBook::of`.
fn expected(
    state: Option<DomainState>,
    confirmed: bool,
    held_elsewhere: bool,
    platform: bool,
    system: bool,
) -> Ownership {
    if platform {
        return if system { Ownership::Operator } else { Ownership::Unconfirmed };
    }
    match state {
        Some(DomainState::Verified | DomainState::Assigned) => Ownership::VerifiedDomain,
        _ if confirmed && !held_elsewhere => Ownership::Confirmed,
        Some(DomainState::Pending | DomainState::Review) => Ownership::PendingDomain,
        Some(DomainState::Lapsed) => Ownership::LapsedDomain,
        None => Ownership::Unconfirmed,
    }
}

#[test]
fn every_combination_of_ownership_inputs_matches_the_spec() {
    let t = TenantId::generate();
    let mut seen = BTreeSet::new();
    for state in STATES {
        for bits in 0..16u32 {
            let bit = |i: u32| bits & (1 << i) != 0;
            let (confirmed, held_elsewhere, platform, system) = (bit(0), bit(1), bit(2), bit(3));
            let domain = if platform { "mail.saas.example" } else { "bigbank.example" };
            let address = format!("ceo@{domain}");
            let domains: Vec<_> = state.map(|s| claim(t, domain, s)).into_iter().collect();
            let confirmations = [confirmation(t, &address, confirmed)];
            let platform_domains =
                PlatformDomains { domains: vec![DomainName::parse("saas.example").expect("valid")], sender: None };
            let elsewhere: BTreeSet<_> =
                held_elsewhere.then(|| DomainName::parse(domain).expect("valid")).into_iter().collect();
            let book = OwnershipBook::new(&domains, &confirmations, platform_domains, &elsewhere);
            let got = book.of(&mailbox(t, &address, system));
            assert_eq!(got, expected(state, confirmed, held_elsewhere, platform, system), "{state:?} {bits:04b}");
            seen.insert((format!("{state:?}"), bits));
        }
    }
    assert_eq!(seen.len(), 6 * 16);
}

#[test]
fn a_domain_covers_exactly_itself() {
    let t = TenantId::generate();
    let book = OwnershipBook::new(
        &[claim(t, "bigbank.example", DomainState::Verified)],
        &[],
        PlatformDomains::default(),
        &BTreeSet::new(),
    );
    assert_eq!(book.of(&mailbox(t, "ceo@BIGBANK.example", false)), Ownership::VerifiedDomain);
    for near in ["ceo@sub.bigbank.example", "ceo@evilbigbank.example", "ceo@bigbank.example.com", "ceo@bígbank.example"]
    {
        assert_eq!(book.of(&mailbox(t, near, false)), Ownership::Unconfirmed, "{near}");
    }
    assert!(EmailAddress::parse("ceo@bigbank.example.").is_err(), "a trailing dot never matches");
}

#[test]
fn a_platform_domain_and_its_subdomains_are_the_operators() {
    let t = TenantId::generate();
    let platform = PlatformDomains { domains: vec![DomainName::parse("saas.example").expect("valid")], sender: None };
    // Even a claim of a name under a platform domain (which the service refuses) owns nothing.
    let book = OwnershipBook::new(
        &[claim(t, "t1.saas.example", DomainState::Assigned)],
        &[confirmation(t, "x@saas.example", true)],
        platform,
        &BTreeSet::new(),
    );
    assert_eq!(book.of(&mailbox(t, "x@saas.example", false)), Ownership::Unconfirmed);
    assert_eq!(book.of(&mailbox(t, "x@t1.saas.example", false)), Ownership::Unconfirmed);
    assert_eq!(book.of(&mailbox(t, "t1@t1.saas.example", true)), Ownership::Operator);
    assert_eq!(book.of(&mailbox(t, "x@notsaas.example", true)), Ownership::Unconfirmed);
}

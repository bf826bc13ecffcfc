//! Contract cases: sending domains belong to one tenant platform-wide
//! (also under races), confirmations and the platform domains round-trip.

use super::{Backend, ok};
use crate::error::{DOMAIN_CLAIMED, StoreError};
use crate::model::{AddressConfirmation, DomainState, MailboxScope, PlatformDomains, SendingDomain};
use crate::ports::PageRequest;
use crate::service::domains::assigned;
use crate::testing::fixtures::*;
use crate::{DomainName, TenantId, Timestamp};
use futures::future::join_all;

fn domain(s: &str) -> DomainName {
    DomainName::parse(s).unwrap_or_else(|e| panic!("fixture domain {s:?}: {e}"))
}

fn pending(tenant: TenantId, name: &str) -> SendingDomain {
    let mut d = assigned(tenant, domain(name), Timestamp::now()).unwrap_or_else(|e| panic!("claim: {e}"));
    d.state = DomainState::Pending;
    d.verified_at = None;
    d
}

fn with_state(d: &SendingDomain, state: DomainState) -> SendingDomain {
    SendingDomain { state, version: d.version + 1, ..d.clone() }
}

fn claimed<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(m)) if m.contains(DOMAIN_CLAIMED))
}

async fn tenant(b: &Backend, name: &str) -> TenantId {
    let new = new_tenant(name, 1);
    ok(b.store.create_tenant(&new).await, "tenant");
    new.tenant.id
}

/// Claims round-trip; a pending claim holds nothing; verifying takes the
/// platform-wide claim, lapsing and deleting free it; a retried write is no conflict.
pub async fn domain_claims_are_held_by_one_tenant(b: Backend) {
    let s = &*b.store;
    let (a, c) = (tenant(&b, "a.example").await, tenant(&b, "c.example").await);
    let name = domain("bigbank.example");
    let (pa, pc) = (pending(a, "bigbank.example"), pending(c, "bigbank.example"));
    ok(s.create_domain(&pa).await, "A claims");
    ok(s.create_domain(&pc).await, "C claims too: a pending claim holds nothing");
    assert!(matches!(s.create_domain(&pending(a, "bigbank.example")).await, Err(StoreError::Conflict(_))), "twice");
    assert_eq!(ok(s.domain_holder(&name).await, "holder"), None);
    assert_eq!(ok(s.get_domain(a, pa.id).await, "get"), pa);
    assert!(matches!(s.get_domain(c, pa.id).await, Err(StoreError::NotFound)), "another tenant's claim");

    let va = with_state(&pa, DomainState::Verified);
    ok(s.update_domain(&pa, &va).await, "A verifies");
    ok(s.update_domain(&pa, &va).await, "the same write again (a retry) is no conflict");
    assert_eq!(ok(s.domain_holder(&name).await, "holder"), Some((a, pa.id)));
    let vc = with_state(&pc, DomainState::Verified);
    assert!(claimed(&s.update_domain(&pc, &vc).await), "C cannot verify what A holds");
    assert_eq!(ok(s.get_domain(c, pc.id).await, "C unchanged"), pc);
    let e = tenant(&b, "e.example").await;
    assert!(claimed(&s.create_domain(&with_state(&pending(e, "bigbank.example"), DomainState::Assigned)).await));
    assert!(ok(s.list_domains(e, &PageRequest::first()).await, "E's").items.is_empty(), "nothing of it written");
    assert!(matches!(
        s.update_domain(&pa, &with_state(&pa, DomainState::Lapsed)).await,
        Err(StoreError::VersionMismatch)
    ));

    let la = with_state(&va, DomainState::Lapsed);
    ok(s.update_domain(&va, &la).await, "A lapses");
    assert_eq!(ok(s.domain_holder(&name).await, "holder"), None, "a lapsed domain goes to whoever proves it next");
    ok(s.update_domain(&pc, &vc).await, "C verifies");
    assert!(claimed(&s.update_domain(&la, &with_state(&la, DomainState::Verified)).await), "A comes back too late");
    ok(s.delete_domain(&vc).await, "the operator releases C's");
    assert_eq!(ok(s.domain_holder(&name).await, "holder"), None);
    assert!(matches!(s.delete_domain(&vc).await, Err(StoreError::NotFound)));

    let mine = ok(s.list_domains(a, &PageRequest::first()).await, "list");
    assert_eq!(mine.items.iter().map(|d| d.id).collect::<Vec<_>>(), vec![pa.id]);
    let all = ok(crate::ports::read_all(|p| async move { s.list_all_domains(&p).await }).await, "all");
    assert_eq!(all.len(), 1, "C's claim is gone, A's lapsed one stays");
    assert_eq!(all[0], la);
}

/// Ten tenants verify the same domain at once: exactly one holds it.
pub async fn ten_tenants_racing_for_a_domain_one_winner(b: Backend) {
    let mut claims = Vec::new();
    for i in 0..10 {
        let t = tenant(&b, &format!("r{i}.example")).await;
        let p = pending(t, "contested.example");
        ok(b.store.create_domain(&p).await, "claim");
        claims.push(p);
    }
    let results = join_all(claims.iter().map(|p| {
        let store = b.store.clone();
        async move { store.update_domain(p, &with_state(p, DomainState::Verified)).await }
    }))
    .await;
    let wins: Vec<_> = claims.iter().zip(&results).filter(|(_, r)| r.is_ok()).map(|(p, _)| p.tenant_id).collect();
    assert_eq!(wins.len(), 1, "results: {results:?}");
    assert!(results.iter().filter(|r| r.is_err()).all(claimed), "the others: {results:?}");
    let holder = ok(b.store.domain_holder(&domain("contested.example")).await, "holder");
    assert_eq!(holder.map(|(t, _)| t), Some(wins[0]));
}

/// A system mailbox cannot take another tenant's system address.
pub async fn system_addresses_are_unique_across_the_platform(b: Backend) {
    let s = &*b.store;
    let (a, c) = (new_tenant("sa.example", 1), new_tenant("sc.example", 1));
    ok(s.create_tenant(&a).await, "a");
    ok(s.create_tenant(&c).await, "c");
    let mut moved = c.system_mailbox.clone();
    moved.address = a.system_mailbox.address.clone();
    moved.version += 1;
    assert!(matches!(s.update_mailbox(&c.system_mailbox, &moved).await, Err(StoreError::Conflict(_))));
    moved.address = address("new@sc.example");
    ok(s.update_mailbox(&c.system_mailbox, &moved).await, "a free address");
    let mut back = a.system_mailbox.clone();
    back.address = address("system@sc.example");
    back.version += 1;
    ok(s.update_mailbox(&a.system_mailbox, &back).await, "the address c left is free again");
    // An ordinary mailbox may share an address with another tenant's (addresses are unique per tenant).
    ok(s.create_mailbox(&mailbox(c.tenant.id, "new@sa.example", MailboxScope::Global)).await, "ordinary");
}

/// Confirmation records and the platform domains round-trip, versioned.
pub async fn confirmations_and_platform_domains_round_trip(b: Backend) {
    let s = &*b.store;
    let t = tenant(&b, "conf.example").await;
    let other = tenant(&b, "conf2.example").await;
    let addr = address("ceo@small.example");
    assert!(matches!(s.get_confirmation(t, &addr).await, Err(StoreError::NotFound)));
    let c = AddressConfirmation {
        tenant_id: t,
        address: addr.clone(),
        code_hash: Some("ab".repeat(32)),
        code_expires_at: Some(Timestamp(1_000)),
        failed_tries: 0,
        sent: vec![Timestamp(10)],
        confirmed_at: None,
        version: 1,
    };
    ok(s.put_confirmation(None, &c).await, "create");
    assert!(matches!(s.put_confirmation(None, &c).await, Err(StoreError::Conflict(_))));
    let done = AddressConfirmation { code_hash: None, confirmed_at: Some(Timestamp(20)), version: 2, ..c.clone() };
    ok(s.put_confirmation(Some(&c), &done).await, "confirm");
    assert!(matches!(s.put_confirmation(Some(&c), &done).await, Err(StoreError::VersionMismatch)), "stale");
    assert_eq!(ok(s.get_confirmation(t, &addr).await, "get"), done);
    assert_eq!(ok(s.list_confirmations(t).await, "list"), vec![done]);
    assert!(ok(s.list_confirmations(other).await, "other tenant").is_empty());
    ok(s.delete_confirmation(t, &addr).await, "delete");
    ok(s.delete_confirmation(t, &addr).await, "delete again");
    assert!(ok(s.list_confirmations(t).await, "list").is_empty());

    assert_eq!(ok(s.get_platform_domains().await, "unset"), PlatformDomains::default());
    let p = PlatformDomains {
        domains: vec![domain("mail.saas.example")],
        sender: Some(address("no-reply@mail.saas.example")),
    };
    ok(s.put_platform_domains(&p).await, "put");
    assert_eq!(ok(s.get_platform_domains().await, "get"), p);
}

//! Contract cases: tenants, companies, users, groups, pagination, isolation.

use super::{Backend, ok};
use crate::error::StoreError;
use crate::model::{Group, MailboxScope, User};
use crate::ports::PageRequest;
use crate::testing::fixtures::*;
use crate::{CompanyId, GroupId, MailboxId, TenantId, UserId};

/// A tenant, its company, system mailbox and admin token are readable after creation.
pub async fn tenants_round_trip(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("one.example", 3);
    ok(s.create_tenant(&new).await, "create tenant");
    assert_eq!(ok(s.get_tenant(new.tenant.id).await, "get"), new.tenant);
    assert_eq!(ok(s.get_company(new.tenant.id, new.company.id).await, "company"), new.company);
    assert_eq!(ok(s.get_mailbox(new.tenant.id, new.system_mailbox.id).await, "system mailbox"), new.system_mailbox);
    assert_eq!(ok(s.get_token(new.admin_token.id).await, "token"), new.admin_token);
    let by_address = ok(s.find_mailbox_by_address(new.tenant.id, &new.system_mailbox.address).await, "by address");
    assert_eq!(by_address.id, new.system_mailbox.id);

    let mut changed = new.tenant.clone();
    changed.enabled = false;
    changed.mailbox_quota = 7;
    changed.name = name("renamed");
    ok(s.update_tenant(&changed).await, "update");
    assert_eq!(ok(s.get_tenant(changed.id).await, "get after update"), changed);
    let page = ok(s.list_tenants(&PageRequest::first()).await, "list");
    assert_eq!(page.items, vec![changed]);
    assert_eq!(page.next, None);
}

/// Creating the same tenant twice conflicts and changes nothing.
pub async fn tenant_creation_conflicts_on_reuse(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("two.example", 1);
    ok(s.create_tenant(&new).await, "create");
    let mut again = new.clone();
    again.tenant.name = name("other");
    assert!(matches!(s.create_tenant(&again).await, Err(StoreError::Conflict(_))));
    assert_eq!(ok(s.get_tenant(new.tenant.id).await, "get").name, new.tenant.name);
    // System addresses are unique across the platform (SPEC §1: the operator's); others per tenant.
    let twin = new_tenant("two.example", 1);
    assert!(matches!(s.create_tenant(&twin).await, Err(StoreError::Conflict(_))), "another tenant's system address");
    assert!(matches!(s.get_tenant(twin.tenant.id).await, Err(StoreError::NotFound)), "nothing of it was written");
    let mut other = new_tenant("two.example", 1);
    other.system_mailbox.address = address("system-2@two.example");
    ok(s.create_tenant(&other).await, "another system address");
    ok(s.create_tenant(&new_tenant_owning("mine.example", 1)).await, "assigned domain");
    let mut theirs = new_tenant_owning("mine.example", 1);
    theirs.system_mailbox.address = address("system-3@mine.example");
    let refused = s.create_tenant(&theirs).await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains(crate::error::DOMAIN_CLAIMED)),
        "a domain another tenant holds: {refused:?}"
    );
    assert!(matches!(s.get_tenant(theirs.tenant.id).await, Err(StoreError::NotFound)), "nothing of it was written");
}

/// Every get, update and delete of a missing item answers `NotFound`.
pub async fn missing_items_are_not_found(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("nf.example", 1);
    ok(s.create_tenant(&new).await, "create");
    let t = new.tenant.id;
    let nf = |r: Result<(), StoreError>, what: &str| assert_eq!(r, Err(StoreError::NotFound), "{what}");
    nf(s.get_tenant(TenantId::generate()).await.map(|_| ()), "tenant");
    nf(s.get_company(t, CompanyId::generate()).await.map(|_| ()), "company");
    nf(s.get_user(t, UserId::generate()).await.map(|_| ()), "user");
    nf(s.find_user_by_login(&login("nobody")).await.map(|_| ()), "login");
    nf(s.get_group(t, GroupId::generate()).await.map(|_| ()), "group");
    nf(s.get_mailbox(t, MailboxId::generate()).await.map(|_| ()), "mailbox");
    nf(s.find_mailbox_by_address(t, &address("nobody@nf.example")).await.map(|_| ()), "address");
    nf(s.get_token(crate::TokenId::generate()).await.map(|_| ()), "token");
    let mut ghost_tenant = new.tenant.clone();
    ghost_tenant.id = TenantId::generate();
    nf(s.update_tenant(&ghost_tenant).await, "update tenant");
    nf(s.update_company(&company(t, "x")).await, "update company");
    let ghost = user(t, "ghost", &[new.company.id]);
    nf(s.update_user(&ghost, &ghost).await, "update user");
    let ghost = group(t, "x");
    nf(s.update_group(&ghost, &ghost).await, "update group");
    let ghost = mailbox(t, "x@nf.example", MailboxScope::Global);
    nf(s.update_mailbox(&ghost, &ghost).await, "update mailbox");
    nf(s.delete_group(&group(t, "x")).await, "delete group");
    nf(s.delete_mailbox(t, MailboxId::generate()).await, "delete mailbox");
    nf(s.delete_token(crate::TokenId::generate()).await, "delete token");
    nf(s.delete_credential(t, UserId::generate(), crate::CredentialId::generate()).await, "delete credential");
    let orphan = mailbox(TenantId::generate(), "x@nowhere.example", MailboxScope::Global);
    nf(s.create_mailbox(&orphan).await, "mailbox of a missing tenant");
}

/// Companies and groups: create, get, update, list, delete (groups), duplicate ids conflict.
pub async fn companies_and_groups_round_trip(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("cg.example", 1);
    ok(s.create_tenant(&new).await, "create");
    let t = new.tenant.id;
    let mut c = company(t, "Branch");
    ok(s.create_company(&c).await, "company");
    assert!(matches!(s.create_company(&c).await, Err(StoreError::Conflict(_))));
    c.name = name("Branch renamed");
    ok(s.update_company(&c).await, "update company");
    assert_eq!(ok(s.get_company(t, c.id).await, "get company"), c);
    let companies = ok(s.list_companies(t, &PageRequest::first()).await, "list companies");
    assert_eq!(companies.items.len(), 2);

    let g0 = group(t, "Sales");
    ok(s.create_group(&g0).await, "group");
    assert!(matches!(s.create_group(&g0).await, Err(StoreError::Conflict(_))));
    let g = Group { name: name("Sales EU"), version: 2, ..g0.clone() };
    ok(s.update_group(&g0, &g).await, "update group");
    assert_eq!(ok(s.get_group(t, g.id).await, "get group"), g);
    let lost = Group { name: name("Sales DE"), version: 2, ..g0.clone() };
    assert_eq!(s.update_group(&g0, &lost).await, Err(StoreError::VersionMismatch), "a stale rename");
    assert_eq!(ok(s.list_groups(t, &PageRequest::first()).await, "list groups").items, vec![g.clone()]);
    assert_eq!(s.delete_group(&g0).await, Err(StoreError::VersionMismatch), "a stale deletion");
    ok(s.delete_group(&g).await, "delete group");
    assert_eq!(s.get_group(t, g.id).await, Err(StoreError::NotFound));
}

/// A login is taken platform-wide and matches case-insensitively.
pub async fn logins_are_unique_across_tenants(b: Backend) {
    let s = &*b.store;
    let (a, other) = (new_tenant("a.example", 1), new_tenant("b.example", 1));
    ok(s.create_tenant(&a).await, "a");
    ok(s.create_tenant(&other).await, "b");
    let alice = user(a.tenant.id, "alice", &[a.company.id]);
    ok(s.create_user(&alice).await, "alice");
    let clash = user(other.tenant.id, "ALICE", &[other.company.id]);
    assert!(matches!(s.create_user(&clash).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.get_user(other.tenant.id, clash.id).await, Err(StoreError::NotFound));
    assert_eq!(ok(s.find_user_by_login(&login("Alice")).await, "find"), alice);
}

/// Updates replace companies, groups and `enabled`; a login cannot change.
pub async fn users_update_but_keep_their_login(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("u.example", 1);
    ok(s.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let g = group(t, "G");
    ok(s.create_group(&g).await, "group");
    let mut bob = user(t, "bob", &[new.company.id]);
    ok(s.create_user(&bob).await, "bob");
    let first = bob.clone();
    bob.groups.insert(g.id);
    bob.enabled = false;
    bob.version = 2;
    ok(s.update_user(&first, &bob).await, "update");
    assert_eq!(ok(s.get_user(t, bob.id).await, "get"), bob);
    assert_eq!(ok(s.find_user_by_login(&bob.login).await, "find"), bob);
    let stale = User { enabled: true, version: 2, ..first.clone() };
    assert_eq!(s.update_user(&first, &stale).await, Err(StoreError::VersionMismatch), "a stale write");
    let mut renamed = bob.clone();
    renamed.login = login("robert");
    renamed.version = 3;
    assert!(s.update_user(&bob, &renamed).await.is_err(), "a login change must be refused");
    let mut joins_nothing = bob.clone();
    joins_nothing.groups.insert(GroupId::generate());
    joins_nothing.version = 3;
    assert_eq!(s.update_user(&bob, &joins_nothing).await, Err(StoreError::MissingGroup), "a missing group");
    let mut born_in_nothing = user(t, "carol", &[new.company.id]);
    born_in_nothing.groups.insert(GroupId::generate());
    assert_eq!(s.create_user(&born_in_nothing).await, Err(StoreError::MissingGroup), "created in a missing group");
    assert_eq!(ok(s.get_user(t, bob.id).await, "unchanged"), bob);
    assert_eq!(s.find_user_by_login(&login("robert")).await, Err(StoreError::NotFound));
}

/// Paging with a small limit visits every item exactly once, in id order.
pub async fn pagination_visits_every_item_once(b: Backend) {
    let s = &*b.store;
    let mut tenant_ids = Vec::new();
    for i in 0..7 {
        let new = new_tenant(&format!("p{i}.example"), 30);
        ok(s.create_tenant(&new).await, "tenant");
        tenant_ids.push(new.tenant.id);
    }
    let t = tenant_ids[0];
    let company_id = ok(s.list_companies(t, &PageRequest::first()).await, "hq").items[0].id;
    let mut companies = vec![company_id];
    let mut users = Vec::new();
    let mut mailboxes = Vec::new();
    for i in 0..23 {
        let c = company(t, &format!("c{i}"));
        ok(s.create_company(&c).await, "company");
        companies.push(c.id);
        let u = user(t, &format!("user{i}"), &[c.id]);
        ok(s.create_user(&u).await, "user");
        users.push(u.id);
        let m = mailbox(t, &format!("m{i}@p0.example"), MailboxScope::Global);
        ok(s.create_mailbox(&m).await, "mailbox");
        mailboxes.push(m.id);
    }
    let system = ok(s.find_mailbox_by_address(t, &address("system@p0.example")).await, "system").id;
    mailboxes.push(system);
    companies.sort();
    users.sort();
    mailboxes.sort();
    tenant_ids.sort();

    macro_rules! walk {
        ($p:ident => $call:expr) => {{
            let mut seen = Vec::new();
            let mut req = PageRequest::new(10, None);
            let mut pages = 0;
            loop {
                let $p = &req;
                let page = ok($call.await, "page");
                pages += 1;
                assert!(page.items.len() <= 10);
                seen.extend(page.items.into_iter().map(|x| x.id));
                match page.next {
                    Some(n) => req = PageRequest::new(10, Some(n)),
                    None => break,
                }
                assert!(pages < 100, "pagination does not end");
            }
            seen
        }};
    }
    assert_eq!(walk!(p => s.list_companies(t, p)), companies);
    assert_eq!(walk!(p => s.list_users(t, p)), users);
    assert_eq!(walk!(p => s.list_mailboxes(t, p)), mailboxes);
    let tenants_page = ok(s.list_tenants(&PageRequest::new(3, None)).await, "tenants page");
    assert_eq!(tenants_page.items.len(), 3);
    assert_eq!(walk!(p => s.list_tenants(p)), tenant_ids);
    // A page whose size equals what is left has no `next`.
    let exact = ok(s.list_users(t, &PageRequest::new(23, None)).await, "exact");
    assert_eq!((exact.items.len(), exact.next), (23, None));
}

/// Tenant B's id never reaches tenant A's items, in reads, lists or writes.
pub async fn tenants_cannot_see_each_other(b: Backend) {
    let s = &*b.store;
    let (a, other) = (new_tenant("iso-a.example", 5), new_tenant("iso-b.example", 5));
    ok(s.create_tenant(&a).await, "a");
    ok(s.create_tenant(&other).await, "b");
    let (ta, tb) = (a.tenant.id, other.tenant.id);
    let u = user(ta, "isolated", &[a.company.id]);
    ok(s.create_user(&u).await, "user");
    let g = group(ta, "G");
    ok(s.create_group(&g).await, "group");
    let m = mailbox(ta, "shared@iso.example", MailboxScope::Global);
    ok(s.create_mailbox(&m).await, "mailbox");
    ok(s.create_credential(&credential(&u, "pw"), 20).await, "credential");

    assert_eq!(s.get_company(tb, a.company.id).await, Err(StoreError::NotFound));
    assert_eq!(s.get_user(tb, u.id).await, Err(StoreError::NotFound));
    assert_eq!(s.get_group(tb, g.id).await, Err(StoreError::NotFound));
    assert_eq!(s.get_mailbox(tb, m.id).await, Err(StoreError::NotFound));
    assert_eq!(s.find_mailbox_by_address(tb, &m.address).await, Err(StoreError::NotFound));
    assert_eq!(s.delete_mailbox(tb, m.id).await, Err(StoreError::NotFound));
    assert_eq!(s.delete_group(&Group { tenant_id: tb, ..g.clone() }).await, Err(StoreError::NotFound));
    assert!(ok(s.list_credentials(tb, u.id).await, "creds").is_empty());
    let b_users = ok(s.list_users(tb, &PageRequest::first()).await, "users b");
    assert!(b_users.items.is_empty());
    let b_mailboxes = ok(s.list_mailboxes(tb, &PageRequest::first()).await, "mailboxes b");
    assert_eq!(b_mailboxes.items.len(), 1, "only b's system mailbox");
    assert_eq!(b_mailboxes.items[0].tenant_id, tb);
    // The same address may exist in both tenants.
    ok(s.create_mailbox(&mailbox(tb, "shared@iso.example", MailboxScope::Global)).await, "same address in b");
    // Everything of A is still intact.
    assert_eq!(ok(s.get_mailbox(ta, m.id).await, "a's mailbox"), m);
}

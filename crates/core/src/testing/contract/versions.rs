//! Contract cases: no lost updates. Concurrent edits through the use-cases
//! all land, a pinned stale version is refused, and a group deletion racing
//! membership and access-list edits never leaves anything naming the group.

use super::{Backend, ok};
use crate::error::ServiceError;
use crate::model::{MailboxScope, Role};
use crate::service::directory::{self, UpdateUser};
use crate::service::edit::IfMatch;
use crate::service::mailboxes;
use crate::testing::fixtures::*;
use crate::{GroupId, StoreError};
use futures::future::join_all;
use std::collections::BTreeSet;

/// Writers racing on one item.
const RACERS: usize = 6;

/// Six admins add a user to six groups at once, two admins change two
/// fields of one user at once, two change a mailbox's access list and its
/// name at once: every change lands, each raises the version by one; a
/// write pinned to an old version is refused and changes nothing.
pub async fn concurrent_edits_never_lose_one(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("race-edit.example", 5);
    ok(s.create_tenant(&new).await, "tenant");
    let (t, admin) = (new.tenant.id, Role::Admin { tenant_id: new.tenant.id });
    let groups: Vec<_> = (0..RACERS).map(|i| group(t, &format!("G{i}"))).collect();
    for g in &groups {
        ok(s.create_group(g).await, "group");
    }
    let u = user(t, "racer", &[new.company.id]);
    ok(s.create_user(&u).await, "user");

    let joins = join_all(groups.iter().map(|g| directory::set_membership(s, &admin, t, g.id, u.id, true))).await;
    for r in joins {
        ok(r, "join");
    }
    let after = ok(s.get_user(t, u.id).await, "user after");
    assert_eq!(after.groups, groups.iter().map(|g| g.id).collect::<BTreeSet<GroupId>>(), "a membership was lost");
    assert_eq!(after.version, 1 + RACERS as u64, "one version per change");

    let rename = UpdateUser { name: Some("Renamed".into()), ..UpdateUser::default() };
    let disable = UpdateUser { enabled: Some(false), ..UpdateUser::default() };
    let (a, b2) = futures::join!(
        directory::update_user(s, &admin, t, u.id, rename, &IfMatch::Any),
        directory::update_user(s, &admin, t, u.id, disable, &IfMatch::Any)
    );
    ok(a, "rename");
    ok(b2, "disable");
    let after = ok(s.get_user(t, u.id).await, "user after two admins");
    assert_eq!((after.name.as_str(), after.enabled), ("Renamed", false), "one admin's edit was lost");

    let stale = UpdateUser { enabled: Some(true), ..UpdateUser::default() };
    let refused = directory::update_user(s, &admin, t, u.id, stale, &IfMatch::Versions(vec![1])).await;
    assert_eq!(refused.map(|_| ()), Err(ServiceError::PreconditionFailed));
    assert_eq!(ok(s.get_user(t, u.id).await, "unchanged"), after);

    let m = mailbox(t, "shared@race-edit.example", MailboxScope::Global);
    ok(s.create_mailbox(&m).await, "mailbox");
    let input = mailboxes::MailboxInput {
        address: m.address.to_string(),
        display_name: "Shared desk".into(),
        scope: m.scope,
        flags: m.flags,
        smtp: None,
        limits: Default::default(),
        display_name_policy: Default::default(),
    };
    let granted = BTreeSet::from([groups[0].id]);
    let (a, b2) = futures::join!(
        mailboxes::update(s, b.secrets.as_ref(), &admin, t, m.id, input, &IfMatch::Any),
        mailboxes::set_access(s, &admin, t, m.id, true, BTreeSet::new(), granted.clone(), &IfMatch::Any)
    );
    ok(a, "rename mailbox");
    ok(b2, "restrict mailbox");
    let after = ok(s.get_mailbox(t, m.id).await, "mailbox after");
    assert_eq!(after.display_name.as_str(), "Shared desk", "the rename was lost");
    assert_eq!((after.flags.restricted, &after.access.groups), (true, &granted), "the access change was lost");
    assert_eq!(after.version, 3);
}

/// A group deletion racing a membership addition and an access-list
/// grant of the same group: afterwards the group is gone and nothing names
/// it, whichever write came first.
pub async fn group_deletion_leaves_nothing_naming_the_group(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("race-delete.example", 10);
    ok(s.create_tenant(&new).await, "tenant");
    let (t, admin) = (new.tenant.id, Role::Admin { tenant_id: new.tenant.id });
    for round in 0..4 {
        let g = group(t, &format!("Doomed {round}"));
        ok(s.create_group(&g).await, "group");
        let member = user(t, &format!("member-{round}"), &[new.company.id]);
        ok(s.create_user(&member).await, "member");
        let joiner = user(t, &format!("joiner-{round}"), &[new.company.id]);
        ok(s.create_user(&joiner).await, "joiner");
        ok(directory::set_membership(s, &admin, t, g.id, member.id, true).await, "member joins");
        let m = mailbox(t, &format!("doomed-{round}@race-delete.example"), MailboxScope::Global);
        ok(s.create_mailbox(&m).await, "mailbox");

        let (deleted, joined, granted) = futures::join!(
            directory::delete_group(s, &admin, t, g.id, &IfMatch::Any),
            directory::set_membership(s, &admin, t, g.id, joiner.id, true),
            mailboxes::set_access(s, &admin, t, m.id, true, BTreeSet::new(), BTreeSet::from([g.id]), &IfMatch::Any)
        );
        ok(deleted, "delete");
        // Either side may win; a loser is told the group does not exist.
        assert!(matches!(joined, Ok(_) | Err(ServiceError::NotFound)), "join: {joined:?}");
        assert!(matches!(granted, Ok(_) | Err(ServiceError::Validation { field: "groups", .. })), "grant: {granted:?}");
        assert_eq!(s.get_group(t, g.id).await, Err(StoreError::NotFound));
        for u in [member.id, joiner.id] {
            assert!(!ok(s.get_user(t, u).await, "user").groups.contains(&g.id), "round {round}: a user names it");
        }
        assert!(!ok(s.get_mailbox(t, m.id).await, "mailbox").access.groups.contains(&g.id), "round {round}: access");
    }
}

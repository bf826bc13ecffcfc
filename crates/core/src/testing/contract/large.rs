//! Contract case: a tenant whose lists do not fit one backend page.
//!
//! DynamoDB ends every Query response at 1 MB, whatever its `Limit`, and
//! says so only through `LastEvaluatedKey`; a store that stops there hands
//! the service a short page without a `next` cursor. Here the tenant's
//! mailboxes (long access lists) and users (many companies) each take well
//! over 1 MB, and every reader that needs all of them — permission
//! snapshots, the dropdowns, group member lists, group deletion, list pages
//! of the largest size — must see every one.

use super::{Backend, ok};
use crate::model::{MailboxScope, Role, User};
use crate::ports::PageRequest;
use crate::service::edit::IfMatch;
use crate::service::{directory, mailboxes, permissions};
use crate::testing::fixtures::*;
use crate::{CompanyId, UserId};
use futures::future::join_all;
use std::collections::BTreeSet;

/// Users and mailboxes each.
const ITEMS: usize = 140;
/// Ids on each user's company list and each mailbox's user list (36-byte UUIDs).
const LONG_LIST: usize = 250;
/// The ids alone (36 bytes each) make each list exceed one DynamoDB page (1 MB) by far.
const _: () = assert!(ITEMS * LONG_LIST * 36 > 1_200_000);

/// Snapshots, dropdowns, member lists, group deletion and full-size pages see
/// every mailbox and user of a tenant whose lists exceed one backend page.
pub async fn lists_past_one_backend_page_are_complete(b: Backend) {
    let s = &*b.store;
    let new = new_tenant_owning("large.example", ITEMS as u32);
    ok(s.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let admin = Role::Admin { tenant_id: t };
    let sales = group(t, "Sales");
    ok(s.create_group(&sales).await, "group");

    // Users: each in `sales` and LONG_LIST companies besides. `listed` is named on every
    // mailbox; `member` may use them only through `sales`.
    let users: Vec<User> = (0..ITEMS)
        .map(|i| {
            let mut u = user(t, &format!("large-{i:04}"), &[new.company.id]);
            u.companies.extend((0..LONG_LIST).map(|_| CompanyId::generate()));
            u.groups = BTreeSet::from([sales.id]);
            u
        })
        .collect();
    let (listed, member) = (users[0].id, users[1].id);
    for chunk in users.chunks(10) {
        for r in join_all(chunk.iter().map(|u| s.create_user(u))).await {
            ok(r, "create user");
        }
    }
    let mailboxes: Vec<_> = (0..ITEMS)
        .map(|i| {
            let mut m = mailbox(t, &format!("box-{i:04}@large.example"), MailboxScope::Global);
            m.flags.restricted = true;
            m.access.users = (0..LONG_LIST).map(|_| UserId::generate()).chain([listed]).collect();
            m.access.groups = BTreeSet::from([sales.id]);
            m
        })
        .collect();
    for chunk in mailboxes.chunks(10) {
        for r in join_all(chunk.iter().map(|m| s.create_mailbox(m))).await {
            ok(r, "create mailbox");
        }
    }
    let every_mailbox = ITEMS + 1; // and the system mailbox

    // Pages of the largest size hold everything (DynamoDB: several 1 MB responses make one page).
    let page = ok(s.list_mailboxes(t, &PageRequest::new(PageRequest::MAX_LIMIT, None)).await, "mailbox page");
    assert_eq!((page.items.len(), page.next.is_none()), (every_mailbox, true), "one page of up to 500 mailboxes");
    let page = ok(s.list_users(t, &PageRequest::new(PageRequest::MAX_LIMIT, None)).await, "user page");
    assert_eq!((page.items.len(), page.next.is_none()), (ITEMS, true), "one page of up to 500 users");

    // Permission snapshot (the proxy) by user entry and by group; the dropdowns (the API).
    for (who, how) in [(listed, "listed by id"), (member, "through the group")] {
        let snapshot = ok(permissions::snapshot(s, t, who).await, "snapshot");
        assert_eq!(snapshot.usable.from.len(), every_mailbox, "From, {how}");
        assert_eq!(snapshot.usable.reply_to.len(), every_mailbox, "Reply-To, {how}");
    }
    let me = Role::User { tenant_id: t, user_id: member };
    let dropdowns = ok(permissions::usable_by(s, &me, t, member).await, "dropdowns");
    assert_eq!((dropdowns.from.len(), dropdowns.reply_to.len()), (every_mailbox, every_mailbox), "dropdowns");

    // Member list, then group deletion reaches every member and every access list.
    let members = ok(directory::group_members(s, &admin, t, sales.id).await, "members");
    assert_eq!(members.len(), ITEMS, "every member of the group");
    ok(directory::delete_group(s, &admin, t, sales.id, &IfMatch::Any).await, "delete group");
    let after = ok(directory::all_users(s, t).await, "users after");
    assert_eq!(after.len(), ITEMS);
    assert_eq!(after.iter().filter(|u| u.groups.contains(&sales.id)).count(), 0, "a user kept the deleted group");
    assert!(after.iter().all(|u| u.groups.is_empty() && u.companies.len() == LONG_LIST + 1), "the rest stays");
    assert!(after.iter().all(|u| u.version == 2), "each member's version is raised once");
    let boxes = ok(mailboxes::all_mailboxes(s, t).await, "mailboxes after");
    assert_eq!(boxes.len(), every_mailbox);
    assert!(boxes.iter().all(|m| !m.access.groups.contains(&sales.id)), "an access list kept the deleted group");
    assert!(boxes.iter().filter(|m| !m.system).all(|m| m.access.users.contains(&listed)), "user entries stay");
    let by_group = ok(permissions::snapshot(s, t, member).await, "snapshot after");
    assert_eq!(by_group.usable.from.len(), 1, "only the system mailbox is left to a group member");
}

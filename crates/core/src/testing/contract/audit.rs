//! Contract cases: the audit log's order, filters, paging and retention.

use super::{Backend, ok};
use crate::model::{AuditFilter, AuditOutcome};
use crate::ports::PageRequest;
use crate::testing::fixtures::*;
use crate::{MailboxId, TenantId, Timestamp};
use std::time::Duration;

/// Newest first; `[from, to)`; one mailbox; pages of 2 visit every record once; tenants apart.
pub async fn audit_newest_first_with_range_mailbox_and_paging(b: Backend) {
    let s = &*b.store;
    let t = TenantId::generate();
    let (m1, m2) = (MailboxId::generate(), MailboxId::generate());
    let base = Timestamp::now().minus(Duration::from_secs(3600));
    let mut records = Vec::new();
    let users = [crate::UserId::generate(), crate::UserId::generate()];
    for i in 0..7i64 {
        let mailbox = if i % 2 == 0 { m1 } else { m2 };
        let mut r = audit(t, Timestamp(base.millis() + i * 1000), Some(mailbox));
        // Two users, four outcomes, mixed over the mailboxes.
        r.outcome = [AuditOutcome::Accepted, AuditOutcome::Rejected, AuditOutcome::Deferred, AuditOutcome::Uncertain]
            [(i % 4) as usize];
        r.user_id = Some(users[(i % 2) as usize]);
        ok(s.append_audit(&r).await, "append");
        records.push(r);
    }
    // Two records in the same millisecond are both kept.
    let twin = audit(t, records[6].at, Some(m1));
    ok(s.append_audit(&twin).await, "twin");
    ok(s.append_audit(&audit(TenantId::generate(), base, Some(m1))).await, "other tenant");

    let all = ok(s.query_audit(t, &AuditFilter::default(), &PageRequest::first()).await, "all");
    assert_eq!(all.items.len(), 8);
    assert!(all.items.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    assert!(all.items.iter().all(|r| r.tenant_id == t));
    assert_eq!(all.items.iter().find(|r| r.id == records[3].id), Some(&records[3]));

    let range = AuditFilter { from: Some(records[2].at), to: Some(records[5].at), ..AuditFilter::default() };
    let ranged = ok(s.query_audit(t, &range, &PageRequest::first()).await, "range");
    let ids: Vec<_> = ranged.items.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![records[4].id, records[3].id, records[2].id]);

    let only_m2 = AuditFilter { mailbox_id: Some(m2), ..AuditFilter::default() };
    let m2_items = ok(s.query_audit(t, &only_m2, &PageRequest::first()).await, "mailbox");
    assert_eq!(
        m2_items.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![records[5].id, records[3].id, records[1].id]
    );

    // By user and by outcome, also combined with a mailbox, and paged through.
    let user_of = |r: &crate::model::AuditRecord| r.user_id;
    let u = user_of(&records[1]).expect("fixture records have a user");
    let by_user = AuditFilter { user_id: Some(u), ..AuditFilter::default() };
    let mine = ok(s.query_audit(t, &by_user, &PageRequest::first()).await, "user");
    assert!(mine.items.len() >= 3 && mine.items.iter().all(|r| r.user_id == Some(u)));
    let expected_mine = all.items.iter().filter(|r| r.user_id == Some(u)).count();
    assert_eq!(mine.items.len(), expected_mine);
    for outcome in [AuditOutcome::Accepted, AuditOutcome::Rejected, AuditOutcome::Deferred, AuditOutcome::Uncertain] {
        let f = AuditFilter { outcome: Some(outcome), ..AuditFilter::default() };
        let got = ok(s.query_audit(t, &f, &PageRequest::first()).await, "outcome");
        let want: Vec<_> = all.items.iter().filter(|r| r.outcome == outcome).map(|r| r.id).collect();
        assert_eq!(got.items.iter().map(|r| r.id).collect::<Vec<_>>(), want, "{outcome:?}");
        let f = AuditFilter { outcome: Some(outcome), mailbox_id: Some(m1), ..AuditFilter::default() };
        let mut paged = Vec::new();
        let mut req = PageRequest::new(1, None);
        for _ in 0..10 {
            let page = ok(s.query_audit(t, &f, &req).await, "outcome page");
            paged.extend(page.items.iter().map(|r| r.id));
            match page.next {
                Some(n) => req = PageRequest::new(1, Some(n)),
                None => break,
            }
        }
        let want: Vec<_> =
            all.items.iter().filter(|r| r.outcome == outcome && r.mailbox_id == Some(m1)).map(|r| r.id).collect();
        assert_eq!(paged, want, "{outcome:?} of m1, page by page");
    }

    let mut seen = Vec::new();
    let mut req = PageRequest::new(2, None);
    for _ in 0..10 {
        let page = ok(s.query_audit(t, &AuditFilter::default(), &req).await, "page");
        seen.extend(page.items.iter().map(|r| r.id));
        match page.next {
            Some(n) => req = PageRequest::new(2, Some(n)),
            None => break,
        }
    }
    assert_eq!(seen, all.items.iter().map(|r| r.id).collect::<Vec<_>>());
}

/// Expired records are never returned and the purge removes them.
pub async fn audit_retention_hides_and_purges_expired(b: Backend) {
    let s = &*b.store;
    let t = TenantId::generate();
    let now = Timestamp::now();
    let mut old = audit(t, now.minus(Duration::from_secs(100 * 86_400)), None);
    old.expires_at = now.minus(Duration::from_secs(10 * 86_400));
    let fresh = audit(t, now.minus(Duration::from_secs(60)), None);
    ok(s.append_audit(&old).await, "old");
    ok(s.append_audit(&fresh).await, "fresh");
    let visible = ok(s.query_audit(t, &AuditFilter::default(), &PageRequest::first()).await, "query");
    assert_eq!(visible.items, vec![fresh.clone()]);
    let purged = ok(s.purge_expired_audit(now).await, "purge");
    assert!(purged <= 1);
    let after = ok(s.query_audit(t, &AuditFilter::default(), &PageRequest::first()).await, "after purge");
    assert_eq!(after.items, vec![fresh]);
}

/// A batch of 60 (more than one DynamoDB BatchWriteItem) is kept whole, alongside single
/// appends, and appending records again keeps each once.
pub async fn audit_batches_are_appended_whole(b: Backend) {
    let s = &*b.store;
    let t = TenantId::generate();
    let base = Timestamp::now().minus(Duration::from_secs(600));
    let batch: Vec<_> =
        (0..60i64).map(|i| audit(t, Timestamp(base.millis() + i), Some(MailboxId::generate()))).collect();
    ok(s.append_audits(&batch).await, "batch");
    ok(s.append_audits(&[]).await, "empty batch");
    // A replayed record (the writer's spill file) is kept once: the store deduplicates by id.
    ok(s.append_audits(&batch[..30]).await, "the first half again");
    let mut seen = Vec::new();
    let mut req = PageRequest::new(50, None);
    loop {
        let page = ok(s.query_audit(t, &AuditFilter::default(), &req).await, "page");
        seen.extend(page.items);
        match page.next {
            Some(n) => req = PageRequest::new(50, Some(n)),
            None => break,
        }
    }
    let mut want = batch.clone();
    want.reverse();
    assert_eq!(seen, want, "all 60, newest first");
}

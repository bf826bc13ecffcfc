//! Contract cases: the mailbox quota and address uniqueness, also under races.

use super::{Backend, ok};
use crate::error::StoreError;
use crate::model::MailboxScope;
use crate::testing::fixtures::*;
use futures::future::join_all;

/// 20 concurrent creations against a quota of 1: exactly one mailbox.
pub async fn quota_race_twenty_creations_one_winner(b: Backend) {
    let new = new_tenant("race.example", 1);
    ok(b.store.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let tasks = (0..20).map(|i| {
        let store = b.store.clone();
        async move { store.create_mailbox(&mailbox(t, &format!("m{i}@race.example"), MailboxScope::Global)).await }
    });
    let results = join_all(tasks).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    let quota = results.iter().filter(|r| **r == Err(StoreError::QuotaExceeded)).count();
    assert_eq!((wins, quota), (1, 19), "results: {results:?}");
    let all = ok(b.store.list_mailboxes(t, &crate::ports::PageRequest::first()).await, "list");
    assert_eq!(all.items.iter().filter(|m| !m.system).count(), 1);
}

/// The system mailbox is not counted; deleting frees a place; raising the quota opens one.
pub async fn quota_counts_only_non_system_mailboxes_and_frees_on_delete(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("quota.example", 1);
    ok(s.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let first = mailbox(t, "first@quota.example", MailboxScope::Global);
    ok(s.create_mailbox(&first).await, "first fits");
    let second = mailbox(t, "second@quota.example", MailboxScope::Global);
    assert_eq!(s.create_mailbox(&second).await, Err(StoreError::QuotaExceeded));
    ok(s.delete_mailbox(t, first.id).await, "delete");
    assert_eq!(s.get_mailbox(t, first.id).await, Err(StoreError::NotFound));
    ok(s.create_mailbox(&second).await, "place freed");
    let mut tenant = new.tenant.clone();
    tenant.mailbox_quota = 2;
    ok(s.update_tenant(&tenant).await, "raise quota");
    ok(s.create_mailbox(&first).await, "raised quota fits, old address is free again");
    let third = mailbox(t, "third@quota.example", MailboxScope::Global);
    assert_eq!(s.create_mailbox(&third).await, Err(StoreError::QuotaExceeded));
    tenant.mailbox_quota = 0;
    ok(s.update_tenant(&tenant).await, "lower quota");
    assert_eq!(s.create_mailbox(&third).await, Err(StoreError::QuotaExceeded));
    assert_eq!(ok(s.get_mailbox(t, first.id).await, "existing mailboxes stay"), first);
}

/// 20 concurrent creations of one address with room for all: exactly one wins.
pub async fn address_race_twenty_creations_one_winner(b: Backend) {
    let new = new_tenant("addr.example", 50);
    ok(b.store.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let tasks = (0..20).map(|i| {
        let store = b.store.clone();
        let addr = if i % 2 == 0 { "Same@Addr.example" } else { "same@addr.EXAMPLE" };
        async move { store.create_mailbox(&mailbox(t, addr, MailboxScope::Global)).await }
    });
    let results = join_all(tasks).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count();
    assert_eq!((wins, conflicts), (1, 19), "results: {results:?}");
    // The losers did not use up quota: 48 more distinct addresses fit.
    for i in 0..49 {
        ok(b.store.create_mailbox(&mailbox(t, &format!("n{i}@addr.example"), MailboxScope::Global)).await, "fill");
    }
    let over = mailbox(t, "over@addr.example", MailboxScope::Global);
    assert_eq!(b.store.create_mailbox(&over).await, Err(StoreError::QuotaExceeded));
}

/// Changing an address frees the old one and refuses a taken one.
pub async fn mailbox_update_moves_the_address(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("move.example", 5);
    ok(s.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let mut a = mailbox(t, "a@move.example", MailboxScope::Company(new.company.id));
    let other = mailbox(t, "b@move.example", MailboxScope::Global);
    ok(s.create_mailbox(&a).await, "a");
    ok(s.create_mailbox(&other).await, "b");
    let first = a.clone();
    a.version = 2;
    a.address = address("b@move.example");
    assert!(matches!(s.update_mailbox(&first, &a).await, Err(StoreError::Conflict(_))));
    a.address = address("c@move.example");
    a.flags.restricted = true;
    a.access.users.insert(crate::UserId::generate());
    a.access.groups.insert(crate::GroupId::generate());
    assert_eq!(s.update_mailbox(&first, &a).await, Err(StoreError::MissingGroup), "a missing group");
    let g = group(t, "Movers");
    ok(s.create_group(&g).await, "group");
    a.access.groups = [g.id].into();
    a.smtp = Some(ok(
        crate::model::SmtpSettings::new("smtp.move.example", 587, crate::model::TlsMode::Starttls, "a"),
        "smtp",
    ));
    ok(s.update_mailbox(&first, &a).await, "move");
    let mut stale = first.clone();
    stale.version = 2;
    assert_eq!(s.update_mailbox(&first, &stale).await, Err(StoreError::VersionMismatch), "a stale write");
    assert_eq!(ok(s.get_mailbox(t, a.id).await, "get"), a);
    assert_eq!(ok(s.find_mailbox_by_address(t, &address("c@move.example")).await, "new address").id, a.id);
    assert_eq!(s.find_mailbox_by_address(t, &address("a@move.example")).await, Err(StoreError::NotFound));
    ok(s.create_mailbox(&mailbox(t, "a@move.example", MailboxScope::Global)).await, "old address is free");
}

/// Every login method round-trips; health is recorded per mailbox, replaced, kept per tenant, dropped with the mailbox.
pub async fn login_methods_and_health_round_trip(b: Backend) {
    use crate::model::{HealthStage, LoginMethod, MailboxHealth, SmtpSettings, TlsMode};
    let s = &*b.store;
    let new = new_tenant("health.example", 10);
    ok(s.create_tenant(&new).await, "tenant");
    let other = new_tenant("health-other.example", 10);
    ok(s.create_tenant(&other).await, "other tenant");
    let t = new.tenant.id;
    let methods = [
        LoginMethod::Password,
        LoginMethod::OAuth2ClientCredentials {
            token_url: crate::model::microsoft_token_url("contoso.example"),
            client_id: "app".into(),
            scope: crate::model::MICROSOFT_SMTP_SCOPE.into(),
        },
        LoginMethod::OAuth2RefreshToken {
            token_url: crate::model::GOOGLE_TOKEN_URL.into(),
            client_id: "c".into(),
            scope: None,
        },
        LoginMethod::GoogleServiceAccount { scope: crate::model::GOOGLE_MAIL_SCOPE.into() },
    ];
    let mut ids = Vec::new();
    for (i, method) in methods.iter().enumerate() {
        let mut m = mailbox(t, &format!("m{i}@health.example"), MailboxScope::Global);
        let settings = ok(SmtpSettings::new("smtp.health.example", 587, TlsMode::Starttls, "u"), "settings");
        m.smtp = Some(ok(settings.with_login(method.clone()), "login"));
        ok(s.create_mailbox(&m).await, "create");
        assert_eq!(ok(s.get_mailbox(t, m.id).await, "get"), m, "{}", method.name());
        ids.push(m.id);
    }
    assert!(ok(s.list_mailbox_health(t).await, "empty").is_empty());
    let failed = MailboxHealth {
        tenant_id: t,
        mailbox_id: ids[1],
        failed_stage: Some(HealthStage::Token),
        detail: "invalid_grant".into(),
        at: crate::Timestamp(1_000),
    };
    ok(s.put_mailbox_health(&failed).await, "put");
    let healed =
        MailboxHealth { failed_stage: None, detail: "250 ok".into(), at: crate::Timestamp(2_000), ..failed.clone() };
    let second = MailboxHealth { mailbox_id: ids[2], ..failed.clone() };
    ok(s.put_mailbox_health(&second).await, "put second");
    assert_eq!(ok(s.list_mailbox_health(t).await, "two").len(), 2);
    ok(s.put_mailbox_health(&healed).await, "replace");
    let mut listed = ok(s.list_mailbox_health(t).await, "list");
    listed.sort_by_key(|h| h.mailbox_id);
    assert_eq!(listed, vec![healed, second]);
    assert!(ok(s.list_mailbox_health(other.tenant.id).await, "other tenant sees none").is_empty());
    ok(s.delete_mailbox(t, ids[2]).await, "delete");
    assert_eq!(ok(s.list_mailbox_health(t).await, "after delete").len(), 1);
}

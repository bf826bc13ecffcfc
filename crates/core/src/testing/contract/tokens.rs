//! Contract cases: SMTP credentials, API tokens, platform settings.

use super::{Backend, ok};
use crate::error::StoreError;
use crate::model::{Role, SystemRelay, TlsMode};
use crate::ports::PageRequest;
use crate::testing::fixtures::*;

/// Credentials: create, list per user, revoke.
pub async fn credentials_round_trip(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("cred.example", 1);
    ok(s.create_tenant(&new).await, "tenant");
    let (u1, u2) = (user(new.tenant.id, "c1", &[new.company.id]), user(new.tenant.id, "c2", &[new.company.id]));
    ok(s.create_user(&u1).await, "u1");
    ok(s.create_user(&u2).await, "u2");
    let (a, c) = (credential(&u1, "pw-a"), credential(&u1, "pw-b"));
    ok(s.create_credential(&a, 20).await, "a");
    ok(s.create_credential(&c, 20).await, "b");
    ok(s.create_credential(&credential(&u2, "pw-c"), 20).await, "c");
    assert!(matches!(s.create_credential(&a, 20).await, Err(StoreError::Conflict(_))));
    let listed = ok(s.list_credentials(new.tenant.id, u1.id).await, "list");
    assert_eq!(listed, vec![a.clone(), c.clone()]);
    assert!(listed[0].hash.verify("pw-a"));
    ok(s.delete_credential(new.tenant.id, u1.id, a.id).await, "revoke");
    assert_eq!(ok(s.list_credentials(new.tenant.id, u1.id).await, "after"), vec![c]);
    assert_eq!(s.delete_credential(new.tenant.id, u2.id, a.id).await, Err(StoreError::NotFound));
}

/// Tokens: get by id, list by tenant or operator, revoke.
pub async fn tokens_round_trip(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("tok.example", 1);
    ok(s.create_tenant(&new).await, "tenant");
    let t = new.tenant.id;
    let op = token(Role::Operator);
    let u = user(t, "tok", &[new.company.id]);
    ok(s.create_user(&u).await, "user");
    let ut = token(Role::User { tenant_id: t, user_id: u.id });
    ok(s.create_token(&op).await, "operator token");
    ok(s.create_token(&ut).await, "user token");
    assert!(matches!(s.create_token(&op).await, Err(StoreError::Conflict(_))));
    assert_eq!(ok(s.get_token(ut.id).await, "get"), ut);
    let tenant_tokens = ok(s.list_tokens(Some(t), &PageRequest::first()).await, "tenant tokens");
    let mut ids: Vec<_> = tenant_tokens.items.iter().map(|x| x.id).collect();
    ids.sort();
    let mut want = vec![new.admin_token.id, ut.id];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(ok(s.list_tokens(None, &PageRequest::first()).await, "operator tokens").items, vec![op.clone()]);
    let other = ok(s.list_tokens(Some(crate::TenantId::generate()), &PageRequest::first()).await, "other");
    assert!(other.items.is_empty());
    ok(s.delete_token(ut.id).await, "revoke");
    assert_eq!(s.get_token(ut.id).await, Err(StoreError::NotFound));
    assert_eq!(ok(s.list_tokens(Some(t), &PageRequest::first()).await, "after").items.len(), 1);
}

/// The system relay setting round-trips and can be replaced.
pub async fn system_relay_round_trip(b: Backend) {
    let s = &*b.store;
    assert_eq!(ok(s.get_system_relay().await, "empty"), None);
    let outbox = SystemRelay::Outbox { dir: "/var/lib/sendas/outbox".into() };
    ok(s.put_system_relay(&outbox).await, "outbox");
    assert_eq!(ok(s.get_system_relay().await, "get"), Some(outbox));
    let smtp = SystemRelay::Smtp {
        host: "email-smtp.eu-central-1.amazonaws.com".into(),
        port: 587,
        tls: TlsMode::Starttls,
        username: Some("AKIA".into()),
        password_set: true,
    };
    ok(s.put_system_relay(&smtp).await, "smtp");
    assert_eq!(ok(s.get_system_relay().await, "get"), Some(smtp));
}

/// 20 concurrent app passwords for one user with a cap of 5: exactly 5; a revoked one frees its place.
pub async fn credential_cap_holds_under_a_race(b: Backend) {
    let new = new_tenant("credrace.example", 1);
    ok(b.store.create_tenant(&new).await, "tenant");
    let u = user(new.tenant.id, "racer", &[new.company.id]);
    ok(b.store.create_user(&u).await, "user");
    let tasks = (0..20).map(|i| {
        let (store, c) = (b.store.clone(), credential(&u, &format!("pw-{i}")));
        async move { store.create_credential(&c, 5).await }
    });
    let results = futures::future::join_all(tasks).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    let capped = results.iter().filter(|r| **r == Err(StoreError::QuotaExceeded)).count();
    assert_eq!((wins, capped), (5, 15), "{results:?}");
    let held = ok(b.store.list_credentials(new.tenant.id, u.id).await, "list");
    assert_eq!(held.len(), 5);
    ok(b.store.delete_credential(new.tenant.id, u.id, held[0].id).await, "revoke one");
    ok(b.store.create_credential(&credential(&u, "pw-again"), 5).await, "its place is free");
    assert_eq!(b.store.create_credential(&credential(&u, "pw-over"), 5).await, Err(StoreError::QuotaExceeded));
}

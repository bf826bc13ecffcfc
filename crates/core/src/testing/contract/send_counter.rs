//! The sending-limit counter contract: a take is atomic and never passes a
//! limit, also under concurrent takers; buckets, scopes and dimensions are
//! counted apart. Not part of `store_contract_tests!` (a counter is not a
//! `Store` on every backend): each backend's test calls it.

use crate::model::{Allowance, Window};
use crate::ports::{CounterKey, Scope, SendCounter, Units};
use crate::{TenantId, UserId};
use std::sync::Arc;

fn ok(r: Result<bool, crate::StoreError>, what: &str) -> bool {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Thirty concurrent takes against a limit of ten: exactly ten succeed; the rest of the rules.
pub async fn send_counters_never_pass_a_limit(counter: Arc<dyn SendCounter>) {
    let tenant = TenantId::generate();
    let user = UserId::generate();
    let key = CounterKey { tenant, scope: Scope::User(user), window: Window::Minute, bucket: 29_000_000 };
    let limit = Allowance { messages: Some(10), recipients: Some(25) };
    let one = Units { messages: 1, recipients: 1 };
    let takes = futures::future::join_all((0..30).map(|_| counter.take(&key, one, limit))).await;
    let granted = takes.into_iter().filter(|r| ok(r.clone(), "concurrent take")).count();
    assert_eq!(granted, 10, "exactly the limit, under a race");
    assert!(!ok(counter.take(&key, one, limit).await, "11th"), "the counter is spent for messages");
    let rcpts = |r| Units { messages: 0, recipients: r };
    assert!(ok(counter.take(&key, rcpts(15), limit).await, "recipients 10 + 15 = 25"));
    assert!(!ok(counter.take(&key, rcpts(1), limit).await, "26th recipient"));

    let next = CounterKey { bucket: key.bucket + 1, ..key };
    assert!(ok(counter.take(&next, one, limit).await, "the next bucket counts anew"));
    let hour = CounterKey { window: Window::Hour, bucket: key.bucket / 60, ..key };
    assert!(ok(counter.take(&hour, one, limit).await, "another window is another counter"));
    let tenant_wide = CounterKey { scope: Scope::Tenant, ..key };
    assert!(ok(counter.take(&tenant_wide, Units { messages: 10, recipients: 25 }, limit).await, "a whole block"));
    let other = CounterKey { tenant: TenantId::generate(), ..key };
    assert!(
        !ok(counter.take(&other, Units { messages: 11, recipients: 0 }, limit).await, "11"),
        "more than the limit alone"
    );
    let messages_only = Allowance { messages: Some(2), recipients: None };
    let many = Units { messages: 1, recipients: 1_000 };
    assert!(ok(counter.take(&other, many, messages_only).await, "recipients unlimited"));
    assert!(ok(counter.take(&other, many, messages_only).await, "2 of 2 messages"));
    assert!(!ok(counter.take(&other, many, messages_only).await, "3 of 2"));
}

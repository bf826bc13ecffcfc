//! Contract case: an `Idempotency-Key` is claimed by exactly one of many
//! concurrent requests, answers later ones with what the first stored,
//! and is free again once released or expired; keys are per user.

use super::{Backend, ok};
use crate::model::{IdempotencyClaim, IdempotencyRecord, IdempotencyState};
use crate::testing::fixtures::*;
use crate::{Timestamp, UserId};
use futures::future::join_all;
use std::time::Duration;

fn record(tenant: crate::TenantId, user: UserId, key: &str, expires_at: Timestamp) -> IdempotencyRecord {
    IdempotencyRecord {
        tenant_id: tenant,
        user_id: user,
        key: key.to_owned(),
        request_hash: "h".into(),
        state: IdempotencyState::Pending,
        expires_at,
    }
}

/// Twenty concurrent claims of one key: one wins; the answer stored is what later claims see.
pub async fn idempotency_keys_are_claimed_once(b: Backend) {
    let s = &*b.store;
    let new = new_tenant("idem.example", 1);
    ok(s.create_tenant(&new).await, "tenant");
    let (t, u, other) = (new.tenant.id, UserId::generate(), UserId::generate());
    let now = Timestamp::now();
    let later = now.plus(Duration::from_secs(60));
    let pending = record(t, u, "key-1", later);
    let claims = join_all((0..20).map(|_| s.claim_idempotency(&pending, now))).await;
    let won = claims.iter().filter(|c| matches!(c, Ok(IdempotencyClaim::Claimed))).count();
    assert_eq!(won, 1, "exactly one claim wins: {claims:?}");
    assert!(
        claims.iter().all(|c| matches!(c, Ok(IdempotencyClaim::Claimed) | Ok(IdempotencyClaim::Taken(_)))),
        "{claims:?}"
    );

    let done =
        IdempotencyRecord { state: IdempotencyState::Done { status: 201, body: "{}".into() }, ..pending.clone() };
    ok(s.put_idempotency(&done).await, "done");
    assert_eq!(ok(s.claim_idempotency(&pending, now).await, "after done"), IdempotencyClaim::Taken(done.clone()));
    assert_eq!(
        ok(s.claim_idempotency(&record(t, other, "key-1", later), now).await, "another user's key"),
        IdempotencyClaim::Claimed
    );
    ok(s.release_idempotency(t, u, "key-1").await, "release");
    assert_eq!(ok(s.claim_idempotency(&pending, now).await, "released"), IdempotencyClaim::Claimed);

    let stale = record(t, u, "key-2", now);
    ok(s.put_idempotency(&stale).await, "stale");
    let after_expiry = now.plus(Duration::from_secs(1));
    let fresh = record(t, u, "key-2", after_expiry.plus(Duration::from_secs(60)));
    assert_eq!(ok(s.claim_idempotency(&fresh, after_expiry).await, "expired"), IdempotencyClaim::Claimed);
}

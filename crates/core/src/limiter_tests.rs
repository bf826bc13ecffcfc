//! Tests of the sending limiter: replicas sharing one counter, blocks,
//! refunds, the window rolling over, the pre-DATA check.

use super::*;
use crate::model::{MailboxScope, SendingLimits, TenantLimits};
use crate::ports::MemorySendCounter;
use crate::testing::fixtures;
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Counts the takes that reach the shared counter.
#[derive(Default)]
struct Counting {
    inner: MemorySendCounter,
    takes: AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl SendCounter for Counting {
    async fn take(&self, key: &CounterKey, take: Units, allowance: Allowance) -> Result<bool, StoreError> {
        if self.down.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable("counter down".into()));
        }
        self.takes.fetch_add(1, Ordering::Relaxed);
        self.inner.take(key, take, allowance).await
    }
}

/// A clock the test moves (whole seconds), starting at the start of a day.
fn clock() -> (Arc<AtomicU64>, Clock) {
    let now = Arc::new(AtomicU64::new(20_000 * 86_400));
    let read = now.clone();
    (now, Arc::new(move || read.load(Ordering::Relaxed) as f64))
}

struct World {
    tenant: Tenant,
    users: Vec<User>,
    mailbox: Mailbox,
}

fn world(limits: TenantLimits) -> World {
    let mut tenant = fixtures::new_tenant("limits.example", 5).tenant;
    tenant.limits = limits;
    let company = crate::CompanyId::generate();
    let users = (0..2).map(|i| fixtures::user(tenant.id, &format!("u{i}@limits.example"), &[company])).collect();
    let mailbox = fixtures::mailbox(tenant.id, "info@limits.example", MailboxScope::Global);
    World { tenant, users, mailbox }
}

fn per_minute(messages: u32) -> SendingLimits {
    SendingLimits { messages_per_minute: Some(messages), ..SendingLimits::NONE }
}

async fn sent(limiter: &Limiter, demand: &Demand, tries: usize) -> usize {
    let mut ok = 0;
    for _ in 0..tries {
        match limiter.reserve(demand).await {
            Ok(r) => {
                std::mem::forget(r);
                ok += 1
            }
            Err(Refusal::Reached(_)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    ok
}

#[tokio::test]
async fn two_replicas_never_send_beyond_the_limit_and_the_window_rolls_over() {
    let w = world(TenantLimits { user_default: per_minute(10), ..Default::default() });
    let shared = Arc::new(Counting::default());
    let (now, c) = clock();
    let a = Limiter::with_clock(shared.clone(), c.clone());
    let b = Limiter::with_clock(shared.clone(), c);
    let demand = Demand::new(&w.tenant, &w.users[0], Some(&w.mailbox), 1);
    let mut total = 0;
    for _ in 0..10 {
        total += sent(&a, &demand, 1).await + sent(&b, &demand, 1).await;
    }
    assert_eq!(total, 10, "a limit of 10 below 20 takes a block of 1: exact");
    let Err(Refusal::Reached(r)) = a.reserve(&demand).await else { panic!("over the limit") };
    assert_eq!((r.scope, r.window, r.allowance.messages), ("user", Window::Minute, Some(10)));
    assert_eq!(r.retry_after, Duration::from_secs(60));
    assert!(r.describe().contains("user's sending limit per minute (10 messages)"), "{}", r.describe());
    now.fetch_add(45, Ordering::Relaxed);
    let Err(Refusal::Reached(r)) = b.reserve(&demand).await else { panic!("still over") };
    assert_eq!(r.retry_after, Duration::from_secs(15));
    now.fetch_add(15, Ordering::Relaxed);
    assert_eq!(sent(&a, &demand, 6).await + sent(&b, &demand, 6).await, 10, "the next minute counts anew");
    let other = Demand::new(&w.tenant, &w.users[1], Some(&w.mailbox), 1);
    assert_eq!(sent(&b, &other, 12).await, 10, "each user has a limit of its own");
    assert_eq!(a.refusals(), vec![(("user", "minute"), 6)], "5 in the first minute's loop, 1 after");
}

#[tokio::test]
async fn blocks_spare_the_store_and_the_last_units_are_never_lost() {
    let w = world(TenantLimits { user_default: per_minute(1000), ..Default::default() });
    let shared = Arc::new(Counting::default());
    let (_, c) = clock();
    let a = Limiter::with_clock(shared.clone(), c.clone());
    let b = Limiter::with_clock(shared.clone(), c);
    let demand = Demand::new(&w.tenant, &w.users[0], None, 1);
    assert_eq!(sent(&a, &demand, 100).await, 100);
    assert_eq!(shared.takes.load(Ordering::Relaxed), 2, "blocks of 50: one take per 50 messages");
    let sent_total = sent(&b, &demand, 2000).await + sent(&a, &demand, 2000).await;
    assert_eq!(100 + sent_total, 1000, "every unit is spent in the end, none beyond");
    assert_eq!(
        shared.takes.load(Ordering::Relaxed),
        24,
        "2 + 18 blocks, then a block and the exact need refused once per limiter"
    );
}

#[tokio::test]
async fn a_refund_gives_units_back_to_the_lease() {
    let w = world(TenantLimits { tenant: per_minute(2), ..Default::default() });
    let shared = Arc::new(Counting::default());
    let (_, c) = clock();
    let a = Limiter::with_clock(shared.clone(), c);
    let d = Demand::new(&w.tenant, &w.users[0], Some(&w.mailbox), 3);
    let first = a.reserve(&d).await.expect("1");
    let _second = a.reserve(&d).await.expect("2");
    assert!(matches!(a.reserve(&d).await, Err(Refusal::Reached(r)) if r.scope == "tenant"));
    a.refund(first).await;
    let takes = shared.takes.load(Ordering::Relaxed);
    assert!(a.reserve(&d).await.is_ok(), "the refunded unit goes again");
    assert_eq!(shared.takes.load(Ordering::Relaxed), takes, "from the lease, without the store");
    let other_user = Demand::new(&w.tenant, &w.users[1], None, 1);
    assert!(a.reserve(&other_user).await.is_err(), "the tenant's limit holds for every user");
}

#[tokio::test]
async fn mailbox_and_recipient_limits_count_and_the_precheck_needs_no_store() {
    let mailbox_limits = SendingLimits { recipients_per_hour: Some(5), ..SendingLimits::NONE };
    let w = world(TenantLimits { mailbox_default: mailbox_limits, ..Default::default() });
    let shared = Arc::new(Counting::default());
    let (_, c) = clock();
    let a = Limiter::with_clock(shared.clone(), c);
    let too_many = Demand::new(&w.tenant, &w.users[0], Some(&w.mailbox), 6);
    let r = a.precheck(&too_many).expect_err("6 recipients never fit 5");
    assert_eq!((r.scope, r.window, r.allowance.recipients), ("mailbox", Window::Hour, Some(5)));
    assert_eq!(shared.takes.load(Ordering::Relaxed), 0);
    let three = Demand::new(&w.tenant, &w.users[0], Some(&w.mailbox), 3);
    assert!(a.precheck(&three).is_ok());
    let _kept = a.reserve(&three).await.expect("3 of 5");
    let by_other = Demand::new(&w.tenant, &w.users[1], Some(&w.mailbox), 3);
    assert!(matches!(a.reserve(&by_other).await, Err(Refusal::Reached(r)) if r.scope == "mailbox"));
    assert!(a.precheck(&by_other).is_err(), "known spent: refused before DATA");
    assert!(a.precheck(&by_other.clone().recipients(2)).is_ok(), "2 may still fit");
    let unlimited = Demand::new(&w.tenant, &w.users[1], None, 100);
    assert!(unlimited.is_unlimited());
}

#[tokio::test]
async fn an_unreachable_counter_sends_nothing_unchecked() {
    let w = world(TenantLimits { user_default: per_minute(5), ..Default::default() });
    let shared = Arc::new(Counting::default());
    shared.down.store(true, Ordering::Relaxed);
    let a = Limiter::new(shared.clone());
    let d = Demand::new(&w.tenant, &w.users[0], None, 1);
    assert!(matches!(a.reserve(&d).await, Err(Refusal::Unavailable(_))));
    shared.down.store(false, Ordering::Relaxed);
    assert!(a.reserve(&d).await.is_ok());
}

#[tokio::test]
async fn a_lowered_limit_holds_at_once_and_exact_limiters_take_no_blocks() {
    let mut w = world(TenantLimits { user_default: per_minute(1000), ..Default::default() });
    let shared = Arc::new(Counting::default());
    let (_, c) = clock();
    let a = Limiter::with_clock(shared.clone(), c.clone());
    assert_eq!(sent(&a, &Demand::new(&w.tenant, &w.users[0], None, 1), 1).await, 1, "holds 49 of a block of 50");
    w.tenant.limits.user_default = per_minute(5);
    let lowered = Demand::new(&w.tenant, &w.users[0], None, 1);
    assert_eq!(sent(&a, &lowered, 10).await, 0, "50 were taken: the held units do not outlive the old limit");
    w.tenant.limits.user_default = per_minute(1000);
    let exact = Limiter::exact(shared.clone());
    let before = shared.takes.load(Ordering::Relaxed);
    let d = Demand::new(&w.tenant, &w.users[1], None, 1);
    assert_eq!(sent(&exact, &d, 7).await, 7);
    assert_eq!(shared.takes.load(Ordering::Relaxed) - before, 7, "one take per message, nothing held");
}

#[tokio::test]
async fn pruning_keeps_current_leases_of_every_window() {
    let w = world(TenantLimits::default());
    let shared = Arc::new(Counting::default());
    let (now, c) = clock();
    let a = Limiter::with_clock(shared.clone(), c);
    let mut daily = w.tenant.clone();
    daily.limits.user_default = SendingLimits { messages_per_day: Some(1000), ..SendingLimits::NONE };
    let d = Demand::new(&daily, &w.users[0], None, 1);
    assert_eq!(sent(&a, &d, 1).await, 1);
    let mut minutely = w.tenant.clone();
    minutely.limits.user_default = per_minute(5);
    let company = crate::CompanyId::generate();
    // 10,001 current leases: the first prune finds nothing old and doubles its threshold.
    for i in 0..10_001 {
        let u = fixtures::user(w.tenant.id, &format!("p{i}@limits.example"), &[company]);
        assert_eq!(sent(&a, &Demand::new(&minutely, &u, None, 1), 1).await, 1);
    }
    assert_eq!(a.lease_count(), 10_002);
    // Two minutes later another 10,001: past the doubled threshold the old minute leases go.
    now.fetch_add(120, Ordering::Relaxed);
    for i in 0..10_001 {
        let u = fixtures::user(w.tenant.id, &format!("q{i}@limits.example"), &[company]);
        assert_eq!(sent(&a, &Demand::new(&minutely, &u, None, 1), 1).await, 1);
    }
    let takes = shared.takes.load(Ordering::Relaxed);
    assert_eq!(sent(&a, &d, 1).await, 1, "this lookup prunes");
    assert!(a.lease_count() < 10_100, "past minute leases are gone: {}", a.lease_count());
    assert_eq!(shared.takes.load(Ordering::Relaxed), takes, "the day's lease (49 held) survived the prune");
}

//! The sending limiter: one per process, shared by the SMTP proxy and HTTP
//! send. It counts every message against the limits of its user, its
//! sending mailbox and its tenant over a minute, an hour and a day.
//!
//! **Leases.** The shared counters ([`SendCounter`]: DynamoDB, SQLite) are
//! not asked once per message. A long-lived process (a proxy replica,
//! `sendas serve`) takes a block of units (a twentieth of the limit, at
//! least what the message needs) with one conditional atomic add, and
//! spends it locally; only when its block runs out does it take the next.
//! The add is conditioned on the limit, so the units ever taken, by every
//! process together, never exceed the limit: **no message beyond the limit
//! is ever sent**, by any number of replicas. A limit changed by an admin
//! discards what a process holds under the old one, so a lowered limit
//! holds at once. The price is the other way round: units a process holds
//! and does not use are not available to the others until the window rolls
//! over: at most `(block − 1)` per process and counter and window can be
//! refused early, also when a process ends (a restart, a deploy) with a
//! block unspent. With a block of a twentieth of the limit and two replicas
//! that is under a tenth of the limit; for limits of 20 or fewer the block
//! is 1 and the count is exact. Short-lived processes (the Lambda
//! functions) use [`Limiter::exact`]: no blocks, one conditional add per
//! counter and message, nothing stranded. When a full block no longer
//! fits, the process takes exactly what the message needs, so the last
//! units are never lost to rounding. Cost per message: `1 / block`
//! conditional adds per limit that is set, none while blocks last.
//!
//! Windows are fixed buckets aligned to UTC (minute, hour, day), like
//! the counters' keys; a burst at the end of one bucket and the start of
//! the next can send a limit in each.
//!
//! Messages that fail to leave (the relay's error) give their units back
//! to the process's lease, so a failing upstream does not eat the quota.

use crate::StoreError;
use crate::TenantId;
use crate::model::{Allowance, Mailbox, SendingLimits, Tenant, User, Window};
use crate::ports::{CounterKey, Scope, SendCounter, Units};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a message asks of the limits: the scopes that count it and its units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demand {
    tenant: TenantId,
    scopes: Vec<(Scope, SendingLimits)>,
    units: Units,
}

impl Demand {
    /// A message of `recipients` from `user` as `mailbox` in `tenant`
    /// (`None` before DATA when the envelope sender is no mailbox).
    pub fn new(tenant: &Tenant, user: &User, mailbox: Option<&Mailbox>, recipients: usize) -> Demand {
        let limits = &tenant.limits;
        let mut scopes = Vec::new();
        let mut add = |scope, limits: SendingLimits| {
            if !limits.is_none() {
                scopes.push((scope, limits));
            }
        };
        add(Scope::User(user.id), limits.for_user(&user.limits));
        if let Some(m) = mailbox {
            add(Scope::Mailbox(m.id), limits.for_mailbox(&m.limits));
        }
        add(Scope::Tenant, limits.tenant);
        Demand {
            tenant: tenant.id,
            scopes,
            units: Units { messages: 1, recipients: u32::try_from(recipients).unwrap_or(u32::MAX) },
        }
    }

    /// The same demand with `recipients` recipients.
    pub fn recipients(mut self, recipients: usize) -> Self {
        self.units.recipients = u32::try_from(recipients).unwrap_or(u32::MAX);
        self
    }

    /// Whether no limit counts this message.
    pub fn is_unlimited(&self) -> bool {
        self.scopes.is_empty()
    }
}

/// A limit a message would exceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitReached {
    /// `user`, `mailbox` or `tenant`.
    pub scope: &'static str,
    /// The window.
    pub window: Window,
    /// The limit of that window.
    pub allowance: Allowance,
    /// Until the window rolls over.
    pub retry_after: Duration,
}

impl LimitReached {
    /// The limit in words, e.g. "the user's limit per minute (10 messages)".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(m) = self.allowance.messages {
            parts.push(format!("{m} messages"));
        }
        if let Some(r) = self.allowance.recipients {
            parts.push(format!("{r} recipients"));
        }
        format!("the {}'s sending limit per {} ({})", self.scope, self.window.name(), parts.join(", "))
    }
}

/// Why a message may not go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A limit is reached.
    Reached(LimitReached),
    /// The shared counters could not be reached: nothing is sent unchecked.
    Unavailable(String),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Unavailable(e.to_string())
    }
}

/// Units a message holds; give them back with [`Limiter::refund`] when it did not leave.
#[derive(Debug, Default)]
#[must_use = "a reservation not refunded counts as sent"]
pub struct Reservation {
    held: Vec<(LeaseKey, u64, Units)>,
}

type LeaseKey = (TenantId, Scope, Window);

/// What a process holds of one counter's bucket.
#[derive(Debug, Default)]
struct Lease {
    bucket: u64,
    /// The limit the held units were taken under: another one (an admin
    /// changed it) discards them, so a lowered limit holds at once.
    allowance: Allowance,
    held: Units,
    /// The shared counter refused to add this much under this allowance. Counters
    /// only grow within a bucket, so as much or more cannot fit until the next
    /// one (or another allowance): such demands are refused without a request.
    refused: Option<(Units, Allowance)>,
}

impl Lease {
    /// What `need` lacks here, in the dimensions `allowance` limits.
    fn missing(&self, need: Units, allowance: Allowance) -> Units {
        Units {
            messages: short(self.held.messages, need.messages, allowance.messages),
            recipients: short(self.held.recipients, need.recipients, allowance.recipients),
        }
    }

    /// Whether taking `missing` is known to fail.
    fn known_spent(&self, bucket: u64, missing: Units, allowance: Allowance) -> bool {
        self.bucket == bucket
            && missing != Units::default()
            && self.refused.is_some_and(|(failed, under)| {
                under == allowance && missing.messages >= failed.messages && missing.recipients >= failed.recipients
            })
    }
}

/// The process's clock in Unix seconds (replaceable in tests).
pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;

/// A clock for tests of the windows across processes: from the wall
/// clock's `real_origin` on it runs `speed` times faster, starting at
/// `scaled_origin` (both Unix seconds). Processes given the same three
/// numbers agree on the time, so a test can watch a minute roll over in a
/// few real seconds. Never configured in production (the composition roots
/// name it `..._for_tests`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct ScaledClock {
    /// When the scaled clock starts, on the wall clock.
    pub real_origin: f64,
    /// What it shows then (align it to a day, so a test's hours and days start with it).
    pub scaled_origin: f64,
    /// How much faster than the wall clock it runs (> 0).
    pub speed: f64,
}

impl ScaledClock {
    /// The scaled time now.
    pub fn now(&self) -> f64 {
        self.scaled_origin + (system_clock() - self.real_origin) * self.speed
    }

    /// `speed` times faster from now on, starting at the next UTC midnight.
    pub fn starting_now(speed: f64) -> ScaledClock {
        let real_origin = system_clock();
        let scaled_origin = ((real_origin / 86_400.0).floor() + 1.0) * 86_400.0;
        ScaledClock { real_origin, scaled_origin, speed }
    }

    /// The wall-clock duration of `scaled` seconds on this clock.
    pub fn real(&self, scaled: f64) -> Duration {
        Duration::from_secs_f64((scaled / self.speed).max(0.0))
    }

    /// This clock as a limiter's [`Clock`].
    pub fn clock(self) -> Clock {
        Arc::new(move || self.now())
    }
}

/// Leases above this many make the next lookup drop the idle ones of past
/// buckets; the threshold then doubles past what is left.
const PRUNE_ABOVE: usize = 10_000;

/// A twentieth of a limit: the block a long-lived process takes at once.
const BLOCK_DIVISOR: u32 = 20;

type Leases = HashMap<LeaseKey, Arc<futures::lock::Mutex<Lease>>>;

/// The sending limiter of one process.
pub struct Limiter {
    counter: Arc<dyn SendCounter>,
    clock: Clock,
    /// `BLOCK_DIVISOR`, or `u32::MAX` (exact: take only what each message needs).
    divisor: u32,
    /// The leases and the size at which they are pruned next.
    leases: Mutex<(Leases, usize)>,
    refusals: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").finish_non_exhaustive()
    }
}

fn system_clock() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn short(held: u32, need: u32, limit: Option<u32>) -> u32 {
    if limit.is_some() { need.saturating_sub(held) } else { 0 }
}

fn block(missing: u32, limit: Option<u32>, divisor: u32) -> u32 {
    match limit {
        Some(l) if missing > 0 => missing.max(l.div_ceil(divisor)).min(l.max(missing)),
        _ => 0,
    }
}

impl Limiter {
    /// A limiter over `counter` (the shared counters of the deployment).
    pub fn new(counter: Arc<dyn SendCounter>) -> Limiter {
        Limiter::with_clock(counter, Arc::new(system_clock))
    }

    /// A limiter over `counter` on a [`ScaledClock`] when one is given (tests), else the system clock.
    pub fn scaled(counter: Arc<dyn SendCounter>, clock: Option<ScaledClock>) -> Limiter {
        match clock {
            Some(c) => Limiter::with_clock(counter, c.clock()),
            None => Limiter::new(counter),
        }
    }

    /// A limiter with its own clock (tests).
    pub fn with_clock(counter: Arc<dyn SendCounter>, clock: Clock) -> Limiter {
        let leases = Mutex::new((HashMap::new(), PRUNE_ABOVE));
        Limiter { counter, clock, divisor: BLOCK_DIVISOR, leases, refusals: Mutex::default() }
    }

    /// A limiter that takes exactly what each message needs, one conditional
    /// add per counter and message: for short-lived processes (a Lambda
    /// instance), which would strand the rest of a block when they end.
    pub fn exact(counter: Arc<dyn SendCounter>) -> Limiter {
        Limiter::new(counter).exactly()
    }

    /// This limiter, taking exactly what each message needs (see [`Limiter::exact`]).
    pub fn exactly(self) -> Limiter {
        Limiter { divisor: u32::MAX, ..self }
    }

    /// Each (scope, window) that limits `demand`, with the key of the current bucket.
    fn counters(&self, demand: &Demand) -> (f64, Vec<(CounterKey, Allowance)>) {
        let now = (self.clock)();
        let mut out = Vec::new();
        for (scope, limits) in &demand.scopes {
            for window in Window::ALL {
                let allowance = limits.allowance(window);
                if allowance.messages.is_some() || allowance.recipients.is_some() {
                    let bucket = (now.max(0.0) as u64) / window.seconds();
                    out.push((CounterKey { tenant: demand.tenant, scope: *scope, window, bucket }, allowance));
                }
            }
        }
        (now, out)
    }

    fn reached(&self, key: &CounterKey, allowance: Allowance, now: f64) -> LimitReached {
        let mut refusals = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        *refusals.entry((key.scope.kind(), key.window.name())).or_default() += 1;
        let left = (key.ends_at() as f64 - now).max(1.0).ceil();
        LimitReached {
            scope: key.scope.kind(),
            window: key.window,
            allowance,
            retry_after: Duration::from_secs(left as u64),
        }
    }

    fn lease(&self, key: &CounterKey) -> Arc<futures::lock::Mutex<Lease>> {
        let mut guard = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        let (leases, prune_at) = &mut *guard;
        if leases.len() > *prune_at {
            // Only leases nobody holds, of a bucket its own window has left behind.
            let now = (self.clock)().max(0.0) as u64;
            leases.retain(|(_, _, window), l| {
                Arc::strong_count(l) > 1 || l.try_lock().is_none_or(|l| l.bucket >= now / window.seconds())
            });
            *prune_at = (leases.len() * 2).max(PRUNE_ABOVE);
        }
        leases.entry((key.tenant, key.scope, key.window)).or_default().clone()
    }

    /// The number of leases kept (tests).
    #[cfg(test)]
    fn lease_count(&self) -> usize {
        self.leases.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    /// The limit the message's units alone exceed, whenever it is sent (no store request).
    pub fn never_fits(&self, demand: &Demand) -> Option<LimitReached> {
        let (now, counters) = self.counters(demand);
        let (key, allowance) = counters.into_iter().find(|(_, a)| !Units::default().fits(demand.units, *a))?;
        Some(self.reached(&key, allowance, now))
    }

    /// Before DATA, without a store request: refuses when the message's
    /// units alone exceed a limit, or this process already found the
    /// limit's current bucket spent and holds too little of it.
    pub fn precheck(&self, demand: &Demand) -> Result<(), LimitReached> {
        if let Some(reached) = self.never_fits(demand) {
            return Err(reached);
        }
        let (now, counters) = self.counters(demand);
        for (key, allowance) in counters {
            let lease = self.lease(&key);
            let spent = lease
                .try_lock()
                .is_some_and(|l| l.known_spent(key.bucket, l.missing(demand.units, allowance), allowance));
            if spent {
                return Err(self.reached(&key, allowance, now));
            }
        }
        Ok(())
    }

    /// Takes the message's units from every limit that counts it, or none.
    pub async fn reserve(&self, demand: &Demand) -> Result<Reservation, Refusal> {
        let (now, mut counters) = self.counters(demand);
        counters.sort_by_key(|(k, _)| *k);
        let locks: Vec<_> = counters.iter().map(|(k, _)| self.lease(k)).collect();
        let mut leases = Vec::with_capacity(locks.len());
        for lock in &locks {
            leases.push(lock.lock().await);
        }
        let need = demand.units;
        let mut refills = Vec::new();
        for (i, ((key, allowance), lease)) in counters.iter().zip(leases.iter_mut()).enumerate() {
            if lease.bucket != key.bucket || lease.allowance != *allowance {
                **lease = Lease { bucket: key.bucket, allowance: *allowance, ..Lease::default() };
            }
            let missing = lease.missing(need, *allowance);
            if lease.known_spent(key.bucket, missing, *allowance) {
                return Err(Refusal::Reached(self.reached(key, *allowance, now)));
            }
            if missing != Units::default() {
                refills.push((i, missing));
            }
        }
        let taken = futures::future::join_all(refills.iter().map(|&(i, missing)| {
            let (key, allowance) = counters[i];
            self.refill(key, missing, allowance)
        }))
        .await;
        // Everything taken is credited first, whatever failed: nothing taken is lost.
        let mut refused: Option<usize> = None;
        let mut failure = None;
        for (&(i, missing), got) in refills.iter().zip(taken) {
            match got {
                Ok(Some(units)) => {
                    let lease = &mut leases[i];
                    lease.held.messages += units.messages;
                    lease.held.recipients += units.recipients;
                }
                Ok(None) => {
                    leases[i].refused = Some((missing, counters[i].1));
                    // Retry-After: the refused counter whose window ends last.
                    if refused.is_none_or(|r| counters[r].0.ends_at() < counters[i].0.ends_at()) {
                        refused = Some(i);
                    }
                }
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        if let Some(i) = refused {
            let (key, allowance) = counters[i];
            return Err(Refusal::Reached(self.reached(&key, allowance, now)));
        }
        if let Some(e) = failure {
            return Err(e.into());
        }
        let mut held = Vec::with_capacity(leases.len());
        for ((key, allowance), lease) in counters.iter().zip(leases.iter_mut()) {
            let units = Units {
                messages: if allowance.messages.is_some() { need.messages } else { 0 },
                recipients: if allowance.recipients.is_some() { need.recipients } else { 0 },
            };
            lease.held.messages -= units.messages;
            lease.held.recipients -= units.recipients;
            held.push(((key.tenant, key.scope, key.window), key.bucket, units));
        }
        Ok(Reservation { held })
    }

    /// Takes a block from the shared counter, or exactly `missing` when a block no longer fits.
    async fn refill(&self, key: CounterKey, missing: Units, allowance: Allowance) -> Result<Option<Units>, StoreError> {
        let whole = Units {
            messages: block(missing.messages, allowance.messages, self.divisor),
            recipients: block(missing.recipients, allowance.recipients, self.divisor),
        };
        if self.counter.take(&key, whole, allowance).await? {
            return Ok(Some(whole));
        }
        if whole != missing && self.counter.take(&key, missing, allowance).await? {
            return Ok(Some(missing));
        }
        Ok(None)
    }

    /// Gives a message's units back (it did not leave): to this process's
    /// leases, while their buckets last.
    pub async fn refund(&self, reservation: Reservation) {
        for ((tenant, scope, window), bucket, units) in reservation.held {
            let key = CounterKey { tenant, scope, window, bucket };
            let lease = self.lease(&key);
            let mut lease = lease.lock().await;
            if lease.bucket == bucket {
                lease.held.messages += units.messages;
                lease.held.recipients += units.recipients;
            }
        }
    }

    /// Refusals so far, by scope and window: `((scope, window), count)`.
    pub fn refusals(&self) -> Vec<((&'static str, &'static str), u64)> {
        self.refusals.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (*k, *v)).collect()
    }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;

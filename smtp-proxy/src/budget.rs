//! What one user or tenant may hold of a replica: a process-wide budget of
//! message bytes in flight, of which one tenant holds at most a share, and
//! a cap on each user's concurrent transactions (SPEC §3, the MAIL FROM row).
//!
//! A transaction takes a [`Lease`] at MAIL FROM for its declared `SIZE=`
//! (`452 4.3.1` when that does not fit) and grows it while DATA arrives
//! (`451 4.3.1` after the end of data when it cannot); the lease is given
//! back when the transaction ends — after the relay, so a tenant relaying
//! slowly to a server of its own holds only its share. The relay writes the
//! message dot-stuffed in parts of 64 KiB (no second whole copy), but the
//! received message's buffer grows by doubling and may hold up to twice
//! its bytes, so a lease counts each byte twice.

use sendas_core::{TenantId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Bytes held in memory for each byte of a message, at most (the received buffer grows by doubling).
pub const COPIES: usize = 2;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
struct Held {
    total: usize,
    tenants: HashMap<TenantId, usize>,
}

/// The process-wide budget of message bytes in flight.
pub struct MessageBudget {
    capacity: usize,
    tenant_share: usize,
    held: Mutex<Held>,
}

impl MessageBudget {
    /// `capacity` bytes in all, at most `tenant_percent` % of them for one tenant.
    pub fn new(capacity: usize, tenant_percent: u8) -> Arc<MessageBudget> {
        let share = capacity / 100 * usize::from(tenant_percent.clamp(1, 100));
        Arc::new(MessageBudget { capacity, tenant_share: share.max(1), held: Mutex::new(Held::default()) })
    }

    /// Bytes held now in all.
    pub fn held(&self) -> usize {
        lock(&self.held).total
    }

    /// Takes `bytes` of message (counted [`COPIES`] times) for `tenant`, if they fit.
    pub fn take(self: &Arc<Self>, tenant: TenantId, bytes: usize) -> Option<Lease> {
        let mut lease = Lease { budget: self.clone(), tenant, held: 0 };
        lease.grow_to(bytes).then_some(lease)
    }

    fn try_add(&self, tenant: TenantId, amount: usize) -> bool {
        let mut held = lock(&self.held);
        let of_tenant = held.tenants.get(&tenant).copied().unwrap_or(0);
        if held.total.saturating_add(amount) > self.capacity || of_tenant.saturating_add(amount) > self.tenant_share {
            return false;
        }
        held.total += amount;
        *held.tenants.entry(tenant).or_insert(0) += amount;
        true
    }

    fn give_back(&self, tenant: TenantId, amount: usize) {
        let mut held = lock(&self.held);
        held.total = held.total.saturating_sub(amount);
        if let Some(t) = held.tenants.get_mut(&tenant) {
            *t = t.saturating_sub(amount);
            if *t == 0 {
                held.tenants.remove(&tenant);
            }
        }
    }
}

/// One transaction's part of the budget; given back when dropped.
pub struct Lease {
    budget: Arc<MessageBudget>,
    tenant: TenantId,
    held: usize,
}

impl Lease {
    /// Grows the lease to cover `bytes` of message; false when the budget cannot.
    pub fn grow_to(&mut self, bytes: usize) -> bool {
        let wanted = bytes.saturating_mul(COPIES);
        if wanted <= self.held {
            return true;
        }
        let more = wanted - self.held;
        if self.budget.try_add(self.tenant, more) {
            self.held = wanted;
            true
        } else {
            false
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.budget.give_back(self.tenant, self.held);
    }
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease").field("held", &self.held).finish()
    }
}

/// Each user's open transactions, capped.
pub struct UserTransactions {
    max: usize,
    open: Mutex<HashMap<UserId, usize>>,
}

impl UserTransactions {
    /// At most `max` concurrent transactions per user.
    pub fn new(max: usize) -> Arc<UserTransactions> {
        Arc::new(UserTransactions { max, open: Mutex::new(HashMap::new()) })
    }

    /// A place for one more transaction of `user`, if it has fewer than the maximum open.
    pub fn begin(self: &Arc<Self>, user: UserId) -> Option<OpenTransaction> {
        let mut open = lock(&self.open);
        let n = open.entry(user).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(OpenTransaction { all: self.clone(), user })
    }
}

/// One open transaction of a user; its place is given back when dropped.
pub struct OpenTransaction {
    all: Arc<UserTransactions>,
    user: UserId,
}

impl Drop for OpenTransaction {
    fn drop(&mut self) {
        let mut open = lock(&self.all.open);
        if let Some(n) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

impl std::fmt::Debug for OpenTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenTransaction")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_holds_at_most_its_share_and_everything_is_given_back() {
        let budget = MessageBudget::new(1000, 50);
        let (a, b) = (TenantId::generate(), TenantId::generate());
        let first = budget.take(a, 200).expect("400 of a's 500");
        assert!(budget.take(a, 60).is_none(), "a would hold 520 > its share of 500");
        let mut second = budget.take(b, 100).expect("b has its own share");
        assert!(second.grow_to(250), "b: 500 of 500");
        assert!(!second.grow_to(251), "b: over its share");
        assert_eq!(budget.held(), 900);
        assert!(budget.take(TenantId::generate(), 51).is_none(), "1,002 > 1,000 in all");
        drop(first);
        drop(second);
        assert_eq!(budget.held(), 0);
        assert!(budget.take(a, 250).is_some());
    }

    #[test]
    fn a_user_has_at_most_the_maximum_of_open_transactions() {
        let open = UserTransactions::new(2);
        let (u, v) = (UserId::generate(), UserId::generate());
        let one = open.begin(u).unwrap();
        let _two = open.begin(u).unwrap();
        assert!(open.begin(u).is_none());
        assert!(open.begin(v).is_some(), "another user is not affected");
        drop(one);
        assert!(open.begin(u).is_some());
    }
}

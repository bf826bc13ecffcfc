//! Held logins (SPEC §3): a login its server refused (a wrong password, a
//! revoked OAuth grant) or whose token endpoint failed is not tried again
//! for every message. It is held: answered from memory, without a
//! connection or a token request, for a back-off that doubles with each
//! refusal in a row, from `base` (1 minute) up to `max` (30 minutes). The
//! hold ends early when the login's settings change (they are part of its
//! key), when its stored secret changes (a new password or grant: the
//! hold remembers a digest of the secret it was refused with), or when an
//! admin's `verify` logs in. Providers lock the human owner's account after
//! repeated failures (Entra ID smart lockout, Google); sendas's retries
//! must never be the cause.
//!
//! Per process for now: each replica holds on its own first refusal.

use sendas_core::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One held login.
#[derive(Debug, Clone)]
struct Hold {
    until: Instant,
    refusals: u32,
    secret: Option<[u8; 32]>,
    detail: String,
}

/// The held logins of a process.
#[derive(Debug)]
pub struct HeldLogins {
    base: Duration,
    max: Duration,
    holds: Mutex<HashMap<String, Hold>>,
}

/// A login held refused, as answered from memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The refusal it is held for, and until when ("… (held until 2026-12-07T06:00:00Z)").
    pub detail: String,
}

impl HeldLogins {
    /// Holds starting at `base`, doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> HeldLogins {
        HeldLogins { base, max, holds: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Hold>> {
        self.holds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the login `key`, whose stored secret now has digest `secret`, is held.
    pub fn check(&self, key: &str, secret: Option<[u8; 32]>) -> Option<Held> {
        let mut holds = self.lock();
        let hold = holds.get(key)?;
        if hold.secret != secret {
            // A new secret was given: try it (a refusal holds again, from the start).
            holds.remove(key);
            return None;
        }
        (Instant::now() < hold.until).then(|| Held { detail: hold.detail.clone() })
    }

    /// Holds `key` after a refusal `detail` with the secret of digest `secret`; answers the text
    /// to report (the refusal and until when it is held).
    pub fn hold(&self, key: &str, secret: Option<[u8; 32]>, detail: &str) -> String {
        let mut holds = self.lock();
        let refusals = holds.get(key).filter(|h| h.secret == secret).map_or(1, |h| h.refusals.saturating_add(1));
        let doubled = self.base.saturating_mul(1u32.checked_shl(refusals - 1).unwrap_or(u32::MAX));
        let wait = doubled.min(self.max);
        let text = format!("{detail} (held until {})", Timestamp::now().plus(wait).to_rfc3339());
        holds.insert(key.to_owned(), Hold { until: Instant::now() + wait, refusals, secret, detail: text.clone() });
        text
    }

    /// A login worked: nothing is held for `key`.
    pub fn release(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_doubles_up_to_its_maximum_and_ends_with_a_new_secret_or_a_login() {
        let held = HeldLogins::new(Duration::from_millis(40), Duration::from_millis(100));
        let (one, two) = (Some([1u8; 32]), Some([2u8; 32]));
        assert_eq!(held.check("k", one), None);
        let text = held.hold("k", one, "auth: 535 5.7.8 no");
        assert!(text.starts_with("auth: 535 5.7.8 no (held until 20"), "{text}");
        assert_eq!(held.check("k", one).map(|h| h.detail), Some(text));
        assert_eq!(held.check("other", one), None, "another login (other settings) is not held");
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(held.check("k", one), None, "the first hold lasts base");
        held.hold("k", one, "again");
        std::thread::sleep(Duration::from_millis(50));
        assert!(held.check("k", one).is_some(), "the second lasts twice as long");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(held.check("k", one), None);
        held.hold("k", one, "third");
        {
            let holds = held.lock();
            let left = holds["k"].until.saturating_duration_since(Instant::now());
            assert!(left <= Duration::from_millis(100), "capped at max: {left:?}");
        }
        assert_eq!(held.check("k", two), None, "a new secret is tried at once");
        held.hold("k", two, "refused with the new one");
        assert!(held.check("k", two).is_some());
        held.release("k");
        assert_eq!(held.check("k", two), None, "a login that worked releases it");
    }
}

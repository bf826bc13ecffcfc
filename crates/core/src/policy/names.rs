//! Display names compared as people read them (SPEC §3, the display-name
//! policy of a mailbox).
//!
//! Two names "meet" when their [`skeleton`]s are equal: NFKC (full-width
//! and compatibility forms), the UTS #39 confusable skeleton (Cyrillic `а`,
//! Greek `Ο`, `rn` for `m`, `I` for `l`, default-ignorable characters
//! dropped), case folded, whitespace runs collapsed. [`NameGuard`] holds the
//! skeletons a user may write (its own name, the display names of the
//! mailboxes it may use) and the ones it may not (everybody else of the
//! tenant, the mailboxes it may not use); `check_message` asks it.

use super::UsableMailboxes;
use crate::MailboxId;
use crate::model::{DisplayNamePolicy, Mailbox, User};
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;
use unicode_security::confusable_detection::skeleton as uts39;

/// How often the case fold and the UTS #39 skeleton are applied at most:
/// enough for every character the tables know (folding can reveal a new
/// confusable, the skeleton can produce a new capital).
const ROUNDS: usize = 4;

/// The comparison key of a display name: NFKC, then case-insensitive UTS #39
/// skeleton, then only its letters and digits: white space, punctuation,
/// combining marks and blank-looking letters (Hangul fillers, the blank
/// Braille pattern) do not make another name, so "Ann Tenant", "Ann-Tenant",
/// "AnnTenant." and "Ann\u{3164}Tenant" meet. Word order does. Empty for a
/// name without letters or digits.
///
/// Case: the name is upper-cased before the first skeleton, so `I` and `l`
/// (which the skeleton identifies) meet whatever the case of the rest;
/// `i` meets them too — the price of comparing case-insensitively.
pub fn skeleton(name: &str) -> String {
    let nfkc: String = name.nfkc().collect();
    let mut key: String = uts39(&nfkc.to_uppercase()).collect::<String>().to_lowercase();
    for _ in 0..ROUNDS {
        let next = uts39(&key).collect::<String>().to_lowercase();
        if next == key {
            break;
        }
        key = next;
    }
    key.chars().filter(|c| c.is_alphanumeric() && !BLANK_LETTERS.contains(c)).collect()
}

/// Letters (category Lo) that render as nothing or a blank.
const BLANK_LETTERS: [char; 7] = ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}', '\u{2800}', '\u{17B4}', '\u{17B5}'];

/// The names one user may and may not write as a display name, by skeleton.
/// Empty (the default) when it was not loaded: nothing is foreign then, and
/// a `fixed` mailbox accepts only its own display name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameGuard {
    /// The sending user's name.
    user: Option<String>,
    /// The user's name and the display names of the mailboxes it may use.
    own: BTreeSet<String>,
    /// The display name of each mailbox the user may use, by skeleton (computed once).
    mailbox_keys: BTreeMap<MailboxId, String>,
    /// Other users' names and the display names of the mailboxes the user
    /// may not use, minus `own`.
    foreign: BTreeSet<String>,
}

impl NameGuard {
    /// The guard of `user`: `users` and `mailboxes` are all of the tenant's
    /// (the user itself may be among them), `usable` what the user may use.
    pub fn new<'a>(
        user: &User,
        users: impl IntoIterator<Item = &'a User>,
        mailboxes: impl IntoIterator<Item = &'a Mailbox>,
        usable: &UsableMailboxes,
    ) -> Self {
        let user_key = skeleton(user.name.as_str());
        let mailbox_keys: BTreeMap<MailboxId, String> =
            usable.from.iter().chain(&usable.reply_to).map(|m| (m.id, key(m))).collect();
        let mut own: BTreeSet<String> = mailbox_keys.values().cloned().collect();
        own.insert(user_key.clone());
        let others = users.into_iter().filter(|u| u.id != user.id).map(|u| skeleton(u.name.as_str()));
        let unusable = mailboxes.into_iter().filter(|m| !mailbox_keys.contains_key(&m.id)).map(key);
        let foreign = others.chain(unusable).filter(|k| !k.is_empty() && !own.contains(k)).collect();
        own.remove("");
        NameGuard { user: Some(user_key).filter(|k| !k.is_empty()), own, mailbox_keys, foreign }
    }

    /// The verdict on a non-blank display name in front of `mailbox`'s
    /// address: its skeleton is computed once for both rules.
    pub fn judge(&self, name: &str, mailbox: &Mailbox) -> Result<(), NameFault> {
        let k = skeleton(name);
        if mailbox.display_name_policy == DisplayNamePolicy::Fixed && !self.fits_fixed_key(&k, mailbox) {
            return Err(NameFault::NotFixed);
        }
        if !k.is_empty() && self.foreign.contains(&k) {
            return Err(NameFault::Foreign);
        }
        Ok(())
    }

    /// Whether a name of skeleton `k` may stand in front of a `fixed` mailbox:
    /// the mailbox's own display name or the sending user's name.
    fn fits_fixed_key(&self, k: &str, mailbox: &Mailbox) -> bool {
        let own = match self.mailbox_keys.get(&mailbox.id) {
            Some(own) => own == k,
            None => key(mailbox) == k,
        };
        own || self.user.as_deref() == Some(k)
    }

    /// Whether `name` reads as someone else's: another user of the tenant or
    /// a mailbox the user may not use (and not also one of its own names).
    pub fn is_foreign(&self, name: &str) -> bool {
        let k = skeleton(name);
        !k.is_empty() && self.foreign.contains(&k)
    }

    /// Whether nothing was loaded (no user, nothing foreign).
    pub fn is_empty(&self) -> bool {
        self.user.is_none() && self.own.is_empty() && self.foreign.is_empty()
    }
}

/// Why a display name may not stand in front of a mailbox's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameFault {
    /// The mailbox is `fixed` and the name is neither its own nor the user's.
    NotFixed,
    /// The name is someone else's of the tenant.
    Foreign,
}

fn key(m: &Mailbox) -> String {
    skeleton(m.display_name.as_str())
}

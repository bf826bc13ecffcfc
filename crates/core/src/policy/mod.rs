//! Pure policy: decisions from plain data, no I/O.
//!
//! `permission` is SPEC §2, the one rule that decides whether a user may
//! use a mailbox as From or as Reply-To. The HTTP API (dropdowns) and the
//! SMTP proxy (header checks) both call it; nothing else decides that.

mod permission;

pub use permission::{Decision, Denial, UsableMailboxes, Usage, may_use, usable_mailboxes};

#[cfg(test)]
mod permission_tests;

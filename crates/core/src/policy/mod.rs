//! Pure policy: decisions from plain data, no I/O.
//!
//! `message` is the address half of SPEC §3: given a message's
//! originator fields, may this user send it, and as which mailbox?
//!
//! `names` compares display names by their UTS #39 skeleton: the
//! display-name policy of a mailbox (`free`, `fixed`) and the refusal of
//! other people's names.
//!
//! `networks` says whether an upstream host's address is public, or in a
//! network the operator allowed (SPEC §3: upstream hosts are public).
//!
//! `ownership` is rule 0 of SPEC §2: is the address its tenant's?
//!
//! `permission` is SPEC §2, the one rule that decides whether a user may
//! use a mailbox as From or as Reply-To. The HTTP API (dropdowns) and the
//! SMTP proxy (header checks) both call it; nothing else decides that.

mod message;
mod names;
mod networks;
mod ownership;
mod permission;
mod template;

pub use message::{Entry, Field, MessageDenial, Originators, ResentBlock, check_message};
pub use names::{NameFault, NameGuard, skeleton};
pub use networks::{Admission, UpstreamNetworks, special_use};
pub use ownership::{Ownership, OwnershipBook};
pub use permission::{Decision, Denial, UsableMailboxes, Usage, may_use, usable_mailboxes};
pub use template::template_offered;

#[cfg(test)]
mod message_tests;
#[cfg(test)]
mod names_tests;
#[cfg(test)]
mod ownership_tests;
#[cfg(test)]
mod permission_tests;

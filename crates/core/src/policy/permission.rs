//! SPEC §2: may user U use mailbox M for `from` or `reply_to`?

use crate::model::{Mailbox, MailboxScope, Tenant, User};
use serde::Serialize;

/// What the mailbox is to be used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    /// From, Sender, Resent-From, Resent-Sender and the envelope MAIL FROM.
    From,
    /// Reply-To.
    ReplyTo,
}

/// Why a use was denied, in the order the rule checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    /// Rule 0: the address is not owned by its tenant (why: the ownership state).
    NotOwned(super::Ownership),
    /// The user, the tenant record or the mailbox belong to different tenants.
    OtherTenant,
    /// The tenant is disabled.
    TenantDisabled,
    /// The user is disabled.
    UserDisabled,
    /// The mailbox is disabled.
    MailboxDisabled,
    /// `from` needs the `sender` flag.
    NotSender,
    /// `reply_to` needs the `reply` flag.
    NotReply,
    /// The mailbox belongs to a company the user has no access to.
    OtherCompany,
    /// The mailbox is restricted and neither the user nor a group of it is listed.
    NotListed,
}

/// The answer of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The use is allowed.
    Allowed,
    /// The use is denied, with the first reason found.
    Denied(Denial),
}

impl Decision {
    /// Whether the use is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// SPEC §2. `tenant` must be the user's tenant record; a mismatch between
/// the ids of tenant, user and mailbox denies. `ownership` is rule 0's
/// input, [`super::OwnershipBook::of`] the mailbox. The admin role plays
/// no part: admins send under the same rule.
pub fn may_use(tenant: &Tenant, user: &User, mailbox: &Mailbox, ownership: super::Ownership, usage: Usage) -> Decision {
    use Decision::Denied;
    if !ownership.is_owned() {
        return Denied(Denial::NotOwned(ownership));
    }
    if user.tenant_id != tenant.id || mailbox.tenant_id != tenant.id {
        return Denied(Denial::OtherTenant);
    }
    if !tenant.enabled {
        return Denied(Denial::TenantDisabled);
    }
    if !user.enabled {
        return Denied(Denial::UserDisabled);
    }
    if !mailbox.flags.enabled {
        return Denied(Denial::MailboxDisabled);
    }
    match usage {
        Usage::From if !mailbox.flags.sender => return Denied(Denial::NotSender),
        Usage::ReplyTo if !mailbox.flags.reply => return Denied(Denial::NotReply),
        _ => {}
    }
    if let MailboxScope::Company(company) = mailbox.scope
        && !user.companies.contains(&company)
    {
        return Denied(Denial::OtherCompany);
    }
    if mailbox.flags.restricted
        && !mailbox.access.users.contains(&user.id)
        && mailbox.access.groups.is_disjoint(&user.groups)
    {
        return Denied(Denial::NotListed);
    }
    Decision::Allowed
}

/// The mailboxes a user may use, split by use: the two dropdowns of the
/// communication manager and the permission snapshot of the SMTP proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsableMailboxes {
    /// Usable as From / Sender / MAIL FROM, in the order given.
    pub from: Vec<Mailbox>,
    /// Usable as Reply-To, in the order given.
    pub reply_to: Vec<Mailbox>,
    /// The display names the user may and may not write (empty unless
    /// loaded: [`crate::service::permissions::snapshot`] loads them).
    pub names: super::NameGuard,
}

impl UsableMailboxes {
    /// The usable mailbox for `usage` with this normalised address.
    pub fn find(&self, usage: Usage, address: &crate::EmailAddress) -> Option<&Mailbox> {
        let list = match usage {
            Usage::From => &self.from,
            Usage::ReplyTo => &self.reply_to,
        };
        list.iter().find(|m| &m.address == address)
    }
}

/// Applies [`may_use`] to every mailbox for both uses, rule 0 from `book`.
pub fn usable_mailboxes<'a>(
    tenant: &Tenant,
    user: &User,
    mailboxes: impl IntoIterator<Item = &'a Mailbox>,
    book: &super::OwnershipBook,
) -> UsableMailboxes {
    let mut out = UsableMailboxes::default();
    for m in mailboxes {
        let owned = book.of(m);
        if may_use(tenant, user, m, owned, Usage::From).is_allowed() {
            out.from.push(m.clone());
        }
        if may_use(tenant, user, m, owned, Usage::ReplyTo).is_allowed() {
            out.reply_to.push(m.clone());
        }
    }
    out
}

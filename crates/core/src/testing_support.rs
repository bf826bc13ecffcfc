//! Small builders for the crate's own unit tests.

use crate::model::{AccessList, Mailbox, MailboxFlags, MailboxScope, Name};
use crate::policy::{Entry, UsableMailboxes};
use crate::{EmailAddress, MailboxId, TenantId, Timestamp};

/// An originator entry.
pub fn entry(name: Option<&str>, address: &str) -> Entry {
    Entry {
        display_name: name.map(str::to_owned),
        raw_address: address.to_owned(),
        address: EmailAddress::parse(address).ok(),
    }
}

fn mailbox(address: &str) -> Mailbox {
    Mailbox {
        display_name_policy: Default::default(),
        limits: Default::default(),
        tenant_id: TenantId::generate(),
        id: MailboxId::generate(),
        address: EmailAddress::parse(address).expect("valid"),
        display_name: Name::parse(address).expect("valid"),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
        access: AccessList::default(),
        system: false,
        created_at: Timestamp(0),
        version: 1,
    }
}

/// Usable mailboxes with these From and Reply-To addresses.
pub fn usable_for(from: &[&str], reply_to: &[&str]) -> UsableMailboxes {
    UsableMailboxes {
        from: from.iter().map(|a| mailbox(a)).collect(),
        reply_to: reply_to.iter().map(|a| mailbox(a)).collect(),
        names: Default::default(),
    }
}

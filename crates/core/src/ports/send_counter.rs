//! The sending-limit counter port: how much a user, a mailbox or a tenant
//! has sent in one window bucket, shared by every process that sends (the
//! proxy replicas and HTTP send). A take is atomic and conditional: it adds
//! only while the sum stays within the allowance, so no number of
//! concurrent takers can push a counter over its limit. The in-memory
//! counter here serves one process and the tests.

use crate::error::StoreError;
use crate::model::{Allowance, Window};
use crate::{MailboxId, TenantId, UserId};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// Whose sending a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One user, whatever mailbox it sends as.
    User(UserId),
    /// One mailbox, whoever sends as it.
    Mailbox(MailboxId),
    /// The whole tenant.
    Tenant,
}

impl Scope {
    /// `user`, `mailbox` or `tenant` (replies, metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::User(_) => "user",
            Scope::Mailbox(_) => "mailbox",
            Scope::Tenant => "tenant",
        }
    }
}

/// One counter: a scope of a tenant in one bucket of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterKey {
    /// The tenant.
    pub tenant: TenantId,
    /// Whose sending.
    pub scope: Scope,
    /// The window.
    pub window: Window,
    /// The bucket: Unix seconds / window seconds.
    pub bucket: u64,
}

impl CounterKey {
    /// The counter's name within the tenant: `user/<id>`, `mailbox/<id>` or `tenant`.
    pub fn scope_id(&self) -> String {
        match self.scope {
            Scope::User(u) => format!("user/{u}"),
            Scope::Mailbox(m) => format!("mailbox/{m}"),
            Scope::Tenant => "tenant".to_owned(),
        }
    }

    /// When the bucket ends (Unix seconds).
    pub fn ends_at(&self) -> u64 {
        (self.bucket + 1) * self.window.seconds()
    }

    /// When the counter may be forgotten (Unix seconds): a window after the bucket ends.
    pub fn expires_at(&self) -> u64 {
        (self.bucket + 2) * self.window.seconds()
    }
}

/// Messages and recipients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Units {
    /// Messages.
    pub messages: u32,
    /// Recipients.
    pub recipients: u32,
}

impl Units {
    /// Whether `self + take` stays within `allowance` (unlimited dimensions always do).
    pub fn fits(&self, take: Units, allowance: Allowance) -> bool {
        let within =
            |used: u32, more: u32, limit: Option<u32>| limit.is_none_or(|l| used as u64 + more as u64 <= l as u64);
        within(self.messages, take.messages, allowance.messages)
            && within(self.recipients, take.recipients, allowance.recipients)
    }
}

/// Sending counters, shared by every process that sends.
#[async_trait]
pub trait SendCounter: Send + Sync {
    /// Adds `take` to the counter `key` if the sum stays within `allowance`
    /// (dimensions without a limit are counted but not bounded); whether it was added.
    async fn take(&self, key: &CounterKey, take: Units, allowance: Allowance) -> Result<bool, StoreError>;
}

/// Counters above this many make a take drop the expired ones.
const PRUNE_ABOVE: usize = 10_000;

/// The exact in-memory counter of one process.
#[derive(Debug, Default)]
pub struct MemorySendCounter {
    counts: Mutex<HashMap<CounterKey, Units>>,
}

#[async_trait]
impl SendCounter for MemorySendCounter {
    async fn take(&self, key: &CounterKey, take: Units, allowance: Allowance) -> Result<bool, StoreError> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() > PRUNE_ABOVE {
            let now = u64::try_from(crate::Timestamp::now().seconds()).unwrap_or(0);
            counts.retain(|k, _| k.expires_at() > now);
        }
        let used = counts.entry(*key).or_default();
        if !used.fits(take, allowance) {
            return Ok(false);
        }
        used.messages = used.messages.saturating_add(take.messages);
        used.recipients = used.recipients.saturating_add(take.recipients);
        Ok(true)
    }
}

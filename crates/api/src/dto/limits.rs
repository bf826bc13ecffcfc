//! Sending limits and the display-name policy as the API shows them.

use sendas_core::model::{DisplayNamePolicy, SendingLimits, TenantLimits};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sending limits; an absent (or null) value does not limit. Counted over
/// fixed windows aligned to UTC, across every proxy replica and HTTP send.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsView {
    /// Messages per minute.
    pub messages_per_minute: Option<u32>,
    /// Messages per hour.
    pub messages_per_hour: Option<u32>,
    /// Messages per day.
    pub messages_per_day: Option<u32>,
    /// Recipients per minute.
    pub recipients_per_minute: Option<u32>,
    /// Recipients per hour.
    pub recipients_per_hour: Option<u32>,
    /// Recipients per day.
    pub recipients_per_day: Option<u32>,
}

impl From<SendingLimits> for LimitsView {
    fn from(l: SendingLimits) -> Self {
        LimitsView {
            messages_per_minute: l.messages_per_minute,
            messages_per_hour: l.messages_per_hour,
            messages_per_day: l.messages_per_day,
            recipients_per_minute: l.recipients_per_minute,
            recipients_per_hour: l.recipients_per_hour,
            recipients_per_day: l.recipients_per_day,
        }
    }
}

impl From<LimitsView> for SendingLimits {
    fn from(l: LimitsView) -> Self {
        SendingLimits {
            messages_per_minute: l.messages_per_minute,
            messages_per_hour: l.messages_per_hour,
            messages_per_day: l.messages_per_day,
            recipients_per_minute: l.recipients_per_minute,
            recipients_per_hour: l.recipients_per_hour,
            recipients_per_day: l.recipients_per_day,
        }
    }
}

/// A tenant's limits (set by the operator): its own, and the ceilings and
/// defaults of its users and mailboxes. Admins set a user's or a mailbox's
/// limits at most up to the ceiling; unset ones take the default.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TenantLimitsView {
    /// What the whole tenant may send.
    pub tenant: LimitsView,
    /// The most an admin may give one user.
    pub user_ceiling: LimitsView,
    /// What a user without limits of its own gets.
    pub user_default: LimitsView,
    /// The most an admin may give one mailbox.
    pub mailbox_ceiling: LimitsView,
    /// What a mailbox without limits of its own gets.
    pub mailbox_default: LimitsView,
}

impl From<TenantLimits> for TenantLimitsView {
    fn from(l: TenantLimits) -> Self {
        TenantLimitsView {
            tenant: l.tenant.into(),
            user_ceiling: l.user_ceiling.into(),
            user_default: l.user_default.into(),
            mailbox_ceiling: l.mailbox_ceiling.into(),
            mailbox_default: l.mailbox_default.into(),
        }
    }
}

impl From<TenantLimitsView> for TenantLimits {
    fn from(l: TenantLimitsView) -> Self {
        TenantLimits {
            tenant: l.tenant.into(),
            user_ceiling: l.user_ceiling.into(),
            user_default: l.user_default.into(),
            mailbox_ceiling: l.mailbox_ceiling.into(),
            mailbox_default: l.mailbox_default.into(),
        }
    }
}

/// Which display names a message may show for a mailbox: `free` (any that
/// passes the general checks and names nobody else of the tenant) or
/// `fixed` (only the mailbox's display name or the sending user's name,
/// compared by Unicode confusable skeleton; or none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisplayNamePolicyName {
    /// Any display name that passes the general checks.
    #[default]
    Free,
    /// Only the mailbox's own or the sending user's name.
    Fixed,
}

impl From<DisplayNamePolicy> for DisplayNamePolicyName {
    fn from(p: DisplayNamePolicy) -> Self {
        match p {
            DisplayNamePolicy::Free => DisplayNamePolicyName::Free,
            DisplayNamePolicy::Fixed => DisplayNamePolicyName::Fixed,
        }
    }
}

impl From<DisplayNamePolicyName> for DisplayNamePolicy {
    fn from(p: DisplayNamePolicyName) -> Self {
        match p {
            DisplayNamePolicyName::Free => DisplayNamePolicy::Free,
            DisplayNamePolicyName::Fixed => DisplayNamePolicy::Fixed,
        }
    }
}

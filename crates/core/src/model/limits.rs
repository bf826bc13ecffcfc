//! Sending limits (SPEC §3): messages and recipients per minute, hour and
//! day, for a user, a mailbox and a whole tenant. The operator sets the
//! tenant's own limits, and the ceilings and defaults of its users and
//! mailboxes; an admin sets a user's or a mailbox's limits within the
//! ceilings. A limit that is not set does not count.

use serde::{Deserialize, Serialize};

/// The windows limits are counted over: fixed buckets aligned to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// 60 s.
    Minute,
    /// 3,600 s.
    Hour,
    /// 86,400 s.
    Day,
}

impl Window {
    /// Every window.
    pub const ALL: [Window; 3] = [Window::Minute, Window::Hour, Window::Day];

    /// Its length in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            Window::Minute => 60,
            Window::Hour => 3_600,
            Window::Day => 86_400,
        }
    }

    /// Its name in replies, metrics and keys.
    pub fn name(self) -> &'static str {
        match self {
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }
}

/// What a limit counts in one window: messages, recipients (`None`: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// Messages.
    pub messages: Option<u32>,
    /// Recipients (the envelope's RCPT TO).
    pub recipients: Option<u32>,
}

/// The limits of one user, mailbox or tenant (every field optional).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendingLimits {
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

/// A limit above its ceiling, named by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    /// The object at fault, e.g. `limits` or `limits.user_default`.
    pub field: &'static str,
    /// Why, naming the limit, e.g. `messages_per_minute: 50 is above the tenant's ceiling of 30`.
    pub reason: String,
}

impl SendingLimits {
    /// No limit at all.
    pub const NONE: SendingLimits = SendingLimits {
        messages_per_minute: None,
        messages_per_hour: None,
        messages_per_day: None,
        recipients_per_minute: None,
        recipients_per_hour: None,
        recipients_per_day: None,
    };

    /// The allowance of one window.
    pub fn allowance(&self, window: Window) -> Allowance {
        let (messages, recipients) = match window {
            Window::Minute => (self.messages_per_minute, self.recipients_per_minute),
            Window::Hour => (self.messages_per_hour, self.recipients_per_hour),
            Window::Day => (self.messages_per_day, self.recipients_per_day),
        };
        Allowance { messages, recipients }
    }

    fn fields(&self) -> [(&'static str, Option<u32>); 6] {
        [
            ("messages_per_minute", self.messages_per_minute),
            ("messages_per_hour", self.messages_per_hour),
            ("messages_per_day", self.messages_per_day),
            ("recipients_per_minute", self.recipients_per_minute),
            ("recipients_per_hour", self.recipients_per_hour),
            ("recipients_per_day", self.recipients_per_day),
        ]
    }

    fn zip(&self, other: &SendingLimits, f: impl Fn(Option<u32>, Option<u32>) -> Option<u32>) -> SendingLimits {
        SendingLimits {
            messages_per_minute: f(self.messages_per_minute, other.messages_per_minute),
            messages_per_hour: f(self.messages_per_hour, other.messages_per_hour),
            messages_per_day: f(self.messages_per_day, other.messages_per_day),
            recipients_per_minute: f(self.recipients_per_minute, other.recipients_per_minute),
            recipients_per_hour: f(self.recipients_per_hour, other.recipients_per_hour),
            recipients_per_day: f(self.recipients_per_day, other.recipients_per_day),
        }
    }

    /// These limits where set, else `default`'s, each at most `ceiling`'s: what counts.
    pub fn effective(&self, default: &SendingLimits, ceiling: &SendingLimits) -> SendingLimits {
        self.zip(default, |own, default| own.or(default)).zip(ceiling, |value, ceiling| match (value, ceiling) {
            (Some(v), Some(c)) => Some(v.min(c)),
            (v, c) => v.or(c),
        })
    }

    /// Refuses a value above `ceiling`'s (the admin's limits within the operator's).
    pub fn within(&self, ceiling: &SendingLimits, field: &'static str) -> Result<(), LimitError> {
        for ((name, value), (_, max)) in self.fields().into_iter().zip(ceiling.fields()) {
            if let (Some(v), Some(max)) = (value, max)
                && v > max
            {
                return Err(LimitError { field, reason: format!("{name}: {v} is above the ceiling of {max}") });
            }
        }
        Ok(())
    }

    /// Whether no limit is set.
    pub fn is_none(&self) -> bool {
        self == &SendingLimits::NONE
    }
}

/// A tenant's limits, set by the operator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantLimits {
    /// What the whole tenant may send.
    pub tenant: SendingLimits,
    /// The most an admin may give one user.
    pub user_ceiling: SendingLimits,
    /// What a user without limits of its own gets.
    pub user_default: SendingLimits,
    /// The most an admin may give one mailbox.
    pub mailbox_ceiling: SendingLimits,
    /// What a mailbox without limits of its own gets.
    pub mailbox_default: SendingLimits,
}

impl TenantLimits {
    /// Refuses defaults above their ceilings.
    pub fn validate(&self) -> Result<(), LimitError> {
        self.user_default.within(&self.user_ceiling, "limits.user_default")?;
        self.mailbox_default.within(&self.mailbox_ceiling, "limits.mailbox_default")
    }

    /// What counts for a user with `own` limits.
    pub fn for_user(&self, own: &SendingLimits) -> SendingLimits {
        own.effective(&self.user_default, &self.user_ceiling)
    }

    /// What counts for a mailbox with `own` limits.
    pub fn for_mailbox(&self, own: &SendingLimits) -> SendingLimits {
        own.effective(&self.mailbox_default, &self.mailbox_ceiling)
    }
}

/// How a mailbox's display name may be written in a message (SPEC §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayNamePolicy {
    /// Any display name that passes the general checks (no address-like
    /// text, no controls, not the name of someone else of the tenant).
    #[default]
    Free,
    /// Only the mailbox's own display name or the sending user's name
    /// (compared by UTS #39 skeleton after NFKC), or none.
    Fixed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_limits_fall_back_to_the_default_and_stay_under_the_ceiling() {
        let own = SendingLimits { messages_per_minute: Some(50), ..SendingLimits::NONE };
        let default =
            SendingLimits { messages_per_minute: Some(10), messages_per_day: Some(500), ..Default::default() };
        let ceiling =
            SendingLimits { messages_per_minute: Some(30), recipients_per_hour: Some(100), ..Default::default() };
        let e = own.effective(&default, &ceiling);
        assert_eq!(e.messages_per_minute, Some(30), "the ceiling caps an own limit above it");
        assert_eq!(e.messages_per_day, Some(500), "the default fills what is not set");
        assert_eq!(e.recipients_per_hour, Some(100), "a ceiling without default or own limit counts");
        assert_eq!(e.messages_per_hour, None);
        assert_eq!(e.allowance(Window::Minute), Allowance { messages: Some(30), recipients: None });
    }

    #[test]
    fn limits_above_the_ceiling_are_named() {
        let ceiling = SendingLimits { recipients_per_day: Some(1000), ..Default::default() };
        let ok = SendingLimits { recipients_per_day: Some(1000), messages_per_minute: Some(5), ..Default::default() };
        assert!(ok.within(&ceiling, "limits").is_ok());
        let over = SendingLimits { recipients_per_day: Some(1001), ..Default::default() };
        let e = over.within(&ceiling, "limits").err();
        assert_eq!(
            e.map(|e| (e.field, e.reason)),
            Some(("limits", "recipients_per_day: 1001 is above the ceiling of 1000".into()))
        );
        let t = TenantLimits { user_ceiling: ceiling, user_default: over, ..Default::default() };
        assert_eq!(t.validate().err().map(|e| e.field), Some("limits.user_default"));
    }
}

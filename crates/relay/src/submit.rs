//! The one delivery pipeline of both doors (SPEC §3): everything after a
//! message's verdict — the sending limits, the relay, the refund, the
//! outcome and its reply — in one place. The SMTP session and HTTP send
//! call [`Submitter::submit`] and turn its [`Outcome`] into an SMTP reply
//! or an HTTP answer; the audit record of a transaction is made by
//! [`Outcome::audited`] for both, so the doors cannot drift apart.
//!
//! Four outcomes: `Delivered` (the upstream's reply and queue id),
//! `Refused` (a 5xx: nothing sent), `NotSent` (a limit, the limits'
//! store, or the upstream before the final dot: the units are given back,
//! the client retries), `Uncertain` (the connection failed or timed out
//! after the final dot: the units stay spent, never retried by sendas).

use crate::{Envelope, Relay, RelayError};
use sendas_core::limiter::{Demand, LimitReached, Limiter, Refusal};
use sendas_core::model::{AuditOutcome, Mailbox};
use sendas_message::reply::Reply;
use sendas_smtp_client::sanitise;
use std::sync::Arc;

/// Why a message was not sent (the client may send it again).
#[derive(Debug, Clone)]
pub enum NotSent {
    /// A sending limit of the user, the mailbox or the tenant is reached.
    Limit(LimitReached),
    /// The sending limits could not be checked (their store is down).
    LimitsUnavailable(String),
    /// The upstream could not be reached, timed out or deferred before the final dot.
    Upstream(String),
    /// The mailbox's own login was refused by its server (an admin must fix it).
    LoginRefused(String),
}

/// How a submitted message ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The upstream accepted: its reply (with its queue id), sanitised.
    Delivered {
        /// The upstream's reply.
        upstream_reply: String,
    },
    /// The upstream refused for good: nothing was sent.
    Refused {
        /// The upstream's code (5xx).
        code: u16,
        /// Its text, sanitised.
        text: String,
    },
    /// Nothing was sent; the units are given back.
    NotSent(NotSent),
    /// The upstream's reply to the final dot never came: it may have been delivered.
    Uncertain(String),
}

impl Outcome {
    /// The SMTP reply of this outcome (the proxy answers it; HTTP send audits it).
    pub fn reply(&self) -> Reply {
        match self {
            Outcome::Delivered { upstream_reply } => {
                Reply::new(250, "2.0.0", format!("Ok, relayed: {}", sanitise(without_codes(upstream_reply))))
            }
            Outcome::Refused { code, text } => {
                let code = if (500..600).contains(code) { *code } else { 554 };
                let enhanced = upstream_enhanced(text).unwrap_or_else(|| "5.0.0".into());
                Reply::new(code, &enhanced, format!("Upstream refused: {}", sanitise(text)))
            }
            Outcome::NotSent(NotSent::Limit(reached)) => Reply::new(
                451,
                "4.7.0",
                format!(
                    "Sending limit reached: {}; try again in {} s",
                    reached.describe(),
                    reached.retry_after.as_secs()
                ),
            ),
            Outcome::NotSent(NotSent::LimitsUnavailable(_)) => {
                Reply::new(451, "4.3.0", "Temporary failure checking sending limits, try again later")
            }
            Outcome::NotSent(NotSent::Upstream(_)) => {
                Reply::new(451, "4.4.0", "Upstream temporarily unavailable, try again later")
            }
            Outcome::NotSent(NotSent::LoginRefused(why)) => Reply::new(
                451,
                "4.7.0",
                format!(
                    "The sending mailbox's login to its server was refused ({}); an administrator must fix it, try again later",
                    sanitise(why)
                ),
            ),
            Outcome::Uncertain(_) => Reply::new(
                451,
                "4.4.2",
                "The connection to the upstream failed after the message was sent; it may have been delivered: \
                 check before sending it again",
            ),
        }
    }

    /// The audit record's outcome, reply and upstream text: `(outcome, code, reply, upstream)`.
    pub fn audited(&self) -> (AuditOutcome, u16, String, Option<String>) {
        let reply = self.reply();
        let outcome = match self {
            Outcome::Uncertain(_) => AuditOutcome::Uncertain,
            _ => AuditOutcome::of_reply(reply.code),
        };
        let upstream = match self {
            Outcome::Delivered { upstream_reply } => Some(upstream_reply.as_str()),
            Outcome::Refused { text, .. } => Some(text.as_str()),
            Outcome::NotSent(NotSent::Upstream(why) | NotSent::LoginRefused(why)) | Outcome::Uncertain(why) => {
                Some(why.as_str())
            }
            Outcome::NotSent(NotSent::Limit(_) | NotSent::LimitsUnavailable(_)) => None,
        };
        (outcome, reply.code, reply.lines.join(" "), upstream.map(|u| sanitise(u).chars().take(500).collect()))
    }
}

/// The pipeline of one process: its sending limiter and its relay (one of each, both doors).
#[derive(Clone)]
pub struct Submitter {
    limiter: Arc<Limiter>,
    relay: Arc<dyn Relay>,
    /// Turns true when the process stops waiting for relays in flight.
    abandoned: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Submitter {
    /// Counts against `limiter`, relays through `relay`.
    pub fn new(limiter: Arc<Limiter>, relay: Arc<dyn Relay>) -> Submitter {
        Submitter { limiter, relay, abandoned: Arc::new(tokio::sync::watch::Sender::new(false)) }
    }

    /// Ends every relay still in flight (the drain at shutdown ran out): each is `Uncertain`,
    /// as its message may have reached the upstream, and its units stay spent. The server
    /// drains for longer than the relay's deadline up to the final dot, so what is left then
    /// is waiting for a final reply.
    pub fn abandon(&self) {
        self.abandoned.send_replace(true);
    }

    /// The limiter (HTTP send asks it first whether a demand can ever fit).
    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.limiter
    }

    /// The relay (`verify` and tests).
    pub fn relay(&self) -> &Arc<dyn Relay> {
        &self.relay
    }

    /// The most recipients a message of `mailbox` may have on its route (SMTP answers
    /// `452 4.5.3` at RCPT beyond it).
    pub async fn max_recipients(&self, mailbox: &Mailbox) -> usize {
        self.relay.max_recipients(mailbox).await
    }

    /// Reserves `demand`'s units, relays `message` as `mailbox` to `envelope`, gives the units
    /// back unless something may have been delivered, and says how it ended.
    pub async fn submit(&self, demand: &Demand, mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) -> Outcome {
        let reservation = match self.limiter.reserve(demand).await {
            Ok(r) => r,
            Err(Refusal::Reached(reached)) => return Outcome::NotSent(NotSent::Limit(reached)),
            Err(Refusal::Unavailable(why)) => {
                tracing::warn!(%why, "sending limits could not be checked");
                return Outcome::NotSent(NotSent::LimitsUnavailable(why));
            }
        };
        let mut abandoned = self.abandoned.subscribe();
        let relayed = tokio::select! {
            r = self.relay.relay(mailbox, envelope, message) => r,
            _ = abandoned.wait_for(|gone| *gone) => Err(RelayError::Uncertain(
                "the process stopped while the upstream's reply was awaited".into(),
            )),
        };
        let outcome = match relayed {
            Ok(relayed) => Outcome::Delivered { upstream_reply: relayed.upstream_reply },
            Err(RelayError::Permanent { code, text }) => Outcome::Refused { code, text },
            Err(RelayError::Temporary(why)) => Outcome::NotSent(NotSent::Upstream(why)),
            Err(RelayError::LoginRefused(why)) => Outcome::NotSent(NotSent::LoginRefused(why)),
            Err(RelayError::Uncertain(why)) => Outcome::Uncertain(why),
        };
        // The units are given back only when nothing can have been delivered.
        if matches!(outcome, Outcome::NotSent(_) | Outcome::Refused { .. }) {
            self.limiter.refund(reservation).await;
        }
        match &outcome {
            Outcome::NotSent(NotSent::Upstream(why)) => {
                tracing::warn!(mailbox = %mailbox.id, %why, "relay failed temporarily")
            }
            Outcome::NotSent(NotSent::LoginRefused(why)) => {
                tracing::warn!(mailbox = %mailbox.id, %why, "the mailbox's own login was refused")
            }
            Outcome::Uncertain(why) => {
                tracing::warn!(mailbox = %mailbox.id, %why, "the upstream's reply to the message never came")
            }
            _ => {}
        }
        outcome
    }
}

/// The enhanced status code in an upstream's text, e.g. `5.7.1` in "550 5.7.1 rejected".
fn upstream_enhanced(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')').find_map(|w| {
        let parts: Vec<&str> = w.split('.').collect();
        (parts.len() == 3
            && parts[0] == "5"
            && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
        .then(|| w.to_owned())
    })
}

/// An upstream reply's text without its basic and enhanced status codes:
/// "250 2.0.0 Ok: queued as X" -> "Ok: queued as X".
fn without_codes(reply: &str) -> &str {
    let mut rest = reply.trim_start();
    for _ in 0..2 {
        let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
        if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            rest = after.trim_start();
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_taken_from_the_upstream_text() {
        assert_eq!(without_codes("250 2.0.0 Ok: queued as X1"), "Ok: queued as X1");
        assert_eq!(without_codes("250 Ok queued"), "Ok queued");
        assert_eq!(without_codes("250"), "");
        assert_eq!(upstream_enhanced("550 5.7.1 rejected"), Some("5.7.1".into()));
        assert_eq!(upstream_enhanced("554 no enhanced code"), None);
    }

    #[test]
    fn each_outcome_has_its_reply_and_audit() {
        let cases = [
            (Outcome::Delivered { upstream_reply: "250 2.0.0 Ok: queued as Q".into() }, 250, AuditOutcome::Accepted),
            (Outcome::Refused { code: 550, text: "550 5.7.1 no".into() }, 550, AuditOutcome::Rejected),
            (Outcome::Refused { code: 250, text: "odd".into() }, 554, AuditOutcome::Rejected),
            (Outcome::NotSent(NotSent::Upstream("down".into())), 451, AuditOutcome::Deferred),
            (Outcome::NotSent(NotSent::LoginRefused("535".into())), 451, AuditOutcome::Deferred),
            (Outcome::Uncertain("closed".into()), 451, AuditOutcome::Uncertain),
        ];
        for (outcome, code, audited) in cases {
            let (o, c, reply, _) = outcome.audited();
            assert_eq!((o, c), (audited, code), "{outcome:?}: {reply}");
            assert_eq!(outcome.reply().code, code);
        }
        assert_eq!(Outcome::Uncertain("x".into()).reply().enhanced, "4.4.2");
        assert!(
            Outcome::Delivered { upstream_reply: "250 2.0.0 Ok: queued as Q".into() }.reply().lines[0]
                .ends_with("Ok: queued as Q")
        );
    }
}

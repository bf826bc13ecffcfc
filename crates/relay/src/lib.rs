//! sendas-relay: how an accepted message leaves sendas, shared by the SMTP
//! proxy and HTTP send (one message path, two doors).
//!
//! [`UpstreamRelay`] picks the sending mailbox's route: its own SMTP
//! server with its own login ([`SmtpRoute`]: the proxy's pipelining client
//! from `sendas-smtp-client`, verified TLS, pooled connections reused only
//! after a complete, successful exchange), or the system relay (an SMTP
//! server, or the outbox directory: [`OutboxRoute`]). Both routes sit
//! behind one trait, [`Route`].
//!
//! A login is a password or an OAuth 2.0 access token ([`Logins`]): the
//! token comes from the mailbox's grant ([`oauth`]: client credentials,
//! refresh token with rotation stored back, Google service account JWT),
//! is cached per mailbox and refreshed by one request however many
//! sessions wait ([`TokenCache`]), and a token the server refuses is
//! refreshed once and the login retried once. Secrets come through one
//! cache ([`CachedSecrets`], a decorator over the `SecretStore`).
//!
//! [`Submitter`] is the pipeline both doors share after a message's
//! verdict: sending limits, relay, refund, the [`Outcome`] (delivered,
//! refused, not sent, uncertain) with its reply and audit fields.
//!
//! Every login's outcome is the mailbox's health ([`HealthBook`]), written
//! to the store when it changes; [`Verifier`] runs the same login on
//! demand (the API's `verify`).

pub mod audit;
mod health;
mod held;
mod http;
mod login;
pub mod oauth;
mod outbox;
mod pool;
mod reach;
mod secret_format;
mod secrets;
mod smtp_route;
mod submit;
mod tokens;
mod upstream;
mod verify;

pub use health::HealthBook;
pub use login::{LoginFailure, Logins, Owner};
pub use outbox::{OutboxRoute, write_outbox};
pub use reach::{Reached, Unreachable, UpstreamPolicy};
pub use secret_format::{LoginSecret, ServiceAccountKey};
pub use secrets::{CachedSecrets, DEFAULT_SECRET_TTL};
pub use smtp_route::{SmtpRoute, SmtpRouteOptions, Target};
pub use submit::{NotSent, Outcome, Submitter};
pub use tokens::TokenCache;
pub use upstream::{RelayOptions, SYSTEM_RELAY_MAX_RECIPIENTS, UpstreamRelay};
pub use verify::{Verified, Verifier};

use async_trait::async_trait;
use sendas_core::EmailAddress;
use sendas_core::model::Mailbox;

/// Envelope of a relayed message.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// MAIL FROM: the sending mailbox.
    pub from: EmailAddress,
    /// The client's recipients.
    pub to: Vec<String>,
}

impl Envelope {
    /// Whether every address is ASCII (else the upstream must offer SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.from.as_str().is_ascii() && self.to.iter().all(|t| t.is_ascii())
    }
}

/// The upstream accepted.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// The upstream's reply text (with its queue id), sanitised.
    pub upstream_reply: String,
}

/// The upstream did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// Try again later (unreachable, timeout, TLS, 4xx, token endpoint,
    /// secret store or database down).
    Temporary(String),
    /// The mailbox's own login was refused (wrong password, revoked OAuth
    /// grant, no secret stored): an admin must fix it; the client keeps
    /// the message and retries (SPEC §3: `451 4.7.0`).
    LoginRefused(String),
    /// The connection failed or timed out once the message's final dot was
    /// written, before the upstream's reply: it may have been delivered.
    /// Never retried by sendas, the sending-limit units stay spent (SPEC §3:
    /// `451 4.4.2`, audit outcome `uncertain`).
    Uncertain(String),
    /// The upstream refused for good.
    Permanent {
        /// The upstream's code (5xx).
        code: u16,
        /// The upstream's text, sanitised.
        text: String,
    },
}

/// Sends a message upstream.
#[async_trait]
pub trait Relay: Send + Sync {
    /// Relays `message` for `mailbox`.
    async fn relay(&self, mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError>;

    /// The most recipients one message of `mailbox` may have on its route (the system relay's
    /// operator limit, else a mailbox's); a longer envelope is split by the relay.
    async fn max_recipients(&self, _mailbox: &Mailbox) -> usize {
        sendas_message::limits::MAX_RECIPIENTS
    }
}

/// One way out: an SMTP server with a login, or the outbox directory.
#[async_trait]
pub trait Route<T: ?Sized + Sync>: Send + Sync {
    /// Delivers `message` to `target`.
    async fn deliver(&self, target: &T, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError>;
}

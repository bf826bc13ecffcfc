//! sendas-smtp-proxy: the SMTP submission proxy of SPEC §3.
//!
//! A client authenticates with an app password; every From, Sender,
//! Reply-To and Resent-* address of its messages is checked against the
//! mailboxes it may use, and an accepted message is relayed upstream with
//! the sending mailbox's own credentials (or through the system relay).
//! `250` is answered only after the upstream accepted.
//!
//! Pure parts: [`data`] (DATA reading, smuggling-safe), [`sasl`], [`headers`]
//! (originator extraction) and [`verdict`] (bytes + permissions → relay or
//! reply). I/O parts: [`session`] (the state machine over any byte
//! stream), [`server`] (listeners, limits, TLS, shutdown), [`authn`],
//! [`relay`], [`audit`] (batched audit writes off the reply path).

pub mod audit;
pub mod authn;
pub mod budget;
pub mod builder;
pub mod config;
pub mod file_config;
pub mod metrics;
pub mod sasl;
pub mod server;
pub mod session;
pub mod shutdown;
pub mod tls;

/// The relay (its own crate, shared with HTTP send).
pub use sendas_message::{data, headers, reply, verdict};
pub use sendas_relay as relay;

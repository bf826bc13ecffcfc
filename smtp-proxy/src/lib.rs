//! sendas-smtp-proxy: the SMTP submission proxy of SPEC §3.
//!
//! A client authenticates with an app password; every From, Sender,
//! Reply-To and Resent-* address of its messages is checked against the
//! mailboxes it may use, and an accepted message is relayed upstream with
//! the sending mailbox's own credentials (or through the system relay).
//! `250` is answered only after the upstream accepted.
//!
//! Pure parts: [`sasl`] here; DATA reading, originator extraction and the
//! verdict are `sendas_message`'s (shared with HTTP send). I/O parts: [`session`] (the state machine over any byte
//! stream), [`server`] (listeners, limits, TLS, shutdown), [`authn`].
//! The relay, the delivery pipeline and the audit writer are
//! `sendas_relay`'s, shared with HTTP send.

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

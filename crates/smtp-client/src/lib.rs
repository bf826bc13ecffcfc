//! sendas-smtp-client: the one upstream SMTP client of sendas.
//!
//! [`Client`] is the proxy's own small async client for the relay: TCP
//! with `TCP_NODELAY`, implicit TLS or STARTTLS verified against the Web
//! PKI roots plus an optional CA bundle ([`Trust`]), EHLO keywords
//! ([`Capabilities`]), AUTH PLAIN/LOGIN with a password or
//! XOAUTH2/OAUTHBEARER with a bearer token ([`Auth`]), and one message per
//! [`Client::send`]: MAIL/RCPT/DATA pipelined when the server offers
//! PIPELINING, the message dot-stuffed with `memchr` in parts of 64 KiB ([`DotStuffer`]).
//! Errors ([`SmtpError`]) name their [`Step`] and keep the server's class
//! (4xx transient, 5xx permanent).
//!
//! ```no_run
//! # async fn relay(token: secrecy::SecretString) -> Result<(), sendas_smtp_client::SmtpError> {
//! use sendas_smtp_client::{Auth, Client, ConnectOptions, Security};
//! let opts = ConnectOptions::new("smtp.office365.com", 587, Security::StartTls);
//! let mut client = Client::connect(&opts).await?;
//! client.authenticate(&Auth::Bearer { username: "info@example.com".into(), token }).await?;
//! let reply = client.send("info@example.com", &["someone@example.net"], b"Subject: hi\r\n\r\nhello\r\n").await?;
//! println!("{reply}");
//! client.quit().await;
//! # Ok(()) }
//! ```

mod auth;
mod caps;
mod client;
mod data;
mod error;
mod options;
mod reply;
mod sasl;
mod send;
mod tls;
mod wire;

pub use auth::MAX_AUTH_LINE;
pub use caps::Capabilities;
pub use client::Client;
pub use data::{DotStuffer, dot_stuff_into, dot_stuffed};
pub use error::{ErrorKind, SmtpError, Step};
pub use options::{ConnectOptions, FINAL_REPLY_TIMEOUT, Security, Timeouts};
pub use reply::{EnhancedCode, Reply, sanitise};
pub use sasl::{Auth, Mechanism};
pub use tls::{Trust, TrustError};
pub use wire::Io;

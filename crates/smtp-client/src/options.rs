//! Where and how the client connects: host and port, implicit TLS,
//! STARTTLS or none (loopback only), the EHLO name, the trusted CAs and the
//! per-step timeouts; the addresses to connect to when the caller resolved
//! the host itself.

use crate::tls::Trust;
use sendas_core::model::{SmtpSettings, TlsMode};
use std::net::SocketAddr;
use std::time::Duration;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connect, then STARTTLS, required (port 587).
    StartTls,
    /// No TLS: refused unless the peer is a loopback address.
    None,
}

impl From<TlsMode> for Security {
    fn from(mode: TlsMode) -> Security {
        match mode {
            TlsMode::Tls => Security::Tls,
            TlsMode::Starttls => Security::StartTls,
            TlsMode::None => Security::None,
        }
    }
}

/// How long each step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The TCP connect, and the TLS handshake.
    pub connect: Duration,
    /// Each command's write and reply (greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET).
    pub command: Duration,
    /// Each write of the message.
    pub data: Duration,
    /// The reply to the final dot: 10 minutes (RFC 5321 §4.5.3.2.6 — a
    /// client that gives up sooner may send the message twice).
    pub final_reply: Duration,
}

/// RFC 5321 §4.5.3.2.6: the wait for the reply to the final dot.
pub const FINAL_REPLY_TIMEOUT: Duration = Duration::from_secs(10 * 60);

impl Timeouts {
    /// The same limit for connect, commands and writes; the final reply's 10 minutes.
    pub fn uniform(limit: Duration) -> Timeouts {
        Timeouts { connect: limit, command: limit, data: limit, final_reply: FINAL_REPLY_TIMEOUT }
    }
}

impl Default for Timeouts {
    /// 15 s to connect, 30 s per command, 60 s per write of the message, 10 minutes for its reply.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            command: Duration::from_secs(30),
            data: Duration::from_secs(60),
            final_reply: FINAL_REPLY_TIMEOUT,
        }
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The server's host name (checked against its certificate) or IP address.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Implicit TLS, STARTTLS or none (loopback only).
    pub security: Security,
    /// The name sent with EHLO/HELO.
    pub hello: String,
    /// The certificate authorities trusted.
    pub trust: Trust,
    /// The step timeouts.
    pub timeouts: Timeouts,
    /// The addresses to connect to, tried in order, when the caller
    /// resolved `host` itself (and checked where it points); empty: `host`
    /// is resolved by the system when connecting. `host` still names the
    /// server for TLS.
    pub addresses: Vec<SocketAddr>,
}

impl ConnectOptions {
    /// `host:port` with `security`, EHLO `localhost`, the Web PKI roots, the default timeouts.
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> ConnectOptions {
        ConnectOptions {
            host: host.into(),
            port,
            security,
            hello: "localhost".into(),
            trust: Trust::web_pki(),
            timeouts: Timeouts::default(),
            addresses: Vec::new(),
        }
    }

    /// A mailbox's (or the system relay's) host, port and TLS mode.
    pub fn from_settings(settings: &SmtpSettings) -> ConnectOptions {
        ConnectOptions::new(settings.host(), settings.port(), settings.tls().into())
    }
}

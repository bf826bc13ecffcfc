//! Platform settings owned by the operator.

use super::TlsMode;
use serde::{Deserialize, Serialize};

/// Where mail from non-`authenticated` mailboxes goes. An SMTP relay's
/// password lives in the `SecretStore` under `SecretRef::system_relay()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemRelay {
    /// Write each message as one `.eml` file into a directory (local default).
    Outbox {
        /// The directory.
        dir: String,
    },
    /// Relay through an SMTP server (e.g. an SES SMTP endpoint).
    Smtp {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// TLS mode.
        tls: TlsMode,
        /// AUTH username, if the relay needs one.
        username: Option<String>,
        /// Whether a password is stored.
        password_set: bool,
    },
}

impl SystemRelay {
    /// An SMTP relay's settings as the relay logs in with them (username `none` when it has none;
    /// its secret is bound to them); `None` for the outbox or settings that do not validate.
    pub fn settings(&self) -> Option<super::SmtpSettings> {
        match self {
            SystemRelay::Outbox { .. } => None,
            SystemRelay::Smtp { host, port, tls, username, .. } => {
                super::SmtpSettings::new(host, *port, *tls, username.as_deref().unwrap_or("none")).ok()
            }
        }
    }
}

//! EHLO, HELO and STARTTLS.

use super::io::Conn;
use super::{Next, Session, Transaction};
use sendas_message::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

impl Session {
    /// Whether AUTH may be offered and used on this connection.
    pub(crate) fn auth_allowed(&self) -> bool {
        self.tls || self.deps.config.plaintext_auth_insecure
    }

    pub(crate) fn ehlo(&mut self, host: &str, extended: bool) -> Reply {
        self.helo = Some(sendas_message::reply::sanitise(host));
        self.tx = Transaction::default();
        let name = &self.deps.config.hostname;
        if !extended {
            return Reply::plain(250, name.clone());
        }
        let mut lines = vec![
            name.clone(),
            "PIPELINING".into(),
            format!("SIZE {}", self.deps.config.limits.max_message_size),
            "8BITMIME".into(),
            "ENHANCEDSTATUSCODES".into(),
            "SMTPUTF8".into(),
        ];
        if self.tls_available && !self.tls {
            lines.push("STARTTLS".into());
        }
        if self.auth_allowed() {
            lines.push("AUTH PLAIN LOGIN".into());
        }
        Reply { code: 250, enhanced: String::new(), lines }
    }

    pub(crate) async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>) -> Next {
        let reply = if self.tls {
            Reply::new(503, "5.5.1", "Already using TLS")
        } else if !self.tls_available {
            Reply::new(502, "5.5.1", "STARTTLS is not available here")
        } else {
            if conn.send(&Reply::plain(220, "2.0.0 Ready to start TLS")).await.is_err() {
                return Next::Close;
            }
            return Next::StartTls;
        };
        match conn.send(&reply).await {
            Ok(()) => Next::Continue,
            Err(_) => Next::Close,
        }
    }
}

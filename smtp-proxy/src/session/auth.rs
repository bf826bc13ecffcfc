//! AUTH PLAIN and AUTH LOGIN (with or without initial response).

use super::io::{Conn, Line};
use super::{Next, Session};
use crate::authn::AuthOutcome;
use crate::reply::Reply;
use data_encoding::BASE64;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncRead, AsyncWrite};

enum Sasl {
    Credentials(String, String),
    Invalid,
    Cancelled,
    Gone,
}

impl Session {
    pub(crate) async fn auth<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Conn<S>,
        mechanism: u64,
        initial: &str,
    ) -> Next {
        let reply = if self.user.is_some() {
            Reply::new(503, "5.5.1", "Already authenticated")
        } else if !self.auth_allowed() {
            Reply::new(538, "5.7.11", "Encryption required: use STARTTLS first")
        } else if self.tx.mail_from.is_some() {
            Reply::new(503, "5.5.1", "AUTH is not allowed during a mail transaction")
        } else if mechanism != smtp_proto::AUTH_PLAIN && mechanism != smtp_proto::AUTH_LOGIN {
            Reply::new(504, "5.5.4", "Unrecognized authentication type: use PLAIN or LOGIN")
        } else {
            let sasl = if mechanism == smtp_proto::AUTH_PLAIN {
                self.plain(conn, initial).await
            } else {
                self.login(conn, initial).await
            };
            match sasl {
                Sasl::Gone => return Next::Close,
                Sasl::Cancelled => Reply::new(501, "5.0.0", "Authentication cancelled"),
                Sasl::Invalid => self.failed().await,
                Sasl::Credentials(login, password) => {
                    match self.deps.authn.authenticate(self.peer, &login, &password).await {
                        AuthOutcome::Ok(user) => {
                            tracing::info!(peer = %self.peer, login = %user.login, "authenticated");
                            self.user = Some(user);
                            Reply::new(235, "2.7.0", "Authentication successful")
                        }
                        AuthOutcome::Invalid => self.failed().await,
                        AuthOutcome::LockedLogin => {
                            self.deps.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
                            Reply::new(454, "4.7.0", "Too many failed attempts, try again later")
                        }
                        AuthOutcome::LockedIp => {
                            self.deps.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
                            let _ = conn.send(&Reply::new(421, "4.7.0", "Too many failed attempts, closing")).await;
                            return Next::Close;
                        }
                        AuthOutcome::Unavailable => Reply::new(454, "4.7.0", "Temporary authentication failure"),
                    }
                }
            }
        };
        let close = reply.code == 421;
        if conn.send(&reply).await.is_err() || close {
            return Next::Close;
        }
        if self.auth_failures >= self.deps.config.limits.auth_failures_per_session {
            let _ = conn.send(&Reply::new(421, "4.7.0", "Too many failed attempts, closing")).await;
            return Next::Close;
        }
        Next::Continue
    }

    async fn failed(&mut self) -> Reply {
        self.auth_failures += 1;
        self.deps.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        tracing::info!(peer = %self.peer, "authentication failed");
        Reply::new(535, "5.7.8", "Authentication credentials invalid")
    }

    /// Reads one SASL response line after a 334 challenge.
    async fn challenge<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Conn<S>,
        prompt: &str,
    ) -> Result<Vec<u8>, Sasl> {
        if conn.send(&Reply::plain(334, prompt)).await.is_err() {
            return Err(Sasl::Gone);
        }
        let limits = &self.deps.config.limits;
        match conn.read_line(limits.max_command_line, limits.command_timeout).await {
            Line::Line(l) => {
                let text = String::from_utf8_lossy(&l).trim_end_matches(['\r', '\n']).to_owned();
                if text == "*" {
                    return Err(Sasl::Cancelled);
                }
                BASE64.decode(text.as_bytes()).map_err(|_| Sasl::Invalid)
            }
            Line::TooLong => Err(Sasl::Invalid),
            Line::Closed | Line::TimedOut => Err(Sasl::Gone),
        }
    }

    async fn plain<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>, initial: &str) -> Sasl {
        let raw = if initial.is_empty() {
            match self.challenge(conn, "").await {
                Ok(r) => r,
                Err(s) => return s,
            }
        } else if initial == "=" {
            Vec::new()
        } else {
            match BASE64.decode(initial.as_bytes()) {
                Ok(r) => r,
                Err(_) => return Sasl::Invalid,
            }
        };
        decode_plain(&raw)
    }

    async fn login<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>, initial: &str) -> Sasl {
        let user = if initial.is_empty() {
            match self.challenge(conn, "VXNlcm5hbWU6").await {
                Ok(u) => u,
                Err(s) => return s,
            }
        } else {
            match BASE64.decode(initial.as_bytes()) {
                Ok(u) => u,
                Err(_) => return Sasl::Invalid,
            }
        };
        let password = match self.challenge(conn, "UGFzc3dvcmQ6").await {
            Ok(p) => p,
            Err(s) => return s,
        };
        match (String::from_utf8(user), String::from_utf8(password)) {
            (Ok(u), Ok(p)) if !u.is_empty() => Sasl::Credentials(u, p),
            _ => Sasl::Invalid,
        }
    }
}

/// `authzid NUL authcid NUL passwd`; an authzid other than the login is refused.
fn decode_plain(raw: &[u8]) -> Sasl {
    let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
    let [authz, authc, password] = parts.as_slice() else { return Sasl::Invalid };
    let (Ok(authz), Ok(authc), Ok(password)) =
        (std::str::from_utf8(authz), std::str::from_utf8(authc), std::str::from_utf8(password))
    else {
        return Sasl::Invalid;
    };
    if authc.is_empty() || (!authz.is_empty() && !authz.eq_ignore_ascii_case(authc)) {
        return Sasl::Invalid;
    }
    Sasl::Credentials(authc.to_owned(), password.to_owned())
}

//! AUTH PLAIN and AUTH LOGIN (with or without initial response).

use super::io::{Conn, Line};
use super::{Next, Session};
use crate::authn::AuthOutcome;
use crate::sasl::{SaslCredentials, decode_base64, decode_login, decode_plain};
use sendas_message::reply::Reply;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncRead, AsyncWrite};

enum Sasl {
    Credentials(SaslCredentials),
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
        let reply = if self.helo.is_none() {
            Reply::new(503, "5.5.1", "Send EHLO first")
        } else if self.user.is_some() {
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
                Sasl::Credentials(SaslCredentials { login, password }) => {
                    match self.deps.authn.authenticate(self.peer, &login, &password).await {
                        AuthOutcome::Ok(user) => {
                            tracing::info!(peer = %self.peer, login = %user.login, "authenticated");
                            self.user = Some(user);
                            Reply::new(235, "2.7.0", "Authentication successful")
                        }
                        AuthOutcome::Invalid => self.failed().await,
                        AuthOutcome::InvalidLoginAttacked => {
                            self.deps.metrics.auth_login_alerts.fetch_add(1, Ordering::Relaxed);
                            self.failed().await
                        }
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
        match conn.read_line(super::syntax::SASL_LINE_MAX, limits.command_timeout).await {
            Line::Line(l) => {
                let text = String::from_utf8_lossy(&l).trim_end_matches(['\r', '\n']).to_owned();
                if text == "*" {
                    return Err(Sasl::Cancelled);
                }
                decode_base64(&text).ok_or(Sasl::Invalid)
            }
            Line::TooLong => Err(Sasl::Invalid),
            Line::BareLf => {
                let _ = conn.send(&super::bare_lf()).await;
                Err(Sasl::Gone)
            }
            Line::Closed | Line::TimedOut => Err(Sasl::Gone),
        }
    }

    async fn plain<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>, initial: &str) -> Sasl {
        let raw = if initial.is_empty() {
            match self.challenge(conn, "").await {
                Ok(r) => r,
                Err(s) => return s,
            }
        } else {
            match decode_base64(initial) {
                Some(r) => r,
                None => return Sasl::Invalid,
            }
        };
        decode_plain(&raw).map_or(Sasl::Invalid, Sasl::Credentials)
    }

    async fn login<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>, initial: &str) -> Sasl {
        let user = if initial.is_empty() {
            match self.challenge(conn, "VXNlcm5hbWU6").await {
                Ok(u) => u,
                Err(s) => return s,
            }
        } else {
            match decode_base64(initial) {
                Some(u) => u,
                None => return Sasl::Invalid,
            }
        };
        let password = match self.challenge(conn, "UGFzc3dvcmQ6").await {
            Ok(p) => p,
            Err(s) => return s,
        };
        decode_login(user, password).map_or(Sasl::Invalid, Sasl::Credentials)
    }
}

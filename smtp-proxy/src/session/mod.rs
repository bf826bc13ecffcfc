//! One SMTP session as a state machine over any byte stream (tests use
//! in-memory pipes). One file per verb group: `greeting` (EHLO, HELO,
//! STARTTLS), `auth` (AUTH PLAIN/LOGIN), `transaction` (MAIL, RCPT, DATA).
//!
//! `run` returns `StartTls` when the client asked for TLS; the caller
//! upgrades the stream, calls `upgraded` and `run` again on it. Nothing
//! survives that (RFC 3207 §4.2): whatever the client pipelined before the
//! handshake is discarded with the read buffer, and the EHLO name, the
//! authenticated user and the transaction are forgotten, so the client must
//! say EHLO and AUTH again inside TLS.
//!
//! Command lines end only at CRLF; each is read strictly (`syntax`) before
//! smtp-proto parses it.
//!
//! A session does not hold its place for ever: it must authenticate within
//! `pre_auth_timeout` of connecting (NOOPs and other commands do not extend
//! it), it lives at most `max_session_lifetime` and carries at most
//! `max_transactions_per_session` transactions, and each MAIL FROM checks
//! that the app password it authenticated with, its user and its tenant
//! still hold (`421 4.7.0` and closed otherwise; see `authn`).

mod auth;
mod greeting;
pub mod io;
mod syntax;
mod transaction;

use crate::authn::{AuthedUser, Authenticator};
use crate::config::ProxyConfig;
use crate::metrics::Metrics;
use io::{Conn, Line};
use sendas_message::reply::Reply;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// What a session needs from the rest of the proxy.
#[derive(Clone)]
pub struct Deps {
    /// SMTP AUTH and permission snapshots.
    pub authn: Arc<dyn Authenticator>,
    /// The delivery pipeline after the verdict: sending limits (shared with HTTP send in
    /// `sendas serve`) and the upstream relay.
    pub submitter: sendas_relay::Submitter,
    /// Where audit records go (batched, off the reply path).
    pub audit: sendas_relay::audit::AuditWriter,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The process's budget of message bytes in flight.
    pub budget: Arc<crate::budget::MessageBudget>,
    /// Each user's open transactions.
    pub open_transactions: Arc<crate::budget::UserTransactions>,
    /// Configuration.
    pub config: Arc<ProxyConfig>,
}

use crate::shutdown::stopped;

/// How `run` ended.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The connection is over.
    Closed,
    /// The client asked for STARTTLS and got 220: upgrade, then `run` again.
    StartTls,
}

/// The envelope being built.
#[derive(Debug, Default)]
pub(crate) struct Transaction {
    pub mail_from: Option<sendas_core::EmailAddress>,
    pub mail_from_raw: String,
    pub rcpts: Vec<String>,
    /// MAIL carried SMTPUTF8: non-ASCII recipients may follow.
    pub smtputf8: bool,
    /// The limits that count this transaction as far as known before DATA
    /// (the user, the envelope sender's mailbox, the tenant).
    pub limits: Option<sendas_core::limiter::Demand>,
    /// Its part of the message budget (given back when the transaction ends).
    pub lease: Option<crate::budget::Lease>,
    /// Its place among the user's open transactions (held until the transaction is dropped).
    pub _open: Option<crate::budget::OpenTransaction>,
    /// The MAIL FROM address's mailbox.
    pub mailbox: Option<sendas_core::model::Mailbox>,
    /// The last RCPT refused for now (a limit's `451`, `452`): audited if the transaction ends without DATA.
    pub refused_rcpt: Option<Reply>,
}

/// One client connection's state.
pub struct Session {
    pub(crate) deps: Deps,
    pub(crate) peer: IpAddr,
    pub(crate) tls: bool,
    tls_available: bool,
    pub(crate) helo: Option<String>,
    pub(crate) user: Option<AuthedUser>,
    pub(crate) tx: Transaction,
    pub(crate) auth_failures: u32,
    shutdown: watch::Receiver<bool>,
    /// When the client connected (STARTTLS does not reset it).
    started: Instant,
    /// Mail transactions begun (accepted MAIL FROM).
    pub(crate) transactions: u32,
    /// The reply just given ends the session.
    pub(crate) closing: bool,
}

/// The answer to a bare LF in a command line, before the connection closes (as Postfix's
/// `smtpd_forbid_bare_newline`).
pub(crate) fn bare_lf() -> Reply {
    Reply::new(521, "5.5.2", "Bare LF received: only CRLF ends a line; closing")
}

/// What a verb handler wants next.
pub(crate) enum Next {
    Continue,
    Close,
    StartTls,
}

impl Session {
    /// A session for a client at `peer`; `tls` when the stream is already
    /// encrypted, `tls_available` when STARTTLS can be offered.
    pub fn new(deps: Deps, peer: IpAddr, tls: bool, tls_available: bool, shutdown: watch::Receiver<bool>) -> Self {
        Session {
            deps,
            peer,
            tls,
            tls_available,
            helo: None,
            user: None,
            tx: Transaction::default(),
            auth_failures: 0,
            shutdown,
            started: Instant::now(),
            transactions: 0,
            closing: false,
        }
    }

    /// How long the session may still wait for its next command, and the
    /// reply when that runs out: the pre-AUTH timeout until a user has
    /// authenticated, then the session's lifetime.
    fn time_left(&self) -> (Duration, Reply) {
        let limits = &self.deps.config.limits;
        let (limit, reply) = if self.user.is_none() && limits.pre_auth_timeout < limits.max_session_lifetime {
            (limits.pre_auth_timeout, Reply::new(421, "4.4.2", "No authentication in time, closing connection"))
        } else {
            (limits.max_session_lifetime, Reply::new(421, "4.7.0", "Session lifetime reached, connect again"))
        };
        (limit.saturating_sub(self.started.elapsed()), reply)
    }

    /// Marks the stream as encrypted (after STARTTLS) and forgets all the
    /// client said before (RFC 3207 §4.2): EHLO, AUTH and the transaction.
    /// Only the count of failed AUTH attempts stays: it protects, it does not trust.
    pub fn upgraded(&mut self) {
        self.tls = true;
        self.helo = None;
        self.user = None;
        self.tx = Transaction::default();
    }

    /// Runs the session on `stream` until it closes or asks for STARTTLS.
    pub async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, stream: S, greet: bool) -> (S, SessionEnd) {
        let mut conn = Conn::new(stream);
        let end = self.serve(&mut conn, greet).await;
        self.abandon_tx().await;
        (conn.into_inner().await, end)
    }

    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>, greet: bool) -> SessionEnd {
        let limits = self.deps.config.limits.clone();
        // AUTH lines may be longer than other commands (RFC 4954 §4); `syntax` checks the rest.
        let max_line = limits.max_command_line.max(syntax::SASL_LINE_MAX);
        if greet {
            let hello = Reply::plain(220, format!("{} ESMTP sendas", self.deps.config.hostname));
            if conn.send(&hello).await.is_err() {
                return SessionEnd::Closed;
            }
        }
        loop {
            let mut shutdown = self.shutdown.clone();
            let (left, ended) = self.time_left();
            if left.is_zero() {
                let _ = conn.send(&ended).await;
                return SessionEnd::Closed;
            }
            let line = tokio::select! {
                line = conn.read_line(max_line, limits.command_timeout.min(left)) => line,
                _ = stopped(&mut shutdown) => {
                    let _ = conn.send(&Reply::new(421, "4.3.2", "Service shutting down, try again later")).await;
                    return SessionEnd::Closed;
                }
            };
            let line = match line {
                Line::Line(l) => l,
                Line::TooLong => {
                    if conn.send(&Reply::new(500, "5.5.2", "Line too long")).await.is_err() {
                        return SessionEnd::Closed;
                    }
                    continue;
                }
                Line::Closed => return SessionEnd::Closed,
                Line::BareLf => {
                    let _ = conn.send(&bare_lf()).await;
                    return SessionEnd::Closed;
                }
                Line::TimedOut => {
                    let (left, ended) = self.time_left();
                    let reply =
                        if left.is_zero() { ended } else { Reply::new(421, "4.4.2", "Timeout, closing connection") };
                    let _ = conn.send(&reply).await;
                    return SessionEnd::Closed;
                }
            };
            match self.command(conn, &line).await {
                Next::Continue => {}
                Next::Close => return SessionEnd::Closed,
                Next::StartTls => return SessionEnd::StartTls,
            }
        }
    }

    async fn command<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>, line: &[u8]) -> Next {
        use smtp_proto::Request;
        let checked = match syntax::check(line, self.deps.config.limits.max_command_line, self.tx.smtputf8) {
            Ok(c) => c,
            Err(reply) => return if conn.send(&reply).await.is_ok() { Next::Continue } else { Next::Close },
        };
        let parsed = Request::parse(&mut line.iter());
        let reply = match parsed {
            Ok(Request::Ehlo { host }) => self.ehlo(&host, true),
            Ok(Request::Helo { host }) => self.ehlo(&host, false),
            Ok(Request::StartTls) => return self.starttls(conn).await,
            Ok(Request::Auth { mechanism, initial_response }) => {
                return self.auth(conn, mechanism, &initial_response).await;
            }
            Ok(Request::Mail { from }) => self.mail(&from.address, from.size, checked.smtputf8).await,
            Ok(Request::Rcpt { to }) => self.rcpt(&to.address).await,
            Ok(Request::Data) => return self.data(conn).await,
            Ok(Request::Rset) => {
                self.abandon_tx().await;
                Reply::new(250, "2.0.0", "Ok")
            }
            Ok(Request::Noop { .. }) => Reply::new(250, "2.0.0", "Ok"),
            Ok(Request::Vrfy { .. }) => Reply::new(252, "2.5.0", "Cannot VRFY, send some mail"),
            Ok(Request::Quit) => {
                let _ = conn.send(&Reply::new(221, "2.0.0", "Bye")).await;
                return Next::Close;
            }
            Ok(_) => Reply::new(502, "5.5.1", "Command not implemented"),
            Err(smtp_proto::Error::UnknownCommand) => Reply::new(500, "5.5.1", "Unknown command"),
            Err(_) => Reply::new(501, "5.5.4", "Syntax error"),
        };
        match conn.send(&reply).await {
            Ok(()) if !self.closing => Next::Continue,
            _ => Next::Close,
        }
    }
}

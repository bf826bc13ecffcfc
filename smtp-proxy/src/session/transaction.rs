//! MAIL FROM, RCPT TO and DATA: the checks of SPEC §3 in order, the relay,
//! and one audit record per finished transaction.

use super::io::Conn;
use super::{Next, Session, Transaction};
use sendas_core::EmailAddress;
use sendas_core::limiter::{Demand, LimitReached};
use sendas_core::model::{AuditChannel, AuditOutcome, Mailbox};
use sendas_core::policy::Usage;
use sendas_message::data::{DataLimits, DataReader};
use sendas_message::reply::Reply;
use sendas_message::verdict::{Verdict, decide};
use sendas_relay::audit::AuditDraft;
use sendas_relay::{Envelope, NotSent, Outcome};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};

impl Session {
    pub(crate) async fn mail(&mut self, address: &str, size: usize, smtputf8: bool) -> Reply {
        if self.helo.is_none() {
            return Reply::new(503, "5.5.1", "Send EHLO first");
        }
        let Some(user) = self.user.clone() else {
            return Reply::new(530, "5.7.0", "Authentication required");
        };
        if self.tx.mail_from.is_some() {
            return Reply::new(503, "5.5.1", "Sender already given");
        }
        if self.transactions >= self.deps.config.limits.max_transactions_per_session {
            self.closing = true;
            return Reply::new(421, "4.7.0", "Too many transactions in this session, connect again");
        }
        match self.deps.authn.still_valid(&user).await {
            Ok(true) => {}
            Ok(false) => {
                self.closing = true;
                let ended =
                    Reply::new(421, "4.7.0", "Authorization ended (app password revoked or account disabled), closing");
                return self.refuse(ended, address, None).await;
            }
            Err(_) => return self.refuse(permissions_unavailable(), address, None).await,
        }
        if size > self.deps.config.limits.max_message_size {
            return self.refuse(Reply::new(552, "5.3.4", "Message too big"), address, None).await;
        }
        let denied = Reply::new(553, "5.7.1", "Sender address rejected: not a mailbox you may send from");
        let Ok(parsed) = EmailAddress::parse(address) else {
            return self.refuse(denied, address, None).await;
        };
        let snapshot = match self.deps.authn.snapshot(&user).await {
            Ok(s) => s,
            Err(_) => return self.refuse(permissions_unavailable(), address, None).await,
        };
        let Some(mailbox) = snapshot.usable.find(Usage::From, &parsed) else {
            return self.refuse(denied, address, None).await;
        };
        // A limit this process already found spent answers now, before the client sends anything more.
        let limits = Demand::new(&snapshot.tenant, &snapshot.user, Some(mailbox), 0);
        if let Err(reached) = self.deps.submitter.limiter().precheck(&limits) {
            let mailbox = mailbox.clone();
            return self.refuse(limit_reply(&reached), address, Some(&mailbox)).await;
        }
        let mailbox = mailbox.clone();
        let Some(open) = self.deps.open_transactions.begin(user.user) else {
            let busy = Reply::new(451, "4.7.0", "Too many concurrent transactions of this user, try again later");
            return self.refuse(busy, address, Some(&mailbox)).await;
        };
        let Some(lease) = self.deps.budget.take(user.tenant, size) else {
            let full = Reply::new(452, "4.3.1", "Insufficient system storage for this message now, try again later");
            return self.refuse(full, address, Some(&mailbox)).await;
        };
        self.transactions += 1;
        self.tx = Transaction {
            mail_from: Some(parsed),
            mail_from_raw: address.to_owned(),
            rcpts: Vec::new(),
            smtputf8,
            limits: Some(limits),
            lease: Some(lease),
            _open: Some(open),
            mailbox: Some(mailbox),
            refused_rcpt: None,
        };
        Reply::new(250, "2.1.0", "Sender ok")
    }

    pub(crate) async fn rcpt(&mut self, address: &str) -> Reply {
        if self.tx.mail_from.is_none() {
            return Reply::new(503, "5.5.1", "Need MAIL FROM first");
        }
        // The route of the MAIL FROM mailbox may take fewer (the system relay: 50, as SES).
        let route_limit = match &self.tx.mailbox {
            Some(m) => self.deps.submitter.max_recipients(m).await,
            None => usize::MAX,
        };
        if self.tx.rcpts.len() >= self.deps.config.limits.max_recipients.min(route_limit) {
            return self.refuse_rcpt(Reply::new(452, "4.5.3", "Too many recipients"));
        }
        if address.parse::<lettre::Address>().is_err() {
            return Reply::new(501, "5.1.3", "Bad recipient address syntax");
        }
        // Before DATA: a recipient the limits cannot take now is deferred (the client retries it later).
        if let Some(limits) = &self.tx.limits
            && let Err(reached) =
                self.deps.submitter.limiter().precheck(&limits.clone().recipients(self.tx.rcpts.len() + 1))
        {
            return self.refuse_rcpt(limit_reply(&reached));
        }
        self.tx.rcpts.push(address.to_owned());
        Reply::new(250, "2.1.5", "Recipient ok")
    }

    /// Answers a recipient refused for now, remembered for the audit record should the
    /// transaction end without DATA.
    fn refuse_rcpt(&mut self, reply: Reply) -> Reply {
        self.tx.refused_rcpt = Some(reply.clone());
        reply
    }

    /// Ends the transaction without a message (RSET, QUIT, a closed connection): audited when a
    /// recipient was refused in it, so that the refusal shows in the log.
    pub(crate) async fn abandon_tx(&mut self) {
        if self.tx.mail_from.is_some()
            && let Some(refused) = self.tx.refused_rcpt.take()
        {
            let mailbox = self.tx.mailbox.clone();
            self.close_tx(refused, mailbox.as_ref(), None, 0, None).await;
        }
        self.tx = Transaction::default();
    }

    pub(crate) async fn data<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut Conn<S>) -> Next {
        if self.tx.mail_from.is_none() || self.tx.rcpts.is_empty() {
            let reply = Reply::new(503, "5.5.1", "Need MAIL FROM and RCPT TO first");
            return if conn.send(&reply).await.is_ok() { Next::Continue } else { Next::Close };
        }
        if conn.send(&Reply::plain(354, "End data with <CR><LF>.<CR><LF>")).await.is_err() {
            return Next::Close;
        }
        let limits = self.deps.config.limits.clone();
        let reader =
            DataReader::new(DataLimits { max_size: limits.max_message_size, max_line: limits.max_line_length });
        let mut lease = self.tx.lease.take();
        let grow = |size: usize| lease.as_mut().is_some_and(|l| l.grow_to(size));
        let Some((mut received, fits)) = conn.read_data(reader, limits.data_timeout, grow).await else {
            return Next::Close;
        };
        self.tx.lease = lease;
        if !fits {
            let full = Reply::new(451, "4.3.1", "Insufficient system storage for this message now, try again later");
            let reply = self.close_tx(full, None, None, received.size, None).await;
            self.tx = Transaction::default();
            return if conn.send(&reply).await.is_ok() { Next::Continue } else { Next::Close };
        }
        // The bytes checked are the bytes relayed: the client's trace fields go first.
        if received.flaws == sendas_message::data::DataFlaws::default() {
            sendas_message::headers::strip_client_trace(&mut received.message);
        }
        let reply = self.finish(&received).await;
        self.tx = Transaction::default();
        if conn.send(&reply).await.is_ok() { Next::Continue } else { Next::Close }
    }

    async fn finish(&mut self, received: &sendas_message::data::Received) -> Reply {
        let Some(user) = self.user.clone() else {
            return Reply::new(530, "5.7.0", "Authentication required");
        };
        let snapshot = match self.deps.authn.snapshot(&user).await {
            Ok(s) => s,
            Err(_) => return self.close_tx(permissions_unavailable(), None, None, received.size, None).await,
        };
        let limits = &self.deps.config.limits;
        let verdict = decide(
            received,
            self.tx.mail_from.as_ref(),
            &snapshot.usable,
            limits.max_header_size,
            limits.max_line_length,
        );
        let (mailbox, message_id) = match verdict {
            Verdict::Reject { reply, message_id } => {
                return self.close_tx(reply, None, message_id, received.size, None).await;
            }
            Verdict::Relay { mailbox, message_id } => (mailbox.clone(), message_id),
        };
        let demand = Demand::new(&snapshot.tenant, &snapshot.user, Some(&mailbox), self.tx.rcpts.len());
        let envelope = Envelope { from: mailbox.address.clone(), to: self.tx.rcpts.clone() };
        let started = Instant::now();
        let outcome = self.deps.submitter.submit(&demand, &mailbox, &envelope, &received.message).await;
        self.deps.metrics.relay_latency(started.elapsed());
        let (audited, _, _, upstream) = outcome.audited();
        self.close_tx_as(audited, outcome.reply(), Some(&mailbox), message_id, received.size, upstream).await
    }

    /// The audit record's facts of the current transaction.
    fn draft(&self, mailbox: Option<&Mailbox>, message_id: Option<String>, size: usize) -> Option<AuditDraft> {
        let user = self.user.as_ref()?;
        Some(AuditDraft {
            tenant: user.tenant,
            user: user.user,
            credential: Some(user.audit_credential()),
            channel: AuditChannel::Smtp,
            mailbox: mailbox.map(Into::into),
            envelope_sender: Some(self.tx.mail_from_raw.clone()),
            recipients: self.tx.rcpts.len() as u32,
            message_id,
            size: size as u64,
        })
    }

    /// Counts and audits a refusal at MAIL FROM.
    async fn refuse(&mut self, reply: Reply, address: &str, mailbox: Option<&Mailbox>) -> Reply {
        self.tx.mail_from_raw = address.to_owned();
        let r = self.close_tx(reply, mailbox, None, 0, None).await;
        self.tx = Transaction::default();
        r
    }

    /// Queues the audit record of a finished transaction and answers `reply`.
    async fn close_tx(
        &mut self,
        reply: Reply,
        mailbox: Option<&Mailbox>,
        message_id: Option<String>,
        size: usize,
        upstream: Option<String>,
    ) -> Reply {
        self.close_tx_as(AuditOutcome::of_reply(reply.code), reply, mailbox, message_id, size, upstream).await
    }

    /// As [`Self::close_tx`] with the audit outcome given (`uncertain` is not told by a code).
    async fn close_tx_as(
        &mut self,
        outcome: AuditOutcome,
        reply: Reply,
        mailbox: Option<&Mailbox>,
        message_id: Option<String>,
        size: usize,
        upstream: Option<String>,
    ) -> Reply {
        let accepted = reply.code == 250;
        if accepted {
            self.deps.metrics.accepted.fetch_add(1, Ordering::Relaxed);
        } else {
            self.deps.metrics.reject(&format!("{} {}", reply.code, reply.enhanced));
        }
        let (Some(user), Some(draft)) = (&self.user, self.draft(mailbox, message_id, size)) else { return reply };
        let record = draft.record(outcome, &reply, upstream.as_deref());
        tracing::info!(
            peer = %self.peer, login = %user.login, code = reply.code, recipients = record.recipients, size,
            mailbox = ?record.mailbox_id, "transaction"
        );
        self.deps.audit.record(record).await;
        reply
    }
}

/// `451 4.7.0` naming the limit reached and when to try again (SPEC §3).
fn limit_reply(reached: &LimitReached) -> Reply {
    Outcome::NotSent(NotSent::Limit(reached.clone())).reply()
}

/// The permission snapshot could not be read (store down): the client retries.
fn permissions_unavailable() -> Reply {
    Reply::new(451, "4.3.0", "Temporary failure reading permissions, try again later")
}

//! Sending one message on a [`Client`]: MAIL FROM (SIZE, BODY=8BITMIME,
//! SMTPUTF8 as the server offers and the message needs), RCPT TO for each
//! recipient, DATA — in one write when the server offers PIPELINING (RFC
//! 2920 §3.1: MAIL, the RCPTs and DATA are sent together, then every reply
//! is read), else one command at a time — then the dot-stuffed message and
//! its terminator in one write, and the final reply.
//!
//! One exception to all or nothing: recipients answered `452` ("too many
//! recipients", RFC 5321 §4.5.3.1.10) while others were taken are
//! *deferred*: the message goes to the taken ones and `send_until_dot`
//! names the deferred, for the caller to send them in another transaction.
//! Otherwise all or nothing: if any recipient is refused the send fails with that
//! reply and no message is transmitted. DATA is then refused by the server
//! (no valid recipients) and the client sends RSET; if a pipelined DATA
//! was accepted anyway (some recipients were), the client closes the
//! connection without the terminator, so the server discards the
//! unfinished message.

use crate::client::Client;
use crate::data::{DotStuffer, mail_from, message_size, rcpt_to, valid_address};

/// How much of a message is dot-stuffed and written at a time.
const WRITE_PART: usize = 64 * 1024;
use crate::error::{ErrorKind, SmtpError, Step};
use crate::reply::Reply;
use std::sync::atomic::{AtomicBool, Ordering};

impl Client {
    /// Sends `message` (RFC 5322 bytes with CRLF line ends) from `from`
    /// (empty: the null sender) to every address of `to`; returns the
    /// server's final 250. After `Ok` the connection can send the next
    /// message; after an error see [`Client::is_broken`].
    /// Recipients the server deferred (`452`) get the message in another
    /// transaction on the same connection (each round takes at least one).
    pub async fn send<R: AsRef<str>>(&mut self, from: &str, to: &[R], message: &[u8]) -> Result<Reply, SmtpError> {
        let mut rest: Vec<&str> = to.iter().map(AsRef::as_ref).collect();
        loop {
            let dot = AtomicBool::new(false);
            let deferred = self.send_until_dot(from, &rest, message, &dot).await?;
            let reply = self.final_reply().await?;
            if deferred.is_empty() {
                return Ok(reply);
            }
            rest = deferred.iter().map(|&i| rest[i]).collect();
        }
    }

    /// The envelope and the message up to its final dot, written; then
    /// [`Client::final_reply`] waits for the server's answer. `dot` turns
    /// true as the write holding the final dot starts: from then on a
    /// failure may leave the message delivered (a caller that gives up
    /// waiting, e.g. at a deadline, reads it to tell "not sent" from
    /// "uncertain"). An error of that write is
    /// [`SmtpError::is_after_final_dot`]. `Ok` holds the positions in `to`
    /// of the recipients the server deferred with `452` (the others took it).
    pub async fn send_until_dot<R: AsRef<str>>(
        &mut self,
        from: &str,
        to: &[R],
        message: &[u8],
        dot: &AtomicBool,
    ) -> Result<Vec<usize>, SmtpError> {
        self.usable(Step::Mail)?;
        let invalid = |step, what| Err(SmtpError::new(step, ErrorKind::Invalid(what)));
        if !valid_address(from) {
            return invalid(Step::Mail, "the sender address");
        }
        if to.is_empty() {
            return invalid(Step::Rcpt, "no recipients");
        }
        if to.iter().any(|r| r.as_ref().is_empty() || !valid_address(r.as_ref())) {
            return invalid(Step::Rcpt, "a recipient address");
        }
        let utf8 = !from.is_ascii() || to.iter().any(|r| !r.as_ref().is_ascii());
        if utf8 && !self.caps.smtp_utf8 {
            return Err(SmtpError::new(Step::Mail, ErrorKind::NeedsSmtpUtf8));
        }
        let size = message_size(message);
        if let Some(limit) = self.caps.size_limit()
            && size > limit
        {
            return Err(SmtpError::new(Step::Mail, ErrorKind::TooBig { size, limit }));
        }
        let eight_bit = self.caps.eight_bit_mime && !message.is_ascii();
        let mail = mail_from(from, self.caps.size.map(|_| size), eight_bit, utf8);
        let envelope = if self.caps.pipelining {
            self.envelope_pipelined(&mail, to).await
        } else {
            self.envelope_one_by_one(&mail, to).await
        };
        let deferred = match envelope {
            Ok(deferred) => deferred,
            Err(e) => {
                self.recover().await;
                return Err(e);
            }
        };
        // In parts: a large message is never held a second time, whole, dot-stuffed.
        let mut stuffer = DotStuffer::default();
        let mut wire = Vec::with_capacity(WRITE_PART + WRITE_PART / 64 + 8);
        let mut parts = message.chunks(WRITE_PART).peekable();
        while let Some(part) = parts.next() {
            wire.clear();
            stuffer.push(part, &mut wire);
            if parts.peek().is_some() {
                self.write(Step::Data, self.timeouts.data, &wire).await?;
            }
        }
        stuffer.finish(&mut wire);
        dot.store(true, Ordering::SeqCst);
        self.write(Step::Data, self.timeouts.data, &wire).await.map_err(SmtpError::after_dot)?;
        Ok(deferred)
    }

    /// The server's reply to the final dot, within `Timeouts::final_reply`
    /// (10 minutes by default). No reply — a timeout, a closed connection —
    /// is [`SmtpError::is_after_final_dot`]: the message may be delivered.
    pub async fn final_reply(&mut self) -> Result<Reply, SmtpError> {
        let reply = self.read(Step::Data, self.timeouts.final_reply).await.map_err(SmtpError::after_dot)?;
        self.expect(Step::Data, reply, |c| (200..300).contains(&c))
    }

    /// MAIL, RCPTs and DATA in one write; then their replies. `Ok` after a 354, with the
    /// recipients deferred (`452`) while others were taken.
    async fn envelope_pipelined<R: AsRef<str>>(&mut self, mail: &str, to: &[R]) -> Result<Vec<usize>, SmtpError> {
        let mut batch = String::with_capacity(mail.len() + to.len() * 64 + 6);
        batch.push_str(mail);
        for r in to {
            batch.push_str(&rcpt_to(r.as_ref()));
        }
        batch.push_str("DATA\r\n");
        self.write(Step::Mail, self.timeouts.command, batch.as_bytes()).await?;
        // The first refusal is the answer; a later read failure (after a 421, say) does not hide it.
        let mut refused: Option<SmtpError> = None;
        let (mut deferred, mut first_deferral) = (Vec::new(), None);
        let steps = std::iter::once((Step::Mail, 0)).chain((0..to.len()).map(|i| (Step::Rcpt, i)));
        for (step, i) in steps {
            let reply = match self.read(step, self.timeouts.command).await {
                Ok(reply) => reply,
                Err(e) => return Err(refused.unwrap_or(e)),
            };
            if step == Step::Rcpt && reply.code() == 452 {
                deferred.push(i);
                first_deferral = first_deferral.or(self.expect(step, reply, |_| false).err());
                continue;
            }
            let result = self.expect(step, reply, |c| c == 250 || (step == Step::Rcpt && c == 251));
            refused = refused.or(result.err());
            if self.broken {
                return Err(refused.unwrap_or_else(|| SmtpError::new(step, ErrorKind::Io("closed".into()))));
            }
        }
        if deferred.len() == to.len() {
            // Nobody took it: that is a refusal, not a deferral.
            refused = refused.or(first_deferral);
        }
        let reply = match self.read(Step::Data, self.timeouts.command).await {
            Ok(reply) => reply,
            Err(e) => return Err(refused.unwrap_or(e)),
        };
        match (refused, reply.code()) {
            (None, _) => self.expect(Step::Data, reply, |c| c == 354).map(|_| deferred),
            (Some(e), 354) => {
                // Some recipients were taken and DATA too: end it without a terminator.
                self.broken = true;
                self.wire.shutdown().await;
                Err(e)
            }
            (Some(e), _) => Err(e),
        }
    }

    /// MAIL, each RCPT, DATA, one round trip each; stops at the first refusal. A `452` after
    /// a recipient was taken defers it and every later one (the server has had enough).
    async fn envelope_one_by_one<R: AsRef<str>>(&mut self, mail: &str, to: &[R]) -> Result<Vec<usize>, SmtpError> {
        let reply = self.round(Step::Mail, mail.as_bytes()).await?;
        self.expect(Step::Mail, reply, |c| c == 250)?;
        let mut deferred = Vec::new();
        for (i, r) in to.iter().enumerate() {
            let reply = self.round(Step::Rcpt, rcpt_to(r.as_ref()).as_bytes()).await?;
            if reply.code() == 452 && i > 0 {
                deferred.extend(i..to.len());
                break;
            }
            self.expect(Step::Rcpt, reply, |c| c == 250 || c == 251)?;
        }
        let reply = self.round(Step::Data, b"DATA\r\n").await?;
        self.expect(Step::Data, reply, |c| c == 354).map(|_| deferred)
    }

    /// After a refused envelope: RSET, or broken if that fails.
    async fn recover(&mut self) {
        if !self.broken {
            let _ = self.reset().await;
        }
    }
}

//! Errors of the SMTP client: every failure names the [`Step`] it happened
//! at and keeps its class — a server's 4xx is transient, its 5xx
//! permanent; network trouble, timeouts and TLS failures are transient (the
//! proxy answers 451 and the client retries). Texts are sanitised and never
//! carry a password or token: the client never puts one into an error.

use crate::reply::{EnhancedCode, Reply, sanitise};
use std::fmt;

/// The step of an exchange an error happened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// TCP connect, greeting, EHLO/HELO.
    Connect,
    /// The TLS handshake (implicit TLS or STARTTLS), certificate checks, STARTTLS and the EHLO after it.
    Tls,
    /// AUTH.
    Auth,
    /// MAIL FROM (and the checks before it: SMTPUTF8, SIZE).
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA, the message and the final reply.
    Data,
}

impl Step {
    /// `connect`, `tls`, `auth`, `mail`, `rcpt`, `data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::Tls => "tls",
            Step::Auth => "auth",
            Step::Mail => "mail",
            Step::Rcpt => "rcpt",
            Step::Data => "data",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered 4xx or 5xx.
    Refused(Reply),
    /// The step took longer than its timeout.
    TimedOut,
    /// Connecting, reading or writing failed, or the server closed the connection.
    Io(String),
    /// The TLS handshake failed: certificate chain, expiry, host name, protocol.
    Tls(String),
    /// The server broke the protocol (malformed reply, unexpected code, data after the STARTTLS reply).
    Protocol(String),
    /// The server does not offer what is required (`STARTTLS`, an AUTH mechanism).
    NotOffered(&'static str),
    /// An envelope address is not ASCII and the server does not offer SMTPUTF8.
    NeedsSmtpUtf8,
    /// The message is larger than the server's SIZE limit.
    TooBig {
        /// The message's size in octets.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// The caller's input cannot be sent (an address with spaces or line breaks, no recipients).
    Invalid(&'static str),
}

/// A failed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpError {
    step: Step,
    kind: ErrorKind,
    detail: Option<String>,
    after_final_dot: bool,
}

impl SmtpError {
    pub(crate) fn new(step: Step, kind: ErrorKind) -> SmtpError {
        SmtpError { step, kind, detail: None, after_final_dot: false }
    }

    /// The same error, marked as happening once the message's final dot was
    /// (or was being) written: the server may have taken the message.
    pub(crate) fn after_dot(mut self) -> SmtpError {
        self.after_final_dot = true;
        self
    }

    /// The connection failed or timed out once the message's final dot was
    /// (or was being) written, without a reply: the server may have
    /// accepted the message (RFC 5321 §4.5.3.2.6). Never true for a reply
    /// the server gave.
    pub fn is_after_final_dot(&self) -> bool {
        self.after_final_dot && !matches!(self.kind, ErrorKind::Refused(_))
    }

    pub(crate) fn with_detail(mut self, detail: Option<String>) -> SmtpError {
        self.detail = detail.map(|d| sanitise(&d));
        self
    }

    /// The step it failed at.
    pub fn step(&self) -> Step {
        self.step
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The server's reply, when it refused.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.kind {
            ErrorKind::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// The server's code, when it refused.
    pub fn code(&self) -> Option<u16> {
        self.reply().map(Reply::code)
    }

    /// The server's enhanced status code, when it refused with one.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.reply().and_then(Reply::enhanced)
    }

    /// Extra information, sanitised: for a refused OAuth login, the
    /// server's decoded error (`{"status":"401",...}`).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Refused for good: a 5xx reply, or an envelope or message this
    /// server can never take (SMTPUTF8 needed, too big, invalid address).
    pub fn is_permanent(&self) -> bool {
        match &self.kind {
            ErrorKind::Refused(r) => r.is_permanent(),
            ErrorKind::NeedsSmtpUtf8 | ErrorKind::TooBig { .. } | ErrorKind::Invalid(_) => true,
            ErrorKind::TimedOut
            | ErrorKind::Io(_)
            | ErrorKind::Tls(_)
            | ErrorKind::Protocol(_)
            | ErrorKind::NotOffered(_) => false,
        }
    }

    /// The same error without anything the server said or the network
    /// told beyond its codes (`auth: 535 5.7.8`, `connect: connection
    /// failed`): what may be shown of an internal host's answer. The step,
    /// the class and the codes stay.
    pub fn redacted(&self) -> SmtpError {
        let kind = match &self.kind {
            ErrorKind::Refused(r) => ErrorKind::Refused(r.codes_only()),
            ErrorKind::Io(_) => ErrorKind::Io("the server could not be reached".into()),
            ErrorKind::Tls(_) => ErrorKind::Tls("the handshake failed".into()),
            ErrorKind::Protocol(_) => ErrorKind::Protocol("the server's answer was not SMTP".into()),
            other => other.clone(),
        };
        SmtpError { step: self.step, kind, detail: None, after_final_dot: self.after_final_dot }
    }

    /// Worth trying again later: everything that is not permanent.
    pub fn is_transient(&self) -> bool {
        !self.is_permanent()
    }
}

impl fmt::Display for SmtpError {
    /// `rcpt: 550 5.1.1 text`, sanitised.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.step)?;
        match &self.kind {
            ErrorKind::Refused(r) => write!(f, "{r}")?,
            ErrorKind::TimedOut => f.write_str("timed out")?,
            ErrorKind::Io(why) => write!(f, "connection failed: {}", sanitise(why))?,
            ErrorKind::Tls(why) => write!(f, "TLS failed: {}", sanitise(why))?,
            ErrorKind::Protocol(why) => write!(f, "protocol error: {}", sanitise(why))?,
            ErrorKind::NotOffered(what) => write!(f, "the server does not offer {what}")?,
            ErrorKind::NeedsSmtpUtf8 => {
                f.write_str("a non-ASCII address needs SMTPUTF8, which the server does not offer")?
            }
            ErrorKind::TooBig { size, limit } => {
                write!(f, "the message ({size} octets) exceeds the server's SIZE {limit}")?
            }
            ErrorKind::Invalid(what) => write!(f, "cannot send: {what}")?,
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SmtpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let refused = |code| SmtpError::new(Step::Rcpt, ErrorKind::Refused(Reply::new(code, vec!["x".into()])));
        assert!(refused(550).is_permanent());
        assert!(refused(451).is_transient());
        assert_eq!(refused(550).code(), Some(550));
        assert!(SmtpError::new(Step::Tls, ErrorKind::Tls("bad".into())).is_transient());
        assert!(SmtpError::new(Step::Connect, ErrorKind::TimedOut).is_transient());
        assert!(SmtpError::new(Step::Mail, ErrorKind::NeedsSmtpUtf8).is_permanent());
        assert_eq!(
            SmtpError::new(Step::Auth, ErrorKind::Refused(Reply::new(535, vec!["5.7.8 Failed.".into()])))
                .with_detail(Some("{\"status\":\"401\"}\r\n".into()))
                .to_string(),
            "auth: 535 5.7.8 Failed. ({\"status\":\"401\"})"
        );
    }

    #[test]
    fn redacted_keeps_codes_only() {
        let refused =
            SmtpError::new(Step::Auth, ErrorKind::Refused(Reply::new(535, vec!["5.7.8 db01 says no".into()])))
                .with_detail(Some("internal detail".into()));
        assert_eq!(refused.redacted().to_string(), "auth: 535 5.7.8");
        assert!(refused.redacted().is_permanent());
        let bare = SmtpError::new(Step::Connect, ErrorKind::Refused(Reply::new(421, vec!["redis ready".into()])));
        assert_eq!(bare.redacted().to_string(), "connect: 421");
        let io = SmtpError::new(Step::Connect, ErrorKind::Io("connecting to 10.0.0.5:6379: refused".into()));
        assert_eq!(io.redacted().to_string(), "connect: connection failed: the server could not be reached");
        let tls = SmtpError::new(Step::Tls, ErrorKind::Tls("certificate for db01.corp.internal".into()));
        assert!(!tls.redacted().to_string().contains("corp"));
    }
}

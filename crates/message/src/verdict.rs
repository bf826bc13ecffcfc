//! The decision on a received message, pure: relay it as which mailbox,
//! or which reply refuses it. Order: size, line endings, line length,
//! header structure (554 5.6.0), permissions (550 5.7.1), then the second
//! parser's opinion (554 5.6.0).

use crate::data::Received;
use crate::headers::{extract, header_end};
use crate::reply::Reply;
use sendas_core::EmailAddress;
use sendas_core::model::Mailbox;
use sendas_core::policy::{MessageDenial, UsableMailboxes, check_message};

/// The outcome for one message.
#[derive(Debug)]
pub enum Verdict<'a> {
    /// Relay it as this mailbox.
    Relay {
        /// The sending mailbox.
        mailbox: &'a Mailbox,
        /// The Message-ID field, for the audit log.
        message_id: Option<String>,
    },
    /// Refuse it with this reply.
    Reject {
        /// The reply.
        reply: Reply,
        /// The Message-ID field, when the header could be read.
        message_id: Option<String>,
    },
}

fn reject<'a>(reply: Reply, message_id: Option<String>) -> Verdict<'a> {
    Verdict::Reject { reply, message_id }
}

/// Decides on `received` for a user with `usable` mailboxes and MAIL FROM `envelope`.
pub fn decide<'a>(
    received: &Received,
    envelope: Option<&EmailAddress>,
    usable: &'a UsableMailboxes,
    max_header_size: usize,
    max_line: usize,
) -> Verdict<'a> {
    let f = received.flaws;
    if f.too_big {
        return reject(Reply::new(552, "5.3.4", "Message too big"), None);
    }
    if let Some(at) = f.bad_ending_at {
        if at < header_end(&received.message) || !received.message.windows(4).any(|w| w == b"\r\n\r\n") {
            return reject(Reply::new(554, "5.6.0", "Malformed header: bare CR, bare LF or NUL"), None);
        }
        return reject(
            Reply::new(550, "5.5.2", "Bare CR, bare LF or NUL in the message; only CRLF line endings are accepted"),
            None,
        );
    }
    if f.line_too_long {
        return reject(Reply::new(554, "5.6.0", format!("A line is longer than {max_line} octets")), None);
    }
    let extracted = match extract(&received.message, max_header_size) {
        Ok(e) => e,
        Err(e) => return reject(Reply::new(554, "5.6.0", format!("Malformed header: {}", e.0)), None),
    };
    let id = extracted.message_id.clone();
    match check_message(&extracted.originators, envelope, usable) {
        Err(denial) => reject(denial_reply(denial), id),
        Ok(_) if extracted.ambiguity.is_some() => {
            let why = extracted.ambiguity.unwrap_or_default();
            reject(Reply::new(554, "5.6.0", format!("Ambiguous header: {why}")), id)
        }
        Ok(mailbox) => Verdict::Relay { mailbox, message_id: id },
    }
}

/// The 550 5.7.1 reply of a denial: it names the header, never the permission model.
pub fn denial_reply(denial: MessageDenial) -> Reply {
    let text = match denial {
        MessageDenial::NotAllowed(field) => format!("{}: not an address you may use there", field.name()),
        MessageDenial::DisplayNameAddress(field) => {
            format!("{}: the display name holds another address", field.name())
        }
        MessageDenial::DisplayNameControl(field) => {
            format!("{}: the display name holds control or direction characters", field.name())
        }
        MessageDenial::DisplayNameNotFixed(field) => {
            format!("{}: this mailbox is sent only under its own display name or yours", field.name())
        }
        MessageDenial::DisplayNameImpersonation(field) => {
            format!("{}: the display name is someone else's", field.name())
        }
        MessageDenial::SeveralFromWithoutSender => {
            "From: several addresses need one Sender (Resent-Sender) you may use".to_owned()
        }
        MessageDenial::EnvelopeMismatch => {
            "MAIL FROM must be one of the message's From, Sender, Resent-From or Resent-Sender addresses".to_owned()
        }
    };
    Reply::new(550, "5.7.1", text)
}

//! SPEC §3, the message half: do a message's originator addresses pass
//! for this user? Pure: it takes the extracted originator fields, the
//! envelope sender and the user's usable mailboxes, and names the sending
//! mailbox or the reason for refusal.

use super::{UsableMailboxes, Usage};
use crate::EmailAddress;
use crate::model::Mailbox;

/// One entry of an originator field, already checked for structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The decoded display name, if any.
    pub display_name: Option<String>,
    /// The addr-spec as written (an unparsable one can never be allowed).
    pub raw_address: String,
    /// The normalised address, when it parses.
    pub address: Option<EmailAddress>,
}

/// The originator fields of a message (counted: exactly one From field,
/// at most one Sender and Reply-To field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Originators {
    /// The entries of the From field (one or more).
    pub from: Vec<Entry>,
    /// The Sender field's entry.
    pub sender: Option<Entry>,
    /// The entries of the Reply-To field.
    pub reply_to: Vec<Entry>,
    /// Entries of every Resent-From field.
    pub resent_from: Vec<Entry>,
    /// Entries of every Resent-Sender field.
    pub resent_sender: Vec<Entry>,
}

/// The originator field a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// From.
    From,
    /// Sender.
    Sender,
    /// Reply-To.
    ReplyTo,
    /// Resent-From.
    ResentFrom,
    /// Resent-Sender.
    ResentSender,
    /// The envelope MAIL FROM.
    Envelope,
}

impl Field {
    /// The header name as written in replies.
    pub fn name(self) -> &'static str {
        match self {
            Field::From => "From",
            Field::Sender => "Sender",
            Field::ReplyTo => "Reply-To",
            Field::ResentFrom => "Resent-From",
            Field::ResentSender => "Resent-Sender",
            Field::Envelope => "MAIL FROM",
        }
    }
}

/// Why a message's originators are refused (all answer 550 5.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageDenial {
    /// An address the user may not use in this field.
    NotAllowed(Field),
    /// A display name holding address-like text other than its own address.
    DisplayNameAddress(Field),
    /// A display name holding bidirectional-control or other control characters.
    DisplayNameControl(Field),
    /// Several From addresses and no single allowed Sender.
    SeveralFromWithoutSender,
    /// MAIL FROM is not the sending mailbox.
    EnvelopeMismatch,
}

/// Characters that read as `@`: the ASCII one and its full-width and small forms.
const AT_SIGNS: [char; 3] = ['@', '\u{FF20}', '\u{FE6B}'];

fn display_name_ok(entry: &Entry, field: Field) -> Result<(), MessageDenial> {
    let Some(name) = &entry.display_name else { return Ok(()) };
    if name.chars().any(|c| c.is_control() || crate::address::is_bidi_control(c) || is_invisible(c)) {
        return Err(MessageDenial::DisplayNameControl(field));
    }
    if name.contains(AT_SIGNS) {
        // `"a@x" <a@x>`: the display name is the entry's own address, nothing else.
        let own = name.trim().trim_matches('"').trim();
        let same = entry.address.as_ref().is_some_and(|a| EmailAddress::parse(own).is_ok_and(|o| &o == a));
        if !same {
            return Err(MessageDenial::DisplayNameAddress(field));
        }
    }
    Ok(())
}

/// Zero-width and other invisible format characters that hide text.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

fn allowed<'a>(usable: &'a UsableMailboxes, usage: Usage, entry: &Entry) -> Option<&'a Mailbox> {
    entry.address.as_ref().and_then(|a| usable.find(usage, a))
}

/// Checks every originator entry and the envelope; answers the sending
/// mailbox: the single From address, or the Sender when there are several
/// From addresses. `envelope` is MAIL FROM as parsed (None: unparsable).
pub fn check_message<'a>(
    o: &Originators,
    envelope: Option<&EmailAddress>,
    usable: &'a UsableMailboxes,
) -> Result<&'a Mailbox, MessageDenial> {
    let fields: [(Field, Usage, Vec<&Entry>); 5] = [
        (Field::From, Usage::From, o.from.iter().collect()),
        (Field::Sender, Usage::From, o.sender.iter().collect()),
        (Field::ResentFrom, Usage::From, o.resent_from.iter().collect()),
        (Field::ResentSender, Usage::From, o.resent_sender.iter().collect()),
        (Field::ReplyTo, Usage::ReplyTo, o.reply_to.iter().collect()),
    ];
    for (field, _, entries) in &fields {
        for e in entries {
            display_name_ok(e, *field)?;
        }
    }
    for (field, usage, entries) in &fields {
        for e in entries {
            if allowed(usable, *usage, e).is_none() {
                return Err(MessageDenial::NotAllowed(*field));
            }
        }
    }
    let sending = match (o.from.as_slice(), &o.sender) {
        ([single], _) => allowed(usable, Usage::From, single),
        (_, Some(sender)) => allowed(usable, Usage::From, sender),
        _ => None,
    }
    .ok_or(MessageDenial::SeveralFromWithoutSender)?;
    if envelope != Some(&sending.address) {
        return Err(MessageDenial::EnvelopeMismatch);
    }
    Ok(sending)
}

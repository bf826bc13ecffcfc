//! SPEC §3, the message half: do a message's originator addresses pass
//! for this user? Pure: it takes the extracted originator fields, the
//! envelope sender and the user's usable mailboxes, and names the sending
//! mailbox or the reason for refusal. Display names are compared by
//! skeleton ([`super::names`]): a `fixed` mailbox's name, other people's.

use super::{NameFault, UsableMailboxes, Usage};
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
/// at most one Sender, Reply-To, Mail-Reply-To and Mail-Followup-To
/// field). Every field that directs replies (Reply-To, and the
/// Mail-Reply-To and Mail-Followup-To of mailing-list clients) needs
/// `reply_to`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Originators {
    /// The entries of the From field (one or more).
    pub from: Vec<Entry>,
    /// The Sender field's entry.
    pub sender: Option<Entry>,
    /// The entries of the Reply-To field.
    pub reply_to: Vec<Entry>,
    /// The entries of the Mail-Reply-To field (where replies to the author go).
    pub mail_reply_to: Vec<Entry>,
    /// The entries of the Mail-Followup-To field (where replies to all go).
    pub mail_followup_to: Vec<Entry>,
    /// The resent blocks (RFC 5322 §3.6.6), topmost (the newest) first.
    pub resent: Vec<ResentBlock>,
}

/// One resent block: the Resent-* fields added by one redistribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResentBlock {
    /// The entries of its Resent-From field.
    pub from: Vec<Entry>,
    /// Its Resent-Sender field's entry.
    pub sender: Option<Entry>,
}

impl Originators {
    /// Every Resent-From entry of every block.
    pub fn resent_from(&self) -> impl Iterator<Item = &Entry> {
        self.resent.iter().flat_map(|b| &b.from)
    }

    /// Every Resent-Sender entry of every block.
    pub fn resent_sender(&self) -> impl Iterator<Item = &Entry> {
        self.resent.iter().flat_map(|b| &b.sender)
    }

    /// Every originator entry: From, Sender, Resent-From, Resent-Sender (not the fields that
    /// direct replies).
    pub fn senders(&self) -> impl Iterator<Item = &Entry> {
        self.from.iter().chain(&self.sender).chain(self.resent_from()).chain(self.resent_sender())
    }

    /// The entry naming the mailbox responsible for the transmission (RFC
    /// 5322 §3.6.2, §3.6.6): the Resent-Sender, or else the single
    /// Resent-From, of the topmost resent block; otherwise the Sender;
    /// otherwise the single From. `None` when the responsible field holds
    /// several addresses and nothing names one of them.
    pub fn sending(&self) -> Option<&Entry> {
        if let Some(top) = self.resent.first().filter(|b| b.sender.is_some() || !b.from.is_empty()) {
            return match (&top.sender, top.from.as_slice()) {
                (Some(sender), _) => Some(sender),
                (None, [single]) => Some(single),
                _ => None,
            };
        }
        match (&self.sender, self.from.as_slice()) {
            (Some(sender), _) => Some(sender),
            (None, [single]) => Some(single),
            _ => None,
        }
    }
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
    /// Mail-Reply-To.
    MailReplyTo,
    /// Mail-Followup-To.
    MailFollowupTo,
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
            Field::MailReplyTo => "Mail-Reply-To",
            Field::MailFollowupTo => "Mail-Followup-To",
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
    /// A display name in front of a `fixed` mailbox that is neither the
    /// mailbox's display name nor the sending user's name.
    DisplayNameNotFixed(Field),
    /// A display name that reads as another user's of the tenant, or as a
    /// mailbox the user may not use.
    DisplayNameImpersonation(Field),
    /// Several From (or Resent-From) addresses and no Sender (Resent-Sender) naming one.
    SeveralFromWithoutSender,
    /// MAIL FROM is none of the message's originator addresses.
    EnvelopeMismatch,
}

/// Characters that read as `@`: the ASCII one and its full-width and small forms.
const AT_SIGNS: [char; 3] = ['@', '\u{FF20}', '\u{FE6B}'];

fn display_name_ok(entry: &Entry, field: Field) -> Result<(), MessageDenial> {
    let Some(name) = &entry.display_name else { return Ok(()) };
    // Only controls (C0, DEL, C1) and Bidi_Control characters: joiners, variation
    // selectors and the like belong to ordinary names (emoji sequences, scripts).
    if name.chars().any(|c| c.is_control() || crate::address::is_bidi_control(c)) {
        return Err(MessageDenial::DisplayNameControl(field));
    }
    if name.contains(AT_SIGNS) && !is_own_address(entry, name) {
        return Err(MessageDenial::DisplayNameAddress(field));
    }
    Ok(())
}

/// `"a@x" <a@x>`: the display name is the entry's own address, nothing else.
fn is_own_address(entry: &Entry, name: &str) -> bool {
    let own = name.trim().trim_matches('"').trim();
    entry.address.as_ref().is_some_and(|a| EmailAddress::parse(own).is_ok_and(|o| &o == a))
}

/// The display-name policy of the entry's (usable) mailbox, then the names
/// of others. An empty name, or the entry's own address, always passes.
fn display_name_fits(
    entry: &Entry,
    mailbox: &Mailbox,
    usable: &UsableMailboxes,
    field: Field,
) -> Result<(), MessageDenial> {
    let Some(name) = entry.display_name.as_deref().filter(|n| !n.trim().is_empty()) else { return Ok(()) };
    if is_own_address(entry, name) {
        return Ok(());
    }
    usable.names.judge(name, mailbox).map_err(|fault| match fault {
        NameFault::NotFixed => MessageDenial::DisplayNameNotFixed(field),
        NameFault::Foreign => MessageDenial::DisplayNameImpersonation(field),
    })
}

fn allowed<'a>(usable: &'a UsableMailboxes, usage: Usage, entry: &Entry) -> Option<&'a Mailbox> {
    entry.address.as_ref().and_then(|a| usable.find(usage, a))
}

/// Checks every originator entry and the envelope; answers the sending
/// mailbox ([`Originators::sending`]). `envelope` is MAIL FROM as parsed
/// (None: unparsable); it must be one of the message's originator
/// addresses (From, Sender, Resent-From, Resent-Sender), so "send on
/// behalf of" (From a shared mailbox, Sender and MAIL FROM the user's own)
/// passes when the user may use both.
pub fn check_message<'a>(
    o: &Originators,
    envelope: Option<&EmailAddress>,
    usable: &'a UsableMailboxes,
) -> Result<&'a Mailbox, MessageDenial> {
    let fields: [(Field, Usage, Vec<&Entry>); 7] = [
        (Field::From, Usage::From, o.from.iter().collect()),
        (Field::Sender, Usage::From, o.sender.iter().collect()),
        (Field::ResentFrom, Usage::From, o.resent_from().collect()),
        (Field::ResentSender, Usage::From, o.resent_sender().collect()),
        (Field::ReplyTo, Usage::ReplyTo, o.reply_to.iter().collect()),
        (Field::MailReplyTo, Usage::ReplyTo, o.mail_reply_to.iter().collect()),
        (Field::MailFollowupTo, Usage::ReplyTo, o.mail_followup_to.iter().collect()),
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
    for (field, usage, entries) in &fields {
        for e in entries {
            if let Some(mailbox) = allowed(usable, *usage, e) {
                display_name_fits(e, mailbox, usable, *field)?;
            }
        }
    }
    let sending =
        o.sending().and_then(|e| allowed(usable, Usage::From, e)).ok_or(MessageDenial::SeveralFromWithoutSender)?;
    let envelope_is_an_originator = envelope.is_some_and(|env| o.senders().any(|e| e.address.as_ref() == Some(env)));
    if !envelope_is_an_originator {
        return Err(MessageDenial::EnvelopeMismatch);
    }
    Ok(sending)
}

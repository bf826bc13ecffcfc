//! Originator-header extraction: message bytes in, the counted and
//! structurally checked From / Sender / Reply-To / Mail-Reply-To /
//! Mail-Followup-To / Resent-* entries out. The two fields of mailing-list
//! clients that direct replies (Mail-Reply-To, Mail-Followup-To) are read
//! exactly like Reply-To: at most one field each, every entry one
//! complete address (several entries allowed).
//! Pure; no I/O, no policy (that is `sendas_core::policy::check_message`).
//!
//! The rules of `../shared/security/README.md` are applied as grammar,
//! not as a list of cases: fields are split and counted here (mail-parser
//! keeps only the last of a repeated field), every entry must be one
//! complete address written as `addr-spec` or `[phrase] <addr-spec>`, and
//! anything else an originator field can hold (comments, groups, source
//! routes, quoted local parts, encoded words outside the display name,
//! empty or doubled angle brackets, quoted pairs outside quotes, obsolete
//! spacing) is refused. Display names are decoded by `phrase` (quoted
//! pairs, encoded words in their charsets). As a second opinion, mail-parser also parses the whole header block; if it
//! reads different addresses than we do, the message is ambiguous.

use mail_parser::{HeaderName, MessageParser};
use sendas_core::EmailAddress;
use sendas_core::policy::{Entry, Originators, ResentBlock};

/// RFC 5322 §2.1.1: at most 998 octets per line, without the CRLF.
pub const MAX_HEADER_LINE: usize = 998;

/// Why the header section is refused (`554 5.6.0` with the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError(pub String);

impl HeaderError {
    fn new(reason: impl Into<String>) -> Self {
        HeaderError(reason.into())
    }
}

/// What extraction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The originator fields.
    pub originators: Originators,
    /// Set when mail-parser reads the originator addresses differently.
    pub ambiguity: Option<String>,
    /// The Message-ID field's value (for the audit log), trimmed.
    pub message_id: Option<String>,
}

/// Where the header section ends: the index just past its final CRLF
/// (the blank line follows), or the whole message when it has no body.
pub fn header_end(message: &[u8]) -> usize {
    if message.starts_with(b"\r\n") {
        return 0;
    }
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(p) => p + 2,
        None => message.len(),
    }
}

/// Whether a field of this name, written by the submitting client, is
/// removed before the message is checked and relayed: trace and envelope
/// fields are the business of the servers that handle the message, and a
/// client's own would be taken for theirs downstream. `Return-Path` is
/// added at final delivery (RFC 5321 §4.4), `Authentication-Results` by
/// the receiving domain (RFC 8601 §5: MTAs remove ones they did not
/// write), `X-Sendas-*` by this proxy's outbox.
fn is_client_trace(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"return-path")
        || name.eq_ignore_ascii_case(b"authentication-results")
        || name.get(..9).is_some_and(|p| p.eq_ignore_ascii_case(b"x-sendas-"))
}

/// Removes the client's trace and envelope fields (see [`is_client_trace`])
/// from the header section, continuation lines included; answers how many
/// fields were removed. The body is never touched.
pub fn strip_client_trace(message: &mut Vec<u8>) -> usize {
    // The header section's lines that belong to a removed field (ranges); the message is
    // changed, in place, only when there are any: the usual message costs one scan, no copy.
    let end = header_end(message);
    let mut drop: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut removed, mut dropping, mut at) = (0, false, 0);
    while at < end {
        let line_end = memchr::memmem::find(&message[at..end], b"\r\n").map_or(end, |p| at + p + 2);
        let line = &message[at..line_end];
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            dropping = line.contains(&b':') && is_client_trace(name.trim_ascii_end());
            removed += usize::from(dropping);
        }
        if dropping {
            match drop.last_mut() {
                Some(last) if last.end == at => last.end = line_end,
                _ => drop.push(at..line_end),
            }
        }
        at = line_end;
    }
    for range in drop.into_iter().rev() {
        message.drain(range);
    }
    removed
}

/// Extracts the originator fields of `message` (whose header section holds
/// no bare CR, bare LF or NUL: the DATA reader refuses those first).
pub fn extract(message: &[u8], max_header_size: usize) -> Result<Extracted, HeaderError> {
    let end = header_end(message);
    if end > max_header_size {
        return Err(HeaderError::new(format!("the header section is larger than {max_header_size} octets")));
    }
    let head = &message[..end];
    let fields = split_fields(head)?;
    let mut o = Originators::default();
    let (mut from, mut sender) = (0, 0);
    // Reply-To, Mail-Reply-To, Mail-Followup-To: how many fields of each.
    let mut replies = [0; 3];
    let mut message_id = None;
    let mut spaced_name = None;
    let mut resent = ResentBlocks::default();
    for (name, value, spaced) in &fields {
        let lower = name.to_ascii_lowercase();
        if *spaced && spaced_name.is_none() {
            spaced_name = Some(name.clone());
        }
        resent.see(&lower);
        match lower.as_str() {
            "from" => {
                from += 1;
                o.from = entries("From", value)?;
            }
            "sender" => {
                sender += 1;
                let mut list = entries("Sender", value)?;
                if list.len() != 1 {
                    return Err(HeaderError::new("Sender must hold exactly one address"));
                }
                o.sender = list.pop();
            }
            "reply-to" => {
                replies[0] += 1;
                o.reply_to = entries("Reply-To", value)?;
            }
            "mail-reply-to" => {
                replies[1] += 1;
                o.mail_reply_to = entries("Mail-Reply-To", value)?;
            }
            "mail-followup-to" => {
                replies[2] += 1;
                o.mail_followup_to = entries("Mail-Followup-To", value)?;
            }
            "resent-from" => resent.current(&mut o).from = entries("Resent-From", value)?,
            "resent-sender" => {
                let mut list = entries("Resent-Sender", value)?;
                if list.len() != 1 {
                    return Err(HeaderError::new("Resent-Sender must hold exactly one address"));
                }
                resent.current(&mut o).sender = list.pop();
            }
            "message-id" => message_id = Some(value.trim().chars().take(200).collect()),
            _ => {}
        }
    }
    if from != 1 {
        return Err(HeaderError::new(format!("a message needs exactly one From field, this one has {from}")));
    }
    if sender > 1 || replies[0] > 1 {
        return Err(HeaderError::new("more than one Sender or Reply-To field"));
    }
    for (n, name) in replies[1..].iter().zip(["Mail-Reply-To", "Mail-Followup-To"]) {
        if *n > 1 {
            return Err(HeaderError::new(format!("more than one {name} field")));
        }
    }
    // "From :" (obsolete syntax) is checked as From, so a forbidden address is refused as such;
    // but parsers disagree whether it is a field at all: Python's email takes any "Name :" line
    // for the end of the header section, so after "Dat :" it reads no From at all (the fuzzer
    // found that). A message with whitespace before any field's colon is never relayed.
    let ambiguity = spaced_name
        .map(|name| format!("whitespace between the field name {name} and its colon"))
        .or_else(|| second_opinion(head, &o));
    Ok(Extracted { originators: o, ambiguity, message_id })
}

/// Groups the Resent-* fields into blocks, in header order (the topmost,
/// newest block first). A block is a run of Resent-* fields; it ends at any
/// other field (trace fields separate blocks), and a Resent-* field whose
/// name the running block already has starts the next block (two
/// redistributions written back to back).
#[derive(Default)]
struct ResentBlocks {
    names: Vec<String>,
    open: bool,
    /// A new block is to be started by the next `current`.
    fresh: bool,
}

impl ResentBlocks {
    /// Notes the next field's (lower-case) name.
    fn see(&mut self, lower: &str) {
        if !lower.starts_with("resent-") {
            self.open = false;
            return;
        }
        if !self.open || self.names.iter().any(|n| n == lower) {
            self.names.clear();
            self.fresh = true;
        }
        self.open = true;
        self.names.push(lower.to_owned());
    }

    /// The block the current Resent-* field belongs to.
    fn current<'o>(&mut self, o: &'o mut Originators) -> &'o mut ResentBlock {
        if self.fresh || o.resent.is_empty() {
            self.fresh = false;
            o.resent.push(ResentBlock::default());
        }
        let last = o.resent.len() - 1;
        &mut o.resent[last]
    }
}

/// Splits the header section into unfolded (name, value, whitespace before the colon) fields.
fn split_fields(head: &[u8]) -> Result<Vec<(String, String, bool)>, HeaderError> {
    let text = std::str::from_utf8(head).map_err(|_| HeaderError::new("the header section is not valid UTF-8"))?;
    let mut fields: Vec<(String, String, bool)> = Vec::new();
    for line in text.split_terminator("\r\n") {
        if line.len() > MAX_HEADER_LINE {
            return Err(HeaderError::new(format!("a header line is longer than {MAX_HEADER_LINE} octets")));
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, value, _)) = fields.last_mut() else {
                return Err(HeaderError::new("a continuation line comes before the first header field"));
            };
            value.push_str(line);
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HeaderError::new("a header line has no colon"));
        };
        let trimmed = name.trim_end_matches([' ', '\t']);
        if trimmed.is_empty() || !trimmed.bytes().all(|b| (33..=126).contains(&b)) {
            return Err(HeaderError::new("a header field name is empty or holds spaces or control characters"));
        }
        fields.push((trimmed.to_owned(), value.to_owned(), trimmed.len() != name.len()));
    }
    Ok(fields)
}

/// One parsed entry: the raw phrase (if any) and the addr-spec.
struct RawEntry {
    phrase: Option<String>,
    addr_spec: String,
}

fn entries(field: &str, value: &str) -> Result<Vec<Entry>, HeaderError> {
    let raw = parse_list(value).map_err(|why| HeaderError::new(format!("{field}: {why}")))?;
    if raw.is_empty() {
        return Err(HeaderError::new(format!("{field} holds no address")));
    }
    Ok(raw
        .into_iter()
        .map(|r| Entry {
            display_name: r.phrase.map(|p| phrase::decode(&p)),
            address: EmailAddress::parse(&r.addr_spec).ok(),
            raw_address: r.addr_spec,
        })
        .collect())
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 5322 atext, plus any non-ASCII character (RFC 6532).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || (!c.is_ascii() && !c.is_control())
}

/// Parses `entry *("," entry)` with `entry = addr-spec / [phrase] "<" addr-spec ">"`.
fn parse_list(value: &str) -> Result<Vec<RawEntry>, &'static str> {
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < chars.len() && is_wsp(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            if out.is_empty() && !value.contains(',') {
                return Ok(out);
            }
            return Err("an empty entry after a comma");
        }
        let start = i;
        // Scan the phrase (or bare addr-spec) up to '<', ',' or the end.
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if quoted {
                match c {
                    '\\' => i += 1,
                    '"' => quoted = false,
                    _ => {}
                }
            } else {
                match c {
                    '"' => quoted = true,
                    '<' | ',' => break,
                    '(' | ')' => return Err("comments are not accepted"),
                    ':' | ';' => return Err("groups and source routes are not accepted"),
                    '\\' => return Err("a quoted pair outside quotes"),
                    '>' => return Err("a '>' without '<'"),
                    '[' | ']' if !chars[start..i].contains(&'@') => return Err("brackets outside an address"),
                    _ => {}
                }
            }
            i += 1;
        }
        if quoted {
            return Err("an unterminated quoted string");
        }
        let before: String = chars[start..i].iter().collect::<String>().trim_matches(is_wsp).to_owned();
        if i < chars.len() && chars[i] == '<' {
            let close = chars[i + 1..].iter().position(|&c| c == '>').ok_or("a '<' without '>'")?;
            let spec: String = chars[i + 1..i + 1 + close].iter().collect();
            if spec.contains('<') {
                return Err("doubled angle brackets");
            }
            check_addr_spec(&spec)?;
            if !before.is_empty() {
                check_phrase(&before)?;
            }
            i += close + 2;
            while i < chars.len() && is_wsp(chars[i]) {
                i += 1;
            }
            if i < chars.len() && chars[i] != ',' {
                return Err("text after '>'");
            }
            out.push(RawEntry { phrase: (!before.is_empty()).then_some(before), addr_spec: spec });
        } else {
            if before.is_empty() {
                return Err("an empty entry");
            }
            if before.contains(is_wsp) {
                return Err("spaces inside an address");
            }
            check_addr_spec(&before)?;
            out.push(RawEntry { phrase: None, addr_spec: before });
        }
        if i >= chars.len() {
            return Ok(out);
        }
        i += 1; // the comma
    }
}

/// Structure of an addr-spec: dot-atom local part, one '@', dot-atom domain
/// or a domain literal, no encoded words.
fn check_addr_spec(spec: &str) -> Result<(), &'static str> {
    if spec.is_empty() {
        return Err("empty angle brackets");
    }
    if spec.contains("=?") {
        return Err("encoded words are accepted only in a display name");
    }
    if spec.starts_with('@') {
        return Err("source routes are not accepted");
    }
    if spec.starts_with('"') {
        return Err("quoted local parts are not accepted");
    }
    let mut parts = spec.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("an address needs exactly one '@'");
    };
    let dot_atom = |s: &str| !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(is_atext));
    if !dot_atom(local) {
        return Err("a malformed local part");
    }
    let literal = domain.starts_with('[')
        && domain.ends_with(']')
        && domain.len() > 2
        && domain[1..domain.len() - 1].chars().all(|c| c.is_ascii_graphic() && !"[]\\".contains(c));
    if !literal && !dot_atom(domain) {
        return Err("a malformed domain");
    }
    Ok(())
}

/// A display phrase: atoms, dots, quoted strings and encoded words separated
/// by spaces; it starts with a word (not a dot), and every encoded word in it
/// is well-formed (a reader that decodes a broken one leniently could show
/// anything).
fn check_phrase(phrase: &str) -> Result<(), &'static str> {
    if phrase.starts_with('.') {
        return Err("a display name starts with a dot");
    }
    // The text outside quoted strings (quoted pairs inside them are skipped whole).
    let mut outside = String::with_capacity(phrase.len());
    let (mut quoted, mut escaped) = (false, false);
    for c in phrase.chars() {
        let inside = quoted;
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ => {}
        }
        outside.push(if inside || quoted { ' ' } else { c });
    }
    for word in outside.split(is_wsp).filter(|w| w.contains("=?") || w.contains("?=")) {
        check_encoded_word(word)?;
    }
    for c in outside.chars() {
        match c {
            '"' => {}
            c if is_atext(c) || is_wsp(c) || c == '.' => {}
            '@' => return Err("an '@' in an unquoted display name"),
            _ => return Err("a display name holds characters that are not allowed"),
        }
    }
    Ok(())
}

/// One RFC 2047 encoded word, whole: `=?charset?B|Q?text?=` with canonical
/// base64 or valid Q text.
fn check_encoded_word(word: &str) -> Result<(), &'static str> {
    const BAD: &str = "a malformed encoded word in a display name";
    let inner = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?=")).ok_or(BAD)?;
    let mut parts = inner.split('?');
    let (Some(charset), Some(encoding), Some(text), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BAD);
    };
    if charset.is_empty() || !charset.chars().all(|c| c.is_ascii_alphanumeric() || "-_.*:".contains(c)) {
        return Err(BAD);
    }
    let valid = match encoding {
        "B" | "b" => crate::encoding::canonical_base64(text).is_some(),
        "Q" | "q" => {
            let b = text.as_bytes();
            b.iter().enumerate().all(|(i, &c)| match c {
                b'=' => b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
                b'?' | b' ' => false,
                c => c.is_ascii_graphic(),
            })
        }
        _ => false,
    };
    if valid { Ok(()) } else { Err(BAD) }
}

/// The fields that direct replies and that mail-parser knows only by name.
const LIST_REPLY_FIELDS: [&str; 2] = ["Mail-Reply-To", "Mail-Followup-To"];

/// Compares our reading of From, Sender and the fields that direct replies with mail-parser's.
fn second_opinion(head: &[u8], o: &Originators) -> Option<String> {
    let mut block = head.to_vec();
    block.extend_from_slice(b"\r\n");
    let parser = LIST_REPLY_FIELDS.iter().fold(MessageParser::new().with_address_headers(), |p, name| {
        p.header_address(HeaderName::Other(std::borrow::Cow::Borrowed(name)))
    });
    let parsed = parser.parse_headers(&block)?;
    let theirs = |a: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        a.map(|a| a.iter().map(|x| x.address().unwrap_or_default().to_ascii_lowercase()).collect()).unwrap_or_default()
    };
    let ours =
        |entries: &[Entry]| -> Vec<String> { entries.iter().map(|e| e.raw_address.to_ascii_lowercase()).collect() };
    let sender: Vec<Entry> = o.sender.iter().cloned().collect();
    for (name, mine, other) in [
        ("From", ours(&o.from), theirs(parsed.from())),
        ("Sender", ours(&sender), theirs(parsed.sender())),
        ("Reply-To", ours(&o.reply_to), theirs(parsed.reply_to())),
        ("Mail-Reply-To", ours(&o.mail_reply_to), theirs(list_field(&parsed, LIST_REPLY_FIELDS[0]))),
        ("Mail-Followup-To", ours(&o.mail_followup_to), theirs(list_field(&parsed, LIST_REPLY_FIELDS[1]))),
    ] {
        if mine != other {
            return Some(format!("{name} reads differently to another mail parser"));
        }
    }
    None
}

/// mail-parser's reading of a field it knows only by name (parsed as an address list).
fn list_field<'m>(parsed: &'m mail_parser::Message<'_>, name: &'static str) -> Option<&'m mail_parser::Address<'m>> {
    parsed.header(HeaderName::Other(std::borrow::Cow::Borrowed(name))).and_then(|v| v.as_address())
}

mod phrase;

#[cfg(test)]
mod tests;

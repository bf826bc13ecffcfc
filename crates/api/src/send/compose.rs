//! Building an HTTP-sent message with lettre's builder: RFC 5322 headers,
//! MIME parts, RFC 2047 display names, a Message-ID of the sending
//! mailbox's domain, Date; Bcc only in the envelope. Attachments are
//! checked here: canonical base64, a plain file name, no executable
//! content (sniffed, and by extension).

use super::body::AttachmentBody;
use data_encoding::BASE64;
use lettre::message::Body;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Mailbox as Named, MultiPart, SinglePart};
use sendas_core::model::Mailbox;
use sendas_core::{EmailAddress, ServiceError};
use std::str::FromStr;

/// File name extensions never attached (scripts and programs a sniffer cannot see).
const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "vbs", "vbe", "js", "jse", "wsf", "wsh", "ps1", "psm1",
    "jar", "cpl", "hta", "lnk", "reg", "dll", "sh", "app", "apk", "appx", "msix", "iso", "img", "vhd", "vhdx",
];

/// What goes into the message.
pub struct Parts<'a> {
    /// The sending mailbox (From).
    pub from: &'a Mailbox,
    /// The Reply-To mailbox.
    pub reply_to: Option<&'a Mailbox>,
    /// To, Cc and Bcc recipients.
    pub to: &'a [EmailAddress],
    /// Cc.
    pub cc: &'a [EmailAddress],
    /// Bcc (envelope only).
    pub bcc: &'a [EmailAddress],
    /// The subject.
    pub subject: &'a str,
    /// The text body.
    pub text: &'a str,
    /// The HTML body.
    pub html: Option<&'a str>,
    /// The attached files.
    pub attachments: &'a [AttachmentBody],
    /// Whether the tenant lets executables be attached.
    pub executables_allowed: bool,
}

/// The built message.
pub struct Composed {
    /// The bytes as they are relayed (CRLF line endings).
    pub bytes: Vec<u8>,
    /// Its Message-ID field value (with angle brackets).
    pub message_id: String,
}

fn address(field: &'static str, a: &EmailAddress) -> Result<lettre::Address, ServiceError> {
    lettre::Address::from_str(a.as_str())
        .map_err(|_| ServiceError::invalid(field, format!("{a}: not an address this sender can write")))
}

fn named(field: &'static str, m: &Mailbox) -> Result<Named, ServiceError> {
    Ok(Named::new(Some(m.display_name.to_string()), address(field, &m.address)?))
}

/// Builds the message.
pub fn compose(p: &Parts<'_>) -> Result<Composed, ServiceError> {
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4().simple(), p.from.address.domain());
    let mut builder = lettre::Message::builder()
        .from(named("from_mailbox_id", p.from)?)
        .subject(p.subject)
        .date_now()
        .message_id(Some(message_id.clone()));
    if let Some(r) = p.reply_to {
        builder = builder.reply_to(named("reply_to_mailbox_id", r)?);
    }
    for a in p.to {
        builder = builder.to(Named::new(None, address("to", a)?));
    }
    for a in p.cc {
        builder = builder.cc(Named::new(None, address("cc", a)?));
    }
    for a in p.bcc {
        builder = builder.bcc(Named::new(None, address("bcc", a)?));
    }
    let text = crlf(p.text);
    let body = match p.html {
        Some(html) => MultiPart::alternative_plain_html(text, crlf(html)),
        None => MultiPart::mixed().singlepart(SinglePart::plain(text)),
    };
    let message = if p.attachments.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (i, a) in p.attachments.iter().enumerate() {
            mixed = mixed.singlepart(attachment(i, a, p.executables_allowed)?);
        }
        builder.multipart(mixed)
    }
    .map_err(|e| ServiceError::invalid("to", format!("the message cannot be built: {e}")))?;
    Ok(Composed { bytes: message.formatted(), message_id })
}

/// Every line break (LF, CR or CRLF) as CRLF: a body written with `\n`
/// must not reach the wire with bare LFs (the verdict refuses them).
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

/// One checked attachment part.
fn attachment(i: usize, a: &AttachmentBody, executables_allowed: bool) -> Result<SinglePart, ServiceError> {
    let bad = |why: &str| ServiceError::invalid("attachments", format!("attachments[{i}]: {why}"));
    let name = a.filename.trim();
    if name.is_empty() || name.len() > 255 || name.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        return Err(bad("filename: 1..=255 characters, no path, no control characters"));
    }
    let bytes = BASE64.decode(a.content_base64.as_bytes()).map_err(|_| bad("content_base64: not base64"))?;
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !executables_allowed && (infer::is_app(&bytes) || EXECUTABLE_EXTENSIONS.contains(&extension.as_str())) {
        return Err(bad("executable content is not sent (the operator can allow it for the tenant)"));
    }
    let content_type = match &a.content_type {
        Some(given) => ContentType::parse(given).map_err(|_| bad("content_type: not a MIME type"))?,
        None => {
            let sniffed = infer::get(&bytes).map_or("application/octet-stream", |t| t.mime_type());
            ContentType::parse(sniffed).map_err(|_| bad("content_type: not a MIME type"))?
        }
    };
    // Always base64: lettre would send ASCII content as 7bit with its bare LFs.
    let body = Body::new_with_encoding(bytes, ContentTransferEncoding::Base64)
        .map_err(|_| bad("content_base64: cannot be encoded"))?;
    Ok(Attachment::new(name.to_owned()).body(body, content_type))
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_breaks_become_crlf() {
        assert_eq!(super::crlf("a\nb\r\nc\rd\n\n"), "a\r\nb\r\nc\r\nd\r\n\r\n");
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;
    use sendas_core::model::MailboxScope;
    use sendas_core::testing::fixtures::{address, mailbox};

    #[test]
    fn the_built_message_has_only_crlf_line_endings() {
        let from = mailbox(sendas_core::TenantId::generate(), "info@send.example", MailboxScope::Global);
        let to = [address("kunde@example.net")];
        let att = [AttachmentBody {
            filename: "info.pdf".into(),
            content_base64: BASE64.encode(b"%PDF-1.4\nhello\n%%EOF\n"),
            content_type: None,
        }];
        let parts = Parts {
            from: &from,
            reply_to: None,
            to: &to,
            cc: &[],
            bcc: &[],
            subject: "Willkommen, Jürgen",
            text: "Hallo,\n\nzwei\n",
            html: Some("<p>x</p>\n"),
            attachments: &att,
            executables_allowed: false,
        };
        let built = compose(&parts).expect("builds");
        for (i, w) in built.bytes.windows(2).enumerate() {
            if w[1] == b'\n' && w[0] != b'\r' {
                panic!("bare LF at {i}: {}", String::from_utf8_lossy(&built.bytes));
            }
        }
    }
}

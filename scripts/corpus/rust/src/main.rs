//! Legitimate mail written by two Rust message builders: Stalwart's
//! `mail-builder` and `lettre`'s message builder (builder feature only, no
//! transport). Each message is stored as `mail-builder-NAME.eml` or
//! `lettre-NAME.eml`, the bytes the builder produced (both write CRLF).
//!
//! Usage: sendas-corpus-gen OUTDIR
//! Deterministic: fixed dates, Message-IDs and MIME boundaries.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x02, 0x01, 0xa5, 0xe1,
    0xc2, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
// A PDF starts with a binary comment line; without it lettre sends an all-ASCII
// Vec<u8> as 7bit with its bare LFs left in (see scripts/corpus/README.md).
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
/// 2024-03-03 08:00:00 UTC
const T0: i64 = 1_709_452_800;

const ICS: &str = "BEGIN:VCALENDAR\r\nPRODID:-//sendas corpus//Rust//EN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n\
BEGIN:VEVENT\r\nUID:retro-20240308@tenant.example\r\nDTSTAMP:20240303T080000Z\r\nDTSTART:20240308T140000Z\r\n\
DTEND:20240308T150000Z\r\nSUMMARY:Retrospective\r\nORGANIZER;CN=Alice Tenant:mailto:a@tenant.example\r\n\
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.net\r\nSEQUENCE:0\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

const FORWARDED: &str = "From: Eve Partner <eve@example.com>\r\nTo: Alice Tenant <a@tenant.example>\r\n\
Reply-To: Partner Desk <desk@example.com>\r\nSubject: Partnership proposal\r\n\
Date: Fri, 01 Mar 2024 16:45:00 +0100\r\nMessage-ID: <proposal-77@example.com>\r\n\r\nLet's talk next week.\r\n";

struct Out {
    dir: PathBuf,
    count: usize,
}

impl Out {
    fn write(&mut self, name: &str, bytes: Vec<u8>) {
        std::fs::write(self.dir.join(format!("{name}.eml")), bytes).unwrap();
        self.count += 1;
    }
}

fn references(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("thread.{i}.{}@example.com", 104_729 * i)).collect()
}

mod mb {
    use super::*;
    use mail_builder::headers::address::Address;
    use mail_builder::headers::content_type::ContentType;
    use mail_builder::headers::message_id::MessageId;
    use mail_builder::headers::raw::Raw;
    use mail_builder::headers::url::URL;
    use mail_builder::mime::MimePart;
    use mail_builder::MessageBuilder;

    fn base<'x>(name: &str, i: i64) -> MessageBuilder<'x> {
        MessageBuilder::new()
            .message_id(format!("{name}.{}.{}@tenant.example", T0 + i * 240, 7_000 + i))
            .date(T0 + i * 240)
    }

    fn alice<'x>() -> Address<'x> {
        Address::new_address(Some("Alice Tenant"), "a@tenant.example")
    }

    fn bob<'x>() -> Address<'x> {
        Address::new_address(Some("Bob Example"), "bob@example.net")
    }

    /// mail-builder picks a random boundary unless the Content-Type names one.
    fn multipart<'x>(kind: &'x str, boundary: &'x str, parts: Vec<MimePart<'x>>) -> MimePart<'x> {
        MimePart::new(ContentType::new(kind).attribute("boundary", boundary), parts)
    }

    pub fn all(out: &mut Out) {
        let w = |out: &mut Out, name: &str, m: MessageBuilder<'_>| out.write(&format!("mail-builder-{name}"), m.write_to_vec().unwrap());

        w(out, "plain", base("plain", 1).from(alice()).to(bob()).subject("Quarterly numbers").text_body("Hi Bob,\n\nthe numbers look good.\n\nAlice\n"));
        w(
            out,
            "text-html-alternative",
            base("alt", 2).from(alice()).to(bob()).subject("Welcome").body(multipart(
                "multipart/alternative",
                "mb-alt-0001",
                vec![MimePart::new("text/plain", "Welcome to the team!\n"), MimePart::new("text/html", "<p>Welcome to the <b>team</b>!</p>\n")],
            )),
        );
        w(
            out,
            "quoted-pair-name",
            base("qp", 3).from(Address::new_address(Some("Ann \"Boss\" Tenant"), "a@tenant.example")).to(bob()).subject("Decision").text_body("Go ahead.\n"),
        );
        w(
            out,
            "utf8-name",
            base("utf8", 4)
                .from(Address::new_address(Some("Jürgen Müller"), "a@tenant.example"))
                .to(Address::new_address(Some("Zoë Faure"), "zoe@example.org"))
                .subject("Grüße aus Düsseldorf")
                .text_body("Hallo Zoë,\n\nschöne Grüße!\n"),
        );
        w(
            out,
            "cjk-name-subject",
            base("cjk", 5)
                .from(Address::new_address(Some("山田 太郎"), "a@tenant.example"))
                .to(Address::new_address(Some("李 明"), "ming@example.cn"))
                .subject("打ち合わせの件 / 会议安排")
                .text_body("来週の打ち合わせについてご連絡します。\n"),
        );
        w(
            out,
            "emoji-zwj-name",
            base("emoji", 6)
                .from(Address::new_address(Some("🧑‍🚀 Alice Tenant"), "a@tenant.example"))
                .to(bob())
                .subject("Launch day 🚀")
                .text_body("We launch at 10:00.\n"),
        );
        w(
            out,
            "ulabel-from",
            base("ulabel", 7)
                .from(Address::new_address(Some("Anaïs Tenant"), "a@ténant.example"))
                .to(bob())
                .subject("Adresse IDN")
                .text_body("Envoyé depuis a@ténant.example.\n"),
        );
        w(
            out,
            "on-behalf",
            base("behalf", 8)
                .from(Address::new_address(Some("Tenant Support"), "shared@tenant.example"))
                .sender(alice())
                .to(bob())
                .subject("Your support request")
                .text_body("We are on it.\n"),
        );
        w(
            out,
            "two-from-sender",
            base("twofrom", 9)
                .from(vec![alice(), Address::new_address(Some("Tenant Support"), "shared@tenant.example")])
                .sender(alice())
                .to(bob())
                .subject("From both of us")
                .text_body("Signed by Alice and the support team.\n"),
        );
        w(
            out,
            "reply-to-two",
            base("replyto", 10)
                .from(alice())
                .reply_to(vec![Address::new_address(Some("Replies"), "reply@tenant.example"), Address::new_address(Some("Tenant Support"), "shared@tenant.example")])
                .to(bob())
                .subject("Feedback round")
                .text_body("Replies go to two addresses.\n"),
        );
        w(
            out,
            "attachment-rfc2231",
            base("attach", 11).from(alice()).to(bob()).subject("Vertrag").body(multipart(
                "multipart/mixed",
                "mb-mixed-0011",
                vec![
                    MimePart::new("text/plain", "Anbei der Vertrag.\n"),
                    MimePart::new("application/pdf", PDF).attachment("Rahmenvertrag über Beratungsleistungen – Anlage 3 (Preisblatt, gültig ab 1. April 2024).pdf"),
                ],
            )),
        );
        w(
            out,
            "inline-image-related",
            base("inline", 12).from(alice()).to(bob()).subject("Org chart").body(multipart(
                "multipart/related",
                "mb-rel-0012",
                vec![
                    MimePart::new("text/html", "<p>The org chart:</p><img src=\"cid:orgchart@tenant.example\">\n"),
                    MimePart::new("image/png", PNG).inline().cid("orgchart@tenant.example"),
                ],
            )),
        );
        let refs = references(30);
        w(
            out,
            "references-30",
            base("refs", 13)
                .from(alice())
                .to(bob())
                .subject("Re: Architecture decision record 17")
                .in_reply_to(refs[29].clone())
                .references(MessageId::new_list(refs.iter().cloned()))
                .text_body("+1\n"),
        );
        w(
            out,
            "long-subject",
            base("longsubj", 14)
                .from(alice())
                .to(bob())
                .subject("Please review the updated onboarding checklist for new engineers, including laptop setup, access requests, security training and the first-week buddy programme")
                .text_body("Thanks.\n"),
        );
        w(
            out,
            "list-headers",
            base("list", 15)
                .from(Address::new_address(Some("Tenant Release Notes"), "shared@tenant.example"))
                .to("releases@example.net")
                .reply_to(Address::new_address(Some("Release team"), "reply@tenant.example"))
                .subject("Release 24.3 is out")
                .header("List-Id", Raw::new("Tenant release notes <releases.tenant.example>"))
                .header("List-Unsubscribe", URL::new_list(["mailto:unsubscribe@tenant.example", "https://tenant.example/unsubscribe/r/91"].into_iter()))
                .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"))
                .header("List-Archive", URL::new("https://tenant.example/releases"))
                .header("Precedence", Raw::new("list"))
                .text_body("Release 24.3 brings faster search.\n"),
        );
        w(
            out,
            "calendar-request",
            base("cal", 16).from(alice()).to(bob()).subject("Invitation: Retrospective").body(multipart(
                "multipart/alternative",
                "mb-cal-0016",
                vec![
                    MimePart::new("text/plain", "Retrospective on Friday, 15:00.\n"),
                    MimePart::new(ContentType::new("text/calendar").attribute("charset", "utf-8").attribute("method", "REQUEST"), ICS),
                ],
            )),
        );
        w(
            out,
            "forward-rfc822",
            base("fwd", 17).from(alice()).to(bob()).subject("Fwd: Partnership proposal").body(multipart(
                "multipart/mixed",
                "mb-fwd-0017",
                vec![
                    MimePart::new("text/plain", "See the forwarded proposal.\n"),
                    MimePart::new("message/rfc822", FORWARDED.as_bytes()).attachment("Partnership proposal.eml"),
                ],
            )),
        );
        w(
            out,
            "read-receipt",
            base("dnt", 18)
                .from(alice())
                .to(bob())
                .subject("Signed NDA")
                .header("Disposition-Notification-To", alice())
                .text_body("Please confirm receipt.\n"),
        );
        w(
            out,
            "group-to",
            base("group", 19)
                .from(alice())
                .to(Address::new_group(
                    Some("Project Atlas"),
                    vec![bob(), Address::new_address(Some("Carol"), "carol@example.org")],
                ))
                .cc(Address::new_group(Some("Undisclosed"), vec![]))
                .subject("Atlas kickoff")
                .text_body("Kickoff on Monday.\n"),
        );
        w(
            out,
            "line-998",
            base("line998", 20)
                .from(alice())
                .to(bob())
                .subject("Long line")
                .body(MimePart::new("text/plain", format!("{}\r\n", "y".repeat(998))).transfer_encoding("7bit")),
        );
    }
}

mod lt {
    use super::*;
    use lettre::message::header::{ContentDisposition, ContentType, HeaderName, HeaderValue};
    use lettre::message::{Attachment, Mailbox, Mailboxes, MessageBuilder, MultiPart, SinglePart};
    use lettre::Message;

    fn mbox(name: Option<&str>, addr: &str) -> Mailbox {
        Mailbox::new(name.map(str::to_owned), addr.parse().unwrap())
    }

    fn base(name: &str, i: u64) -> MessageBuilder {
        Message::builder()
            .message_id(Some(format!("<{name}.{}@tenant.example>", 90_000 + i)))
            .date(SystemTime::UNIX_EPOCH + Duration::from_secs(T0 as u64 + 86_400 + i * 300))
    }

    fn alice() -> Mailbox {
        mbox(Some("Alice Tenant"), "a@tenant.example")
    }

    fn bob() -> Mailbox {
        mbox(Some("Bob Example"), "bob@example.net")
    }

    fn raw(name: &'static str, value: &str) -> HeaderValue {
        HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
    }

    pub fn all(out: &mut Out) {
        let w = |out: &mut Out, name: &str, m: Message| out.write(&format!("lettre-{name}"), m.formatted());
        let text = |s: &str| SinglePart::plain(s.to_owned());

        w(out, "plain", base("plain", 1).from(alice()).to(bob()).subject("Hello from lettre").singlepart(text("Hi Bob!\n")).unwrap());
        w(
            out,
            "alternative",
            base("alt", 2)
                .from(alice())
                .to(bob())
                .subject("Newsletter preview")
                .multipart(
                    MultiPart::alternative()
                        .boundary("lettre-alt-0002")
                        .singlepart(text("Plain text preview.\n"))
                        .singlepart(SinglePart::html("<p>HTML preview.</p>\n".to_owned())),
                )
                .unwrap(),
        );
        w(
            out,
            "quoted-pair-name",
            base("qp", 3)
                .from(mbox(Some("Ann \"Boss\" Tenant"), "a@tenant.example"))
                .to(bob())
                .subject("Sign-off")
                .singlepart(text("Signed off.\n"))
                .unwrap(),
        );
        w(
            out,
            "comma-name",
            base("comma", 4).from(mbox(Some("Tenant, Alice"), "a@tenant.example")).to(bob()).subject("Re: dates").singlepart(text("Tuesday works.\n")).unwrap(),
        );
        w(
            out,
            "utf8-name",
            base("utf8", 5)
                .from(mbox(Some("Jürgen Müller"), "a@tenant.example"))
                .to(mbox(Some("Zoë Faure"), "zoe@example.org"))
                .subject("Grüße aus Stuttgart")
                .singlepart(text("Hallo Zoë!\n"))
                .unwrap(),
        );
        w(
            out,
            "cjk-name",
            base("cjk", 6)
                .from(mbox(Some("王 小明"), "a@tenant.example"))
                .to(bob())
                .subject("会议纪要")
                .singlepart(text("附件是今天的会议纪要。\n"))
                .unwrap(),
        );
        w(
            out,
            "emoji-zwj-name",
            base("emoji", 7)
                .from(mbox(Some("🏳️‍🌈 Alice Tenant"), "a@tenant.example"))
                .to(bob())
                .subject("Pride month planning")
                .singlepart(text("Planning meeting on Friday.\n"))
                .unwrap(),
        );
        w(
            out,
            "alabel-from",
            base("alabel", 8).from(mbox(Some("Anaïs Tenant"), "a@xn--tnant-bsa.example")).to(bob()).subject("IDN").singlepart(text("A-label domain.\n")).unwrap(),
        );
        w(
            out,
            "on-behalf",
            base("behalf", 9)
                .from(mbox(Some("Tenant Support"), "shared@tenant.example"))
                .sender(alice())
                .to(bob())
                .subject("Case 4410 update")
                .singlepart(text("We shipped a replacement.\n"))
                .unwrap(),
        );
        w(
            out,
            "two-from-sender",
            base("twofrom", 10)
                .from(alice())
                .from(mbox(Some("Tenant Support"), "shared@tenant.example"))
                .sender(alice())
                .to(bob())
                .subject("Joint reply")
                .singlepart(text("From both of us.\n"))
                .unwrap(),
        );
        w(
            out,
            "reply-to-two",
            base("replyto", 11)
                .from(alice())
                .reply_to(mbox(Some("Replies"), "reply@tenant.example"))
                .reply_to(mbox(Some("Tenant Support"), "shared@tenant.example"))
                .to(bob())
                .cc(mbox(None, "carol@example.org"))
                .subject("Who replies?")
                .singlepart(text("Either of the Reply-To addresses.\n"))
                .unwrap(),
        );
        w(
            out,
            "attachment-rfc2231",
            base("attach", 12)
                .from(alice())
                .to(bob())
                .subject("Präsentation")
                .multipart(
                    MultiPart::mixed()
                        .boundary("lettre-mixed-0012")
                        .singlepart(text("Anbei die Präsentation.\n"))
                        .singlepart(
                            Attachment::new("Präsentation Jahresauftakt 2024 – Vertriebsteam Süd (überarbeitete Version).pdf".to_owned())
                                .body(PDF.to_vec(), ContentType::parse("application/pdf").unwrap()),
                        ),
                )
                .unwrap(),
        );
        w(
            out,
            "inline-image-related",
            base("inline", 13)
                .from(alice())
                .to(bob())
                .subject("Badge design")
                .multipart(
                    MultiPart::related()
                        .boundary("lettre-related-0013")
                        .singlepart(SinglePart::html("<p>New badge:</p><img src=\"cid:badge\">\n".to_owned()))
                        .singlepart(Attachment::new_inline("badge".to_owned()).body(PNG.to_vec(), ContentType::parse("image/png").unwrap())),
                )
                .unwrap(),
        );
        let refs = references(30).iter().map(|r| format!("<{r}>")).collect::<Vec<_>>();
        w(
            out,
            "references-30",
            base("refs", 14)
                .from(alice())
                .to(bob())
                .subject("Re: Incident 2024-02-28")
                .in_reply_to(refs[29].clone())
                .references(refs.join(" "))
                .singlepart(text("Post-mortem is done.\n"))
                .unwrap(),
        );
        w(
            out,
            "long-subject-utf8",
            base("longsubj", 15)
                .from(alice())
                .to(bob())
                .subject("Einladung zur Betriebsversammlung am Donnerstag: Tagesordnung, Anfahrt, Verpflegung und Hinweise zur Übertragung für Kolleginnen und Kollegen im Homeoffice")
                .singlepart(text("Details im Betreff.\n"))
                .unwrap(),
        );
        w(
            out,
            "calendar-request",
            base("cal", 16)
                .from(alice())
                .to(bob())
                .subject("Invitation: Retrospective")
                .multipart(
                    MultiPart::alternative()
                        .boundary("lettre-cal-0016")
                        .singlepart(text("Retrospective on Friday.\n"))
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::parse("text/calendar; charset=utf-8; method=REQUEST").unwrap())
                                .body(ICS.to_owned()),
                        ),
                )
                .unwrap(),
        );
        w(
            out,
            "user-agent-read-receipt",
            base("ua", 17)
                .from(alice())
                .to(bob())
                .user_agent("sendas-corpus/1.0 (lettre 0.11)".to_owned())
                .raw_header(raw("Disposition-Notification-To", "Alice Tenant <a@tenant.example>"))
                .subject("Please confirm")
                .singlepart(text("Read receipt requested.\n"))
                .unwrap(),
        );
        w(
            out,
            "forward-rfc822",
            base("fwd", 18)
                .from(alice())
                .to(bob())
                .subject("Fwd: Partnership proposal")
                .multipart(
                    MultiPart::mixed().boundary("lettre-fwd-0018").singlepart(text("Forwarding.\n")).singlepart(
                        SinglePart::builder()
                            .header(ContentType::parse("message/rfc822").unwrap())
                            .header(ContentDisposition::attachment("proposal.eml"))
                            .body(FORWARDED.to_owned()),
                    ),
                )
                .unwrap(),
        );
        let many: Mailboxes = (1..=12).map(|i| mbox(Some(&format!("Participant {i}")), &format!("p{i}@example.com"))).collect();
        w(
            out,
            "many-recipients",
            base("many", 19)
                .from(alice())
                .to(bob())
                .mailbox(lettre::message::header::Cc::from(many))
                .subject("Workshop")
                .singlepart(text("See you all at the workshop.\n"))
                .unwrap(),
        );
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: sendas-corpus-gen OUTDIR");
    let mut out = Out { dir: Path::new(&dir).to_path_buf(), count: 0 };
    std::fs::create_dir_all(&out.dir).unwrap();
    mb::all(&mut out);
    let after_mb = out.count;
    lt::all(&mut out);
    println!("mail-builder: {after_mb} messages, lettre: {} messages", out.count - after_mb);
}

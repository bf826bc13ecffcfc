//! Header extraction, and the whole verdict on every public attack case
//! of `../shared/security/` (read at test time).

use super::*;
use crate::data::{DataLimits, DataReader};
use crate::verdict::{Verdict, decide};
use sendas_core::TenantId;
use sendas_core::model::{Mailbox, MailboxScope};
use sendas_core::policy::UsableMailboxes;

fn mailbox(address: &str) -> Mailbox {
    sendas_core::testing::fixtures::mailbox(TenantId::generate(), address, MailboxScope::Global)
}

/// The fixture of the security cases: a@tenant.example and a@ténant.example, as From and Reply-To.
fn fixture() -> UsableMailboxes {
    let boxes = vec![mailbox("a@tenant.example"), mailbox("a@ténant.example")];
    UsableMailboxes { from: boxes.clone(), reply_to: boxes, ..Default::default() }
}

fn b64(s: &str) -> Vec<u8> {
    data_encoding::BASE64.decode(s.as_bytes()).expect("base64")
}

/// Sends `message` through the DATA reader as a client would (dot-stuffed, CRLF.CRLF).
fn receive(message: &[u8]) -> crate::data::Received {
    let wire = sendas_testkit::dot_stuffed(message);
    let mut reader = DataReader::new(DataLimits { max_size: 10 << 20, max_line: MAX_HEADER_LINE });
    let (used, received) = reader.feed(&wire);
    assert_eq!(used, wire.len());
    received.expect("the end of DATA")
}

fn shared(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/security").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

#[test]
fn every_from_header_case_gets_its_expected_outcome() {
    let cases = shared("from-header-cases.json");
    let usable = fixture();
    let mut checked = 0;
    for case in cases["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().unwrap_or_default();
        let received = receive(&b64(case["message_b64"].as_str().expect("message")));
        // The fixture's envelope is MAIL FROM:<a@tenant.example>. SPEC §3 requires MAIL FROM
        // to be the sending mailbox, so when a case's single From is the fixture's other
        // mailbox (a@ténant.example), a conforming client sends that address instead.
        let own = extract(&received.message, 64 * 1024).ok().and_then(|e| match e.originators.from.as_slice() {
            [single] => single.address.clone().filter(|a| usable.find(sendas_core::policy::Usage::From, a).is_some()),
            _ => None,
        });
        let envelope = own.or_else(|| EmailAddress::parse("a@tenant.example").ok());
        let verdict = decide(&received, envelope.as_ref(), &usable, 64 * 1024, MAX_HEADER_LINE);
        match (case["expect"].as_str(), verdict) {
            (Some("accept"), Verdict::Relay { .. }) => {}
            (Some("reject"), Verdict::Reject { reply, .. }) => {
                let want = case["code"].as_str().unwrap_or_default();
                assert_eq!(format!("{} {}", reply.code, reply.enhanced), want, "{id}: {}", reply);
            }
            (want, got) => panic!("{id}: expected {want:?}, got {got:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} cases");
}

#[test]
fn every_smuggling_case_is_refused_after_the_real_end() {
    let cases = shared("smuggling-cases.json");
    let usable = fixture();
    let envelope = EmailAddress::parse("a@tenant.example").ok();
    for case in cases["cases"].as_array().expect("cases") {
        let seq = data_encoding::HEXLOWER.decode(case["sequence_hex"].as_str().expect("hex").as_bytes()).expect("hex");
        let mut wire = b"From: <a@tenant.example>\r\nTo: <rcpt@example.net>\r\nSubject: t\r\n\r\nline1".to_vec();
        wire.extend_from_slice(&seq);
        wire.extend_from_slice(b"MAIL FROM:<ceo@victim.example>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n");
        wire.extend_from_slice(b"From: <ceo@victim.example>\r\n\r\nsmuggled\r\n\r\n.\r\n");
        let mut reader = DataReader::new(DataLimits { max_size: 1 << 20, max_line: 998 });
        let (used, received) = reader.feed(&wire);
        assert_eq!(used, wire.len(), "{}: DATA ended early", case["id"]);
        let received = received.expect("end");
        match decide(&received, envelope.as_ref(), &usable, 64 * 1024, 998) {
            Verdict::Reject { reply, .. } => {
                assert_eq!(format!("{} {}", reply.code, reply.enhanced), case["code"].as_str().unwrap_or_default())
            }
            other => panic!("{}: {other:?}", case["id"]),
        }
    }
}

#[test]
fn legitimate_headers_pass_with_decoded_names() {
    let usable = fixture();
    let envelope = EmailAddress::parse("a@tenant.example").ok();
    for message in [
        &b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <a@tenant.example>\r\nSubject: x\r\n\r\nhi\r\n"[..],
        b"From: \"Alice, Sales\" <A@Tenant.Example>\r\nReply-To: a@xn--tnant-bsa.example\r\n\r\nhi\r\n",
        b"From: a@tenant.example\r\nSender: a@tenant.example\r\nTo: x@y.example,\r\n z@y.example\r\n\r\n",
        b"From: \"a@tenant.example\" <a@tenant.example>\r\n\r\nbody\r\n",
        b"From: a@tenant.example, a@xn--tnant-bsa.example\r\nSender: a@tenant.example\r\n\r\n",
    ] {
        let received = receive(message);
        match decide(&received, envelope.as_ref(), &usable, 64 * 1024, 998) {
            Verdict::Relay { mailbox, .. } => assert_eq!(mailbox.address.as_str(), "a@tenant.example"),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(message)),
        }
    }
    let e =
        extract(b"From: =?utf-8?q?J=C3=BCrgen?= <a@tenant.example>\r\nMessage-ID: <m@x>\r\n\r\n", 1 << 16).expect("ok");
    assert_eq!(e.originators.from[0].display_name.as_deref(), Some("Jürgen"));
    assert_eq!(e.message_id.as_deref(), Some("<m@x>"));
}

/// A character split across two encoded words (RFC 2047 forbids it; readers join the bytes):
/// checked as shown, so neither a name nor a split full-width `＠` slips past as U+FFFD.
#[test]
fn a_character_split_across_encoded_words_is_decoded_as_readers_show_it() {
    let name = |header: &str| {
        let message = format!("From: {header} <a@tenant.example>\r\n\r\nhi\r\n");
        extract(message.as_bytes(), 1 << 16).expect("ok").originators.from[0].display_name.clone()
    };
    assert_eq!(name("=?utf-8?q?J=C3?= =?utf-8?q?=BCrgen_M=C3=BCller?=").as_deref(), Some("Jürgen Müller"));
    assert_eq!(
        name("=?UTF-8?B?w7w=?= =?utf-8?b?w7w=?=").as_deref(),
        Some("üü"),
        "charset labels match case-insensitively"
    );
    assert_eq!(name("=?utf-8?q?a?= =?iso-8859-1?q?=FC?=").as_deref(), Some("aü"), "another charset decodes apart");
    let split_at = "=?utf-8?q?ceo=EF=BC?= =?utf-8?q?=A0victim.example?=";
    assert_eq!(name(split_at).as_deref(), Some("ceo\u{FF20}victim.example"));
    let received = receive(format!("From: {split_at} <a@tenant.example>\r\n\r\nhi\r\n").as_bytes());
    let envelope = EmailAddress::parse("a@tenant.example").ok();
    match decide(&received, envelope.as_ref(), &fixture(), 64 * 1024, 998) {
        Verdict::Reject { reply, .. } => assert_eq!((reply.code, reply.enhanced.as_str()), (550, "5.7.1")),
        other => panic!("a split full-width @ passed: {other:?}"),
    }
}

/// Found by the differential check over the fuzzer's corpus: Python's `email` does not read
/// `From :` as a From field, mail-parser and lenient clients do. Checked as From (a forbidden
/// address is refused as such), never relayed.
#[test]
fn whitespace_before_an_originator_colon_is_never_relayed() {
    let usable = fixture();
    let envelope = EmailAddress::parse("a@tenant.example").ok();
    let code = |m: &[u8]| match decide(&receive(m), envelope.as_ref(), &usable, 64 * 1024, 998) {
        Verdict::Relay { .. } => "relay".to_owned(),
        Verdict::Reject { reply, .. } => format!("{} {}", reply.code, reply.enhanced),
    };
    assert_eq!(code(b"FROM :\r\n <a@tenant.example>\r\n\r\n"), "554 5.6.0");
    assert_eq!(code(b"From: <a@tenant.example>\r\nReply-To\t: <a@tenant.example>\r\n\r\n"), "554 5.6.0");
    assert_eq!(code(b"From : <ceo@victim.example>\r\n\r\n"), "550 5.7.1");
    // Any field: Python's email ends the header section at such a line (see below).
    assert_eq!(code(b"From: <a@tenant.example>\r\nX-Other : fine\r\n\r\n"), "554 5.6.0");
    assert_eq!(code(b"From: <a@tenant.example>\r\nX-Other: fine\r\n\r\n"), "relay");
}

/// Also from the differential check: encoded words a lenient reader could decode into anything,
/// and a display name starting with a dot (Python's `email` fails on it).
#[test]
fn malformed_encoded_words_and_dotted_names_are_refused() {
    for bad in [
        "=?utf-8?b?QUNC|kJj?= <a@tenant.example>",
        "=?utf-8?b?QUJD?= x=?utf-8?q?y?= <a@tenant.example>",
        "=?utf-8?q?a b?= <a@tenant.example>",
        "=?utf-8?q?a=ZZ?= <a@tenant.example>",
        "=?utf-8?x?abc?= <a@tenant.example>",
        ".Alice <a@tenant.example>",
    ] {
        let m = format!("From: {bad}\r\n\r\n");
        assert!(extract(m.as_bytes(), 1 << 16).is_err(), "{bad}");
    }
    for good in
        ["=?UTF-8?B?w4lsb8Ovc2U=?= <a@tenant.example>", "Dr. Alice <a@tenant.example>", "\"=?x\" <a@tenant.example>"]
    {
        let m = format!("From: {good}\r\n\r\n");
        assert!(extract(m.as_bytes(), 1 << 16).is_ok(), "{good}");
    }
}

#[test]
fn oversized_headers_are_refused() {
    let mut m = b"From: <a@tenant.example>\r\n".to_vec();
    for i in 0..100 {
        m.extend_from_slice(format!("X-Pad-{i}: {}\r\n", "p".repeat(500)).as_bytes());
    }
    m.extend_from_slice(b"\r\nbody\r\n");
    assert!(extract(&m, 16 * 1024).is_err());
    assert!(extract(&m, 64 * 1024).is_ok());
}

#[test]
fn whitespace_before_any_fields_colon_is_ambiguous() {
    // Found by the differential check over the fuzz corpus: Python's email ends the header
    // section at "Dat :", so it reads no From and no Sender where we read both.
    let message = b"Message-ID: <x@tenant.example>\r\nDat :eMon, 04 Mar 2024 08:45:00 +0000\r\n\
        From: <shared@tenant.example>\r\nSender: <a@tenant.example>\r\n\r\nbody\r\n";
    let e = extract(message, 64 * 1024).expect("parses");
    assert!(e.ambiguity.as_deref().is_some_and(|a| a.contains("Dat")), "{e:?}");
    let plain = b"Date: Mon, 04 Mar 2024 08:45:00 +0000\r\nFrom: <a@tenant.example>\r\n\r\nbody\r\n";
    assert_eq!(extract(plain, 64 * 1024).expect("parses").ambiguity, None);
}

/// Mail-Reply-To and Mail-Followup-To (mailing-list clients) direct replies as Reply-To does:
/// the same grammar, at most one field each, every entry needs `reply_to`.
#[test]
fn the_fields_that_direct_replies_are_read_like_reply_to() {
    let usable = fixture();
    let envelope = EmailAddress::parse("a@tenant.example").ok();
    let verdict = |m: &str| match decide(&receive(m.as_bytes()), envelope.as_ref(), &usable, 64 * 1024, 998) {
        Verdict::Relay { .. } => "relay".to_owned(),
        Verdict::Reject { reply, .. } => format!("{} {} {}", reply.code, reply.enhanced, reply.lines.join(" ")),
    };
    for field in ["Mail-Reply-To", "Mail-Followup-To", "mail-followup-to", "MAIL-REPLY-TO"] {
        let with = |value: &str| format!("From: <a@tenant.example>\r\n{field}: {value}\r\n\r\nhi\r\n");
        let two = with("Alice <a@xn--tnant-bsa.example>, a@tenant.example");
        assert_eq!(verdict(&two), "relay", "{field}");
        let o = extract(two.as_bytes(), 1 << 16).expect("ok").originators;
        let read = if field.eq_ignore_ascii_case("mail-reply-to") { &o.mail_reply_to } else { &o.mail_followup_to };
        assert_eq!(
            read.iter().map(|e| e.raw_address.as_str()).collect::<Vec<_>>(),
            ["a@xn--tnant-bsa.example", "a@tenant.example"]
        );
        assert_eq!(read[0].display_name.as_deref(), Some("Alice"));
        for denied in [
            "<ceo@victim.example>",
            "a@tenant.example, <ceo@victim.example>",
            "\"a@victim.example\" <a@tenant.example>",
        ] {
            let got = verdict(&with(denied));
            assert!(got.starts_with("550 5.7.1"), "{field}: {denied}: {got}");
            assert!(got.to_lowercase().contains(&format!("{}:", field.to_lowercase())), "names the header: {got}");
        }
        for malformed in [
            "a@tenant.example (comment)",
            "\"a\"@tenant.example",
            "<@route.example:a@tenant.example>",
            "list: a@tenant.example;",
            "",
            "a@tenant.example,",
        ] {
            let got = verdict(&with(malformed));
            assert!(got.starts_with("554 5.6.0"), "{field}: {malformed:?}: {got}");
        }
        let twice =
            format!("From: <a@tenant.example>\r\n{field}: <a@tenant.example>\r\n{field}: <a@tenant.example>\r\n\r\n");
        assert!(verdict(&twice).starts_with("554 5.6.0"), "{field} twice");
    }
    // The two fields are counted apart, and apart from Reply-To.
    let all = "From: <a@tenant.example>\r\nReply-To: <a@tenant.example>\r\nMail-Reply-To: <a@tenant.example>\r\n\
        Mail-Followup-To: <a@tenant.example>, <a@xn--tnant-bsa.example>\r\n\r\nhi\r\n";
    assert_eq!(verdict(all), "relay");
}

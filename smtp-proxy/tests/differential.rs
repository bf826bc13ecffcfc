//! Differential check of the originator extraction: every message of the
//! public security cases and of the legitimate corpus (`tests/corpus/legit`:
//! multipart, attachments, RFC 2047 and UTF-8 display names, folded fields,
//! nested message/rfc822 parts whose inner From must be ignored) that the
//! proxy would relay is read again by Python's `email` package
//! (`scripts/originators.py`); the test fails when the two parsers see
//! different From, Sender, Reply-To, Mail-Reply-To, Mail-Followup-To,
//! Resent-From or Resent-Sender addresses.
//! Every legitimate message must also be accepted.
#![allow(clippy::unwrap_used)]

use sendas_core::model::{Mailbox, MailboxScope};
use sendas_core::policy::{Entry, UsableMailboxes, Usage};
use sendas_core::{EmailAddress, TenantId};
use sendas_message::data::{DataLimits, DataReader};
use sendas_message::headers::extract;
use sendas_message::verdict::{Verdict, decide};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn usable() -> UsableMailboxes {
    let mb = |a: &str| sendas_core::testing::fixtures::mailbox(TenantId::generate(), a, MailboxScope::Global);
    let from: Vec<Mailbox> = ["a@tenant.example", "a@ténant.example", "shared@tenant.example"].map(mb).to_vec();
    let mut reply_to = from.clone();
    reply_to.push(mb("reply@tenant.example"));
    UsableMailboxes { from, reply_to, ..Default::default() }
}

fn messages() -> Vec<(String, Vec<u8>, bool)> {
    let root = sendas_testkit::repo_root();
    let mut out = Vec::new();
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("../shared/security/from-header-cases.json")).unwrap())
            .unwrap();
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap().replace([':', '/'], "_");
        let bytes = data_encoding::BASE64.decode(case["message_b64"].as_str().unwrap().as_bytes()).unwrap();
        out.push((format!("case-{id}"), bytes, false));
    }
    let mut legit: Vec<PathBuf> =
        std::fs::read_dir(root.join("tests/corpus/legit")).unwrap().map(|e| e.unwrap().path()).collect();
    legit.sort();
    for path in legit {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((format!("legit-{name}"), std::fs::read(&path).unwrap(), true));
    }
    // Optionally, a fuzzer's corpus too (scripts/fuzz.sh sets this after the originator_headers run).
    if let Ok(extra) = std::env::var("SENDAS_DIFFERENTIAL_CORPUS") {
        for entry in std::fs::read_dir(extra).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((format!("fuzz-{name}"), std::fs::read(&path).unwrap(), false));
        }
    }
    out
}

fn addresses(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|e| e.address.as_ref().map_or_else(|| e.raw_address.clone(), |a| a.to_string())).collect()
}

/// The proxy's view of a message it relays, or `None` when it refuses it.
fn proxy_view(message: &[u8], usable: &UsableMailboxes) -> Result<Value, String> {
    let wire = sendas_testkit::dot_stuffed(message);
    let mut reader = DataReader::new(DataLimits { max_size: 10 << 20, max_line: 998 });
    let received = reader.feed(&wire).1.ok_or("no end of DATA")?;
    let e = extract(&received.message, 64 * 1024).map_err(|e| format!("554 {}", e.0))?;
    let o = &e.originators;
    // A conforming client's MAIL FROM: one of the message's originator addresses it may send from.
    let envelope = o
        .senders()
        .filter_map(|e| e.address.clone())
        .find(|a| usable.find(Usage::From, a).is_some())
        .or(EmailAddress::parse("a@tenant.example").ok());
    match decide(&received, envelope.as_ref(), usable, 64 * 1024, 998) {
        Verdict::Reject { reply, .. } => Err(format!("{} {} {}", reply.code, reply.enhanced, reply.lines.join(" "))),
        Verdict::Relay { .. } => Ok(json!({
            "from": addresses(&o.from),
            "sender": addresses(o.sender.as_slice()),
            "reply-to": addresses(&o.reply_to),
            "mail-reply-to": addresses(&o.mail_reply_to),
            "mail-followup-to": addresses(&o.mail_followup_to),
            "resent-from": addresses(&o.resent_from().cloned().collect::<Vec<_>>()),
            "resent-sender": addresses(&o.resent_sender().cloned().collect::<Vec<_>>()),
        })),
    }
}

fn python_views(dir: &Path) -> BTreeMap<String, Value> {
    let script = sendas_testkit::repo_root().join("scripts/originators.py");
    let out = std::process::Command::new("python3").arg(script).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn python_email_reads_every_relayed_message_the_same_way() {
    let usable = usable();
    let dir = tempfile::tempdir().unwrap();
    let mut ours = BTreeMap::new();
    let mut refused_legit = Vec::new();
    let all = messages();
    for (name, bytes, legit) in &all {
        match proxy_view(bytes, &usable) {
            Ok(view) => {
                std::fs::write(dir.path().join(format!("{name}.eml")), bytes).unwrap();
                ours.insert(format!("{name}.eml"), view);
            }
            Err(reply) if *legit => refused_legit.push(format!("{name}: {reply}")),
            Err(_) => {}
        }
    }
    assert!(refused_legit.is_empty(), "legitimate messages refused: {refused_legit:#?}");
    let theirs = python_views(dir.path());
    let mut disagreements = Vec::new();
    for (name, view) in &ours {
        let other = theirs.get(name).cloned().unwrap_or(Value::Null);
        if &other != view {
            disagreements.push(format!("{name}:\n  sendas: {view}\n  python: {other}"));
        }
    }
    assert!(disagreements.is_empty(), "the parsers disagree on relayed messages:\n{}", disagreements.join("\n"));
    let legit = all.iter().filter(|m| m.2).count();
    assert!(ours.len() > legit, "relayed: {} of {} messages ({legit} legitimate)", ours.len(), all.len());
    println!(
        "differential: {} relayed messages agree ({legit} legitimate, {} from the cases or a fuzz corpus)",
        ours.len(),
        ours.len() - legit
    );
}

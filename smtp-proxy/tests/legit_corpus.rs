//! Real clients' mail is never refused: every message of the legitimate
//! corpus (`tests/corpus/legit`, made by running real generators: see
//! `scripts/corpus/README.md`) goes through the proxy over SMTP on a real
//! socket, as a conforming client would send it, is accepted with `250`,
//! and arrives at the sending mailbox's upstream byte for byte (only the
//! client's own trace fields, which the proxy removes, are left out).
//!
//! Fixture (the corpus is written for it): alice may send from
//! a@tenant.example (its own upstream), a@ténant.example and the team
//! mailbox shared@tenant.example (system relay), and may use those and
//! reply@tenant.example as Reply-To.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{MailboxFlags, MailboxScope, Role};
use sendas_core::policy::Usage;
use sendas_core::service::mailboxes;
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use sendas_smtp_proxy::headers::{extract, strip_client_trace};
use std::sync::Arc;
use support::net::*;
use support::*;
use tokio::net::TcpStream;

async fn add_mailbox(net: &Net, address: &str, sender: bool) {
    let admin = Role::Admin { tenant_id: net.world.tenant };
    let input = mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: address.into(),
        display_name: address.into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    mailboxes::create(net.world.store.as_ref(), &admin, net.world.tenant, input).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_legitimate_message_is_accepted_and_arrives_byte_for_byte() {
    let store = Arc::new(MemoryStore::new());
    let mut limits = limits_for_net();
    limits.max_recipients = 100;
    let net = start_with(store, Arc::new(MemorySecretStore::default()), limits, true).await;
    add_mailbox(&net, "shared@tenant.example", true).await;
    add_mailbox(&net, "reply@tenant.example", false).await;
    let usable =
        sendas_core::service::permissions::snapshot(net.world.store.as_ref(), net.world.tenant, net.world.alice)
            .await
            .unwrap()
            .usable;

    let dir = sendas_testkit::repo_root().join("tests/corpus/legit");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    paths.sort();
    assert!(paths.len() >= 150, "the corpus has only {} messages", paths.len());

    let mut c = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &net.world.password).await;
    let (mut refused, mut expected, mut stripped) = (Vec::new(), Vec::new(), 0);
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let message = std::fs::read(path).unwrap();
        // A conforming client: MAIL FROM is one of the message's originators it may send from;
        // SMTPUTF8 when the header section is not ASCII.
        let originators = extract(&message, 64 * 1024).unwrap_or_else(|e| panic!("{name}: {e:?}")).originators;
        let envelope = originators
            .senders()
            .filter_map(|e| e.address.clone())
            .find(|a| usable.find(Usage::From, a).is_some())
            .unwrap_or_else(|| panic!("{name}: no originator of the fixture"));
        let head = &message[..sendas_smtp_proxy::headers::header_end(&message)];
        let utf8 = if head.is_ascii() { "" } else { " SMTPUTF8" };
        c.expect(&format!("MAIL FROM:<{envelope}>{utf8}"), 250).await;
        c.expect("RCPT TO:<rcpt@example.net>", 250).await;
        c.expect("DATA", 354).await;
        c.send(&sendas_testkit::dot_stuffed(&message)).await;
        let (code, text) = c.reply().await;
        if code == 250 {
            let mut relayed = message.clone();
            stripped += usize::from(strip_client_trace(&mut relayed) > 0);
            expected.push((name, relayed));
        } else {
            refused.push(format!("{name}: {}", text.trim()));
        }
    }
    assert!(refused.is_empty(), "{} legitimate messages refused:\n{}", refused.len(), refused.join("\n"));

    let mut delivered: Vec<Vec<u8>> = net.mailbox_upstream.delivered().into_iter().map(|d| d.message).collect();
    delivered.extend(net.system_upstream.delivered().into_iter().map(|d| d.message));
    assert_eq!(delivered.len(), expected.len(), "every accepted message arrives once");
    for (name, bytes) in &expected {
        let Some(at) = delivered.iter().position(|d| d == bytes) else {
            let close = delivered.iter().min_by_key(|d| d.len().abs_diff(bytes.len())).cloned().unwrap_or_default();
            let first = bytes.iter().zip(&close).position(|(a, b)| a != b).unwrap_or(bytes.len().min(close.len()));
            let show = |b: &[u8]| {
                String::from_utf8_lossy(&b[first.saturating_sub(40)..(first + 40).min(b.len())]).into_owned()
            };
            panic!(
                "{name} did not arrive byte for byte: at {first} sent {:?}, nearest arrived {:?}",
                show(bytes),
                show(&close)
            );
        };
        delivered.swap_remove(at);
    }
    println!(
        "legitimate corpus: {} messages accepted and delivered byte for byte ({stripped} with client trace fields removed)",
        expected.len()
    );
}

//! Real clients' mail is never refused: every message of the legitimate
//! corpus (`tests/corpus/legit`, made by running real generators: see
//! `scripts/corpus/README.md`) goes through the proxy over SMTP on a real
//! socket, as a conforming client would send it, is accepted with `250`,
//! and arrives at the sending mailbox's upstream byte for byte (only the
//! client's own trace fields, which the proxy removes, are left out).
//!
//! Fixture (the corpus is written for it): alice ("Alice Tenant") may send
//! from a@tenant.example (its own upstream), a@ténant.example and the team
//! mailbox shared@tenant.example ("Tenant Support", system relay), and may
//! use those and reply@tenant.example as Reply-To. The tenant also has
//! people with realistic names and a mailbox alice may not use, so the
//! display-name rule (`free`: not someone else's name) runs against real
//! names; every corpus display name is alice's own.
//!
//! `display_names_of_the_corpus_against_200_other_users` measures the
//! false positives of that rule (README, decisions).
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{DisplayNamePolicy, Mailbox, MailboxFlags, MailboxScope, Name, Role, User};
use sendas_core::policy::{
    MessageDenial, NameGuard, Originators, OwnershipBook, Usage, check_message, skeleton, usable_mailboxes,
};
use sendas_core::service::{directory, mailboxes};
use sendas_core::testing::fixtures;
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use sendas_message::headers::{extract, strip_client_trace};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use support::net::*;
use support::*;
use tokio::net::TcpStream;

async fn add_mailbox(net: &Net, address: &str, name: &str, sender: bool) -> Mailbox {
    let admin = Role::Admin { tenant_id: net.world.tenant };
    let input = mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: address.into(),
        display_name: name.into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    mailboxes::create(net.world.store.as_ref(), &admin, net.world.tenant, input).await.unwrap()
}

/// Other people of the tenant, none of them a name the corpus writes.
const COLLEAGUES: [&str; 6] =
    ["Bob Example", "Carol Müller", "Dmitri Ivanov", "María García", "佐藤 花子", "Support Lead"];

/// Alice becomes "Alice Tenant"; the colleagues join; board@ ("Board Office") is bob's only.
async fn realistic_names(net: &Net) {
    let (store, t) = (net.world.store.as_ref(), net.world.tenant);
    let admin = Role::Admin { tenant_id: t };
    let rename = |login: &'static str, name: &'static str| async move {
        let before = store.find_user_by_login(&sendas_core::model::Login::parse(login).unwrap()).await.unwrap();
        let after = User { name: Name::parse(name).unwrap(), version: before.version + 1, ..before.clone() };
        store.update_user(&before, &after).await.unwrap();
        after
    };
    let alice = rename("alice", "Alice Tenant").await;
    let bob = rename("bob", "Bob Owner").await;
    for (i, name) in COLLEAGUES.iter().enumerate() {
        let user = directory::CreateUser {
            limits: Default::default(),
            login: format!("colleague{i}"),
            name: (*name).into(),
            companies: alice.companies.clone(),
            groups: BTreeSet::new(),
        };
        directory::create_user(store, &admin, t, user).await.unwrap();
    }
    let board = add_mailbox(net, "board@tenant.example", "Board Office", true).await;
    let only_bob = BTreeSet::from([bob.id]);
    mailboxes::set_access(store, &admin, t, board.id, true, only_bob, BTreeSet::new(), &Default::default())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_legitimate_message_is_accepted_and_arrives_byte_for_byte() {
    let store = Arc::new(MemoryStore::new());
    let mut limits = limits_for_net();
    limits.max_recipients = 100;
    let net = start_with(store, Arc::new(MemorySecretStore::default()), limits, true).await;
    add_mailbox(&net, "shared@tenant.example", "Tenant Support", true).await;
    add_mailbox(&net, "reply@tenant.example", "reply@tenant.example", false).await;
    realistic_names(&net).await;
    let usable =
        sendas_core::service::permissions::snapshot(net.world.store.as_ref(), net.world.tenant, net.world.alice)
            .await
            .unwrap()
            .usable;
    for name in COLLEAGUES.iter().chain(&["Bob Owner", "Board Office"]) {
        assert!(usable.names.is_foreign(name), "{name} is someone else's to alice");
    }

    let messages = corpus(&usable);
    assert!(messages.len() >= 150, "the corpus has only {} messages", messages.len());

    let mut c = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &net.world.password).await;
    let (mut refused, mut expected, mut stripped) = (Vec::new(), Vec::new(), 0);
    for (name, message, _, envelope) in messages {
        // SMTPUTF8 when the header section is not ASCII.
        let head = &message[..sendas_message::headers::header_end(&message)];
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

/// The corpus: (file name, its bytes, its originators, MAIL FROM as a conforming client
/// writes it: one of the message's originators the user may send from).
fn corpus(
    usable: &sendas_core::policy::UsableMailboxes,
) -> Vec<(String, Vec<u8>, Originators, sendas_core::EmailAddress)> {
    let dir = sendas_testkit::repo_root().join("tests/corpus/legit");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let message = std::fs::read(path).unwrap();
            let originators = extract(&message, 64 * 1024).unwrap_or_else(|e| panic!("{name}: {e:?}")).originators;
            let envelope = originators
                .senders()
                .filter_map(|e| e.address.clone())
                .find(|a| usable.find(Usage::From, a).is_some())
                .unwrap_or_else(|| panic!("{name}: no originator of the fixture"));
            (name, message, originators, envelope)
        })
        .collect()
}

/// 200 other users with common first and last names of several languages.
fn common_names() -> Vec<String> {
    let first = [
        "James", "Mary", "Michael", "Anna", "Thomas", "Maria", "Peter", "Laura", "David", "Sarah", "Lukas", "Sofia",
        "Jan", "Emma", "Ali", "Fatima", "Wei", "Yuki", "Olga", "Pierre",
    ];
    let last = ["Smith", "Müller", "Schmidt", "García", "Rossi", "Nowak", "Kowalski", "Dubois", "Johnson", "Fischer"];
    first.iter().flat_map(|f| last.iter().map(move |l| format!("{f} {l}"))).collect()
}

/// The false-positive figure of README's decisions: the corpus (every display name in it is the
/// sender's own) checked by the pure policy, as alice ("Alice Tenant"), in a tenant with 200 other
/// users named from common first and last names and a mailbox she may not use. A refusal is a
/// false positive: no corpus message names one of those people. Then the converse: each display name
/// of the corpus, given to one other user, refuses the messages that write it.
#[test]
fn display_names_of_the_corpus_against_200_other_users() {
    let tenant = fixtures::new_tenant("tenant.example", 10).tenant;
    let t = tenant.id;
    let alice = User { name: fixtures::name("Alice Tenant"), ..fixtures::user(t, "alice", &[]) };
    let mailbox = |address: &str, name: &str, sender: bool| {
        let mut m = fixtures::mailbox(t, address, MailboxScope::Global);
        m.display_name = fixtures::name(name);
        m.flags.sender = sender;
        m
    };
    let mut board = mailbox("board@tenant.example", "Board Office", true);
    board.flags.restricted = true;
    let mailboxes = vec![
        mailbox("a@tenant.example", "Alice Tenant", true),
        mailbox("a@ténant.example", "Alice Tenant", true),
        mailbox("shared@tenant.example", "Tenant Support", true),
        mailbox("reply@tenant.example", "Replies", false),
        board,
    ];
    let others: Vec<User> = common_names()
        .iter()
        .enumerate()
        .map(|(i, n)| User { name: fixtures::name(n), ..fixtures::user(t, &format!("user{i}"), &[]) })
        .collect();
    assert_eq!(others.len(), 200);
    let guard = |users: &[User], mailboxes: &[Mailbox], policy: DisplayNamePolicy| {
        let mailboxes: Vec<Mailbox> =
            mailboxes.iter().map(|m| Mailbox { display_name_policy: policy, ..m.clone() }).collect();
        let mut usable = usable_mailboxes(&tenant, &alice, &mailboxes, &OwnershipBook::assigning(&mailboxes));
        let everyone: Vec<&User> = users.iter().chain([&alice]).collect();
        usable.names = NameGuard::new(&alice, everyone, &mailboxes, &usable);
        usable
    };

    let free = guard(&others, &mailboxes, DisplayNamePolicy::Free);
    let messages = corpus(&free);
    assert!(messages.len() >= 150);
    let judge = |usable: &sendas_core::policy::UsableMailboxes| -> Vec<String> {
        messages
            .iter()
            .filter_map(|(name, _, o, env)| match check_message(o, Some(env), usable) {
                Ok(_) => None,
                Err(d) => Some(format!("{name}: {d:?}")),
            })
            .collect()
    };
    let refused = judge(&free);
    let fixed = judge(&guard(&others, &mailboxes, DisplayNamePolicy::Fixed));
    println!(
        "display names, free: {} of {} legitimate messages refused with 200 other users; fixed (every mailbox): {}",
        refused.len(),
        messages.len(),
        fixed.len()
    );
    assert!(refused.is_empty(), "false positives:\n{}", refused.join("\n"));
    assert!(
        fixed.iter().all(|r| r.contains("DisplayNameNotFixed")),
        "fixed refuses by its own rule only:\n{}",
        fixed.join("\n")
    );

    // The converse: a corpus display name that belongs to someone else is refused.
    let own: BTreeSet<String> = ["Alice Tenant", "Tenant Support", "Replies"].iter().map(|n| skeleton(n)).collect();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (_, _, o, _) in &messages {
        for e in o.senders().chain(&o.reply_to) {
            let Some(n) = e.display_name.as_deref() else { continue };
            let k = skeleton(n);
            if !k.is_empty() && !own.contains(&k) && !n.contains('@') && Name::parse(n).is_ok() {
                names.entry(k).or_insert_with(|| n.to_owned());
            }
        }
    }
    assert!(names.len() >= 20, "only {} distinct display names", names.len());
    println!("display names: {} distinct skeletons in the corpus, each refused as another user's", names.len());
    for (k, n) in &names {
        let someone = User { name: fixtures::name(n), ..fixtures::user(t, "someone", &[]) };
        let usable = guard(std::slice::from_ref(&someone), &mailboxes, DisplayNamePolicy::Free);
        let writes = |o: &Originators| {
            o.senders().chain(&o.reply_to).any(|e| e.display_name.as_deref().is_some_and(|d| skeleton(d) == *k))
        };
        for (file, _, o, env) in messages.iter().filter(|(_, _, o, _)| writes(o)) {
            let got = check_message(o, Some(env), &usable).err();
            assert!(
                matches!(got, Some(MessageDenial::DisplayNameImpersonation(_))),
                "{file}: {n:?} as another user's name: {got:?}"
            );
        }
    }
}

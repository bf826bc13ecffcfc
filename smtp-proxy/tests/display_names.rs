//! The display-name policy of SPEC §3 over SMTP: a `free` mailbox takes any
//! display name but another person's of the tenant (or a mailbox the user
//! may not use), a `fixed` one only its own display name or the sending
//! user's; look-alikes (Cyrillic, Greek, full-width, RFC 2047 encoded
//! words) are compared by their UTS #39 skeleton. Exact reply codes: `250`
//! or `550 5.7.1` naming the header, never whose name it is.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{DisplayNamePolicy, MailboxFlags, MailboxScope, Name, Role};
use sendas_core::service::{directory, mailboxes};
use sendas_smtp_proxy::session::Session;
use std::collections::BTreeSet;
use std::sync::Arc;
use support::*;
use tokio::sync::watch;

/// Alice is "Ann Tenant" and may use a@tenant.example (free), fixed@tenant.example ("Ann's Desk",
/// fixed) and replies@tenant.example (Reply-To only); the tenant also has "Bob Owner" (bob), "Carla
/// Boss" and the mailbox ceo@tenant.example ("Board Office", restricted to bob).
struct Names {
    w: World,
    relay: Arc<RecordingRelay>,
}

async fn names() -> Names {
    let w = memory_world().await;
    let (store, t) = (w.store.as_ref(), w.tenant);
    let admin = Role::Admin { tenant_id: t };
    let rename = |login: &'static str, name: &'static str| async move {
        let before = store.find_user_by_login(&sendas_core::model::Login::parse(login).unwrap()).await.unwrap();
        let mut after = before.clone();
        after.name = Name::parse(name).unwrap();
        after.version += 1;
        store.update_user(&before, &after).await.unwrap();
        before
    };
    let alice = rename("alice", "Ann Tenant").await;
    let bob = rename("bob", "Bob Owner").await;
    let carla = directory::CreateUser {
        limits: Default::default(),
        login: "carla".into(),
        name: "Carla Boss".into(),
        companies: alice.companies.clone(),
        groups: BTreeSet::new(),
    };
    directory::create_user(store, &admin, t, carla).await.unwrap();
    let mb = |address: &str, name: &str, policy: DisplayNamePolicy| mailboxes::MailboxInput {
        display_name_policy: policy,
        limits: Default::default(),
        address: address.into(),
        display_name: name.into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    mailboxes::create(store, &admin, t, mb("fixed@tenant.example", "Ann's Desk", DisplayNamePolicy::Fixed))
        .await
        .unwrap();
    let ceo = mailboxes::create(store, &admin, t, mb("ceo@tenant.example", "Board Office", DisplayNamePolicy::Free))
        .await
        .unwrap();
    let only_bob = BTreeSet::from([bob.id]);
    mailboxes::set_access(store, &admin, t, ceo.id, true, only_bob, BTreeSet::new(), &Default::default())
        .await
        .unwrap();
    Names { w, relay: Arc::new(RecordingRelay::default()) }
}

impl Names {
    /// Sends `headers` as alice with MAIL FROM `envelope`; answers the final reply and whether it was relayed.
    async fn send(&self, envelope: &str, headers: &str) -> (u16, String, bool) {
        let before = self.relay.sent.lock().unwrap().len();
        let deps = deps(self.w.store.clone(), self.relay.clone(), limits(), true);
        let (client, server) = tokio::io::duplex(1 << 20);
        let (_stop, rx) = watch::channel(false);
        tokio::spawn(async move {
            Session::new(deps, "192.0.2.7".parse().unwrap(), false, false, rx).run(server, true).await
        });
        let mut c = Client::new(client);
        assert_eq!(c.reply().await.0, 220);
        c.login("alice", &self.w.password).await;
        let utf8 = if headers.is_ascii() { "" } else { " SMTPUTF8" };
        c.expect(&format!("MAIL FROM:<{envelope}>{utf8}"), 250).await;
        c.expect("RCPT TO:<r@example.net>", 250).await;
        c.expect("DATA", 354).await;
        c.send(format!("{headers}To: <r@example.net>\r\nSubject: s\r\n\r\nbody\r\n.\r\n").as_bytes()).await;
        let (code, text) = c.reply().await;
        let relayed = self.relay.sent.lock().unwrap().len() > before;
        (code, text, relayed)
    }

    /// Asserts `headers` (MAIL FROM `envelope`) is relayed with 250.
    async fn accepted(&self, envelope: &str, headers: &str) {
        let (code, text, relayed) = self.send(envelope, headers).await;
        assert_eq!((code, relayed), (250, true), "{headers:?}: {text}");
    }

    /// Asserts `headers` is refused with 550 5.7.1 naming `field`, and no name of anyone.
    async fn refused(&self, envelope: &str, headers: &str, field: &str) {
        let (code, text, relayed) = self.send(envelope, headers).await;
        assert_eq!((code, relayed), (550, false), "{headers:?}: {text}");
        assert!(text.starts_with("550 5.7.1 "), "{headers:?}: {text}");
        assert!(text[10..].starts_with(&format!("{field}: ")), "names the header {field}: {text}");
        for secret in ["Bob", "Owner", "Carla", "Board", "Ann", "bob", "ceo@"] {
            assert!(!text.contains(secret), "the reply reveals {secret}: {text}");
        }
    }
}

/// An RFC 2047 B word of `s` in UTF-8.
fn b(s: &str) -> String {
    format!("=?UTF-8?B?{}?=", data_encoding::BASE64.encode(s.as_bytes()))
}

/// An RFC 2047 Q word of `s` in UTF-8 (every non-alphanumeric octet encoded, spaces as `_`).
fn q(s: &str) -> String {
    let mut out = String::from("=?UTF-8?Q?");
    for byte in s.bytes() {
        match byte {
            b' ' => out.push('_'),
            b if b.is_ascii_alphanumeric() => out.push(char::from(b)),
            b => out.push_str(&format!("={b:02X}")),
        }
    }
    out + "?="
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_mailbox_takes_any_name_but_someone_elses() {
    let n = names().await;
    let a = "a@tenant.example";
    for own in [
        "From: Ann Tenant <a@tenant.example>\r\n".to_owned(),
        "From: <a@tenant.example>\r\n".to_owned(),
        "From: \"\" <a@tenant.example>\r\n".to_owned(),
        "From: \"ANN  tenant\" <a@tenant.example>\r\n".to_owned(),
        "From: Ann from the front desk <a@tenant.example>\r\n".to_owned(),
        "From: \"Bob Owners' Club\" <a@tenant.example>\r\n".to_owned(),
        format!("From: {} <a@tenant.example>\r\n", b("Jürgen Müller")),
        format!("From: {} <a@tenant.example>\r\n", b("\u{0410}nn Tenant")), // her own name, Cyrillic А
        "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <a@tenant.example>\r\n".to_owned(),
        // A usable mailbox's name is the user's to write.
        "From: \"Ann's Desk\" <a@tenant.example>\r\n".to_owned(),
    ] {
        n.accepted(a, &own).await;
    }
    for other in [
        "From: Bob Owner <a@tenant.example>\r\n".to_owned(),
        "From: \"bob  OWNER\" <a@tenant.example>\r\n".to_owned(),
        "From: Carla Boss <a@tenant.example>\r\n".to_owned(),
        "From: CarIa Boss <a@tenant.example>\r\n".to_owned(), // capital I for l
        "From: B0b 0wner <a@tenant.example>\r\n".to_owned(),
        "From: Board Office <a@tenant.example>\r\n".to_owned(), // a mailbox alice may not use
        format!("From: {} <a@tenant.example>\r\n", b("B\u{043E}b \u{041E}wner")), // Cyrillic о, О
        format!("From: {} <a@tenant.example>\r\n", q("B\u{043E}b Owner")),
        format!("From: {} <a@tenant.example>\r\n", b("Bob \u{039F}wner")), // Greek Ο
        format!("From: {} <a@tenant.example>\r\n", b("\u{FF22}\u{FF4F}\u{FF42} Owner")), // full-width
        // Adjacent encoded words join without the space between them (RFC 2047 §6.2).
        format!("From: {} {} <a@tenant.example>\r\n", b("Bob "), q("Owner")),
    ] {
        n.refused(a, &other, "From").await;
    }
    // Every originator field is judged, and named in the reply.
    let from = "From: Ann Tenant <a@tenant.example>\r\n";
    n.refused(a, &format!("{from}Sender: {} <a@tenant.example>\r\n", b("B\u{043E}b Owner")), "Sender").await;
    n.refused(a, &format!("{from}Reply-To: Carla Boss <replies@tenant.example>\r\n"), "Reply-To").await;
    n.accepted(a, &format!("{from}Reply-To: Replies <replies@tenant.example>\r\n")).await;
    let date = "Resent-Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n";
    n.refused(a, &format!("{date}Resent-From: Bob Owner <a@tenant.example>\r\n{from}"), "Resent-From").await;
    let sender = format!(
        "{date}Resent-From: <a@tenant.example>\r\nResent-Sender: {} <a@tenant.example>\r\n{from}",
        b("Board Office")
    );
    n.refused(a, &sender, "Resent-Sender").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_mailbox_takes_its_own_name_or_the_users() {
    let n = names().await;
    let f = "fixed@tenant.example";
    for own in [
        "From: \"Ann's Desk\" <fixed@tenant.example>\r\n".to_owned(),
        "From: <fixed@tenant.example>\r\n".to_owned(),
        "From: \"fixed@tenant.example\" <fixed@tenant.example>\r\n".to_owned(),
        "From: Ann Tenant <fixed@tenant.example>\r\n".to_owned(),
        "From: \"ANN'S   DESK\" <fixed@tenant.example>\r\n".to_owned(),
        format!("From: {} <fixed@tenant.example>\r\n", b("\u{0410}nn's D\u{0435}sk")),
        format!("From: {} <fixed@tenant.example>\r\n", q("\u{FF21}nn Tenant")),
    ] {
        n.accepted(f, &own).await;
    }
    for other in [
        "From: Ann <fixed@tenant.example>\r\n".to_owned(),
        "From: \"Ann's Desk (urgent)\" <fixed@tenant.example>\r\n".to_owned(),
        "From: Jürgen Müller <fixed@tenant.example>\r\n".to_owned(),
        "From: Bob Owner <fixed@tenant.example>\r\n".to_owned(),
        format!("From: {} <fixed@tenant.example>\r\n", b("Ann's Desk Team")),
    ] {
        n.refused(f, &other, "From").await;
    }
    // Send on behalf of: each entry is judged against its own mailbox.
    let on_behalf =
        "From: \"Ann's Desk\" <fixed@tenant.example>\r\nSender: Ann from the front desk <a@tenant.example>\r\n";
    n.accepted("a@tenant.example", on_behalf).await;
    let wrong = "From: Front desk <fixed@tenant.example>\r\nSender: Ann Tenant <a@tenant.example>\r\n";
    n.refused("a@tenant.example", wrong, "From").await;
    n.refused("a@tenant.example", "From: <a@tenant.example>\r\nReply-To: Desk <fixed@tenant.example>\r\n", "Reply-To")
        .await;
}

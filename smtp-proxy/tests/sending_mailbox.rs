//! The sending mailbox and the envelope rule of SPEC §3 (RFC 5322 §3.6.2,
//! §3.6.6), as transcripts: "send on behalf of", redirects with one and
//! several resent blocks (with and without Resent-Sender), and MAIL FROM
//! as any originator address the user may send from. The sending mailbox
//! picks the route and the envelope sender of the relay.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{MailboxFlags, MailboxScope, Role};
use sendas_core::service::mailboxes;
use sendas_smtp_proxy::session::Session;
use std::sync::Arc;
use support::*;
use tokio::io::DuplexStream;
use tokio::sync::watch;

/// Alice may send from a@tenant.example, a@ténant.example and the team mailbox team@tenant.example;
/// admin@tenant.example is Bob's only.
struct Team {
    w: World,
    relay: Arc<RecordingRelay>,
}

async fn team() -> Team {
    let w = memory_world().await;
    let admin = Role::Admin { tenant_id: w.tenant };
    let input = mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: "team@tenant.example".into(),
        display_name: "Team".into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    mailboxes::create(w.store.as_ref(), &admin, w.tenant, input).await.unwrap();
    Team { w, relay: Arc::new(RecordingRelay::default()) }
}

impl Team {
    async fn client(&self) -> (Client<DuplexStream>, watch::Sender<bool>) {
        let deps = deps(self.w.store.clone(), self.relay.clone(), limits(), true);
        let (client, server) = tokio::io::duplex(1 << 20);
        let (stop, rx) = watch::channel(false);
        tokio::spawn(async move {
            Session::new(deps, "192.0.2.7".parse().unwrap(), false, false, rx).run(server, true).await
        });
        let mut c = Client::new(client);
        assert_eq!(c.reply().await.0, 220);
        c.login("alice", &self.w.password).await;
        (c, stop)
    }

    /// Sends `headers` with MAIL FROM `envelope`; answers the final reply and, when relayed, (route, MAIL FROM).
    async fn send(&self, envelope: &str, headers: &str) -> (u16, String, Option<(String, String)>) {
        let before = self.relay.sent.lock().unwrap().len();
        let (mut c, _stop) = self.client().await;
        c.expect(&format!("MAIL FROM:<{envelope}>"), 250).await;
        c.expect("RCPT TO:<r@example.net>", 250).await;
        c.expect("DATA", 354).await;
        c.send(format!("{headers}To: <r@example.net>\r\nSubject: s\r\n\r\nbody\r\n.\r\n").as_bytes()).await;
        let (code, text) = c.reply().await;
        let sent = self.relay.sent.lock().unwrap();
        let relayed = (sent.len() > before).then(|| {
            let s = sent.last().unwrap();
            (s.mailbox.clone(), s.envelope.from.to_string())
        });
        (code, text, relayed)
    }
}

fn route(mailbox: &str) -> Option<(String, String)> {
    Some((mailbox.to_owned(), mailbox.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_on_behalf_of_a_team_mailbox() {
    let t = team().await;
    let on_behalf = "From: Team <team@tenant.example>\r\nSender: Alice <a@tenant.example>\r\n";
    let (code, text, relayed) = t.send("a@tenant.example", on_behalf).await;
    assert_eq!((code, relayed), (250, route("a@tenant.example")), "{text}");
    // MAIL FROM may be any originator the user may send from; the Sender still picks the route.
    let (code, _, relayed) = t.send("team@tenant.example", on_behalf).await;
    assert_eq!((code, relayed), (250, route("a@tenant.example")));
    // An allowed MAIL FROM that is not in the message is refused.
    let (code, text, relayed) = t.send("a@xn--tnant-bsa.example", on_behalf).await;
    assert_eq!((code, text.contains("5.7.1"), relayed), (550, true, None), "{text}");
    // On behalf of a mailbox the user may not use.
    let (code, text, _) =
        t.send("a@tenant.example", "From: <admin@tenant.example>\r\nSender: <a@tenant.example>\r\n").await;
    assert_eq!((code, text.contains("From")), (550, true), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_sent_as_the_topmost_resent_block() {
    let t = team().await;
    let date = "Resent-Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n";
    // Resent-From the user above the original From of the team mailbox.
    let one = format!(
        "{date}Resent-From: Alice <a@tenant.example>\r\nResent-To: <r@example.net>\r\nFrom: Team <team@tenant.example>\r\n"
    );
    let (code, text, relayed) = t.send("a@tenant.example", &one).await;
    assert_eq!((code, relayed), (250, route("a@tenant.example")), "{text}");
    // With Resent-Sender: it is the sending mailbox.
    let sender = format!(
        "{date}Resent-From: <team@tenant.example>\r\nResent-Sender: <a@ténant.example>\r\nFrom: Team <team@tenant.example>\r\n"
    );
    let (code, text, relayed) = t.send("a@xn--tnant-bsa.example", &sender).await;
    assert_eq!((code, relayed), (250, route("a@xn--tnant-bsa.example")), "{text}");
    // Two blocks back to back: the topmost (first) one counts.
    let two = format!(
        "{date}Resent-From: <a@ténant.example>\r\n{date}Resent-From: <a@tenant.example>\r\nFrom: <team@tenant.example>\r\n"
    );
    let (code, text, relayed) = t.send("a@tenant.example", &two).await;
    assert_eq!((code, relayed), (250, route("a@xn--tnant-bsa.example")), "{text}");
    // Blocks separated by trace fields, as relays write them.
    let traced = format!(
        "Received: from x by y; Mon, 30 Nov 2026 10:00:00 +0000\r\n{date}Resent-From: <team@tenant.example>\r\n\
         Received: from y by z; Mon, 30 Nov 2026 09:00:00 +0000\r\n{date}Resent-From: <a@tenant.example>\r\nFrom: <a@ténant.example>\r\n"
    );
    let (code, text, relayed) = t.send("a@tenant.example", &traced).await;
    assert_eq!((code, relayed), (250, route("team@tenant.example")), "{text}");
    // A resent block naming a mailbox the user may not use is refused, whatever the From.
    let foreign = format!("{date}Resent-From: <admin@tenant.example>\r\nFrom: <a@tenant.example>\r\n");
    let (code, text, _) = t.send("a@tenant.example", &foreign).await;
    assert_eq!((code, text.contains("Resent-From")), (550, true), "{text}");
    // Several Resent-From without a Resent-Sender name no sending mailbox.
    let several =
        format!("{date}Resent-From: <a@tenant.example>, <team@tenant.example>\r\nFrom: <a@tenant.example>\r\n");
    let (code, text, _) = t.send("a@tenant.example", &several).await;
    assert_eq!(code, 550, "{text}");
}

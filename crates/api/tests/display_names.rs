//! The display-name policy over HTTP send (`POST /v1/me/messages`), for
//! `free` and `fixed` mailboxes. HTTP send writes the From and Reply-To
//! display names itself, always the chosen mailbox's own display name; a
//! mailbox the user may use is one of its own names, so the display-name
//! rules of SPEC §3 (checked by the same verdict as on SMTP) pass every
//! send — including a usable mailbox whose name is a colleague's, which the
//! admin chose to share. What a user may not use is refused before: `403
//! sender_not_allowed`, the problem+json of a `550 5.7.1` verdict. The
//! refusals of names written by the client are tested over SMTP
//! (smtp-proxy/tests/display_names.rs).
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

struct Rig {
    api: TestApi,
    outbox: tempfile::TempDir,
    user: User,
    mailboxes: String,
    admin: String,
}

/// A tenant with "Ann Tenant" (the sender) and "Bob Owner", over an outbox system relay.
async fn rig() -> Rig {
    let api = TestApi::memory();
    let outbox = tempfile::tempdir().unwrap();
    let op = api.operator_token().await;
    let relay = json!({"kind": "outbox", "dir": outbox.path().to_str().unwrap()});
    expect(&api.put("/v1/system-relay", &op, relay).await, 200);
    let t = create_tenant(&api, &op, "names.example", 10).await;
    let user = create_user(&api, &t, "ann").await;
    let users = format!("/v1/tenants/{}/users", t.id);
    let rename = json!({"name": "Ann Tenant"});
    let renamed = api.patch(&format!("{users}/{}", user.id), &t.admin, rename).await;
    assert_eq!(expect(&renamed, 200)["name"], "Ann Tenant");
    let bob = json!({"login": "bob", "name": "Bob Owner", "companies": [t.company]});
    expect(&api.post(&users, &t.admin, bob).await, 201);
    Rig { api, outbox, user, mailboxes: format!("/v1/tenants/{}/mailboxes", t.id), admin: t.admin }
}

impl Rig {
    /// Creates a mailbox and answers its id; the view shows the policy.
    async fn mailbox(&self, address: &str, name: &str, policy: &str) -> String {
        let mut body = mailbox_body(address);
        (body["display_name"], body["display_name_policy"]) = (json!(name), json!(policy));
        let created = self.api.post(&self.mailboxes, &self.admin, body).await;
        let view = expect(&created, 201);
        assert_eq!(view["display_name_policy"], policy);
        view["id"].as_str().unwrap().to_owned()
    }

    async fn send(&self, from: &str, reply_to: Option<&str>) -> (u16, Value) {
        let mut body = json!({"from_mailbox_id": from, "to": ["kunde@example.net"], "subject": "Hallo",
            "text_body": "Guten Tag.\n"});
        if let Some(r) = reply_to {
            body["reply_to_mailbox_id"] = json!(r);
        }
        let a = self.api.post("/v1/me/messages", &self.user.token, body).await;
        (a.status.as_u16(), a.body)
    }

    /// The header lines of the newest message in the outbox that carries `message_id`.
    fn sent(&self, message_id: &str) -> String {
        for entry in std::fs::read_dir(self.outbox.path()).unwrap() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap()).into_owned();
            if text.contains(message_id) {
                return text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
            }
        }
        panic!("{message_id} is not in the outbox");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_send_writes_the_mailboxs_own_name_under_both_policies() {
    let r = rig().await;
    let free = r.mailbox("info@names.example", "Info Desk", "free").await;
    let fixed = r.mailbox("desk@names.example", "Ann's Desk", "fixed").await;
    // Shared with everyone by the admin: its name is a colleague's, and it is the user's to use.
    let shared = r.mailbox("bob@names.example", "Bob Owner", "fixed").await;
    let look_alike = r.mailbox("b0b@names.example", "B\u{043E}b \u{039F}wner", "free").await;
    for (from, reply_to, shown) in [
        (&free, None, "Info Desk"),
        (&fixed, None, "Ann's Desk"),
        (&fixed, Some(&free), "Ann's Desk"),
        (&free, Some(&fixed), "Info Desk"),
        (&shared, Some(&shared), "Bob Owner"),
        (&look_alike, Some(&fixed), "B\u{043E}b \u{039F}wner"),
    ] {
        let (status, body) = r.send(from, reply_to.map(String::as_str)).await;
        assert_eq!(status, 201, "{shown}: {body}");
        let header = r.sent(body["message_id"].as_str().unwrap());
        let raw = format!("{header}\r\n\r\n");
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        let name = parsed.from().and_then(|a| a.first()).and_then(|a| a.name()).map(str::to_owned);
        assert_eq!(name.as_deref(), Some(shown), "{header}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_named_like_a_colleague_that_the_user_may_not_use_is_refused() {
    let r = rig().await;
    let free = r.mailbox("info@names.example", "Info Desk", "free").await;
    for policy in ["free", "fixed"] {
        let address = format!("bob-{policy}@names.example");
        let closed = r.mailbox(&address, "Bob Owner", policy).await;
        let access = json!({"restricted": true, "users": [], "groups": []});
        expect(&r.api.put(&format!("{}/{closed}/access", r.mailboxes), &r.admin, access).await, 200);
        for (from, reply_to) in [(&closed, None), (&free, Some(closed.as_str()))] {
            let (status, body) = r.send(from, reply_to).await;
            assert_eq!((status, body["type"].as_str()), (403, Some("sender_not_allowed")), "{policy}: {body}");
            assert!(!body.to_string().contains("Bob"), "the problem names nobody: {body}");
        }
    }
    let files = std::fs::read_dir(r.outbox.path()).unwrap().count();
    assert_eq!(files, 0, "nothing refused was sent");
}

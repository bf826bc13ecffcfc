//! Sending limits on the embedded store: two `sendas serve` processes on
//! one data directory (two SMTP proxies, two APIs, one SQLite file) and
//! HTTP send count together. Limits per user (the window rolls over), per
//! mailbox and per tenant, set through the API by the operator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sendas_bench::{ServeProcess, connect_from};
use sendas_testkit::windows::{limits_toml, next_minute, quiet_window, scaled_clock};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::http;

/// Snapshots (and with them the tenant's limits) are re-read after a second.
const SNAPSHOTS: &str = "snapshot_ttl_secs = 1\n";

/// Who sends, through which door.
struct Sender {
    login: String,
    password: String,
    token: String,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Sent,
    Limited,
}

struct Doors<'a> {
    a: &'a ServeProcess,
    b: &'a ServeProcess,
    api: String,
}

impl Doors<'_> {
    /// One message over SMTP through proxy `0` (A) or `1` (B), or over HTTP (`2`).
    async fn send(&self, door: usize, who: &Sender, from: &str, recipients: &[&str]) -> Outcome {
        if door == 2 {
            return self.http_send(who, from, recipients).await;
        }
        let proxy = if door == 0 { self.a } else { self.b };
        let mut c = connect_from(proxy.smtp, None).await.unwrap();
        c.reply().await.unwrap();
        c.hello_and_auth(Some(&(who.login.clone(), who.password.clone()))).await.unwrap();
        let mut replies = vec![c.command(&format!("MAIL FROM:<{from}>")).await.unwrap()];
        for r in recipients {
            replies.push(c.command(&format!("RCPT TO:<{r}>")).await.unwrap());
        }
        if replies.iter().all(|r| r.0 == 250) {
            replies.push(c.command("DATA").await.unwrap());
            let message = format!(
                "From: <{from}>\r\nTo: <{}>\r\nSubject: limits\r\nMessage-ID: <{}@t>\r\n\r\nHello.\r\n",
                recipients[0],
                uuid_like()
            );
            replies.push(c.data(message.as_bytes()).await.unwrap());
        }
        let last = replies.into_iter().find(|r| r.0 != 250 && r.0 != 354).unwrap_or((250, String::new()));
        match last.0 {
            250 => Outcome::Sent,
            451 => {
                assert!(last.1.contains("4.7.0") && last.1.contains("Sending limit reached"), "{last:?}");
                Outcome::Limited
            }
            other => panic!("door {door}: unexpected reply {other} {}", last.1),
        }
    }

    async fn http_send(&self, who: &Sender, from: &str, recipients: &[&str]) -> Outcome {
        let (_, _, dropdowns) = http(&self.api, "GET", "/me/mailboxes", &who.token, None).await;
        let id = dropdowns["from"].as_array().unwrap().iter().find(|m| m["address"] == from).unwrap()["id"].clone();
        let body = json!({"from_mailbox_id": id, "to": recipients, "subject": "limits", "text_body": "Hello."});
        let (status, head, answer) = http(&self.api, "POST", "/me/messages", &who.token, Some(body)).await;
        match status {
            201 => Outcome::Sent,
            429 => {
                assert_eq!(answer["type"].as_str().map(|t| t.ends_with("sending_limit_reached")), Some(true));
                let retry = head.lines().find_map(|l| l.strip_prefix("retry-after: ")).unwrap();
                let seconds: u64 = retry.trim().parse().unwrap();
                assert!((1..=86_400).contains(&seconds), "{seconds}");
                Outcome::Limited
            }
            other => panic!("HTTP send: {other} {answer}"),
        }
    }
}

fn uuid_like() -> String {
    format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos())
}

async fn set_limits(api: &str, operator: &str, tenant: &str, limits: Value) {
    let (status, _, body) =
        http(api, "PATCH", &format!("/tenants/{tenant}"), operator, Some(json!({"limits": limits}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["limits"], limits_view(&limits), "the tenant view shows the limits");
    // The proxies' permission snapshots (which carry the tenant's limits) expire after 1 s.
    tokio::time::sleep(Duration::from_millis(1300)).await;
}

/// `limits` as the API shows it back: every field of every part, unset ones null.
fn limits_view(limits: &Value) -> Value {
    let fields = ["messages_per_minute", "messages_per_hour", "messages_per_day"].into_iter().chain([
        "recipients_per_minute",
        "recipients_per_hour",
        "recipients_per_day",
    ]);
    let part = |name: &str| {
        let given = &limits[name];
        Value::Object(fields.clone().map(|f| (f.to_owned(), given.get(f).cloned().unwrap_or(Value::Null))).collect())
    };
    let parts = ["tenant", "user_ceiling", "user_default", "mailbox_ceiling", "mailbox_default"];
    Value::Object(parts.into_iter().map(|p| (p.to_owned(), part(p))).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_and_http_share_the_limits_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_sendas");
    // Both processes count on one scaled clock: a minute rolls over in a few real seconds.
    let clock = scaled_clock();
    let limits = format!("{SNAPSHOTS}{}", limits_toml(&clock));
    let a = ServeProcess::start(bin.as_ref(), dir.path(), Some(&limits)).unwrap();
    // The second process opens the same data directory: same SQLite file, same key, same demo.
    let b = ServeProcess::start(bin.as_ref(), dir.path(), Some(&limits)).unwrap();
    let demo = &a.demo;
    let api = demo["api"].as_str().unwrap().to_owned();
    let (operator, tenant) = (demo["tokens"]["operator"].as_str().unwrap(), demo["tenant_id"].as_str().unwrap());
    let user = |login: &str| {
        let u = demo["users"].as_array().unwrap().iter().find(|u| u["login"] == login).unwrap();
        Sender {
            login: login.into(),
            password: u["password"].as_str().unwrap().into(),
            token: u["token"].as_str().unwrap().into(),
        }
    };
    let (alice, bob) = (user("alice"), user("bob"));
    let doors = Doors { a: &a, b: &b, api: api.clone() };
    let outbox = |a: &ServeProcess| a.outbox().len();
    let to = ["rcpt@example.net"];

    // Per user and minute: 4, whichever door. 9 attempts, alternating A, B, HTTP: exactly 4 go.
    let admin_refused = http(
        &api,
        "PATCH",
        &format!("/tenants/{tenant}"),
        demo["tokens"]["admin"].as_str().unwrap(),
        Some(json!({"limits": {"tenant": {"messages_per_day": 1}}})),
    )
    .await;
    assert_eq!(admin_refused.0, 403, "only the operator sets a tenant's limits");
    set_limits(&api, operator, tenant, json!({"user_default": {"messages_per_minute": 4}})).await;
    quiet_window(&clock).await;
    let mut outcomes = Vec::new();
    for i in 0..9 {
        outcomes.push(doors.send(i % 3, &alice, "info@demo.example", &to).await);
    }
    let sent = outcomes.iter().filter(|o| **o == Outcome::Sent).count();
    assert_eq!(sent, 4, "exactly the limit across two processes and HTTP: {outcomes:?}");
    assert_eq!(outcomes[..4], [Outcome::Sent, Outcome::Sent, Outcome::Sent, Outcome::Sent]);
    assert_eq!(outbox(&a), 4, "nothing beyond the limit left");
    assert_eq!(doors.send(1, &bob, "info@demo.example", &to).await, Outcome::Sent, "bob's own limit");
    // The window rolls over: alice sends again, through each door.
    next_minute(&clock).await;
    for door in 0..3 {
        assert_eq!(doors.send(door, &alice, "info@demo.example", &to).await, Outcome::Sent, "door {door}");
    }
    assert_eq!(outbox(&a), 8);

    // Per mailbox and hour: 3 for info@, whoever sends; sales@ has its own.
    set_limits(&api, operator, tenant, json!({"mailbox_default": {"messages_per_hour": 3}})).await;
    quiet_window(&clock).await;
    let mut sent = 0;
    for i in 0..6 {
        let who = if i % 2 == 0 { &alice } else { &bob };
        sent += usize::from(doors.send(i % 3, who, "info@demo.example", &to).await == Outcome::Sent);
    }
    assert_eq!(sent, 3, "the mailbox's limit holds for every user and door");
    assert_eq!(doors.send(2, &alice, "sales@demo.example", &to).await, Outcome::Sent);

    // Per tenant and day, in recipients: 5 for the whole tenant.
    set_limits(&api, operator, tenant, json!({"tenant": {"recipients_per_day": 5}})).await;
    quiet_window(&clock).await;
    let three = ["r1@example.net", "r2@example.net", "r3@example.net"];
    assert_eq!(doors.send(0, &alice, "info@demo.example", &three).await, Outcome::Sent);
    assert_eq!(doors.send(1, &bob, "info@demo.example", &three).await, Outcome::Limited, "3 + 3 > 5");
    assert_eq!(doors.send(2, &bob, "info@demo.example", &three[..2]).await, Outcome::Sent, "3 + 2 = 5");
    for door in 0..3 {
        assert_eq!(doors.send(door, &alice, "sales@demo.example", &to).await, Outcome::Limited, "door {door}");
    }
    // Six recipients never fit five: refused at RCPT, before DATA.
    set_limits(&api, operator, tenant, json!({"tenant": {"recipients_per_minute": 5}})).await;
    let mut c2 = connect_from(a.smtp, None).await.unwrap();
    c2.reply().await.unwrap();
    c2.hello_and_auth(Some(&(alice.login.clone(), alice.password.clone()))).await.unwrap();
    assert_eq!(c2.command("MAIL FROM:<info@demo.example>").await.unwrap().0, 250);
    for i in 0..5 {
        assert_eq!(c2.command(&format!("RCPT TO:<r{i}@example.net>")).await.unwrap().0, 250);
    }
    let (code, text) = c2.command("RCPT TO:<r5@example.net>").await.unwrap();
    assert_eq!(code, 451, "{text}");
    assert!(text.contains("4.7.0") && text.contains("tenant's sending limit per minute"), "{text}");

    // The refusals are counted: the audit log holds them as deferred (451), on both doors.
    let admin = demo["tokens"]["admin"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await; // the audit writer's batches
    let (status, _, page) =
        http(&api, "GET", &format!("/tenants/{tenant}/audit?outcome=deferred&limit=100"), admin, None).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert!(items.iter().all(|r| r["smtp_code"] == 451), "{page}");
    let channels: std::collections::BTreeSet<_> = items.iter().map(|r| r["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["http", "smtp"].into(), "{page}");
    assert!(items.len() >= 9, "{} deferred records", items.len());
}

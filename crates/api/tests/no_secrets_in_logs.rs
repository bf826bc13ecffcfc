//! A mailbox password (and the system relay's) never appears in any
//! response, log line or error; tokens and app passwords appear only in
//! the one answer that issues them, never in a log line; an address
//! confirmation code appears only in the message that carries it. Logging
//! runs at TRACE and is captured for the whole scenario.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_testkit::Upstream;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_tokens_stay_out_of_logs_and_responses() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .json()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    const MAILBOX_PW: &str = "Mailbox-Secret-7781";
    const RELAY_PW: &str = "Relay-Secret-9921";
    let upstream = Upstream::start("box@log.example", MAILBOX_PW);
    let api = TestApi::memory();
    let op = api.operator_token().await;
    let mut answers = Vec::new();
    let relay = json!({"kind": "smtp", "host": "relay.example.com", "port": 587, "tls": "starttls", "username": "u", "password": RELAY_PW});
    answers.push(api.put("/v1/system-relay", &op, relay).await);
    answers.push(api.get("/v1/system-relay", &op).await);
    let t = create_tenant(&api, &op, "log.example", 3).await;
    let user = create_user(&api, &t, "logger").await;
    let cred = api.post("/v1/me/smtp-credentials", &user.token, json!({"name": "mail client"})).await;
    let app_password = expect(&cred, 201)["password"].as_str().unwrap().to_owned();
    let mut body = mailbox_body("box@log.example");
    body["smtp"] = json!({"host": "127.0.0.1", "port": upstream.port, "tls": "none", "username": "box@log.example"});
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, body).await;
    let base = format!("/v1/tenants/{}/mailboxes/{}", t.id, expect(&m, 201)["id"].as_str().unwrap());
    answers.push(m);
    answers.push(api.put(&format!("{base}/password"), &t.admin, json!({"password": MAILBOX_PW})).await);
    answers.push(api.post(&format!("{base}/verify"), &t.admin, json!({})).await);
    answers
        .push(api.put(&format!("{base}/password"), &t.admin, json!({"password": format!("{MAILBOX_PW}-wrong")})).await);
    answers.push(api.post(&format!("{base}/verify"), &t.admin, json!({})).await);
    answers.push(api.put(&format!("{base}/password"), &t.admin, json!({"password": ""})).await);
    answers.push(api.put(&format!("{base}/password"), &t.admin, json!({"password": 42})).await);
    answers.push(api.get(&base, &t.admin).await);
    answers.push(api.get(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin).await);
    answers.push(api.get("/v1/me/smtp-credentials", &user.token).await);
    answers.push(api.get(&format!("/v1/tenants/{}/tokens", t.id), &t.admin).await);
    answers.push(api.get("/v1/me", &user.token).await);
    assert_eq!(answers[4].body["ok"], true, "the scenario must really log in: {}", answers[4].raw);

    // An address confirmation: the code goes out through the system relay (an outbox here), and
    // is entered wrong once, then right.
    let outbox = tempfile::tempdir().unwrap();
    let relay = json!({"kind": "outbox", "dir": outbox.path().display().to_string()});
    expect(&api.put("/v1/system-relay", &op, relay).await, 200);
    let platform = json!({"domains": ["saas.example"], "sender": "no-reply@saas.example"});
    expect(&api.put("/v1/platform-domains", &op, platform).await, 200);
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, mailbox_body("info@club.example")).await;
    let confirmation =
        format!("/v1/tenants/{}/mailboxes/{}/confirmation", t.id, expect(&m, 201)["id"].as_str().unwrap());
    answers.push(api.post(&confirmation, &t.admin, json!({})).await);
    let file = std::fs::read_dir(outbox.path()).unwrap().next().expect("the code's message").unwrap().path();
    let message = std::fs::read_to_string(file).unwrap().replace("\r\n", "\n");
    let code = message.split("lautet:\n\n").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{message}");
    answers.push(api.post(&format!("{confirmation}/code"), &t.admin, json!({"code": "ZZZZZZZZ"})).await);
    answers.push(api.post(&format!("{confirmation}/code"), &t.admin, json!({"code": code})).await);
    assert_eq!(answers.last().unwrap().status.as_u16(), 200, "{}", answers.last().unwrap().raw);
    answers.push(api.get(&confirmation, &t.admin).await);

    for a in &answers {
        for secret in [MAILBOX_PW, RELAY_PW, &app_password, &t.admin, &user.token, &op, &code] {
            assert!(!a.raw.contains(secret), "a secret is in a response: {}", a.raw);
        }
    }
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() >= answers.len(), "the requests were not logged");
    for secret in [MAILBOX_PW, RELAY_PW, &app_password, &t.admin, &user.token, &op, &code] {
        assert!(!logs.contains(secret), "a secret is in the logs");
    }
}

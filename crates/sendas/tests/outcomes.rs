//! The outcome table over both doors (SPEC §3): one `sendas serve --demo`,
//! alice's authenticated mailbox pointed at a scripted upstream
//! (`sendas_testkit::scripted`) for each case — delivered, delivered after
//! the deadline, deferred (`451`), refused (`550`), the connection lost
//! after the final dot — and each case sent once over SMTP and once over
//! HTTP. Both doors must agree: the SMTP reply is what the HTTP send's
//! audit record says, both records have the same outcome, code and text,
//! and each door put exactly one copy on the upstream. Timeouts are scaled:
//! 1 s up to the final dot, 3 s for its reply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sendas_bench::{ServeProcess, connect_from, message};
use sendas_testkit::scripted::{AfterDot, ScriptedUpstream};
use serde_json::{Value, json};
use std::time::Duration;
use support::http;

const LIMITS: &str = "relay_timeout_secs = 1\nfinal_reply_timeout_secs = 3\nsnapshot_ttl_secs = 1\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_doors_tell_every_outcome_alike() {
    let dir = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(env!("CARGO_BIN_EXE_sendas").as_ref(), dir.path(), Some(LIMITS)).unwrap();
    let demo = &serve.demo;
    let (api, tenant, admin) =
        (demo["api"].as_str().unwrap(), demo["tenant_id"].as_str().unwrap(), demo["tokens"]["admin"].as_str().unwrap());
    let alice = demo["users"].as_array().unwrap().iter().find(|u| u["login"] == "alice").unwrap();
    let (password, token) = (alice["password"].as_str().unwrap(), alice["token"].as_str().unwrap());
    let may: Vec<&str> = alice["may_send_as"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let (_, _, boxes) = http(api, "GET", &format!("/tenants/{tenant}/mailboxes"), admin, None).await;
    let mailbox = boxes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| !b["smtp"].is_null() && may.contains(&b["address"].as_str().unwrap()))
        .expect("an authenticated mailbox alice may send as")
        .clone();
    let (id, address) = (mailbox["id"].as_str().unwrap(), mailbox["address"].as_str().unwrap());

    let cases = [
        ("delivered", AfterDot::AcceptAfter(Duration::ZERO), 250, 201, "accepted"),
        ("delivered after the deadline", AfterDot::AcceptAfter(Duration::from_millis(1500)), 250, 201, "accepted"),
        ("deferred", AfterDot::Defer, 451, 503, "deferred"),
        ("refused", AfterDot::Refuse, 550, 502, "rejected"),
        ("lost after the dot", AfterDot::Close, 451, 502, "uncertain"),
    ];
    for (n, (case, after_dot, smtp_code, http_status, outcome)) in cases.into_iter().enumerate() {
        let upstream = ScriptedUpstream::start(after_dot).await;
        let change = json!({"address": address, "display_name": mailbox["display_name"], "global": mailbox["global"],
            "company_id": mailbox["company_id"], "sender": true, "reply": true,
            "smtp": {"host": "127.0.0.1", "port": upstream.port, "tls": "none", "username": address}});
        let (status, _, body) =
            http(api, "PUT", &format!("/tenants/{tenant}/mailboxes/{id}"), admin, Some(change)).await;
        assert_eq!(status, 200, "{case}: {body}");
        let pw = json!({"password": "scripted"});
        let (status, _, _) =
            http(api, "PUT", &format!("/tenants/{tenant}/mailboxes/{id}/password"), admin, Some(pw)).await;
        assert_eq!(status, 204, "{case}");
        // Sessions see a changed mailbox once their permission snapshot (1 s here) is read again.
        tokio::time::sleep(Duration::from_millis(1200)).await;

        // SMTP.
        let mut c = connect_from(serve.smtp, None).await.unwrap();
        assert_eq!(c.reply().await.unwrap().0, 220);
        c.hello_and_auth(Some(&("alice".to_owned(), password.to_owned()))).await.unwrap();
        let body = message(address, "rcpt@example.net", "outcomes", n, 0, 600);
        let (code, text) = c.transaction(address, "rcpt@example.net", &body).await.unwrap();
        assert_eq!(code, smtp_code, "{case} over SMTP: {text}");
        assert_eq!(upstream.received(), 1, "{case}: one copy from SMTP");

        // HTTP.
        let send = json!({"from_mailbox_id": id, "to": ["rcpt@example.net"], "subject": "Hi", "text_body": "Hi."});
        let (status, _, answer) = http(api, "POST", "/me/messages", token, Some(send)).await;
        assert_eq!(status, http_status, "{case} over HTTP: {answer}");
        assert_eq!(upstream.received(), 2, "{case}: one copy from HTTP");

        // The two audit records agree (newest first: HTTP, then SMTP).
        // The process's one audit writer writes in batches: both records are there within moments.
        let mut items = Vec::new();
        for _ in 0..40 {
            let (_, _, audit) =
                http(api, "GET", &format!("/tenants/{tenant}/audit?mailbox_id={id}&limit=50"), admin, None).await;
            items = audit["items"].as_array().cloned().unwrap_or_default();
            if items.len() == 2 * (n + 1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(items.len(), 2 * (n + 1), "{case}: two records a case: {items:?}");
        let (over_http, over_smtp) = (&items[0], &items[1]);
        assert_eq!(
            (over_http["channel"].as_str(), over_smtp["channel"].as_str()),
            (Some("http"), Some("smtp")),
            "{case}"
        );
        for field in ["outcome", "smtp_code"] {
            assert_eq!(over_http[field], over_smtp[field], "{case}: the doors disagree on {field}: {items:?}");
        }
        // The same text, but for the upstream's queue id (each copy has its own).
        let text_of = |r: &Value| r["smtp_reply"].as_str().unwrap().split(" queued as ").next().unwrap().to_owned();
        assert_eq!(text_of(over_http), text_of(over_smtp), "{case}: the doors disagree on the reply: {items:?}");
        assert_eq!(over_smtp["outcome"], outcome, "{case}: {over_smtp}");
        // Each names what authenticated it: alice's app password over SMTP, her API token over HTTP.
        assert_eq!(over_smtp["credential"]["kind"], "app_password", "{case}: {over_smtp}");
        assert_eq!(over_http["credential"]["kind"], "api_token", "{case}: {over_http}");
        assert!(!over_http.to_string().contains(token) && !over_smtp.to_string().contains(password), "no secret");
        assert_eq!(over_smtp["smtp_code"], smtp_code, "{case}: {over_smtp}");
        assert!(text.contains(over_smtp["smtp_reply"].as_str().unwrap()), "{case}: {text} vs {over_smtp}");
    }
}

//! A stop at a deploy (SIGTERM to `sendas serve`, as ECS sends it) while 5
//! large messages are relaying to a slow upstream (SPEC §3, the audit
//! paragraph): within the drain, each relay finishes, each client gets the
//! upstream's `250` and each message its `accepted` record; a relay still
//! waiting for its final reply when the drain runs out ends `451 4.4.2`,
//! recorded `uncertain`, before the process exits. Timeouts are scaled (a
//! drain of 5 s or 1 s; the upstream answers after 1.5 s or 6 s).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sendas_bench::{ServeProcess, connect_from, message};
use sendas_core::model::{AuditFilter, AuditOutcome};
use sendas_core::ports::{AuditStore, PageRequest, TenantStore};
use sendas_testkit::scripted::{AfterDot, ScriptedUpstream};
use serde_json::json;
use std::time::{Duration, Instant};
use support::http;

const MESSAGES: usize = 5;

/// `sendas serve` with alice's authenticated mailbox on `upstream`; answers the process, alice's
/// app password and the mailbox's address.
async fn serve_with(
    dir: &std::path::Path,
    upstream: &ScriptedUpstream,
    drain_secs: u64,
) -> (ServeProcess, String, String) {
    let limits = format!(
        "relay_timeout_secs = 3\nfinal_reply_timeout_secs = 20\nsnapshot_ttl_secs = 1\ndrain_timeout_secs = {drain_secs}\n"
    );
    let serve = ServeProcess::start(env!("CARGO_BIN_EXE_sendas").as_ref(), dir, Some(&limits)).unwrap();
    let demo = &serve.demo;
    let (api, tenant, admin) =
        (demo["api"].as_str().unwrap(), demo["tenant_id"].as_str().unwrap(), demo["tokens"]["admin"].as_str().unwrap());
    let alice = demo["users"].as_array().unwrap().iter().find(|u| u["login"] == "alice").unwrap();
    let password = alice["password"].as_str().unwrap().to_owned();
    let may: Vec<&str> = alice["may_send_as"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let (_, _, boxes) = http(api, "GET", &format!("/tenants/{tenant}/mailboxes"), admin, None).await;
    let mailbox = boxes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| !b["smtp"].is_null() && may.contains(&b["address"].as_str().unwrap()))
        .expect("an authenticated mailbox alice may send as")
        .clone();
    let (id, address) = (mailbox["id"].as_str().unwrap(), mailbox["address"].as_str().unwrap().to_owned());
    let change = json!({"address": address, "display_name": mailbox["display_name"], "global": mailbox["global"],
        "company_id": mailbox["company_id"], "sender": true, "reply": true,
        "smtp": {"host": "127.0.0.1", "port": upstream.port, "tls": "none", "username": address}});
    let (status, _, body) = http(api, "PUT", &format!("/tenants/{tenant}/mailboxes/{id}"), admin, Some(change)).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) =
        http(api, "PUT", &format!("/tenants/{tenant}/mailboxes/{id}/password"), admin, Some(json!({"password": "s"})))
            .await;
    assert_eq!(status, 204);
    (serve, password, address)
}

/// Sends `MESSAGES` 2 MiB messages at once; SIGTERM once the upstream has read every final dot;
/// answers each client's reply code and text, and how long the process took to end.
async fn stop_while_relaying(
    serve: &mut ServeProcess,
    upstream: &ScriptedUpstream,
    password: &str,
    address: &str,
) -> (Vec<(u16, String)>, Duration) {
    let clients: Vec<_> = (0..MESSAGES)
        .map(|n| {
            let (addr, password, address) = (serve.smtp, password.to_owned(), address.to_owned());
            tokio::spawn(async move {
                let mut c = connect_from(addr, None).await.unwrap();
                assert_eq!(c.reply().await.unwrap().0, 220);
                c.hello_and_auth(Some(&("alice".to_owned(), password))).await.unwrap();
                let body = message(&address, "rcpt@example.net", "drain", n, 0, 2 << 20);
                c.transaction(&address, "rcpt@example.net", &body).await.unwrap()
            })
        })
        .collect();
    let until = Instant::now() + Duration::from_secs(20);
    while upstream.received() < MESSAGES {
        assert!(Instant::now() < until, "the messages reached the upstream: {}", upstream.received());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopped = Instant::now();
    assert!(serve.terminate(Duration::from_secs(15)), "sendas serve ended after SIGTERM");
    let took = stopped.elapsed();
    let mut replies = Vec::new();
    for c in clients {
        replies.push(c.await.unwrap());
    }
    (replies, took)
}

/// The audit outcomes in the data directory's store (the process has ended).
async fn audited(dir: &std::path::Path) -> Vec<AuditOutcome> {
    let (store, _) = sendas_store_embedded::open_data_dir(dir).unwrap();
    let tenants = store.list_tenants(&PageRequest::first()).await.unwrap();
    let mut outcomes = Vec::new();
    for t in tenants.items {
        let page = store.query_audit(t.id, &AuditFilter::default(), &PageRequest::new(100, None)).await.unwrap();
        outcomes.extend(page.items.iter().filter(|r| r.size > 1 << 20).map(|r| r.outcome));
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_in_flight_finish_within_the_drain() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = ScriptedUpstream::start(AfterDot::AcceptAfter(Duration::from_millis(1500))).await;
    let (mut serve, password, address) = serve_with(dir.path(), &upstream, 5).await;
    let (replies, took) = stop_while_relaying(&mut serve, &upstream, &password, &address).await;
    for (code, text) in &replies {
        assert_eq!(*code, 250, "a relay in flight finished: {text}");
    }
    assert!(took >= Duration::from_millis(1000), "the process waited for the upstream's replies: {took:?}");
    assert_eq!(audited(dir.path()).await, vec![AuditOutcome::Accepted; MESSAGES], "one record each");
    assert_eq!(upstream.received(), MESSAGES, "one copy each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_the_drain_cannot_wait_for_is_recorded_uncertain() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = ScriptedUpstream::start(AfterDot::AcceptAfter(Duration::from_secs(6))).await;
    let (mut serve, password, address) = serve_with(dir.path(), &upstream, 1).await;
    let (replies, took) = stop_while_relaying(&mut serve, &upstream, &password, &address).await;
    for (code, text) in &replies {
        assert!(*code == 451 && text.contains("4.4.2"), "told it may have been delivered: {code} {text}");
    }
    assert!(took < Duration::from_secs(5), "the drain ended the wait: {took:?}");
    assert_eq!(audited(dir.path()).await, vec![AuditOutcome::Uncertain; MESSAGES], "one record each, uncertain");
}

//! The reply to the final dot (SPEC §3, RFC 5321 §4.5.3.2.6), over HTTP
//! send, with timeouts scaled down (a 1 s deadline up to the dot, 3 s for
//! its reply): an upstream that answers `250` after the deadline still
//! delivers once and answers `201`; one that closes the connection after
//! the dot makes the message `uncertain` — `502 delivery_uncertain`, the
//! audit says `uncertain`, the sending-limit unit stays spent, and a retry
//! with the same `Idempotency-Key` answers the same without sending again;
//! one that answers `451` gives the unit back and frees the key; a pooled
//! connection the server ends with `421` at MAIL is replaced by a fresh one
//! for the same message.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use sendas_testkit::scripted::{AfterDot, Script, ScriptedUpstream};
use serde_json::json;
use std::time::Duration;
use support::*;

struct Rig {
    api: TestApi,
    tenant: Tenant,
    user: User,
    mailbox: String,
    op: String,
}

async fn rig(upstream: &ScriptedUpstream) -> Rig {
    let mut options = sendas_relay::RelayOptions::new(Duration::from_secs(1))
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    options.final_reply_timeout = Duration::from_secs(3);
    let api = TestApi::memory_with(options);
    let op = api.operator_token().await;
    let tenant = create_tenant(&api, &op, "dot.example", 3).await;
    let user = create_user(&api, &tenant, "sender").await;
    let mut body = mailbox_body("desk@dot.example");
    body["smtp"] = json!({"host": "127.0.0.1", "port": upstream.port, "tls": "none", "username": "desk@dot.example"});
    let boxes = format!("/v1/tenants/{}/mailboxes", tenant.id);
    let mailbox = expect(&api.post(&boxes, &tenant.admin, body).await, 201)["id"].as_str().unwrap().to_owned();
    expect(&api.put(&format!("{boxes}/{mailbox}/password"), &tenant.admin, json!({"password": "pw"})).await, 204);
    Rig { api, tenant, user, mailbox, op }
}

impl Rig {
    async fn send(&self, key: &str) -> Answer {
        let body =
            json!({"from_mailbox_id": self.mailbox, "to": ["rcpt@example.net"], "subject": "Hi", "text_body": "Hi."});
        self.api
            .call_with(Method::POST, "/v1/me/messages", Some(&self.user.token), Some(body), &[("idempotency-key", key)])
            .await
    }

    /// One message per minute for each user of the tenant.
    async fn one_message_per_minute(&self) {
        let limits = json!({"limits": {"user_default": {"messages_per_minute": 1}}});
        expect(
            &self
                .api
                .call(Method::PATCH, &format!("/v1/tenants/{}", self.tenant.id), Some(&self.op), Some(limits))
                .await,
            200,
        );
    }

    async fn audit_outcomes(&self) -> Vec<String> {
        let a = self
            .api
            .get(&format!("/v1/tenants/{}/audit?mailbox_id={}", self.tenant.id, self.mailbox), &self.tenant.admin)
            .await;
        expect(&a, 200)["items"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap().to_owned()).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_after_the_deadline_still_counts() {
    let upstream = ScriptedUpstream::start(AfterDot::AcceptAfter(Duration::from_millis(1500))).await;
    let r = rig(&upstream).await;
    let sent = r.send("late-1").await;
    assert_eq!(expect(&sent, 201)["upstream_reply"].as_str().unwrap(), "250 2.0.0 Ok: queued as S1", "{}", sent.raw);
    assert_eq!(upstream.received(), 1);
    assert_eq!(r.audit_outcomes().await, ["accepted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_after_the_dot_is_uncertain_and_never_sent_again() {
    let upstream = ScriptedUpstream::start(AfterDot::Close).await;
    let r = rig(&upstream).await;
    r.one_message_per_minute().await;
    let first = r.send("lost-1").await;
    assert_eq!(first.status.as_u16(), 502, "{}", first.raw);
    assert_eq!(
        first.body["type"].as_str().unwrap_or_default().rsplit('/').next(),
        Some("delivery_uncertain"),
        "{}",
        first.raw
    );
    assert_eq!(upstream.received(), 1);
    // The retry with the same key is answered from the key: nothing is sent again.
    let again = r.send("lost-1").await;
    assert_eq!((again.status.as_u16(), again.body["type"].clone()), (502, first.body["type"].clone()), "{}", again.raw);
    assert_eq!(upstream.received(), 1, "the uncertain message was sent again");
    assert_eq!(r.audit_outcomes().await, ["uncertain"]);
    // Its unit stays spent: the next message of the minute is over the limit.
    let next = r.send("lost-2").await;
    assert_eq!(next.status.as_u16(), 429, "{}", next.raw);
    assert_eq!(upstream.received(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_451_to_the_dot_gives_the_unit_back_and_frees_the_key() {
    let upstream = ScriptedUpstream::start(AfterDot::Defer).await;
    let r = rig(&upstream).await;
    r.one_message_per_minute().await;
    for attempt in 1..=3 {
        let sent = r.send("deferred-1").await;
        assert_eq!(sent.status.as_u16(), 503, "attempt {attempt}: {}", sent.raw);
    }
    assert_eq!(upstream.received(), 3, "each retry with the freed key tried again, within the limit");
    assert_eq!(r.audit_outcomes().await, ["deferred", "deferred", "deferred"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_421_at_mail_on_a_pooled_connection_is_tried_once_on_a_fresh_one() {
    let upstream = ScriptedUpstream::with(Script { messages_per_connection: Some(1), ..Script::default() }).await;
    let r = rig(&upstream).await;
    for n in 1..=3 {
        let sent = r.send(&format!("pooled-{n}")).await;
        assert_eq!(sent.status.as_u16(), 201, "message {n}: {}", sent.raw);
    }
    assert_eq!((upstream.received(), upstream.connections()), (3, 3), "one copy each, a fresh connection each");
    assert_eq!(r.audit_outcomes().await, ["accepted", "accepted", "accepted"]);
}

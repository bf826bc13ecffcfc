//! Session transcripts over in-memory pipes: every row of the SPEC §3
//! table, with the store behind the proxy real (memory) and the upstream
//! a recording double.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_relay::RelayError;
use sendas_smtp_proxy::session::Session;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use tokio::io::DuplexStream;
use tokio::sync::watch;

struct Open {
    client: Client<DuplexStream>,
    relay: Arc<RecordingRelay>,
    _stop: watch::Sender<bool>,
}

async fn open_with(w: &World, limits: sendas_smtp_proxy::config::Limits, plaintext: bool) -> Open {
    let relay = Arc::new(RecordingRelay::default());
    let deps = deps(w.store.clone(), relay.clone(), limits, plaintext);
    let (client, server) = tokio::io::duplex(1 << 20);
    let (stop, rx) = watch::channel(false);
    tokio::spawn(async move {
        let mut session = Session::new(deps, "192.0.2.7".parse().unwrap(), false, false, rx);
        session.run(server, true).await;
    });
    let mut client = Client::new(client);
    assert_eq!(client.reply().await.0, 220);
    Open { client, relay, _stop: stop }
}

async fn open(w: &World) -> Open {
    open_with(w, limits(), true).await
}

async fn send_data(c: &mut Client<DuplexStream>, body: &str) -> (u16, String) {
    c.expect("DATA", 354).await;
    c.send(body.as_bytes()).await;
    c.send(b".\r\n").await;
    c.reply().await
}

/// Runs every transcript on the memory, embedded and DynamoDB (moto) stores.
macro_rules! on_every_backend {
    ($($body:tt)*) => {
        mod memory {
            use super::*;
            async fn world() -> World { memory_world().await }
            $($body)*
        }
        mod embedded {
            use super::*;
            async fn world() -> World { seed(support::backends::embedded().0).await }
            $($body)*
        }
        mod dynamodb {
            use super::*;
            async fn world() -> World { seed(support::backends::dynamodb().await.0).await }
            $($body)*
        }
    };
}

on_every_backend! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_before_auth_is_530() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.expect("EHLO c", 250).await;
    let t = o.client.expect("MAIL FROM:<a@tenant.example>", 530).await;
    assert!(t.contains("5.7.0"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_get_535_whether_the_login_exists_or_not_and_are_delayed() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.expect("EHLO c", 250).await;
    let b64 = |s: &str| data_encoding::BASE64.encode(s.as_bytes());
    let started = Instant::now();
    let wrong = o.client.expect(&format!("AUTH PLAIN {}", b64("\0alice\0wrong")), 535).await;
    assert!(started.elapsed() >= Duration::from_millis(50), "a failure was answered faster than the delay");
    let unknown = o.client.expect(&format!("AUTH PLAIN {}", b64("\0nobody\0wrong")), 535).await;
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("5.7.8"));
    // After the per-session limit (3) the connection closes.
    let third = format!("AUTH PLAIN {}", b64(&format!("bob\0alice\0{}", w.password)));
    o.client.send(format!("{third}\r\n").as_bytes()).await;
    assert_eq!(o.client.reply().await.0, 535, "an authorization identity other than the login is refused");
    assert_eq!(o.client.reply().await.0, 421);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_plain_with_continuation_and_auth_login_work() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.expect("EHLO c", 250).await;
    o.client.expect("AUTH PLAIN", 334).await;
    let t =
        o.client.expect(&data_encoding::BASE64.encode(format!("alice\0alice\0{}", w.password).as_bytes()), 235).await;
    assert!(t.contains("2.7.0"));
    let mut o = open(&w).await;
    o.client.expect("EHLO c", 250).await;
    o.client.expect("AUTH LOGIN", 334).await;
    o.client.expect(&data_encoding::BASE64.encode(b"ALICE"), 334).await;
    o.client.expect(&data_encoding::BASE64.encode(w.password.as_bytes()), 235).await;
    o.client.expect("AUTH LOGIN", 503).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tls_auth_is_neither_offered_nor_accepted() {
    let w = world().await;
    let mut o = open_with(&w, limits(), false).await;
    let ehlo = o.client.expect("EHLO c", 250).await;
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    let t = o
        .client
        .expect(
            &format!("AUTH PLAIN {}", data_encoding::BASE64.encode(format!("\0alice\0{}", w.password).as_bytes())),
            538,
        )
        .await;
    assert!(t.contains("5.7.11"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_failures_lock_out_the_login_then_the_ip() {
    let w = world().await;
    let mut l = limits();
    l.auth_failures_per_login = 2;
    l.auth_failures_per_ip = 4;
    l.auth_failures_per_session = 100;
    let relay = Arc::new(RecordingRelay::default());
    let d = deps(w.store.clone(), relay, l, true);
    let (_stop, rx) = watch::channel(false);
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (d, rx) = (d.clone(), rx.clone());
        tokio::spawn(
            async move { Session::new(d, "192.0.2.9".parse().unwrap(), false, false, rx).run(server, true).await },
        );
        let mut c = Client::new(client);
        c.reply().await;
        c.expect("EHLO c", 250).await;
        sessions.push(c);
    }
    let plain =
        |u: &str, p: &str| format!("AUTH PLAIN {}", data_encoding::BASE64.encode(format!("\0{u}\0{p}").as_bytes()));
    let c = &mut sessions[0];
    c.expect(&plain("alice", "x"), 535).await;
    let locked = c.expect(&plain("alice", "y"), 454).await;
    assert!(locked.contains("4.7.0"));
    // Even the right password is refused while the login is locked (and counts as no failure).
    c.expect(&plain("alice", &w.password), 454).await;
    // Other logins from the same IP count too; at 4 failures the IP is cut off.
    let c = &mut sessions[1];
    c.expect(&plain("bob", "nope"), 535).await;
    c.send(format!("{}\r\n", plain("carol", "nope")).as_bytes()).await;
    let (code, text) = c.reply().await;
    assert_eq!(code, 421, "{text}");
    assert!(c.try_reply().await.is_none(), "the connection must close");
    // The IP lock refuses failures, not the users behind the address: bob's right password
    // (his pair has one failure, below the limit).
    let (client, server) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move { Session::new(d, "192.0.2.9".parse().unwrap(), false, false, rx).run(server, true).await });
    let mut c = Client::new(client);
    c.reply().await;
    c.login("bob", &w.bob_password).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_from_must_be_a_mailbox_the_user_may_send_from() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.login("alice", &w.password).await;
    for bad in
        ["<ceo@victim.example>", "<admin@tenant.example>", "<replies@tenant.example>", "<>", "<a@tenant.example.>"]
    {
        let t = o.client.expect(&format!("MAIL FROM:{bad}"), 553).await;
        assert!(t.contains("5.7.1"), "{t}");
    }
    o.client.expect("MAIL FROM:<A@Tenant.Example>", 250).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_and_size_limits() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.login("alice", &w.password).await;
    o.client.expect("MAIL FROM:<a@tenant.example> SIZE=999999", 552).await;
    o.client.expect("MAIL FROM:<a@tenant.example>", 250).await;
    for i in 0..3 {
        o.client.expect(&format!("RCPT TO:<r{i}@example.net>"), 250).await;
    }
    let t = o.client.expect("RCPT TO:<r4@example.net>", 452).await;
    assert!(t.contains("4.5.3"));
    let big = message("<a@tenant.example>", &"X-Pad: 0123456789012345678901234567890123456789\r\n".repeat(100));
    let (code, text) = send_data(&mut o.client, &big).await;
    assert_eq!((code, text.contains("5.3.4")), (552, true), "{text}");
    assert!(o.relay.sent.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_message_is_relayed_as_received_with_the_mailbox_as_envelope_sender() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.login("alice", &w.password).await;
    o.client.expect("MAIL FROM:<a@tenant.example>", 250).await;
    o.client.expect("RCPT TO:<rcpt@example.net>", 250).await;
    let body = message("Alice <a@tenant.example>", "Reply-To: <a@xn--tnant-bsa.example>\r\n") + "..leading dot\r\n";
    let (code, text) = send_data(&mut o.client, &body).await;
    assert_eq!(code, 250, "{text}");
    assert!(text.contains("2.0.0") && text.contains("REC1"), "{text}");
    let sent = o.relay.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].envelope.from.as_str(), "a@tenant.example");
    assert_eq!(sent[0].envelope.to, vec!["rcpt@example.net".to_owned()]);
    assert_eq!(sent[0].message, body.replace("\r\n..leading", "\r\n.leading").as_bytes());
    // The audit log has the transaction (written off the reply path, within the writer's linger).
    let mut audit = Vec::new();
    for _ in 0..100 {
        audit = w.store.query_audit(w.tenant, &Default::default(), &Default::default()).await.unwrap().items;
        if !audit.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let r = &audit[0];
    assert_eq!((r.smtp_code, r.recipients, r.message_id.as_deref()), (250, 1, Some("<m1@tenant.example>")));
    assert_eq!(r.sending_address.as_ref().map(|a| a.to_string()).as_deref(), Some("a@tenant.example"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_line_endings_are_refused_after_the_real_end_and_nothing_runs_as_a_command() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.login("alice", &w.password).await;
    o.client.expect("MAIL FROM:<a@tenant.example>", 250).await;
    o.client.expect("RCPT TO:<rcpt@example.net>", 250).await;
    o.client.expect("DATA", 354).await;
    o.client
        .send(b"From: <a@tenant.example>\r\n\r\nline1\n.\nMAIL FROM:<ceo@victim.example>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n")
        .await;
    o.client.send(b"From: <ceo@victim.example>\r\n\r\nsmuggled\r\n.\r\nNOOP\r\n").await;
    let (code, text) = o.client.reply().await;
    assert_eq!(code, 550, "{text}");
    assert!(text.contains("5.5.2"));
    assert_eq!(o.client.reply().await.0, 250, "the NOOP after the real end");
    assert!(o.relay.sent.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_rows_of_the_table() {
    let w = world().await;
    let cases: [(&str, &str, u16, &str); 7] = [
        ("<a@tenant.example>", "From: <a@tenant.example>\r\nFrom: <a@tenant.example>\r\n\r\nx\r\n", 554, "5.6.0"),
        ("<a@tenant.example>", "From: a@tenant.example (comment)\r\n\r\nx\r\n", 554, "5.6.0"),
        ("<a@tenant.example>", "Subject: no from\r\n\r\nx\r\n", 554, "5.6.0"),
        ("<a@tenant.example>", "From: <ceo@victim.example>\r\n\r\nx\r\n", 550, "5.7.1"),
        (
            "<a@tenant.example>",
            "From: <a@tenant.example>\r\nReply-To: <admin@tenant.example>\r\n\r\nx\r\n",
            550,
            "5.7.1",
        ),
        ("<a@tenant.example>", "From: <a@tenant.example>, <a@xn--tnant-bsa.example>\r\n\r\nx\r\n", 550, "5.7.1"),
        ("<a@xn--tnant-bsa.example>", "From: <a@tenant.example>\r\n\r\nx\r\n", 550, "5.7.1"),
    ];
    for (env, body, want, enhanced) in cases {
        let mut o = open(&w).await;
        o.client.login("alice", &w.password).await;
        o.client.expect(&format!("MAIL FROM:{env}"), 250).await;
        o.client.expect("RCPT TO:<rcpt@example.net>", 250).await;
        let (code, text) = send_data(&mut o.client, body).await;
        assert_eq!((code, text.contains(enhanced)), (want, true), "{body:?}: {text}");
        assert!(
            !text.to_lowercase().contains("restricted") && !text.contains("group"),
            "names the permission model: {text}"
        );
        assert!(o.relay.sent.lock().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_reply_to_and_mail_followup_to_need_reply_to_like_reply_to() {
    let w = world().await;
    let from = "From: <a@tenant.example>\r\n";
    let cases: [(&str, u16, &str); 6] = [
        ("Mail-Reply-To: <replies@tenant.example>\r\n", 250, ""),
        ("Mail-Followup-To: <replies@tenant.example>, Alice <a@tenant.example>\r\n", 250, ""),
        ("Mail-Reply-To: <admin@tenant.example>\r\n", 550, "5.7.1 Mail-Reply-To:"),
        ("Mail-Followup-To: <replies@tenant.example>, <ceo@victim.example>\r\n", 550, "5.7.1 Mail-Followup-To:"),
        ("Mail-Followup-To: team: <replies@tenant.example>;\r\n", 554, "5.6.0"),
        ("Mail-Reply-To: <a@tenant.example>\r\nMail-Reply-To: <a@tenant.example>\r\n", 554, "5.6.0"),
    ];
    for (fields, want, text) in cases {
        let mut o = open(&w).await;
        o.client.login("alice", &w.password).await;
        o.client.expect("MAIL FROM:<a@tenant.example>", 250).await;
        o.client.expect("RCPT TO:<rcpt@example.net>", 250).await;
        let (code, reply) = send_data(&mut o.client, &format!("{from}{fields}To: <rcpt@example.net>\r\n\r\nx\r\n")).await;
        assert_eq!(code, want, "{fields:?}: {reply}");
        assert!(reply.contains(text), "{fields:?}: {reply}");
        if want == 550 {
            assert!(!reply.to_lowercase().contains("restricted") && !reply.contains("group"), "{reply}");
        }
        assert_eq!(o.relay.sent.lock().unwrap().len(), usize::from(want == 250), "{fields:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_answers_map_to_451_and_5xx() {
    let w = world().await;
    for (answer, want, enhanced) in [
        (RelayError::Temporary("connection refused".into()), 451, "4."),
        (RelayError::Permanent { code: 550, text: "550 5.1.1 no such user".into() }, 550, "5.1.1"),
        (RelayError::Permanent { code: 552, text: "552 mailbox full".into() }, 552, "5.0.0"),
        (RelayError::LoginRefused("auth: 535 5.7.8 bad credentials".into()), 451, "4.7.0"),
    ] {
        let mut o = open(&w).await;
        *o.relay.answer.lock().unwrap() = Some(answer);
        o.client.login("alice", &w.password).await;
        o.client.expect("MAIL FROM:<a@tenant.example>", 250).await;
        o.client.expect("RCPT TO:<rcpt@example.net>", 250).await;
        let (code, text) = send_data(&mut o.client, &message("<a@tenant.example>", "")).await;
        assert_eq!(code, want, "{text}");
        assert!(text.contains(enhanced), "{text}");
    }
    // Every end is audited, 451s too, as `deferred`; the log filters by outcome and by user.
    use sendas_core::model::{AuditFilter, AuditOutcome};
    let by = |outcome| AuditFilter { outcome: Some(outcome), user_id: Some(w.alice), ..AuditFilter::default() };
    let mut counts = (0, 0);
    for _ in 0..100 {
        let deferred = w.store.query_audit(w.tenant, &by(AuditOutcome::Deferred), &Default::default()).await.unwrap();
        let rejected = w.store.query_audit(w.tenant, &by(AuditOutcome::Rejected), &Default::default()).await.unwrap();
        assert!(deferred.items.iter().all(|r| r.smtp_code == 451 && r.user_id == Some(w.alice)));
        assert!(rejected.items.iter().all(|r| r.smtp_code >= 500));
        counts = (deferred.items.len(), rejected.items.len());
        if counts == (2, 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(counts, (2, 2), "deferred, rejected");
    let nobody = AuditFilter { user_id: Some(sendas_core::UserId::generate()), ..AuditFilter::default() };
    assert!(w.store.query_audit(w.tenant, &nobody, &Default::default()).await.unwrap().items.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_grant_and_a_revoked_password_stop_working_within_the_ttl() {
    let w = world().await;
    let store = w.store.clone();
    let admin = sendas_core::model::Role::Admin { tenant_id: w.tenant };
    let mut o = open(&w).await;
    o.client.login("alice", &w.password).await;
    o.client.expect("MAIL FROM:<a@tenant.example>", 250).await;
    o.client.expect("RSET", 250).await;
    let mailbox = store.find_mailbox_by_address(w.tenant, &"a@tenant.example".parse().unwrap()).await.unwrap();
    sendas_core::service::mailboxes::set_access(
        store.as_ref(),
        &admin,
        w.tenant,
        mailbox.id,
        true,
        Default::default(),
        Default::default(),
        &Default::default(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    o.client.expect("MAIL FROM:<a@tenant.example>", 553).await;
    // The password revoked: the open session ends at its next MAIL FROM.
    let creds = store.list_credentials(w.tenant, w.alice).await.unwrap();
    sendas_core::service::credentials::revoke(store.as_ref(), &admin, w.tenant, w.alice, creds[0].id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(o.client.expect("MAIL FROM:<a@tenant.example>", 421).await.contains("4.7.0"));
    assert_eq!(o.client.try_reply().await, None, "closed");
    let mut o2 = open(&w).await;
    o2.client.expect("EHLO c", 250).await;
    let token = data_encoding::BASE64.encode(format!("\0alice\0{}", w.password).as_bytes());
    o2.client.expect(&format!("AUTH PLAIN {token}"), 535).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_or_tenant_cannot_authenticate() {
    let w = world().await;
    let token = data_encoding::BASE64.encode(format!("\0alice\0{}", w.password).as_bytes());
    let admin = sendas_core::model::Role::Admin { tenant_id: w.tenant };
    let off = sendas_core::service::directory::UpdateUser { enabled: Some(false), ..Default::default() };
    sendas_core::service::directory::update_user(w.store.as_ref(), &admin, w.tenant, w.alice, off, &Default::default()).await.unwrap();
    let mut o = open(&w).await;
    o.client.expect("EHLO c", 250).await;
    o.client.expect(&format!("AUTH PLAIN {token}"), 535).await;
    let on = sendas_core::service::directory::UpdateUser { enabled: Some(true), ..Default::default() };
    sendas_core::service::directory::update_user(w.store.as_ref(), &admin, w.tenant, w.alice, on, &Default::default()).await.unwrap();
    sendas_core::service::tenants::set_enabled(w.store.as_ref(), &sendas_core::model::Role::Operator, w.tenant, false)
        .await
        .unwrap();
    let mut o = open(&w).await;
    o.client.expect("EHLO c", 250).await;
    o.client.expect(&format!("AUTH PLAIN {token}"), 535).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_out_of_order_commands() {
    let w = world().await;
    let mut o = open(&w).await;
    o.client.expect("FOO bar", 500).await;
    o.client.expect("RCPT TO:<x@example.net>", 503).await;
    o.client.expect("DATA", 503).await;
    o.client.expect("NOOP", 250).await;
    o.client.expect("VRFY alice", 252).await;
    o.client.expect("STARTTLS", 502).await;
    o.client.send(format!("NOOP {}\r\n", "x".repeat(5000)).as_bytes()).await;
    assert_eq!(o.client.reply().await.0, 500);
    o.client.expect("QUIT", 221).await;
}
}

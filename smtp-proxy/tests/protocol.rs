//! The SMTP door to the letter (transcripts over in-memory pipes, memory
//! store): STARTTLS forgets everything, only CRLF ends a command, SMTPUTF8,
//! strict MAIL/RCPT parameters, no source routes, the client's trace
//! fields stripped, small syntax rules, and lockouts an outsider cannot
//! turn against a user. The same over real TCP + TLS is in `network.rs`.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_smtp_proxy::config::Limits;
use sendas_smtp_proxy::session::{Deps, Session, SessionEnd};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::*;
use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio::sync::watch;

fn b64(s: &str) -> String {
    data_encoding::BASE64.encode(s.as_bytes())
}

/// A session from `peer` on a pipe; STARTTLS is offered and, when the
/// client asks for it, the same pipe goes on as the "upgraded" stream.
fn session(deps: Deps, peer: &str) -> (Client<DuplexStream>, watch::Sender<bool>) {
    let (client, server) = tokio::io::duplex(1 << 20);
    let (stop, rx) = watch::channel(false);
    let peer: IpAddr = peer.parse().unwrap();
    tokio::spawn(async move {
        let mut s = Session::new(deps, peer, false, true, rx);
        let (stream, end) = s.run(server, true).await;
        if end == SessionEnd::StartTls {
            s.upgraded();
            s.run(stream, false).await;
        }
    });
    (Client::new(client), stop)
}

struct Door {
    w: World,
    relay: Arc<RecordingRelay>,
    deps: Deps,
}

async fn door(limits: Limits) -> Door {
    let w = memory_world().await;
    let relay = Arc::new(RecordingRelay::default());
    let deps = deps(w.store.clone(), relay.clone(), limits, true);
    Door { w, relay, deps }
}

impl Door {
    async fn open(&self, peer: &str) -> (Client<DuplexStream>, watch::Sender<bool>) {
        let (mut c, stop) = session(self.deps.clone(), peer);
        assert_eq!(c.reply().await.0, 220);
        (c, stop)
    }

    async fn logged_in(&self) -> (Client<DuplexStream>, watch::Sender<bool>) {
        let (mut c, stop) = self.open("192.0.2.7").await;
        c.login("alice", &self.w.password).await;
        (c, stop)
    }

    fn sent(&self) -> Vec<Sent> {
        self.relay.sent.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_forgets_ehlo_auth_and_the_transaction() {
    let d = door(limits()).await;
    let (mut c, _stop) = d.open("192.0.2.7").await;
    let ehlo = c.expect("EHLO c", 250).await;
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    c.login_after_ehlo("alice", &d.w.password).await;
    c.expect("STARTTLS", 220).await;
    // Inside "TLS": the pre-TLS identity is gone, and EHLO comes first.
    c.expect("MAIL FROM:<a@tenant.example>", 503).await;
    c.expect("AUTH PLAIN", 503).await;
    c.expect("EHLO c", 250).await;
    let t = c.expect("MAIL FROM:<a@tenant.example>", 530).await;
    assert!(t.contains("5.7.0"), "{t}");
    c.login_after_ehlo("alice", &d.w.password).await;
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_lf_ends_no_command_and_closes_the_session() {
    let d = door(limits()).await;
    for smuggled in ["MAIL FROM:<a@tenant.example>\nRSET\r\n", "NOOP\nNOOP\r\n", "\n"] {
        let (mut c, _stop) = d.logged_in().await;
        c.send(smuggled.as_bytes()).await;
        let (code, text) = c.reply().await;
        assert_eq!((code, text.contains("5.5.2")), (521, true), "{smuggled:?}: {text}");
        assert_eq!(c.try_reply().await, None, "{smuggled:?}: the session must close");
    }
    // Inside an AUTH exchange too.
    let (mut c, _stop) = d.open("192.0.2.7").await;
    c.expect("EHLO c", 250).await;
    c.expect("AUTH LOGIN", 334).await;
    c.send(format!("{}\nQUIT\r\n", b64("alice")).as_bytes()).await;
    assert_eq!(c.reply().await.0, 521);
    assert!(d.sent().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtputf8_is_offered_and_required_for_non_ascii_addresses() {
    let d = door(limits()).await;
    let (mut c, _stop) = d.open("192.0.2.7").await;
    let ehlo = c.expect("EHLO c", 250).await;
    assert!(ehlo.contains("SMTPUTF8"), "{ehlo}");
    c.login_after_ehlo("alice", &d.w.password).await;
    let t = c.expect("MAIL FROM:<a@ténant.example>", 553).await;
    assert!(t.contains("5.6.7"), "{t}");
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    let t = c.expect("RCPT TO:<jörg@exämple.net>", 553).await;
    assert!(t.contains("5.6.7"), "{t}");
    c.expect("RSET", 250).await;
    c.expect("MAIL FROM:<a@ténant.example> SMTPUTF8", 250).await;
    c.expect("RCPT TO:<jörg@exämple.net>", 250).await;
    c.expect("DATA", 354).await;
    c.send("From: Ä <a@ténant.example>\r\nTo: <jörg@exämple.net>\r\nSubject: ü\r\n\r\nHallo.\r\n.\r\n".as_bytes())
        .await;
    assert_eq!(c.reply().await.0, 250);
    let sent = d.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].envelope.to, vec!["jörg@exämple.net".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_and_rcpt_parameters_are_read_strictly() {
    let d = door(limits()).await;
    let (mut c, _stop) = d.logged_in().await;
    c.send(b"MAIL FROM:<a@tenant.example> ORCPT=rfc822;x\0y\r\n").await;
    assert_eq!(c.reply().await.0, 501);
    c.expect("MAIL FROM:<a@tenant.example> AUTH=<> AUTH=<>", 501).await;
    c.expect("MAIL FROM:<a@tenant.example> RET=HDRS", 555).await;
    c.expect("MAIL FROM:<a@tenant.example> SIZE=100 BODY=8BITMIME AUTH=<>", 250).await;
    c.expect("RCPT TO:<r@example.net> NOTIFY=NEVER", 555).await;
    c.send(b"RCPT TO:<r@example.net> X=\x01\r\n").await;
    assert_eq!(c.reply().await.0, 501);
    c.expect("RCPT TO:<r@example.net>", 250).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_routes_are_refused_in_the_envelope() {
    let d = door(limits()).await;
    let (mut c, _stop) = d.logged_in().await;
    let t = c.expect("MAIL FROM:<@relay.example:a@tenant.example>", 501).await;
    assert!(t.contains("5.1.7"), "{t}");
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    let t = c.expect("RCPT TO:<@relay.example,@other.example:r@example.net>", 501).await;
    assert!(t.contains("5.1.3"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_trace_and_envelope_fields_never_reach_the_upstream() {
    let d = door(limits()).await;
    let (mut c, _stop) = d.logged_in().await;
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    c.expect("RCPT TO:<r@example.net>", 250).await;
    c.expect("DATA", 354).await;
    let message = "Return-Path: <ceo@victim.example>\r\n\
        X-Sendas-Envelope-From: <ceo@victim.example>\r\n\
        From: Alice <a@tenant.example>\r\n\
        Authentication-Results: mx.example; dkim=pass\r\n\theader.d=victim.example\r\n\
        x-sendas-envelope-to: <x@example.net>\r\n\
        Subject: trace\r\n\r\n\
        X-Sendas-Envelope-From: the body is the body\r\n";
    c.send(message.as_bytes()).await;
    c.send(b".\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    let sent = String::from_utf8(d.sent()[0].message.clone()).unwrap();
    assert_eq!(
        sent,
        "From: Alice <a@tenant.example>\r\nSubject: trace\r\n\r\nX-Sendas-Envelope-From: the body is the body\r\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_syntax_rules() {
    let d = door(limits()).await;
    let (mut c, _stop) = d.open("192.0.2.7").await;
    c.expect("EHLO c", 250).await;
    let t = c.expect("STARTTLS now", 501).await;
    assert!(t.contains("5.5.4"), "{t}");
    // An AUTH response of 8 KB is read whole (RFC 4954 asks for 12,288 octets); it is wrong, so 535.
    c.expect("AUTH PLAIN", 334).await;
    let long = b64(&format!("\0alice\0{}", "x".repeat(6000)));
    assert!(long.len() > 8000);
    c.expect(&long, 535).await;
    let long = format!("AUTH PLAIN {long}");
    c.expect(&long, 535).await;
    // Other commands keep the ordinary limit.
    c.expect(&format!("NOOP {}", "x".repeat(3000)), 500).await;
    c.expect("NOOP", 250).await;
}

fn lockout_limits() -> Limits {
    Limits {
        auth_failures_per_login: 3,
        auth_failures_per_ip: 6,
        auth_failures_per_session: 100,
        auth_failure_delay: Duration::from_millis(20),
        ..limits()
    }
}

async fn auth(d: &Door, peer: &str, password: &str) -> u16 {
    let (mut c, _stop) = d.open(peer).await;
    c.expect("EHLO c", 250).await;
    c.send(format!("AUTH PLAIN {}\r\n", b64(&format!("\0alice\0{password}"))).as_bytes()).await;
    c.reply().await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessing_ip_locks_itself_out_not_the_user() {
    let d = door(lockout_limits()).await;
    let attacker = "198.51.100.66";
    for _ in 0..2 {
        assert_eq!(auth(&d, attacker, "guess").await, 535);
    }
    assert_eq!(auth(&d, attacker, "guess").await, 454, "the third failure locks the (address, login) pair");
    assert_eq!(auth(&d, attacker, &d.w.password).await, 454, "the guessing address may not try alice again");
    assert_eq!(auth(&d, "192.0.2.7", &d.w.password).await, 235, "alice from her own address still gets in");
    // Guesses at the locked pair still count for the address (the pair's own count stays): at
    // the sixth failure the address is locked too, and answered 421, closed, from then on.
    for _ in 0..3 {
        assert_eq!(auth(&d, attacker, "guess").await, 454);
    }
    assert_eq!(auth(&d, attacker, "guess").await, 421);
    assert_eq!(auth(&d, attacker, &d.w.password).await, 421, "alice's right password from the locked pair");
    assert_eq!(auth(&d, "192.0.2.7", &d.w.password).await, 235);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_guessed_from_many_addresses_is_slowed_and_alerted_not_locked() {
    let d = door(lockout_limits()).await;
    for i in 1..=5 {
        assert_eq!(auth(&d, &format!("203.0.113.{i}"), "guess").await, 535);
    }
    assert!(d.deps.metrics.auth_login_alerts.load(Ordering::Relaxed) >= 2, "the spread guessing raised no alert");
    let metrics = d.deps.metrics.render();
    assert!(metrics.contains("sendas_smtp_auth_login_alerts_total"), "{metrics}");
    assert_eq!(auth(&d, "192.0.2.7", &d.w.password).await, 235, "the right password from a clean address");
}

/// Sessions end when their right does (SPEC §3, the AUTH and MAIL FROM
/// rows): an open session whose app password is revoked, whose user or
/// tenant is disabled, gets `421 4.7.0` at its next MAIL FROM once the
/// snapshot TTL (300 ms here) has passed, and is closed; nothing is relayed.
#[tokio::test]
async fn an_open_session_ends_when_its_password_user_or_tenant_does() {
    use sendas_core::model::Role;
    use sendas_core::service::{directory, tenants};
    for what in ["revoked", "user disabled", "tenant disabled"] {
        let d = door(limits()).await;
        let (mut c, _stop) = d.open("192.0.2.40").await;
        c.login("alice", &d.w.password).await;
        assert_eq!(c.transaction("rcpt@example.net", "a@tenant.example").await.0, 250, "{what}: before");
        let (store, t, alice) = (d.w.store.as_ref(), d.w.tenant, d.w.alice);
        match what {
            "revoked" => {
                let cred = store.list_credentials(t, alice).await.unwrap().remove(0);
                store.delete_credential(t, alice, cred.id).await.unwrap();
            }
            "user disabled" => {
                let change = directory::UpdateUser { enabled: Some(false), ..Default::default() };
                let admin = Role::Admin { tenant_id: t };
                directory::update_user(store, &admin, t, alice, change, &Default::default()).await.unwrap();
            }
            _ => {
                tenants::set_enabled(store, &Role::Operator, t, false).await.unwrap();
            }
        }
        tokio::time::sleep(limits().snapshot_ttl + Duration::from_millis(100)).await;
        let text = c.expect("MAIL FROM:<a@tenant.example>", 421).await;
        assert!(text.contains("4.7.0"), "{what}: {text}");
        assert_eq!(c.try_reply().await, None, "{what}: the session is closed");
        assert_eq!(d.relay.sent.lock().unwrap().len(), 1, "{what}: only the message before");
    }
}

/// Idle sessions do not hold places: no AUTH within the pre-AUTH timeout
/// (NOOPs do not extend it) closes with `421 4.4.2`; a session closes when
/// its lifetime is over, and after its last allowed transaction.
#[tokio::test]
async fn sessions_have_a_pre_auth_timeout_a_lifetime_and_a_transaction_limit() {
    let pre_auth = Limits { pre_auth_timeout: Duration::from_millis(600), ..limits() };
    let d = door(pre_auth).await;
    let (mut c, _stop) = d.open("192.0.2.41").await;
    c.expect("EHLO client.test", 250).await;
    let started = std::time::Instant::now();
    let mut closed = None;
    for _ in 0..20 {
        // The server may have closed already: a write that fails is fine, its 421 is read below.
        let _ = c.stream.write_all(b"NOOP\r\n").await;
        match c.try_reply().await {
            Some((250, _)) => tokio::time::sleep(Duration::from_millis(100)).await,
            other => {
                closed = other;
                break;
            }
        }
    }
    let (code, text) = closed.expect("closed before 20 NOOPs");
    assert_eq!(code, 421, "{text}");
    assert!(text.contains("4.4.2") && text.contains("authentication"), "{text}");
    assert!(started.elapsed() < Duration::from_millis(1500), "NOOPs did not extend it");
    // The same session, authenticated in time, is not cut by the pre-AUTH timeout.
    let (mut c, _stop) = d.open("192.0.2.42").await;
    c.login("alice", &d.w.password).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    c.expect("NOOP", 250).await;

    let lifetime = Limits { max_session_lifetime: Duration::from_millis(500), ..limits() };
    let d = door(lifetime).await;
    let (mut c, _stop) = d.open("192.0.2.43").await;
    c.login("alice", &d.w.password).await;
    assert_eq!(c.transaction("rcpt@example.net", "a@tenant.example").await.0, 250);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let _ = c.stream.write_all(b"MAIL FROM:<a@tenant.example>\r\n").await;
    let (code, text) = c.try_reply().await.expect("a reply");
    assert_eq!(code, 421, "{text}");
    assert!(text.contains("4.7.0") && text.contains("lifetime"), "{text}");
    assert_eq!(c.try_reply().await, None);

    let two = Limits { max_transactions_per_session: 2, ..limits() };
    let d = door(two).await;
    let (mut c, _stop) = d.open("192.0.2.44").await;
    c.login("alice", &d.w.password).await;
    for _ in 0..2 {
        assert_eq!(c.transaction("rcpt@example.net", "a@tenant.example").await.0, 250);
    }
    let text = c.expect("MAIL FROM:<a@tenant.example>", 421).await;
    assert!(text.contains("4.7.0"), "{text}");
    assert_eq!(c.try_reply().await, None);
    assert_eq!(d.relay.sent.lock().unwrap().len(), 2);
}

/// No user can exhaust a replica (SPEC §3, the MAIL FROM row): a `SIZE=`
/// that does not fit the message budget is `452 4.3.1`; DATA that outgrows
/// it is read to its end and answered `451 4.3.1`, nothing relayed, and the
/// session goes on; a user's transactions beyond the maximum of concurrent
/// ones get `451 4.7.0`; every byte is given back.
#[tokio::test]
async fn the_message_budget_and_the_concurrent_transactions_of_a_user_are_bounded() {
    // 4,000 bytes of budget: a message byte counts twice (received and dot-stuffed copy).
    let small =
        Limits { message_budget_bytes: 4000, tenant_budget_percent: 100, max_transactions_per_user: 2, ..limits() };
    let d = door(small).await;
    let (mut c, _stop) = d.open("192.0.2.50").await;
    c.login("alice", &d.w.password).await;
    let text = c.expect("MAIL FROM:<a@tenant.example> SIZE=2100", 452).await;
    assert!(text.contains("4.3.1"), "{text}");
    c.expect("MAIL FROM:<a@tenant.example> SIZE=1500", 250).await;
    c.expect("RCPT TO:<rcpt@example.net>", 250).await;
    c.expect("DATA", 354).await;
    let big = message("a@tenant.example", &format!("X-Fill: {}\r\n", "y".repeat(900)));
    c.send(big.replace("Hello.", &"z".repeat(1200)).as_bytes()).await;
    c.send(b".\r\n").await;
    let (code, text) = c.reply().await;
    assert_eq!(code, 451, "{text}");
    assert!(text.contains("4.3.1"), "{text}");
    assert!(d.relay.sent.lock().unwrap().is_empty(), "nothing relayed");
    assert_eq!(d.deps.budget.held(), 0, "given back");
    assert_eq!(c.transaction("rcpt@example.net", "a@tenant.example").await.0, 250, "a small one fits");
    assert_eq!(d.deps.budget.held(), 0);

    // Two open transactions of alice (two sessions at MAIL FROM): the third waits its turn.
    let (mut c2, _s2) = d.open("192.0.2.51").await;
    c2.login("alice", &d.w.password).await;
    let (mut c3, _s3) = d.open("192.0.2.52").await;
    c3.login("alice", &d.w.password).await;
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    c2.expect("MAIL FROM:<a@tenant.example>", 250).await;
    let text = c3.expect("MAIL FROM:<a@tenant.example>", 451).await;
    assert!(text.contains("4.7.0"), "{text}");
    c.expect("RSET", 250).await;
    c3.expect("MAIL FROM:<a@tenant.example>", 250).await;
}

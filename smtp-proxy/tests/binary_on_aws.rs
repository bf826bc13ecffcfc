//! The production binary `sendas-smtp-proxy` with a TOML file, over
//! DynamoDB and Secrets Manager on a private moto: it relays, refuses,
//! serves /metrics, logs JSON without secrets, answers 451/454 when the
//! database is gone, and drains on SIGTERM; two replicas share the AUTH
//! lockouts (a bystander behind a locked IP still gets in, guessing on
//! during a lock does not extend it).
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::net::*;
use support::process::{ProxyProcess, http_get};
use support::*;
use tokio::net::TcpStream;

/// A fresh table and secret prefix on a private moto, seeded as the admin principal
/// (the binary itself runs as the proxy's task role: `ProxyProcess::spawn`).
async fn on_moto(
    moto: &sendas_testkit::Moto,
) -> (Arc<dyn sendas_core::ports::Store>, Arc<dyn sendas_core::ports::SecretStore>, String, String) {
    let aws = moto.aws();
    let (table, prefix) = aws.fresh_names();
    let (store, secrets) = backends::aws_backends(&aws, &table, &prefix, None).await;
    (store, secrets, table, prefix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_binary_relays_refuses_reports_and_survives_a_lost_database() {
    let mut moto = sendas_testkit::Moto::start();
    let (store, secrets, table, prefix) = on_moto(&moto).await;
    let (world, mailbox_upstream, _system) = prepare(store, secrets).await;

    let dir = tempfile::tempdir().unwrap();
    let proxy = ProxyProcess::spawn(dir.path(), &moto.aws(), &table, &prefix, "").await;
    let (smtp, metrics, log) = (proxy.smtp, proxy.metrics, proxy.log.clone());
    let mut c = Client::new(TcpStream::connect(("127.0.0.1", smtp)).await.unwrap());
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &world.password).await;
    assert_eq!(c.transaction("rcpt@example.net", "<a@tenant.example>").await.0, 250);
    assert_eq!(c.transaction("rcpt@example.net", "<ceo@victim.example>").await.0, 550);
    let delivered = mailbox_upstream.delivered();
    assert_eq!((delivered.len(), delivered[0].login.as_str()), (1, MAILBOX_USER));

    let page = http_get(metrics, "/metrics").await;
    assert!(page.contains("sendas_smtp_accepted_total 1"), "{page}");
    assert!(page.contains("sendas_smtp_rejected_total{reply=\"550 5.7.1\"} 1"), "{page}");
    assert!(http_get(metrics, "/healthz").await.contains("ok"));

    // The database goes away: after the snapshot TTL, MAIL FROM answers 451 and AUTH 454.
    moto.stop();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.expect("MAIL FROM:<a@tenant.example>", 451).await;
    let mut d = Client::new(TcpStream::connect(("127.0.0.1", smtp)).await.unwrap());
    d.reply().await;
    d.expect("EHLO c", 250).await;
    let token = data_encoding::BASE64.encode(format!("\0alice\0{}", world.password).as_bytes());
    let t = d.expect(&format!("AUTH PLAIN {token}"), 454).await;
    assert!(t.contains("4.7.0"));

    assert!(Command::new("kill").args(["-TERM", &proxy.child.id().to_string()]).status().unwrap().success());
    let mut proxy = proxy;
    let status = tokio::task::spawn_blocking(move || proxy.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("\"level\":\"TRACE\""), "the scenario ran at the most verbose level");
    for line in logs.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not a JSON log line: {line}");
        for secret in secret_forms(&[&world.password, MAILBOX_PASS], "alice") {
            assert!(!line.contains(&secret), "a secret (or its base64) in the logs");
        }
        assert!(!line.contains("Hello."), "a message body in the logs");
    }
}

/// Each password as sent and as the base64 a client sends it in (AUTH LOGIN, AUTH PLAIN for `login`).
fn secret_forms(passwords: &[&str], login: &str) -> Vec<String> {
    let b64 = |s: &str| data_encoding::BASE64.encode(s.as_bytes());
    passwords.iter().flat_map(|p| [p.to_string(), b64(p), b64(&format!("\0{login}\0{p}"))]).collect()
}

async fn auth_reply(port: u16, login: &str, password: &str) -> (u16, String) {
    auth_reply_from("127.0.0.1", port, login, password).await
}

/// AUTH PLAIN from the loopback address `source` (another client machine).
async fn auth_reply_from(source: &str, port: u16, login: &str, password: &str) -> (u16, String) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut c = Client::new(socket.connect(([127, 0, 0, 1], port).into()).await.unwrap());
    c.reply().await;
    c.expect("EHLO c", 250).await;
    let token = data_encoding::BASE64.encode(format!("\0{login}\0{password}").as_bytes());
    c.send(format!("AUTH PLAIN {token}\r\n").as_bytes()).await;
    c.reply().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_the_auth_lockouts_through_dynamodb() {
    let moto = sendas_testkit::Moto::start();
    let (store, secrets, table, prefix) = on_moto(&moto).await;
    let (world, _mailbox_upstream, _system) = prepare(store, secrets).await;
    let dir = tempfile::tempdir().unwrap();
    // Per process, 2 failures stay below every limit; only the shared counts can lock.
    let limits = "auth_failures_per_login = 4\nauth_failures_per_ip = 9\n";
    let a = ProxyProcess::spawn(dir.path(), &moto.aws(), &table, &prefix, limits).await;
    let b = ProxyProcess::spawn(dir.path(), &moto.aws(), &table, &prefix, limits).await;

    // Lockout of the (address, login) pair: 2 wrong guesses on each replica lock it on both.
    assert_eq!(auth_reply(a.smtp, "alice", "guess-1").await.0, 535);
    assert_eq!(auth_reply(a.smtp, "alice", "guess-2").await.0, 535);
    assert_eq!(auth_reply(b.smtp, "alice", "guess-3").await.0, 535);
    let (code, text) = auth_reply(b.smtp, "alice", "guess-4").await;
    assert_eq!((code, text.contains("4.7.0")), (454, true), "the fourth failure across replicas locks: {text}");
    let (code, _) = auth_reply(a.smtp, "alice", &world.password).await;
    assert_eq!(code, 454, "the right password from the guessing address is refused on the other replica too");
    // The lock is the guesser's: alice from another address gets in on both replicas.
    for port in [a.smtp, b.smtp] {
        assert_eq!(auth_reply_from("127.0.0.2", port, "alice", &world.password).await.0, 235);
    }
    // Another login from the same IP is not locked (4 IP failures < 9; a refused right password counts none).
    assert_eq!(auth_reply(a.smtp, "bob", &world.bob_password).await.0, 235);

    // IP lockout: failures on other logins, alternating replicas, until the IP count reaches 9.
    for (i, port) in [a.smtp, b.smtp, a.smtp, b.smtp].into_iter().enumerate() {
        assert_eq!(auth_reply(port, &format!("nobody{i}"), "x").await.0, 535);
    }
    let (code, _) = auth_reply(b.smtp, "nobody9", "x").await;
    assert_eq!(code, 421, "the ninth failure from this IP closes the connection");
    let (code, text) = auth_reply(a.smtp, "bob", "wrong").await;
    assert_eq!((code, text.contains("4.7.0")), (421, true), "the IP is locked on the other replica too: {text}");
    // The IP lock refuses failures only: bob, behind the same address (an office NAT), gets in
    // with his right password on both replicas; alice's pair is locked, so hers is refused.
    for port in [a.smtp, b.smtp] {
        assert_eq!(auth_reply(port, "bob", &world.bob_password).await.0, 235, "a bystander behind the locked IP");
        assert_eq!(auth_reply(port, "alice", &world.password).await.0, 421, "the locked login's right password");
    }

    for p in [&a, &b] {
        let logs = std::fs::read_to_string(&p.log).unwrap();
        assert!(logs.contains("authentication failed"));
        for secret in secret_forms(&[&world.password, &world.bob_password, "guess-1", "guess-4"], "alice") {
            assert!(!logs.contains(&secret), "a password (or its base64) in a replica's trace log");
        }
    }
}

/// The DynamoDB bucket of the test below (2 s windows): the wall clock's time in it.
fn into_bucket() -> Duration {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    Duration::from_millis((now.as_millis() % 2000) as u64)
}

/// Sleeps until `at` into the next bucket.
async fn next_bucket(at: Duration) {
    tokio::time::sleep(Duration::from_secs(2) - into_bucket() + at).await;
}

/// Rounds of three concurrent wrong guesses from `source` on both replicas (logins
/// `login(i)`), each refused by the lock (454 or 421), until `until` into the next bucket.
async fn guess_on(source: &str, ports: [u16; 2], login: impl Fn(usize) -> String, until: Duration) -> usize {
    let end = tokio::time::Instant::now() + Duration::from_secs(2) - into_bucket() + until;
    let mut made = 0;
    while tokio::time::Instant::now() < end {
        let logins = [login(made), login(made + 1), login(made + 2)];
        let guess = |i: usize| auth_reply_from(source, ports[i % 2], &logins[i], "still-guessing");
        let (one, two, three) = tokio::join!(guess(0), guess(1), guess(2));
        for (code, text) in [one, two, three] {
            assert!([454, 421].contains(&code), "{source}, guess {made} during the lock: {text}");
        }
        made += 3;
    }
    made
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guessing_on_during_a_shared_lock_does_not_extend_it() {
    let moto = sendas_testkit::Moto::start();
    let (store, secrets, table, prefix) = on_moto(&moto).await;
    let (world, _mailbox_upstream, _system) = prepare(store, secrets).await;
    let dir = tempfile::tempdir().unwrap();
    // Windows of 2 s. DynamoDB counts in buckets of one window and estimates the last window
    // as this bucket's count + the share of the previous one still inside: the locks below
    // start early in a bucket (k), hold at their full count until 0.15 into the next (k+1) at
    // least (the guesses start no round after 0.1 into it: a round takes a while under load),
    // and, when nothing more is counted, are gone 0.1 into the one after (k+2). The guesses
    // made during them until then, counted, would hold both locks through k+2.
    let limits = "auth_failures_per_login = 3\nauth_failures_per_ip = 5\nauth_window_secs = 2\n";
    let a = ProxyProcess::spawn(dir.path(), &moto.aws(), &table, &prefix, limits).await;
    let b = ProxyProcess::spawn(dir.path(), &moto.aws(), &table, &prefix, limits).await;
    let ports = [a.smtp, b.smtp];
    next_bucket(Duration::from_millis(50)).await;

    // 127.0.0.3 locks alice's pair; 127.0.0.4 locks itself on unknown logins.
    let pair = async {
        for (i, port) in [a.smtp, b.smtp].into_iter().enumerate() {
            assert_eq!(auth_reply_from("127.0.0.3", port, "alice", &format!("guess-{i}")).await.0, 535);
        }
        assert_eq!(auth_reply_from("127.0.0.3", a.smtp, "alice", "guess-2").await.0, 454);
        assert_eq!(auth_reply_from("127.0.0.3", b.smtp, "alice", &world.password).await.0, 454);
        guess_on("127.0.0.3", ports, |_| "alice".into(), Duration::from_millis(100)).await
    };
    let ip = async {
        for (i, port) in [a.smtp, b.smtp, a.smtp, b.smtp].into_iter().enumerate() {
            assert_eq!(auth_reply_from("127.0.0.4", port, &format!("nobody{i}"), "x").await.0, 535);
        }
        assert_eq!(auth_reply_from("127.0.0.4", a.smtp, "nobody4", "x").await.0, 421);
        guess_on("127.0.0.4", ports, |i| format!("other{i}"), Duration::from_millis(100)).await
    };
    let (during_pair, during_ip) = tokio::join!(pair, ip);
    assert!(during_pair >= 9 && during_ip >= 9, "too few guesses during the locks to tell: {during_pair}, {during_ip}");
    next_bucket(Duration::from_millis(200)).await;
    // Both locks are over on both replicas.
    assert_eq!(auth_reply_from("127.0.0.3", b.smtp, "alice", &world.password).await.0, 235, "the pair lock lasted");
    assert_eq!(auth_reply_from("127.0.0.4", a.smtp, "other", "x").await.0, 535, "the IP lock lasted");
}

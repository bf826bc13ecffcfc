//! Recipients per message and route (SPEC §3, RCPT TO): the system relay
//! takes at most 50 recipients a message (SES's limit; operator
//! configuration), a mailbox's own server 100. smtplib sends 60
//! recipients through the proxy on a loopback socket to a scripted system
//! relay that itself refuses the 51st recipient with `452 4.5.3`: every
//! recipient arrives exactly once, in transactions of at most 50, because
//! the proxy answers the 51st RCPT `452 4.5.3` and the client sends the
//! rest in another transaction. swaks and msmtp send 60 recipients From
//! a@tenant.example (its own server: 100 a message) with Sender
//! system@tenant.example: the sending mailbox routes to the system relay,
//! and the relay splits the upstream transaction (50 + 10). A mailbox
//! server that answers `452` after 20 recipients gets the rest in further
//! transactions.
//! A transaction that ends after a refused RCPT is audited.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{AuditFilter, AuditOutcome, SystemRelay, TlsMode};
use sendas_core::ports::{PageRequest, SecretStore, Store};
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use sendas_smtp_proxy::server::{Listeners, bind, run};
use sendas_testkit::scripted::{Script, ScriptedUpstream};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;

use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::watch;

const RECIPIENTS: usize = 60;

struct Rig {
    world: World,
    addr: SocketAddr,
    system_relay: ScriptedUpstream,
    own_server: ScriptedUpstream,
    _stop: watch::Sender<bool>,
}

/// A proxy on a loopback port: alice's a@tenant.example on its own server (taking
/// `own_limit` recipients a transaction), the system relay taking 50.
async fn rig(own_limit: Option<usize>) -> Rig {
    rig_with(own_limit, Some(50)).await
}

/// The same with a system relay taking `system_limit` recipients a transaction.
async fn rig_with(own_limit: Option<usize>, system_limit: Option<usize>) -> Rig {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let world = seed(store.clone()).await;
    let system_relay =
        ScriptedUpstream::with(Script { recipients_per_transaction: system_limit, ..Script::default() }).await;
    let own_server =
        ScriptedUpstream::with(Script { recipients_per_transaction: own_limit, ..Script::default() }).await;
    support::net::own_upstream(&store, &secrets, &world, own_server.port, "a@tenant.example", "pw").await;
    let relay = SystemRelay::Smtp {
        host: "127.0.0.1".into(),
        port: system_relay.port,
        tls: TlsMode::None,
        username: None,
        password_set: false,
    };
    store.put_system_relay(&relay).await.unwrap();
    let deps = builder(&store, &secrets, limits_for_net(), true).build().deps;
    let listener = bind(([127, 0, 0, 1], 0).into()).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = watch::channel(false);
    let listeners = Listeners { submission: Some(listener), implicit_tls: None };
    tokio::spawn(run(listeners, deps, None, stopped, Duration::from_secs(5)));
    Rig { world, addr, system_relay, own_server, _stop: stop }
}

fn recipients() -> Vec<String> {
    (0..RECIPIENTS).map(|i| format!("r{i:02}@example.net")).collect()
}

/// A message from `from_header` to the first recipient (the others are Bcc, in the envelope only).
fn message_file(dir: &std::path::Path, from_header: &str) -> std::path::PathBuf {
    message_file_with(dir, from_header, "")
}

/// The same with `extra` header lines (each ending in CRLF).
fn message_file_with(dir: &std::path::Path, from_header: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("message.eml");
    let text = format!(
        "From: <{from_header}>\r\n{extra}To: <r00@example.net>\r\nSubject: sixty\r\nMessage-ID: <sixty@tenant.example>\r\n\r\nHello all.\r\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Each recipient's count over `upstream`'s transactions, and the largest transaction.
fn arrivals(upstream: &ScriptedUpstream) -> (BTreeMap<String, usize>, usize) {
    let mut seen = BTreeMap::new();
    let transactions = upstream.transactions();
    for r in transactions.iter().flatten() {
        *seen.entry(r.clone()).or_default() += 1;
    }
    (seen, transactions.iter().map(Vec::len).max().unwrap_or(0))
}

fn assert_each_once(upstream: &ScriptedUpstream, most: usize, client: &str) {
    let (seen, largest) = arrivals(upstream);
    let want: BTreeMap<String, usize> = recipients().into_iter().map(|r| (r, 1)).collect();
    assert_eq!(seen, want, "{client}: every recipient exactly once: {:?}", upstream.transactions());
    assert!(largest <= most, "{client}: transactions of at most {most}: {:?}", upstream.transactions());
}

/// smtplib's `sendmail` answers the recipients refused for now; a client sends them again.
const SMTPLIB: &str = r#"
import smtplib, sys
port, pw, sender, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rcpts = sys.argv[5:]
body = open(path, "rb").read()
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.login("alice", pw)
rounds = 0
while rcpts:
    refused = s.sendmail(sender, rcpts, body)
    rounds += 1
    codes = sorted({"%d %s" % (c, t.decode()[:5]) for c, t in refused.values()})
    print("round", rounds, "refused", len(refused), codes)
    if any(c != 452 for c, _ in refused.values()) or len(refused) == len(rcpts):
        sys.exit(3)
    rcpts = list(refused)
s.quit()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_gets_452_4_5_3_after_50_recipients_for_the_system_relay_and_sends_the_rest_again() {
    let rig = rig(None).await;
    let dir = tempfile::tempdir().unwrap();
    let file = message_file(dir.path(), "system@tenant.example");
    let out = Command::new("python3")
        .args(["-c", SMTPLIB, &rig.addr.port().to_string(), &rig.world.password, "system@tenant.example"])
        .arg(&file)
        .args(recipients())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("round 1 refused 10 ['452 4.5.3']") && text.contains("round 2 refused 0"), "{text}");
    assert_each_once(&rig.system_relay, 50, "smtplib");
    assert_eq!(rig.system_relay.transactions().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_answering_452_after_20_recipients_gets_the_rest_in_further_transactions() {
    let rig = rig(Some(20)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = message_file(dir.path(), "a@tenant.example");
    let out = Command::new("python3")
        .args(["-c", SMTPLIB, &rig.addr.port().to_string(), &rig.world.password, "a@tenant.example"])
        .arg(&file)
        .args(recipients())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("round 1 refused 0"), "one transaction for the client: {text}");
    assert_each_once(&rig.own_server, 20, "the mailbox's server");
    assert_eq!(rig.own_server.transactions().len(), 3, "20 + 20 + 20");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_ends_after_a_refused_recipient_is_audited() {
    let rig = rig(None).await;
    let stream = tokio::net::TcpStream::connect(rig.addr).await.unwrap();
    let mut c = Client::new(stream);
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &rig.world.password).await;
    c.expect("MAIL FROM:<system@tenant.example>", 250).await;
    for i in 0..50 {
        c.expect(&format!("RCPT TO:<r{i:02}@example.net>"), 250).await;
    }
    let refused = c.expect("RCPT TO:<r50@example.net>", 452).await;
    assert!(refused.contains("4.5.3"), "{refused}");
    c.expect("QUIT", 221).await;
    let mut records = Vec::new();
    for _ in 0..100 {
        let (filter, first) = (AuditFilter::default(), PageRequest::first());
        records = rig.world.store.query_audit(rig.world.tenant, &filter, &first).await.unwrap().items;
        if !records.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let [record] = records.as_slice() else { panic!("one record: {records:?}") };
    assert_eq!((record.outcome, record.smtp_code, record.recipients), (AuditOutcome::Deferred, 452, 50));
    assert_eq!(record.envelope_sender.as_deref(), Some("system@tenant.example"));
    assert!(rig.system_relay.transactions().is_empty());
}

/// Sends 60 recipients From a@tenant.example (MAIL FROM too), Sender system@tenant.example, with `client`.
async fn split_by_the_relay(client: &'static str) {
    // The system relay here takes any number: the split is the proxy's own limit (50).
    let rig = rig_with(None, None).await;
    let dir = tempfile::tempdir().unwrap();
    let file = message_file_with(dir.path(), "a@tenant.example", "Sender: <system@tenant.example>\r\n");
    let (port, password) = (rig.addr.port().to_string(), rig.world.password.clone());
    let mut command = Command::new(if client == "swaks" { "swaks" } else { "sh" });
    if client == "swaks" {
        command.args(["--server", "127.0.0.1", "--port", &port, "--auth", "PLAIN", "--auth-user", "alice"]);
        command.args(["--auth-password", &password, "--from", "a@tenant.example", "--to", &recipients().join(",")]);
        command.arg("--data").arg(&file).args(["--timeout", "20"]);
    } else {
        let line = format!(
            "msmtp --host=127.0.0.1 --port={port} --tls=off --auth=plain --user=alice \
             --passwordeval='printf %s \"$SMTP_PW\"' --from=a@tenant.example -- {} < {}",
            recipients().join(" "),
            file.display()
        );
        command.args(["-c", &line]).env("SMTP_PW", &password);
    }
    let out = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{client}: {text}");
    assert_each_once(&rig.system_relay, 50, client);
    assert_eq!(rig.system_relay.transactions().len(), 2, "{client}: 50 + 10");
    assert!(rig.own_server.transactions().is_empty(), "{client}: routed by the Sender");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_sends_60_recipients_that_the_relay_splits_for_the_system_relay() {
    split_by_the_relay("swaks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msmtp_sends_60_recipients_that_the_relay_splits_for_the_system_relay() {
    split_by_the_relay("msmtp").await;
}

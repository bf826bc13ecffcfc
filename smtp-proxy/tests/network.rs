//! The proxy on real sockets: every public attack case as raw bytes with
//! nothing reaching an upstream, faults of the upstream and of the secret
//! store, the STARTTLS buffer rule, and connection limits.
#![allow(clippy::unwrap_used)]

mod support;

use async_trait::async_trait;
use sendas_core::StoreError;
use sendas_core::ports::{SecretRef, SecretStore};
use sendas_core::secret::SecretString;
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use support::net::*;
use support::*;
use tokio::net::TcpStream;

async fn connect(port: u16) -> Client<TcpStream> {
    let mut c = Client::new(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    assert_eq!(c.reply().await.0, 220);
    c
}

fn shared(name: &str) -> serde_json::Value {
    let path = sendas_testkit::repo_root().join("../shared/security").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_every_public_attack_case_over_the_wire() {
    attack_cases(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_every_public_attack_case_over_the_wire() {
    let (store, secrets) = support::backends::embedded();
    attack_cases(store, secrets).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_every_public_attack_case_over_the_wire() {
    let (store, secrets) = support::backends::dynamodb().await;
    attack_cases(store, secrets).await;
}

async fn attack_cases(store: Arc<dyn sendas_core::ports::Store>, secrets: Arc<dyn SecretStore>) {
    let net = start_with(store, secrets, limits_for_net(), true).await;
    let mut accepted = 0;
    for case in shared("from-header-cases.json")["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let message = data_encoding::BASE64.decode(case["message_b64"].as_str().unwrap().as_bytes()).unwrap();
        // A conforming client sends MAIL FROM = its From when that is one of its own mailboxes (see headers tests).
        let own = b"<a@xn--tnant-bsa.example>";
        let env =
            if message.windows(own.len()).any(|w| w == own) { "a@xn--tnant-bsa.example" } else { "a@tenant.example" };
        let mut c = connect(net.submission).await;
        c.login("alice", &net.world.password).await;
        c.expect(&format!("MAIL FROM:<{env}>"), 250).await;
        c.expect("RCPT TO:<rcpt@example.net>", 250).await;
        c.expect("DATA", 354).await;
        c.send(&sendas_testkit::dot_stuffed(&message)).await;
        let (code, text) = c.reply().await;
        match case["expect"].as_str().unwrap() {
            "accept" => {
                assert_eq!(code, 250, "{id}: {text}");
                accepted += 1;
            }
            _ => {
                let want = case["code"].as_str().unwrap();
                assert!(text.starts_with(want), "{id}: expected {want}, got {text}");
            }
        }
        c.expect("QUIT", 221).await;
    }
    let delivered = net.mailbox_upstream.delivered().len() + net.system_upstream.delivered().len();
    assert_eq!(delivered, accepted, "a rejected message reached an upstream");

    for case in shared("smuggling-cases.json")["cases"].as_array().unwrap() {
        let seq = data_encoding::HEXLOWER.decode(case["sequence_hex"].as_str().unwrap().as_bytes()).unwrap();
        let mut c = connect(net.submission).await;
        c.login("alice", &net.world.password).await;
        c.expect("MAIL FROM:<a@tenant.example>", 250).await;
        c.expect("RCPT TO:<rcpt@example.net>", 250).await;
        c.expect("DATA", 354).await;
        let mut wire = b"From: <a@tenant.example>\r\nTo: <rcpt@example.net>\r\nSubject: t\r\n\r\nline1".to_vec();
        wire.extend_from_slice(&seq);
        wire.extend_from_slice(b"MAIL FROM:<ceo@victim.example>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\nFrom: <ceo@victim.example>\r\n\r\nsmuggled\r\n\r\n.\r\n");
        c.send(&wire).await;
        let (code, text) = c.reply().await;
        assert!(text.starts_with(case["code"].as_str().unwrap()), "{}: {code} {text}", case["id"]);
        // The next command is answered as a command: nothing of the message ran as one.
        c.expect("NOOP", 250).await;
    }
    let delivered = net.mailbox_upstream.delivered().len() + net.system_upstream.delivered().len();
    assert_eq!(delivered, accepted, "a smuggled message reached an upstream");
}

async fn send_one(port: u16, password: &str, rcpt: &str) -> (u16, String) {
    let mut c = connect(port).await;
    c.login("alice", password).await;
    c.transaction(rcpt, "<a@tenant.example>").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_upstream_faults_never_yield_250_or_two_copies() {
    upstream_faults(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_upstream_faults_never_yield_250_or_two_copies() {
    let (store, secrets) = support::backends::dynamodb().await;
    upstream_faults(store, secrets).await;
}

async fn upstream_faults(store: Arc<dyn sendas_core::ports::Store>, secrets: Arc<dyn SecretStore>) {
    let net = start_with(store, secrets, limits_for_net(), true).await;
    let pw = net.world.password.clone();
    let (code, text) = send_one(net.submission, &pw, "tempfail@example.net").await;
    assert!(code == 451 && text.contains("4."), "{text}");
    let (code, text) = send_one(net.submission, &pw, "permfail@example.net").await;
    assert_eq!(code, 554, "{text}");
    assert!(text.contains("5.7.1") && text.contains("Upstream refused"), "{text}");
    let (code, text) = send_one(net.submission, &pw, "drop@example.net").await;
    assert_eq!(code, 451, "connection closed during DATA: {text}");
    assert!(net.mailbox_upstream.delivered().is_empty(), "{:?}", net.mailbox_upstream.delivered());
    // An upstream that answers the final dot after the relay's deadline (5 s > 3 s): the reply
    // to the dot has its own timeout (RFC 5321 §4.5.3.2.6), so the client gets that 250 and the
    // upstream holds exactly one copy (a 451 here would make the client send a second one).
    let (code, text) = send_one(net.submission, &pw, "slow@example.net").await;
    assert_eq!(code, 250, "slower than the relay timeout: {text}");
    let late = net.mailbox_upstream.delivered().len();
    assert_eq!(late, 1, "{late} copies");
    let (code, _) = send_one(net.submission, &pw, "ok@example.net").await;
    assert_eq!(code, 250);
    let rcpts: Vec<_> = net.mailbox_upstream.delivered().iter().map(|d| d.rcpts.clone()).collect();
    assert_eq!(rcpts.len(), late + 1, "{rcpts:?}");

    let mut up = net.mailbox_upstream;
    up.stop();
    let (code, text) = send_one(net.submission, &pw, "ok@example.net").await;
    assert_eq!(code, 451, "upstream down: {text}");
    let restarted = sendas_testkit::Upstream::start_on(up.port, MAILBOX_USER, MAILBOX_PASS, up.maildir.clone());
    let mut code = 0;
    for _ in 0..20 {
        code = send_one(net.submission, &pw, "ok@example.net").await.0;
        if code == 250 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, 250, "after the upstream is back");
    assert_eq!(restarted.delivered().len(), late + 2, "each accepted message exactly once");
}

/// A secret store that can be switched off.
struct FlakySecrets {
    inner: MemorySecretStore,
    down: AtomicBool,
}

#[async_trait]
impl SecretStore for FlakySecrets {
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("switched off".into()));
        }
        self.inner.get_secret(name).await
    }
    async fn put_secret(&self, name: &SecretRef, value: &SecretString) -> Result<(), StoreError> {
        self.inner.put_secret(name, value).await
    }
    async fn delete_secret(&self, name: &SecretRef) -> Result<(), StoreError> {
        self.inner.delete_secret(name).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secret_store_outage_is_451() {
    let secrets = Arc::new(FlakySecrets { inner: MemorySecretStore::default(), down: AtomicBool::new(false) });
    let net = start_with(Arc::new(MemoryStore::new()), secrets.clone(), limits_for_net(), true).await;
    secrets.down.store(true, Ordering::SeqCst);
    let (code, text) = send_one(net.submission, &net.world.password, "ok@example.net").await;
    assert_eq!(code, 451, "{text}");
    secrets.down.store(false, Ordering::SeqCst);
    assert_eq!(send_one(net.submission, &net.world.password, "ok@example.net").await.0, 250);
    assert_eq!(net.mailbox_upstream.delivered().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_sent_before_the_tls_handshake_are_discarded() {
    let net = start(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default()), limits_for_net()).await;
    let mut c = connect(net.submission).await;
    let ehlo = c.expect("EHLO c", 250).await;
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "{ehlo}");
    // STARTTLS with an injected command in the same packet.
    c.send(b"STARTTLS\r\nMAIL FROM:<ceo@victim.example>\r\n").await;
    assert_eq!(c.reply().await.0, 220);
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    let pem = std::fs::read(&net.cert).unwrap();
    use rustls_pki_types::pem::PemObject;
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = tokio_rustls::rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, c.stream).await.unwrap();
    let mut c = Client::new(tls);
    // The first thing answered over TLS is our EHLO, not the injected MAIL FROM.
    let ehlo = c.expect("EHLO c", 250).await;
    assert!(ehlo.contains("AUTH PLAIN LOGIN") && !ehlo.contains("STARTTLS"), "{ehlo}");
    c.expect("MAIL FROM:<a@tenant.example>", 530).await;
    c.login_after_ehlo("alice", &net.world.password).await;
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connection_limits_answer_421() {
    let mut limits = limits_for_net();
    limits.max_connections_per_ip = 2;
    let net = start(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default()), limits).await;
    let _a = connect(net.submission).await;
    let _b = connect(net.submission).await;
    let mut c = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
    let (code, text) = c.reply().await;
    assert_eq!(code, 421, "{text}");
    assert!(text.contains("4.7.0"));
    drop(_a);
    // The freed place becomes available once the server has seen the close.
    let mut admitted = false;
    for _ in 0..50 {
        let mut d = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
        if d.reply().await.0 == 220 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "a freed connection place was never given again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_lets_the_transaction_in_flight_finish() {
    let net =
        start_with(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default()), limits_for_net(), true).await;
    let mut busy = connect(net.submission).await;
    busy.login("alice", &net.world.password).await;
    busy.expect("MAIL FROM:<a@tenant.example>", 250).await;
    busy.expect("RCPT TO:<rcpt@example.net>", 250).await;
    busy.expect("DATA", 354).await;
    busy.send(b"From: <a@tenant.example>\r\n\r\nhalf").await;
    net.stop.send(true).unwrap();
    // The listeners close (bounded polling) while the transaction in flight holds the server open.
    let mut closed = false;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", net.submission)).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed, "the listener still accepts after shutdown");
    assert!(!net.task.is_finished(), "the server ended before the transaction in flight");
    busy.send(b" of it\r\n.\r\n").await;
    assert_eq!(busy.reply().await.0, 250, "the message in flight is relayed");
    let (code, _) = busy.try_reply().await.unwrap_or((0, String::new()));
    assert_eq!(code, 421, "then the idle session is told the service shuts down");
    tokio::time::timeout(Duration::from_secs(5), net.task).await.unwrap().unwrap();
    assert_eq!(net.mailbox_upstream.delivered().len(), 1);
}

/// Plays a raw script with Python's `ssl` (certificate verified) and answers each step's reply code (0: closed).
fn python_probe(net: &Net, port: u16, mode: &str, script: &[String]) -> Vec<u16> {
    let out = std::process::Command::new("python3")
        .arg(sendas_testkit::repo_root().join("scripts/smtp_probe.py"))
        .args(["127.0.0.1", &port.to_string(), net.cert.to_str().unwrap(), mode])
        .arg(serde_json::to_string(script).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let replies: Vec<Option<(u16, String)>> = serde_json::from_slice(&out.stdout).unwrap();
    replies.into_iter().map(|r| r.map_or(0, |(code, _)| code)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_tls_with_python_starttls_forgets_auth_bare_lf_closes_and_smtputf8_is_required() {
    let net =
        start_with(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default()), limits_for_net(), true).await;
    let auth = format!(
        "AUTH PLAIN {}\r\n",
        data_encoding::BASE64.encode(format!("\0alice\0{}", net.world.password).as_bytes())
    );
    let lines = |steps: &[&str]| steps.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // 1. AUTH in plaintext (allowed on this loopback listener), STARTTLS: inside TLS nothing of it is left.
    let mut script = lines(&["EHLO c\r\n"]);
    script.push(auth.clone());
    script.extend(lines(&[
        "STARTTLS",
        "MAIL FROM:<a@tenant.example>\r\n",
        "EHLO c\r\n",
        "MAIL FROM:<a@tenant.example>\r\n",
    ]));
    script.push(auth.clone());
    script.push("MAIL FROM:<a@tenant.example>\r\n".into());
    assert_eq!(python_probe(&net, net.submission, "plain", &script), vec![220, 250, 235, 220, 503, 250, 530, 235, 250]);
    // 2. A bare LF over implicit TLS: answered 521, nothing after it runs, the connection closes.
    let mut script = lines(&["EHLO c\r\n"]);
    script.push(auth.clone());
    script.extend(lines(&["MAIL FROM:<a@tenant.example>\nRSET\r\n", "NOOP\r\n"]));
    assert_eq!(python_probe(&net, net.implicit, "implicit", &script), vec![220, 250, 235, 521, 0]);
    // 3. SMTPUTF8 offered; a non-ASCII recipient needs it on MAIL FROM.
    let mut script = lines(&["EHLO c\r\n"]);
    script.push(auth);
    script.extend(lines(&[
        "MAIL FROM:<a@tenant.example>\r\n",
        "RCPT TO:<jörg@exämple.net>\r\n",
        "RSET\r\n",
        "MAIL FROM:<a@tenant.example> SMTPUTF8\r\n",
        "RCPT TO:<jörg@exämple.net>\r\n",
    ]));
    assert_eq!(python_probe(&net, net.implicit, "implicit", &script), vec![220, 250, 235, 250, 553, 250, 250, 250]);
    assert!(net.mailbox_upstream.delivered().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_non_ascii_recipient_is_relayed_with_smtputf8_to_an_upstream_that_offers_it() {
    // The mailbox's upstream (aiosmtpd) offers SMTPUTF8: the recipient arrives as written.
    let net =
        start_with(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default()), limits_for_net(), true).await;
    let mut c = connect(net.submission).await;
    c.login("alice", &net.world.password).await;
    c.expect("MAIL FROM:<a@tenant.example> SMTPUTF8", 250).await;
    c.expect("RCPT TO:<jörg@exämple.net>", 250).await;
    c.expect("DATA", 354).await;
    c.send(b"From: <a@tenant.example>\r\nSubject: utf8\r\n\r\nHallo.\r\n.\r\n").await;
    let (code, text) = c.reply().await;
    assert_eq!(code, 250, "{text}");
    let delivered = net.mailbox_upstream.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].rcpts, vec!["jörg@exämple.net".to_owned()]);
}

//! Real mail clients (swaks, curl, msmtp, Python's smtplib) through the
//! proxy on real sockets, STARTTLS and implicit TLS, to real upstreams
//! that enforce AUTH (aiosmtpd): the allowed message arrives byte for byte
//! at the sending mailbox's own server with its credentials; the
//! forbidden one gets 550 and reaches no upstream.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::testing::{MemorySecretStore, MemoryStore};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::net::*;

#[derive(Clone, Copy, Debug)]
enum Client {
    Swaks,
    SwaksImplicit,
    Curl,
    CurlImplicit,
    Msmtp,
    Python,
    PythonImplicit,
}

/// Runs one client; answers (exit success, all output).
fn send(client: Client, net: &Ports, password: &str, from: &str, file: &std::path::Path) -> (bool, String) {
    let (p, i) = (net.submission.to_string(), net.implicit.to_string());
    let file_s = file.display().to_string();
    let mut cmd = match client {
        Client::Swaks | Client::SwaksImplicit => {
            let mut c = Command::new("swaks");
            c.args(["--server", "127.0.0.1", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", password]);
            c.args(["--from", from, "--to", "rcpt@example.net", "--data", &file_s, "--timeout", "20"]);
            if matches!(client, Client::Swaks) {
                c.args(["--port", &p, "--tls"]);
            } else {
                c.args(["--port", &i, "--tls-on-connect"]);
            }
            c
        }
        Client::Curl | Client::CurlImplicit => {
            let url = if matches!(client, Client::Curl) {
                format!("smtp://127.0.0.1:{p}")
            } else {
                format!("smtps://127.0.0.1:{i}")
            };
            let mut c = Command::new("curl");
            // -v: curl reports any refusal after DATA as "Weird server reply"; the code is in the trace.
            c.args([
                "-v",
                "-sS",
                "--url",
                &url,
                "--ssl-reqd",
                "-k",
                "--mail-from",
                from,
                "--mail-rcpt",
                "rcpt@example.net",
            ]);
            c.args(["--upload-file", &file_s, "--user", &format!("alice:{password}")]);
            c
        }
        Client::Msmtp => {
            let mut c = Command::new("sh");
            let line = format!(
                "msmtp --host=127.0.0.1 --port={p} --tls=on --tls-starttls=on --tls-certcheck=off --auth=plain \
                 --user=alice --passwordeval='printf %s \"$SMTP_PW\"' --from={from} -- rcpt@example.net < {file_s}"
            );
            c.args(["-c", &line]).env("SMTP_PW", password);
            c
        }
        Client::Python | Client::PythonImplicit => {
            let script = r#"
import smtplib, ssl, sys
port, implicit, pw, sender, path = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=20) if implicit else smtplib.SMTP("127.0.0.1", port, timeout=20)
if not implicit:
    s.starttls(context=ctx)
s.login("alice", pw)
try:
    s.sendmail(sender, ["rcpt@example.net"], open(path, "rb").read())
    print("250 sent")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode()); sys.exit(3)
s.quit()
"#;
            let (port, implicit) = if matches!(client, Client::Python) { (&p, "0") } else { (&i, "1") };
            let mut c = Command::new("python3");
            c.args(["-c", script, port, implicit, password, from, &file_s]);
            c
        }
    };
    let out = cmd.output().unwrap_or_else(|e| panic!("{client:?} could not run: {e} (scripts/test.sh installs it)"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The message with trailing empty lines reduced to its last CRLF.
fn trim_end_lines(m: &[u8]) -> &[u8] {
    let mut end = m.len();
    while end >= 4 && &m[end - 4..end] == b"\r\n\r\n" {
        end -= 2;
    }
    &m[..end]
}

struct Ports {
    submission: u16,
    implicit: u16,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_every_client_sends_the_allowed_message_and_is_refused_the_forbidden_one() {
    scenario(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_every_client_sends_the_allowed_message_and_is_refused_the_forbidden_one() {
    let (store, secrets) = support::backends::embedded();
    scenario(store, secrets).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_every_client_sends_the_allowed_message_and_is_refused_the_forbidden_one() {
    let (store, secrets) = support::backends::dynamodb().await;
    scenario(store, secrets).await;
}

async fn ownership_refusals(net: &Net, ports: &Ports, password: &str) {
    use sendas_core::model::{MailboxFlags, MailboxScope, Role};
    use sendas_core::service::mailboxes;
    let admin = Role::Admin { tenant_id: net.world.tenant };
    let input = mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: "ceo@unowned.example".into(),
        display_name: "CEO".into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    mailboxes::create(net.world.store.as_ref(), &admin, net.world.tenant, input).await.unwrap();
    let before = (net.mailbox_upstream.delivered().len(), net.system_upstream.delivered().len());
    for (envelope, header, code) in [
        ("ceo@unowned.example", "<ceo@unowned.example>", "553 5.7.1"),
        ("a@tenant.example", "CEO <ceo@unowned.example>", "550 5.7.1"),
    ] {
        let (file, _) = message_file(header, "unowned");
        let (pw, ports) = (password.to_owned(), Ports { submission: ports.submission, implicit: ports.implicit });
        let envelope = envelope.to_owned();
        let (ok, out) =
            tokio::task::spawn_blocking(move || send(Client::Swaks, &ports, &pw, &envelope, &file)).await.unwrap();
        assert!(!ok && out.contains(code), "an unowned address must get {code}:\n{out}");
    }
    let after = (net.mailbox_upstream.delivered().len(), net.system_upstream.delivered().len());
    assert_eq!(before, after, "nothing reached an upstream");
}

async fn scenario(store: Arc<dyn sendas_core::ports::Store>, secrets: Arc<dyn sendas_core::ports::SecretStore>) {
    let net = start(store, secrets, support::limits_for_net()).await;
    let ports = Ports { submission: net.submission, implicit: net.implicit };
    let password = net.world.password.clone();
    let clients = [
        Client::Swaks,
        Client::SwaksImplicit,
        Client::Curl,
        Client::CurlImplicit,
        Client::Msmtp,
        Client::Python,
        Client::PythonImplicit,
    ];
    for (n, client) in clients.into_iter().enumerate() {
        let subject = format!("{client:?}").to_lowercase();
        let (file, bytes) = message_file("Alice <a@tenant.example>", &subject);
        let (ok, out) = {
            let (pw, file, ports) =
                (password.clone(), file.clone(), Ports { submission: ports.submission, implicit: ports.implicit });
            tokio::task::spawn_blocking(move || send(client, &ports, &pw, "a@tenant.example", &file)).await.unwrap()
        };
        assert!(ok, "{client:?} failed to send an allowed message:\n{out}");
        let delivered = net.mailbox_upstream.delivered();
        assert_eq!(delivered.len(), n + 1, "{client:?}: upstream holds {} messages", delivered.len());
        let last = delivered.last().unwrap();
        // Byte for byte, except that some clients (swaks) end DATA with extra empty lines of their own.
        assert_eq!(
            trim_end_lines(&last.message),
            trim_end_lines(&bytes),
            "{client:?}: not byte for byte:\n{}",
            String::from_utf8_lossy(&last.message)
        );
        assert_eq!((last.login.as_str(), last.mail_from.as_str()), (MAILBOX_USER, "a@tenant.example"));
        assert_eq!(last.rcpts, vec!["rcpt@example.net".to_owned()]);

        let (file, _) = message_file("<ceo@victim.example>", &format!("{subject}-forbidden"));
        let (ok, out) = {
            let (pw, file, ports) =
                (password.clone(), file.clone(), Ports { submission: ports.submission, implicit: ports.implicit });
            tokio::task::spawn_blocking(move || send(client, &ports, &pw, "a@tenant.example", &file)).await.unwrap()
        };
        assert!(!ok, "{client:?} sent a forbidden message:\n{out}");
        assert!(out.contains("550"), "{client:?}: no 550 in:\n{out}");
        assert_eq!(net.mailbox_upstream.delivered().len(), n + 1, "{client:?}: the forbidden message was relayed");
    }
    assert!(net.system_upstream.delivered().is_empty());

    // Rule 0: a mailbox of the tenant in a domain nobody proved (or another tenant's) is usable by
    // nobody — swaks gets 553 5.7.1 at MAIL FROM, 550 5.7.1 for the header, nothing is relayed.
    ownership_refusals(&net, &ports, &password).await;

    // A mailbox without its own server goes through the system relay, with the relay's credentials.
    let (file, bytes) = message_file("<system@tenant.example>", "via-system-relay");
    let (ok, out) =
        tokio::task::spawn_blocking(move || send(Client::Python, &ports, &password, "system@tenant.example", &file))
            .await
            .unwrap();
    assert!(ok, "{out}");
    let sys = net.system_upstream.delivered();
    assert_eq!(sys.len(), 1);
    assert_eq!((sys[0].login.as_str(), trim_end_lines(&sys[0].message) == trim_end_lines(&bytes)), (SYSTEM_USER, true));

    // The client's own trace and envelope fields never reach the upstream (swaks sends them as written).
    let trace = "Return-Path: <ceo@victim.example>\r\nAuthentication-Results: mx.example; dkim=pass\r\n\theader.d=victim.example\r\n\
        X-Sendas-Envelope-From: <ceo@victim.example>\r\n";
    let plain = "From: Alice <a@tenant.example>\r\nTo: <rcpt@example.net>\r\nSubject: trace\r\n\r\nHello.\r\n";
    let path = tempfile::tempdir().unwrap().keep().join("trace.eml");
    std::fs::write(&path, format!("{trace}{plain}")).unwrap();
    let pw = net.world.password.clone();
    let ports = Ports { submission: net.submission, implicit: net.implicit };
    let (ok, out) =
        tokio::task::spawn_blocking(move || send(Client::Swaks, &ports, &pw, "a@tenant.example", &path)).await.unwrap();
    assert!(ok, "{out}");
    let last = net.mailbox_upstream.delivered().pop().unwrap();
    assert_eq!(trim_end_lines(&last.message), plain.as_bytes(), "{}", String::from_utf8_lossy(&last.message));
    assert!(net.metrics.render().contains("sendas_smtp_accepted_total 9"), "{}", net.metrics.render());
    let _ = net.stop.send(true);
}

/// Python's smtplib keeps one session open; the user's app password is
/// revoked meanwhile; once the snapshot TTL has passed, the same session's
/// next MAIL FROM gets `421 4.7.0` (smtplib's SMTPSenderRefused) and the
/// connection is closed: a revoked password stops sending also in an open session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_an_open_smtplib_session_ends_when_its_app_password_is_revoked() {
    use std::io::{BufRead, Write};
    let limits =
        sendas_smtp_proxy::config::Limits { snapshot_ttl: Duration::from_millis(300), ..support::limits_for_net() };
    let net = start(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::default()), limits.clone()).await;
    let (file, _) = message_file("Alice <a@tenant.example>", "held-open");
    let script = r#"
import smtplib, ssl, sys
port, pw, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.starttls(context=ctx)
s.login("alice", pw)
message = open(path, "rb").read()
s.sendmail("a@tenant.example", ["rcpt@example.net"], message)
print("250 sent", flush=True)
sys.stdin.readline()
try:
    s.sendmail("a@tenant.example", ["rcpt@example.net"], message)
    print("250 sent again", flush=True)
except smtplib.SMTPSenderRefused as e:
    print(e.smtp_code, e.smtp_error.decode(), flush=True)
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, &net.submission.to_string(), &net.world.password, &file.display().to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test.sh installs it)");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdin = child.stdin.take().unwrap();
    let (first, mut lines) = tokio::task::spawn_blocking(move || (lines.next(), lines)).await.unwrap();
    assert_eq!(first.unwrap().unwrap(), "250 sent");

    let (t, alice) = (net.world.tenant, net.world.alice);
    let credential = net.world.store.list_credentials(t, alice).await.unwrap().remove(0);
    net.world.store.delete_credential(t, alice, credential.id).await.unwrap();
    tokio::time::sleep(limits.snapshot_ttl + Duration::from_millis(200)).await;
    let second = tokio::task::spawn_blocking(move || {
        stdin.write_all(b"go\n").unwrap();
        stdin.flush().unwrap();
        let line = lines.next();
        let status = child.wait().unwrap();
        (line, status)
    })
    .await
    .unwrap();
    let line = second.0.unwrap().unwrap();
    assert!(line.starts_with("421 4.7.0"), "the open session's next MAIL FROM: {line}");
    assert!(second.1.success());
    assert_eq!(net.mailbox_upstream.delivered().len(), 1, "only the message before the revocation");
}

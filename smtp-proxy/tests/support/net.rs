//! A proxy on real sockets: TLS with a fresh self-signed certificate, the
//! production relay, a real upstream per mailbox and one as system relay.
#![allow(dead_code, clippy::unwrap_used)]

use super::*;
use sendas_core::model::{SmtpSettings, SystemRelay, TlsMode};
use sendas_core::ports::{SecretRef, SecretStore};
use sendas_core::secret::SecretString;
use sendas_smtp_proxy::server::{Listeners, run};
use sendas_testkit::Upstream;
use std::path::PathBuf;
use tokio::net::TcpListener;

/// Credentials the upstreams accept.
pub const MAILBOX_USER: &str = "a-upstream@tenant.example";
pub const MAILBOX_PASS: &str = "Mailbox-Upstream-Pass-1";
pub const SYSTEM_USER: &str = "system-relay";
pub const SYSTEM_PASS: &str = "System-Relay-Pass-2";

/// A running proxy and its upstreams.
pub struct Net {
    pub world: World,
    pub submission: u16,
    pub implicit: u16,
    pub cert: PathBuf,
    pub mailbox_upstream: Upstream,
    pub system_upstream: Upstream,
    pub stop: watch::Sender<bool>,
    pub task: tokio::task::JoinHandle<()>,
    pub metrics: Arc<sendas_smtp_proxy::metrics::Metrics>,
}

use tokio::sync::watch;

/// Makes a@tenant.example an authenticated mailbox on 127.0.0.1:`port` (no TLS), logging in
/// as `user` with `password`.
pub async fn own_upstream(
    store: &Arc<dyn Store>,
    secrets: &Arc<dyn SecretStore>,
    world: &World,
    port: u16,
    user: &str,
    password: &str,
) {
    let admin = sendas_core::model::Role::Admin { tenant_id: world.tenant };
    let a = store.find_mailbox_by_address(world.tenant, &"a@tenant.example".parse().unwrap()).await.unwrap();
    let input = sendas_core::service::mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: "a@tenant.example".into(),
        display_name: "A".into(),
        scope: a.scope,
        flags: a.flags,
        smtp: Some(SmtpSettings::new("127.0.0.1", port, TlsMode::None, user).unwrap()),
    };
    let (s, k) = (store.as_ref(), secrets.as_ref());
    sendas_core::service::mailboxes::update(s, k, &admin, world.tenant, a.id, input, &Default::default())
        .await
        .unwrap();
    let password = SecretString::from(password);
    sendas_core::service::mailboxes::set_password(s, k, &admin, world.tenant, a.id, &password).await.unwrap();
}

/// Seeds `store`, makes a@tenant.example an authenticated mailbox on its own
/// upstream, sets the system relay to a second upstream, and starts the proxy.
pub async fn start(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    limits: sendas_smtp_proxy::config::Limits,
) -> Net {
    start_with(store, secrets, limits, false).await
}

/// As `start`, optionally allowing AUTH without TLS (loopback development mode).
pub async fn start_with(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    limits: sendas_smtp_proxy::config::Limits,
    plaintext: bool,
) -> Net {
    start_full(store.clone(), secrets, limits, plaintext, store).await
}

/// As `start_with`, with the audit records going to `audit` (to count them apart).
pub async fn start_full(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    limits: sendas_smtp_proxy::config::Limits,
    plaintext: bool,
    audit: Arc<dyn Store>,
) -> Net {
    start_counted(store, secrets, limits, plaintext, audit, None).await
}

/// As `start_full`, with sending limits counted by `send_counter` (default: in memory).
pub async fn start_counted(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    limits: sendas_smtp_proxy::config::Limits,
    plaintext: bool,
    audit: Arc<dyn Store>,
    send_counter: Option<Arc<dyn sendas_core::ports::SendCounter>>,
) -> Net {
    let (world, mailbox_upstream, system_upstream) = prepare(store.clone(), secrets.clone()).await;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap().keep();
    let cert_path = dir.join("cert.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    let acceptor = sendas_smtp_proxy::tls::acceptor_from_pem(
        cert.cert.pem().as_bytes(),
        cert.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let submission = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let implicit = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (sp, ip) = (submission.local_addr().unwrap().port(), implicit.local_addr().unwrap().port());
    // The proxy's components sign as its task role on AWS (backends::deployed).
    let mut builder =
        super::builder(&store, &secrets, limits, plaintext).audit_store(super::backends::deployed(&audit));
    if let Some(counter) = send_counter {
        builder = builder.limiter(Arc::new(sendas_core::limiter::Limiter::new(counter)));
    }
    let d = builder.build().deps;
    let metrics = d.metrics.clone();
    let (stop, rx) = watch::channel(false);
    let listeners = Listeners { submission: Some(submission), implicit_tls: Some(implicit) };
    let task = tokio::spawn(run(listeners, d, Some(acceptor), rx, std::time::Duration::from_secs(10)));
    Net { world, submission: sp, implicit: ip, cert: cert_path, mailbox_upstream, system_upstream, stop, task, metrics }
}

/// A message file with CRLF line endings, for the command-line clients.
pub fn message_file(from: &str, subject: &str) -> (PathBuf, Vec<u8>) {
    let body = format!(
        "From: {from}\r\nTo: <rcpt@example.net>\r\nSubject: {subject}\r\nMessage-ID: <{subject}@tenant.example>\r\nDate: Sat, 28 Nov 2026 05:00:00 +0000\r\n\r\nHello from {subject}.\r\n.dot line\r\n"
    );
    let path = tempfile::tempdir().unwrap().keep().join("message.eml");
    std::fs::write(&path, &body).unwrap();
    (path, body.into_bytes())
}

/// Seeds `store`, makes a@tenant.example an authenticated mailbox on its own
/// upstream and sets the system relay to a second upstream.
pub async fn prepare(store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>) -> (World, Upstream, Upstream) {
    let world = seed(store.clone()).await;
    let mailbox_upstream = Upstream::start(MAILBOX_USER, MAILBOX_PASS);
    let system_upstream = Upstream::start(SYSTEM_USER, SYSTEM_PASS);
    own_upstream(&store, &secrets, &world, mailbox_upstream.port, MAILBOX_USER, MAILBOX_PASS).await;
    let relay = SystemRelay::Smtp {
        host: "127.0.0.1".into(),
        port: system_upstream.port,
        tls: TlsMode::None,
        username: Some(SYSTEM_USER.into()),
        password_set: false,
    };
    sendas_core::service::settings::set_system_relay(
        store.as_ref(),
        secrets.as_ref(),
        &sendas_core::model::Role::Operator,
        relay,
        Some(SecretString::from(SYSTEM_PASS)),
    )
    .await
    .unwrap();
    let _ = SecretRef::system_relay();

    (world, mailbox_upstream, system_upstream)
}

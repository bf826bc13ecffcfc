//! Test support: a seeded store, a recording relay double, and an SMTP
//! client over any byte stream.
#![allow(dead_code, clippy::unwrap_used)]

pub mod backends;
pub mod net;
pub mod process;

use async_trait::async_trait;
use sendas_core::model::{MailboxFlags, MailboxScope, Role};
use sendas_core::ports::{SecretStore, Store};
use sendas_core::secret::ExposeSecret;
use sendas_core::service::{credentials, directory, mailboxes, tenants};
use sendas_core::testing::MemoryStore;
use sendas_relay::{CachedSecrets, Envelope, Relay, RelayError, Relayed};
use sendas_smtp_proxy::builder::ProxyBuilder;
use sendas_smtp_proxy::config::{Limits, ProxyConfig};
use sendas_smtp_proxy::session::Deps;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// One relayed message as the double saw it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub mailbox: String,
    pub envelope: Envelope,
    pub message: Vec<u8>,
}

/// A relay double that records and answers as told.
#[derive(Default)]
pub struct RecordingRelay {
    pub sent: Mutex<Vec<Sent>>,
    pub answer: Mutex<Option<RelayError>>,
}

#[async_trait]
impl Relay for RecordingRelay {
    async fn relay(
        &self,
        mailbox: &sendas_core::model::Mailbox,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Relayed, RelayError> {
        if let Some(e) = self.answer.lock().unwrap().clone() {
            return Err(e);
        }
        self.sent.lock().unwrap().push(Sent {
            mailbox: mailbox.address.to_string(),
            envelope: envelope.clone(),
            message: message.to_vec(),
        });
        Ok(Relayed { upstream_reply: "250 2.0.0 Ok: queued as REC1".into() })
    }
}

/// The seeded world: user `alice` (password in `password`) may use
/// a@tenant.example and a@ténant.example; admin@tenant.example is restricted
/// to someone else; replies@tenant.example is reply-only.
pub struct World {
    pub store: Arc<dyn Store>,
    pub memory: Option<Arc<MemoryStore>>,
    pub tenant: sendas_core::TenantId,
    pub alice: sendas_core::UserId,
    pub password: String,
    pub bob_password: String,
}

pub async fn seed(store: Arc<dyn Store>) -> World {
    let op = Role::Operator;
    let t = tenants::create(
        store.as_ref(),
        &op,
        tenants::CreateTenant {
            name: "Tenant".into(),
            company_name: None,
            system_address: "system@tenant.example".into(),
            mailbox_quota: Some(10),
            domains: vec!["tenant.example".into(), "ténant.example".into()],
        },
    )
    .await
    .unwrap();
    let tid = t.tenant.id;
    let admin = Role::Admin { tenant_id: tid };
    let user = |login: &str| directory::CreateUser {
        limits: Default::default(),
        login: login.into(),
        name: login.into(),
        companies: BTreeSet::from([t.company.id]),
        groups: BTreeSet::new(),
    };
    let alice = directory::create_user(store.as_ref(), &admin, tid, user("alice")).await.unwrap();
    let bob = directory::create_user(store.as_ref(), &admin, tid, user("bob")).await.unwrap();
    let mb = |address: &str, sender: bool| mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: address.into(),
        display_name: address.into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    for a in ["a@tenant.example", "a@ténant.example"] {
        mailboxes::create(store.as_ref(), &admin, tid, mb(a, true)).await.unwrap();
    }
    let restricted = mailboxes::create(store.as_ref(), &admin, tid, mb("admin@tenant.example", true)).await.unwrap();
    mailboxes::set_access(
        store.as_ref(),
        &admin,
        tid,
        restricted.id,
        true,
        BTreeSet::from([bob.id]),
        BTreeSet::new(),
        &Default::default(),
    )
    .await
    .unwrap();
    mailboxes::create(store.as_ref(), &admin, tid, mb("replies@tenant.example", false)).await.unwrap();
    let pw = credentials::issue(store.as_ref(), &admin, tid, alice.id, "t").await.unwrap();
    let bob_pw = credentials::issue(store.as_ref(), &admin, tid, bob.id, "t").await.unwrap();
    World {
        store,
        memory: None,
        tenant: tid,
        alice: alice.id,
        password: pw.password.expose_secret().to_owned(),
        bob_password: bob_pw.password.expose_secret().to_owned(),
    }
}

pub async fn memory_world() -> World {
    let memory = Arc::new(MemoryStore::new());
    let mut w = seed(memory.clone()).await;
    w.memory = Some(memory);
    w
}

/// Test limits: short delays.
pub fn limits() -> Limits {
    Limits {
        auth_failure_delay: Duration::from_millis(50),
        snapshot_ttl: Duration::from_millis(300),
        max_recipients: 3,
        max_message_size: 4096,
        ..Limits::default()
    }
}

/// Limits for tests on real sockets (real clients take their time).
pub fn limits_for_net() -> Limits {
    Limits { auth_failure_delay: Duration::from_millis(50), relay_timeout: Duration::from_secs(3), ..Limits::default() }
}

/// The production builder over `store` and `secrets`; on AWS both sign as the proxy's task role
/// (backends::deployed). Secrets are cached as long as permission snapshots (`limits.snapshot_ttl`).
pub fn builder(
    store: &Arc<dyn Store>,
    secrets: &Arc<dyn SecretStore>,
    limits: Limits,
    plaintext: bool,
) -> ProxyBuilder {
    let secrets = Arc::new(CachedSecrets::new(backends::deployed_secrets(secrets), limits.snapshot_ttl));
    let config = ProxyConfig { hostname: "proxy.test".into(), limits, plaintext_auth_insecure: plaintext };
    // The upstreams of the tests (Dovecot, Postfix, capture servers) are on loopback.
    let relay = sendas_relay::RelayOptions::new(config.limits.relay_timeout)
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    ProxyBuilder::new(backends::deployed(store), secrets, config).relay_options(relay)
}

/// The proxy's components over `store`, with `relay` in place of the upstream relay.
pub fn deps(store: Arc<dyn Store>, relay: Arc<dyn Relay>, limits: Limits, plaintext: bool) -> Deps {
    let no_secrets: Arc<dyn SecretStore> = Arc::new(sendas_core::testing::MemorySecretStore::default());
    builder(&store, &no_secrets, limits, plaintext).relay(relay).build().deps
}

/// An SMTP client over any stream.
pub struct Client<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub fn new(stream: S) -> Self {
        Client { stream, buf: Vec::new() }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Reads one (possibly multi-line) reply; answers (code, text of all lines).
    pub async fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let line = self.line().await;
            assert!(line.len() >= 3, "short or no reply: {line:?} after {text:?}");
            text.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return (line[..3].parse().unwrap(), text);
            }
        }
    }

    /// Answers None when the server closed the connection.
    pub async fn try_reply(&mut self) -> Option<(u16, String)> {
        let line = self.line().await;
        if line.is_empty() {
            return None;
        }
        let code = line[..3].parse().ok()?;
        Some((code, line))
    }

    async fn line(&mut self) -> String {
        loop {
            if let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                let l: Vec<u8> = self.buf.drain(..=p).collect();
                return String::from_utf8_lossy(&l).into_owned();
            }
            let mut chunk = [0u8; 4096];
            let n =
                tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk)).await.unwrap().unwrap_or(0);
            if n == 0 {
                return String::new();
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends a command and asserts the reply code.
    pub async fn expect(&mut self, cmd: &str, code: u16) -> String {
        self.send(format!("{cmd}\r\n").as_bytes()).await;
        let (got, text) = self.reply().await;
        assert_eq!(got, code, "{cmd} -> {text}");
        text
    }

    /// EHLO and AUTH PLAIN with an initial response.
    pub async fn login(&mut self, user: &str, password: &str) {
        self.expect("EHLO client.test", 250).await;
        self.login_after_ehlo(user, password).await;
    }

    /// MAIL FROM:<a@tenant.example>, RCPT TO:<rcpt>, DATA with `message(from_header, "")`; the final reply.
    pub async fn transaction(&mut self, rcpt: &str, from_header: &str) -> (u16, String) {
        self.expect("MAIL FROM:<a@tenant.example>", 250).await;
        self.expect(&format!("RCPT TO:<{rcpt}>"), 250).await;
        self.expect("DATA", 354).await;
        self.send(message(from_header, "").as_bytes()).await;
        self.send(b".\r\n").await;
        self.reply().await
    }

    /// AUTH PLAIN with an initial response.
    pub async fn login_after_ehlo(&mut self, user: &str, password: &str) {
        let token = data_encoding::BASE64.encode(format!("\0{user}\0{password}").as_bytes());
        self.expect(&format!("AUTH PLAIN {token}"), 235).await;
    }
}

/// A plain message from `from`.
pub fn message(from: &str, extra: &str) -> String {
    format!(
        "From: {from}\r\n{extra}To: <rcpt@example.net>\r\nSubject: hi\r\nMessage-ID: <m1@tenant.example>\r\n\r\nHello.\r\n"
    )
}

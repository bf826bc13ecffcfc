//! The relay against real servers (`scripts/upstreams/start.py`, started
//! once for this binary): Dovecot submission checking every OAuth 2.0
//! access token by introspection against the test's token endpoint, on
//! implicit TLS and STARTTLS with certificates from the test's CA; a
//! Dovecot offering only OAUTHBEARER; Postfix with Cyrus SASL; both relay
//! on to a capturing server, so each test reads what arrived and as whom.
//!
//! A user logs in to the proxy with an app password and sends as
//! a@tenant.example, whose login is, in turn, each login method of SPEC §1:
//! client credentials (Microsoft 365), refresh token with rotation
//! (Google, generic), service account JWT bearer (Google Workspace),
//! password. The token endpoint's counters and switches show the token
//! cache at work: one request for fifty cold sessions, a refresh when a
//! token expires or is refused, `451` when the endpoint is down or the
//! grant revoked — with the audit record and the mailbox's health.
//!
//! The tests share one token endpoint: each holds [`TOKEN_SERVER`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use secrecy::ExposeSecret;
use sendas_core::MailboxId;
use sendas_core::model::{
    AuditFilter, HealthStage, LoginMethod, MailboxFlags, MailboxScope, Role, SmtpSettings, TlsMode,
};
use sendas_core::ports::{PageRequest, SecretRef, SecretStore};
use sendas_core::service::mailboxes;
use sendas_core::testing::MemorySecretStore;
use sendas_relay::{LoginSecret, RelayOptions, ServiceAccountKey, Verifier};
use sendas_smtp_client::Trust;
use sendas_smtp_proxy::session::{Deps, Session, SessionEnd};
use sendas_testkit::upstreams::{Upstreams, upstreams};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::io::DuplexStream;

/// Held by every test: they count the token endpoint's requests and flip its switches.
static TOKEN_SERVER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The proxy with a@tenant.example logging in to a real upstream.
struct Rig {
    w: World,
    secrets: Arc<dyn SecretStore>,
    deps: Deps,
    verifier: Verifier,
    mailbox: MailboxId,
}

fn relay_options(max_idle: Duration, token_timeout: Duration) -> RelayOptions {
    let mut options =
        RelayOptions::new(Duration::from_secs(10)).with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    options.trust = Trust::with_pem_file(&upstreams().ca_bundle()).unwrap();
    options.max_idle = max_idle;
    options.token_timeout = token_timeout;
    options
}

/// Sets a@tenant.example's SMTP settings and login secret, and builds the proxy (cold caches).
async fn rig(settings: SmtpSettings, secret: LoginSecret, options: RelayOptions) -> Rig {
    let w = memory_world().await;
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let admin = Role::Admin { tenant_id: w.tenant };
    let a = w.store.find_mailbox_by_address(w.tenant, &"a@tenant.example".parse().unwrap()).await.unwrap();
    let input = mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: "a@tenant.example".into(),
        display_name: "A".into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: Some(settings),
    };
    mailboxes::update(w.store.as_ref(), secrets.as_ref(), &admin, w.tenant, a.id, input, &Default::default())
        .await
        .unwrap();
    mailboxes::set_login_secret(w.store.as_ref(), secrets.as_ref(), &admin, w.tenant, a.id, |s| {
        assert!(secret.fits(s.login()), "the secret fits the method");
        Ok(secret.encode())
    })
    .await
    .unwrap();
    rebuild(w, secrets, a.id, options)
}

/// A new proxy (cold token cache and pool) over the same store and secrets.
fn rebuild(w: World, secrets: Arc<dyn SecretStore>, mailbox: MailboxId, options: RelayOptions) -> Rig {
    // Fifty sessions of one user at once (one test): the per-user cap of concurrent
    // transactions (10 by default, tested in protocol.rs) is lifted here.
    let limits = sendas_smtp_proxy::config::Limits { max_transactions_per_user: 100, ..limits() };
    let proxy = builder(&w.store, &secrets, limits, true).relay_options(options).build();
    Rig { w, secrets, deps: proxy.deps, verifier: proxy.verifier.unwrap(), mailbox }
}

fn settings(server: &str, port_key: &str, tls: TlsMode, username: &str, login: LoginMethod) -> SmtpSettings {
    let port = upstreams().port(&[server, port_key]);
    SmtpSettings::new("localhost", port, tls, username).unwrap().with_login(login).unwrap()
}

fn client_credentials(client_id: &str) -> LoginMethod {
    LoginMethod::OAuth2ClientCredentials {
        token_url: upstreams().str(&["token", "token_url"]),
        client_id: client_id.into(),
        scope: sendas_core::model::MICROSOFT_SMTP_SCOPE.into(),
    }
}

fn client_secret_of(up: &Upstreams, client_id: &str) -> LoginSecret {
    let clients = up.info["token"]["clients"].as_array().unwrap();
    let c = clients.iter().find(|c| c["client_id"] == client_id).unwrap();
    LoginSecret::ClientSecret(c["client_secret"].as_str().unwrap().to_owned().into())
}

fn refresh_token(token: &str) -> (LoginMethod, LoginSecret) {
    let up = upstreams();
    let method = LoginMethod::OAuth2RefreshToken {
        token_url: up.str(&["token", "token_url"]),
        client_id: "google-app".into(),
        scope: None,
    };
    let secret = LoginSecret::RefreshToken { client_secret: Some("google-secret".into()), refresh_token: token.into() };
    (method, secret)
}

fn service_account() -> (LoginMethod, LoginSecret, String) {
    let up = upstreams();
    let sa = &up.info["token"]["service_accounts"][0];
    let text = std::fs::read_to_string(sa["key_file"].as_str().unwrap()).unwrap();
    let key = ServiceAccountKey::parse(&text).unwrap();
    let method = LoginMethod::GoogleServiceAccount { scope: sendas_core::model::GOOGLE_MAIL_SCOPE.into() };
    (method, LoginSecret::ServiceAccount(key), sa["client_email"].as_str().unwrap().to_owned())
}

/// A session on a pipe (STARTTLS not offered: AUTH in the clear is allowed by the test config).
fn session(deps: Deps) -> Client<DuplexStream> {
    let (client, server) = tokio::io::duplex(1 << 20);
    let (_stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _keep = _stop;
        let mut s = Session::new(deps, "127.0.0.1".parse::<IpAddr>().unwrap(), false, false, rx);
        let (_, end) = s.run(server, true).await;
        assert_ne!(end, SessionEnd::StartTls);
    });
    Client::new(client)
}

/// alice sends one message as a@tenant.example to `rcpt`; the final reply.
async fn send(r: &Rig, rcpt: &str, marker: &str) -> (u16, String) {
    send_as(r, "a@tenant.example", rcpt, marker).await
}

/// alice sends one message as `from` to `rcpt`; the final reply.
async fn send_as(r: &Rig, from: &str, rcpt: &str, marker: &str) -> (u16, String) {
    let mut c = session(r.deps.clone());
    c.reply().await;
    c.login("alice", &r.w.password).await;
    c.expect(&format!("MAIL FROM:<{from}>"), 250).await;
    c.expect(&format!("RCPT TO:<{rcpt}>"), 250).await;
    c.expect("DATA", 354).await;
    let body = format!(
        "From: A <{from}>\r\nTo: <{rcpt}>\r\nSubject: {marker}\r\nMessage-ID: <{marker}@tenant.example>\r\n\
         Date: Wed, 02 Dec 2026 05:00:00 +0000\r\n\r\nHello from {marker}.\r\n"
    );
    c.send(body.as_bytes()).await;
    c.send(b".\r\n").await;
    let reply = c.reply().await;
    let _ = c.expect("QUIT", 221).await;
    reply
}

/// The message for `rcpt` arrived once from a@tenant.example, logged in upstream (Dovecot) as `login`.
fn arrived_as(rcpt: &str, login: &str) {
    let got = upstreams().wait_captured(rcpt, 1);
    assert_eq!(got[0].0["auth_login"].as_str(), Some(login), "{}", got[0].0);
    assert_eq!(got[0].0["mail_from"].as_str(), Some("a@tenant.example"));
}

/// The mailbox's health once `wanted` holds for it (the write that changes
/// it lands off the reply path, after an older record may still be read);
/// the last one read after 2 s.
async fn health_where(
    r: &Rig,
    wanted: impl Fn(&sendas_core::model::MailboxHealth) -> bool,
) -> Option<sendas_core::model::MailboxHealth> {
    let mut last = None;
    for _ in 0..100 {
        last = health(r).await;
        if last.as_ref().is_some_and(&wanted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    last
}

async fn health(r: &Rig) -> Option<sendas_core::model::MailboxHealth> {
    // The relay writes health off the reply path: wait for it briefly.
    for _ in 0..100 {
        let all = r.w.store.list_mailbox_health(r.w.tenant).await.unwrap();
        if let Some(h) = all.into_iter().find(|h| h.mailbox_id == r.mailbox) {
            return Some(h);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_credentials_deliver_over_implicit_tls_and_to_an_oauthbearer_only_server() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let login = client_credentials("m365-app");
    let r = rig(
        settings("dovecot", "tls_port", TlsMode::Tls, "alice@example.test", login.clone()),
        client_secret_of(up, "m365-app"),
        relay_options(Duration::from_secs(30), Duration::from_secs(5)),
    )
    .await;
    let (code, text) = send(&r, "cc-tls@dest.example", "cc-tls").await;
    assert_eq!(code, 250, "{text}");
    arrived_as("cc-tls@dest.example", "alice@example.test");
    assert!(health(&r).await.is_some_and(|h| h.ok()));
    // The same app against a server that offers only OAUTHBEARER, over STARTTLS.
    let r = rig(
        settings("dovecot_bearer_only", "starttls_port", TlsMode::Starttls, "alice@example.test", login),
        client_secret_of(up, "m365-app"),
        relay_options(Duration::from_secs(30), Duration::from_secs(5)),
    )
    .await;
    let (code, text) = send(&r, "cc-bearer@dest.example", "cc-bearer").await;
    assert_eq!(code, 250, "{text}");
    arrived_as("cc-bearer@dest.example", "alice@example.test");
    let got = up.captured("cc-bearer@dest.example");
    let eml = String::from_utf8_lossy(&got[0].1).into_owned();
    assert!(eml.contains("dovecot-bearer.localhost"), "went through the OAUTHBEARER-only server: {eml}");
    let log = std::fs::read_to_string(up.str(&["dovecot_bearer_only", "log"])).unwrap_or_default();
    assert!(log.contains("method=OAUTHBEARER"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotated_refresh_token_is_stored_back_and_used_by_the_next_process() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let (method, secret) = refresh_token("rt-alice-initial");
    let options = || relay_options(Duration::from_secs(30), Duration::from_secs(5));
    let r = rig(
        settings("dovecot", "starttls_port", TlsMode::Starttls, "alice@example.test", method.clone()),
        secret,
        options(),
    )
    .await;
    let (code, text) = send(&r, "rt-1@dest.example", "rt-1").await;
    assert_eq!(code, 250, "{text}");
    arrived_as("rt-1@dest.example", "alice@example.test");
    let stored = r.secrets.get_secret(&SecretRef::mailbox(r.w.tenant, r.mailbox)).await.unwrap().unwrap();
    let mailbox = r.w.store.get_mailbox(r.w.tenant, r.mailbox).await.unwrap();
    let stored = sendas_core::model::BoundSecret::open(mailbox.smtp.as_ref().unwrap(), &stored).unwrap();
    let LoginSecret::RefreshToken { refresh_token, .. } = LoginSecret::decode(&method, &stored).unwrap() else {
        panic!("not a refresh-token secret")
    };
    assert_ne!(refresh_token.expose_secret(), "rt-alice-initial", "the rotated refresh token was stored back");
    let tokens = up.refresh_tokens();
    let old = tokens.as_array().unwrap().iter().find(|t| t["refresh_token"] == "rt-alice-initial").unwrap();
    assert_eq!(old["active"], false, "the provider spent the old one: {old}");
    // Another process (cold cache) refreshes with the stored one.
    let (w, secrets, mailbox) = (r.w, r.secrets, r.mailbox);
    let r = rebuild(w, secrets, mailbox, options());
    let (code, text) = send(&r, "rt-2@dest.example", "rt-2").await;
    assert_eq!(code, 250, "{text}");
    arrived_as("rt-2@dest.example", "alice@example.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_service_account_delivers_as_the_mailbox_and_an_expired_token_is_refreshed() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let (method, secret, account) = service_account();
    // No pooling: each message logs in again, with the cached token while it is fresh.
    let r = rig(
        settings("dovecot", "tls_port", TlsMode::Tls, "bob@example.test", method),
        secret,
        relay_options(Duration::ZERO, Duration::from_secs(5)),
    )
    .await;
    up.control(&json!({"lifetime": 2}));
    let before = up.token_requests_of(&account);
    let (code, text) = send(&r, "sa-1@dest.example", "sa-1").await;
    assert_eq!(code, 250, "{text}");
    let (code, text) = send(&r, "sa-2@dest.example", "sa-2").await;
    assert_eq!(code, 250, "{text}");
    assert_eq!(up.token_requests_of(&account) - before, 1, "the second message reused the fresh token");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (code, text) = send(&r, "sa-3@dest.example", "sa-3").await;
    up.control(&json!({"reset": true}));
    assert_eq!(code, 250, "{text}");
    assert_eq!(up.token_requests_of(&account) - before, 2, "the expired token was refreshed by the next message");
    for rcpt in ["sa-1@dest.example", "sa-2@dest.example", "sa-3@dest.example"] {
        arrived_as(rcpt, "bob@example.test");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sessions_on_a_cold_cache_make_one_token_request() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let r = rig(
        settings("dovecot", "tls_port", TlsMode::Tls, "bob@example.test", client_credentials("m365-app-bob")),
        client_secret_of(up, "m365-app-bob"),
        relay_options(Duration::from_secs(30), Duration::from_secs(5)),
    )
    .await;
    let before = up.token_requests_of("m365-app-bob");
    let r = Arc::new(r);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let r = r.clone();
            tokio::spawn(async move { send(&r, "fifty@dest.example", &format!("fifty-{i}")).await })
        })
        .collect();
    let mut failed = Vec::new();
    for t in tasks {
        let (code, text) = t.await.unwrap();
        if code != 250 {
            failed.push(text);
        }
    }
    if !failed.is_empty() {
        let audit = r.w.store.query_audit(r.w.tenant, &AuditFilter::default(), &PageRequest::first()).await.unwrap();
        let why: Vec<_> = audit.items.iter().map(|a| format!("{a:?}")).filter(|a| !a.contains("Accepted")).collect();
        panic!("{} of 50 failed: {failed:?}\n{why:#?}", failed.len());
    }
    assert_eq!(up.token_requests_of("m365-app-bob") - before, 1, "one token request for fifty sessions");
    assert_eq!(up.wait_captured("fifty@dest.example", 50).len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_the_server_refuses_is_refreshed_once_and_the_login_retried() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let r = rig(
        settings("dovecot", "starttls_port", TlsMode::Starttls, "alice@example.test", client_credentials("m365-app")),
        client_secret_of(up, "m365-app"),
        relay_options(Duration::ZERO, Duration::from_secs(5)),
    )
    .await;
    let before = up.token_requests_of("m365-app");
    assert_eq!(send(&r, "refused-1@dest.example", "refused-1").await.0, 250);
    // The cached token is revoked at the provider: Dovecot's introspection now says inactive.
    up.control(&json!({"revoke": {"access_tokens_of": "m365-app"}}));
    let (code, text) = send(&r, "refused-2@dest.example", "refused-2").await;
    assert_eq!(code, 250, "{text}");
    assert_eq!(up.token_requests_of("m365-app") - before, 2, "refreshed once");
    arrived_as("refused-2@dest.example", "alice@example.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_grant_gives_451_naming_the_login_an_audit_record_and_the_health() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let (method, secret) = refresh_token("rt-bob-initial");
    up.control(&json!({"revoke": {"refresh_token": "rt-bob-initial"}}));
    let r = rig(
        settings("dovecot", "tls_port", TlsMode::Tls, "bob@example.test", method),
        secret,
        relay_options(Duration::from_secs(30), Duration::from_secs(5)),
    )
    .await;
    let (code, text) = send(&r, "revoked@dest.example", "revoked").await;
    assert_eq!(code, 451, "{text}");
    assert!(text.contains(" 4.7.0 ") && text.contains("login") && text.contains("invalid_grant"), "{text}");
    let h = health(&r).await.expect("health recorded");
    assert_eq!(h.failed_stage, Some(HealthStage::Token));
    assert!(h.detail.contains("invalid_grant"), "{h:?}");
    // The audit writer batches off the reply path: wait for the record.
    let mut record = None;
    for _ in 0..100 {
        let audit = r.w.store.query_audit(r.w.tenant, &AuditFilter::default(), &PageRequest::first()).await.unwrap();
        record = audit.items.into_iter().find(|a| a.mailbox_id == Some(r.mailbox));
        if record.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let record = record.expect("audited");
    assert!(format!("{record:?}").contains("invalid_grant"), "{record:?}");
    let verified = r.verifier.verify(&r.w.store.get_mailbox(r.w.tenant, r.mailbox).await.unwrap()).await;
    assert_eq!((verified.ok, verified.failed_stage), (false, Some(HealthStage::Token)), "{verified:?}");
    assert!(up.captured("revoked@dest.example").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_token_endpoint_down_or_slow_gives_451_and_the_client_keeps_the_message() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    // Every case must reach the token endpoint: no hold between them (holds: held_logins.rs).
    let mut options = relay_options(Duration::from_secs(30), Duration::from_secs(1));
    options.held_login_base = Duration::ZERO;
    let r = rig(
        settings("dovecot", "tls_port", TlsMode::Tls, "bob@example.test", client_credentials("m365-app-bob")),
        client_secret_of(up, "m365-app-bob"),
        options,
    )
    .await;
    for (switch, marker) in
        [(json!({"down": true}), "down"), (json!({"slow": 2.5}), "slow"), (json!({"down": "close"}), "closed")]
    {
        up.control(&switch);
        let (code, text) = send(&r, &format!("{marker}@dest.example"), marker).await;
        up.control(&json!({"reset": true}));
        assert_eq!(code, 451, "{marker}: {text}");
        assert!(text.contains(" 4.4.0 "), "{marker}: a temporary failure, not the login's: {text}");
        let h = health(&r).await.expect("health");
        assert_eq!(h.failed_stage, Some(HealthStage::Token), "{marker}: {h:?}");
    }
    let (code, text) = send(&r, "back@dest.example", "back").await;
    assert_eq!(code, 250, "{text}");
    assert!(health_where(&r, |h| h.ok()).await.is_some_and(|h| h.ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_login_to_postfix_and_bad_certificates_never_send_a_byte() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let password = LoginSecret::Password(up.str(&["postfix", "users", "relay@example.test"]).into());
    let r = rig(
        settings("postfix", "starttls_port", TlsMode::Starttls, "relay@example.test", LoginMethod::Password),
        password.clone(),
        relay_options(Duration::from_secs(30), Duration::from_secs(5)),
    )
    .await;
    let (code, text) = send(&r, "postfix@dest.example", "postfix").await;
    assert_eq!(code, 250, "{text}");
    let got = up.wait_captured("postfix@dest.example", 1);
    let eml = String::from_utf8_lossy(&got[0].1).into_owned();
    assert!(eml.contains("Authenticated sender: relay@example.test") && eml.contains("ESMTPSA"), "{eml}");
    for bad in ["wrong_name", "expired", "self_signed", "untrusted"] {
        for (key, tls) in [("tls_port", TlsMode::Tls), ("starttls_port", TlsMode::Starttls)] {
            let port = up.port(&["postfix", "bad_cert_ports", bad, key]);
            let s = SmtpSettings::new("localhost", port, tls, "relay@example.test").unwrap();
            let r = rig(s, password.clone(), relay_options(Duration::from_secs(30), Duration::from_secs(5))).await;
            let rcpt = format!("{bad}-{key}@dest.example");
            let (code, text) = send(&r, &rcpt, bad).await;
            assert_eq!(code, 451, "{bad} {key}: {text}");
            assert_eq!(health(&r).await.and_then(|h| h.failed_stage), Some(HealthStage::Tls), "{bad} {key}");
            let v = r.verifier.verify(&r.w.store.get_mailbox(r.w.tenant, r.mailbox).await.unwrap()).await;
            assert_eq!(v.failed_stage, Some(HealthStage::Tls), "{bad} {key}: {v:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(up.captured(&rcpt).is_empty(), "{bad} {key}: nothing arrived");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mailbox_without_its_own_server_goes_through_the_system_relay_over_tls() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let password = LoginSecret::Password(up.str(&["postfix", "users", "relay@example.test"]).into());
    let r = rig(
        settings("postfix", "starttls_port", TlsMode::Starttls, "relay@example.test", LoginMethod::Password),
        password,
        relay_options(Duration::from_secs(30), Duration::from_secs(5)),
    )
    .await;
    let admin = Role::Admin { tenant_id: r.w.tenant };
    let input = mailboxes::MailboxInput {
        display_name_policy: Default::default(),
        limits: Default::default(),
        address: "plain@tenant.example".into(),
        display_name: "Plain".into(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
    };
    mailboxes::create(r.w.store.as_ref(), &admin, r.w.tenant, input).await.unwrap();
    let relay = sendas_core::model::SystemRelay::Smtp {
        host: "localhost".into(),
        port: up.port(&["postfix", "tls_port"]),
        tls: TlsMode::Tls,
        username: Some("relay@example.test".into()),
        password_set: true,
    };
    r.w.store.put_system_relay(&relay).await.unwrap();
    let pw = up.str(&["postfix", "users", "relay@example.test"]);
    let sealed = sendas_core::model::BoundSecret::seal(&relay.settings().unwrap(), &pw.into());
    r.secrets.put_secret(&SecretRef::system_relay(), &sealed).await.unwrap();
    let (code, text) = send_as(&r, "plain@tenant.example", "system-relay@dest.example", "system-relay").await;
    assert_eq!(code, 250, "{text}");
    let got = up.wait_captured("system-relay@dest.example", 1);
    assert_eq!(got[0].0["mail_from"].as_str(), Some("plain@tenant.example"));
    let eml = String::from_utf8_lossy(&got[0].1).into_owned();
    assert!(
        eml.contains("Authenticated sender: relay@example.test") && eml.contains("ESMTPSA"),
        "over TLS, logged in: {eml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verify_reports_each_stage_for_every_login_method() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let options = || relay_options(Duration::from_secs(30), Duration::from_secs(5));
    let check = |r: Rig, want: Option<HealthStage>| async move {
        let m = r.w.store.get_mailbox(r.w.tenant, r.mailbox).await.unwrap();
        let v = r.verifier.verify(&m).await;
        assert_eq!((v.ok, v.failed_stage), (want.is_none(), want), "{v:?}");
        assert_eq!(health(&r).await.map(|h| h.failed_stage), Some(want), "verify wrote the health");
    };
    let cc = || settings("dovecot", "tls_port", TlsMode::Tls, "alice@example.test", client_credentials("m365-app"));
    check(rig(cc(), client_secret_of(up, "m365-app"), options()).await, None).await;
    let (sa, key, _) = service_account();
    check(
        rig(settings("dovecot", "starttls_port", TlsMode::Starttls, "alice@example.test", sa), key, options()).await,
        None,
    )
    .await;
    let pw = LoginSecret::Password(up.str(&["postfix", "users", "relay@example.test"]).into());
    let postfix =
        || settings("postfix", "starttls_port", TlsMode::Starttls, "relay@example.test", LoginMethod::Password);
    check(rig(postfix(), pw, options()).await, None).await;
    check(rig(postfix(), LoginSecret::Password("wrong".into()), options()).await, Some(HealthStage::Auth)).await;
    check(rig(cc(), LoginSecret::ClientSecret("wrong".into()), options()).await, Some(HealthStage::Token)).await;
    let closed = SmtpSettings::new("127.0.0.1", sendas_testkit::free_port(), TlsMode::Tls, "x").unwrap();
    check(rig(closed, LoginSecret::Password("pw".into()), options()).await, Some(HealthStage::Connect)).await;
}

/// Collects every log line of this thread's subscriber.
#[derive(Clone, Default)]
struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_or_token_reaches_a_log_line_at_trace() {
    let up = upstreams();
    let _lock = TOKEN_SERVER.lock().await;
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let options = || relay_options(Duration::ZERO, Duration::from_secs(5));
    let r = rig(
        settings("dovecot", "tls_port", TlsMode::Tls, "alice@example.test", client_credentials("m365-app")),
        client_secret_of(up, "m365-app"),
        options(),
    )
    .await;
    assert_eq!(send(&r, "trace-cc@dest.example", "trace-cc").await.0, 250);
    up.control(&json!({"revoke": {"access_tokens_of": "m365-app"}}));
    assert_eq!(send(&r, "trace-cc2@dest.example", "trace-cc2").await.0, 250, "refused token, refreshed");
    let (sa, key, _) = service_account();
    let r =
        rig(settings("dovecot", "starttls_port", TlsMode::Starttls, "alice@example.test", sa), key, options()).await;
    assert_eq!(send(&r, "trace-sa@dest.example", "trace-sa").await.0, 250);
    let (rt, secret) = refresh_token("rt-carol-initial");
    let carol = rig(settings("dovecot", "tls_port", TlsMode::Tls, "alice@example.test", rt), secret, options()).await;
    assert_eq!(send(&carol, "trace-rt@dest.example", "trace-rt").await.0, 250, "refresh token, rotated");
    let cc = settings("dovecot", "tls_port", TlsMode::Tls, "alice@example.test", client_credentials("m365-app"));
    let r = rig(cc, LoginSecret::ClientSecret("a-wrong-client-secret".into()), options()).await;
    assert_eq!(send(&r, "trace-bad@dest.example", "trace-bad").await.0, 451);
    let pw = LoginSecret::Password("a-wrong-password".into());
    let postfix = settings("postfix", "starttls_port", TlsMode::Starttls, "relay@example.test", LoginMethod::Password);
    let r = rig(postfix, pw, options()).await;
    assert_eq!(send(&r, "trace-pw@dest.example", "trace-pw").await.0, 451);
    let logged = String::from_utf8_lossy(&lines.0.lock().unwrap()).into_owned();
    assert!(logged.contains("TRACE") && logged.contains("smtp reply"), "TRACE lines were captured");
    let rotated = carol.secrets.get_secret(&SecretRef::mailbox(carol.w.tenant, carol.mailbox)).await.unwrap().unwrap();
    let carol_box = carol.w.store.get_mailbox(carol.w.tenant, carol.mailbox).await.unwrap();
    let rotated = sendas_core::model::BoundSecret::open(carol_box.smtp.as_ref().unwrap(), &rotated).unwrap();
    let rotated = rotated.expose_secret().to_owned();
    assert!(!rotated.contains("rt-carol-initial"), "rotated and stored back");
    let rotated: serde_json::Value = serde_json::from_str(&rotated).unwrap();
    let rotated = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert!(rotated.len() > 10 && !logged.contains(&rotated), "the rotated refresh token is not logged");
    for secret in [
        "eyJ",                   // any JWT: access tokens, assertions
        "m365-secret",           // client secret
        "a-wrong-client-secret", // refused client secret
        "a-wrong-password",
        "PRIVATE KEY",
        "dXNlcj1",  // base64 of "user=": an XOAUTH2 initial response
        "Bearer ",  // a SASL OAuth payload in clear
        "rt-carol", // the refresh token used (the rotated one is checked above)
    ] {
        assert!(!logged.contains(secret), "{secret:?} appears in the log:\n{logged}");
    }
}

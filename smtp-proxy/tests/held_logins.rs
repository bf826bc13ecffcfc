//! A refused upstream login is held (SPEC §3, issue 25 item 7): after a
//! mailbox's password changed at its provider, 20 messages through the
//! proxy cause one AUTH attempt at the real upstream (aiosmtpd enforcing
//! AUTH; it logs every attempt), each answered `451 4.7.0` naming the
//! mailbox's login, and the health says until when it is held. Once the
//! admin stores the right password, the next message relays at once. The
//! back-off is scaled (2 s) so no test waits long; its doubling and cap are
//! unit-tested in `sendas-relay`'s `held` module.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::Role;
use sendas_core::ports::{SecretStore, Store};
use sendas_core::secret::SecretString;
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use sendas_smtp_proxy::session::Session;
use std::sync::Arc;
use std::time::Duration;
use support::net::*;
use support::*;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_is_held_not_hammered_until_the_secret_changes() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let (world, upstream, _system) = prepare(store.clone(), secrets.clone()).await;
    let admin = Role::Admin { tenant_id: world.tenant };
    let a = store.find_mailbox_by_address(world.tenant, &"a@tenant.example".parse().unwrap()).await.unwrap();
    let set_password = |pw: &'static str| {
        let (store, secrets) = (store.clone(), secrets.clone());
        async move {
            sendas_core::service::mailboxes::set_password(
                store.as_ref(),
                secrets.as_ref(),
                &admin,
                world.tenant,
                a.id,
                &SecretString::from(pw),
            )
            .await
            .unwrap();
        }
    };
    // The provider's password is no longer the stored one.
    set_password("Changed-At-The-Provider").await;

    let mut options = sendas_relay::RelayOptions::new(Duration::from_secs(5))
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    options.held_login_base = Duration::from_secs(2);
    options.held_login_max = Duration::from_secs(4);
    let limits = sendas_smtp_proxy::config::Limits { snapshot_ttl: Duration::from_millis(300), ..limits_for_net() };
    let deps = builder(&store, &secrets, limits, true).relay_options(options).build().deps;
    let send = || {
        let deps = deps.clone();
        let password = world.password.clone();
        async move {
            let (client, server) = tokio::io::duplex(1 << 16);
            let (_stop, rx) = watch::channel(false);
            tokio::spawn(async move {
                Session::new(deps, "192.0.2.9".parse().unwrap(), false, false, rx).run(server, true).await
            });
            let mut c = Client::new(client);
            assert_eq!(c.reply().await.0, 220);
            c.login("alice", &password).await;
            c.transaction("rcpt@example.net", "<a@tenant.example>").await
        }
    };

    for i in 0..20 {
        let (code, text) = send().await;
        assert_eq!(code, 451, "message {i}: {text}");
        assert!(text.contains("4.7.0"), "message {i}: {text}");
    }
    let attempts = upstream.auth_attempts();
    assert!(
        (1..=2).contains(&attempts.len()),
        "20 messages made {} AUTH attempts at the upstream: {attempts:?}",
        attempts.len()
    );
    assert!(attempts.iter().all(|(login, ok)| login == MAILBOX_USER && !ok), "{attempts:?}");
    assert!(upstream.delivered().is_empty());
    let health = store.list_mailbox_health(world.tenant).await.unwrap();
    let h = health.iter().find(|h| h.mailbox_id == a.id).expect("the mailbox's health");
    assert!(h.detail.contains("held until"), "{h:?}");

    // The admin stores the right password: after the secret cache's TTL the next message relays.
    set_password(MAILBOX_PASS).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (code, text) = send().await;
    assert_eq!(code, 250, "{text}");
    assert_eq!(upstream.delivered().len(), 1);
    assert_eq!(upstream.auth_attempts().last().map(|(_, ok)| *ok), Some(true));
}

//! The reply to the final dot over SMTP (SPEC §3, RFC 5321 §4.5.3.2.6),
//! timeouts scaled (1 s deadline up to the dot, 3 s for its reply): an
//! upstream answering `250` after the deadline gets the client a `250` and
//! one copy; one closing the connection after the dot gets it `451 4.4.2`,
//! the audit `uncertain`, and the sending-limit unit stays spent; a `451`
//! to the dot gives the unit back (audit `deferred`). The same cases over
//! HTTP are in `crates/api/tests/final_reply.rs`.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{AuditFilter, AuditOutcome};
use sendas_core::ports::{PageRequest, SecretStore, Store};
use sendas_core::testing::{MemorySecretStore, MemoryStore};
use sendas_smtp_proxy::session::{Deps, Session};
use sendas_testkit::scripted::{AfterDot, ScriptedUpstream};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::watch;

/// A proxy whose alice may send as `a@tenant.example`, a mailbox on `upstream`; at most
/// `per_minute` messages a minute for the user when given.
async fn rig(upstream: &ScriptedUpstream, per_minute: Option<u32>) -> (World, Deps) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::default());
    let world = seed(store.clone()).await;
    support::net::own_upstream(&store, &secrets, &world, upstream.port, "a@tenant.example", "pw").await;
    if let Some(n) = per_minute {
        let mut tenant = store.get_tenant(world.tenant).await.unwrap();
        tenant.limits.user_default.messages_per_minute = Some(n);
        store.update_tenant(&tenant).await.unwrap();
    }
    let mut options = sendas_relay::RelayOptions::new(Duration::from_secs(1))
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    options.final_reply_timeout = Duration::from_secs(3);
    let limits = sendas_smtp_proxy::config::Limits { snapshot_ttl: Duration::from_millis(300), ..limits_for_net() };
    let deps = builder(&store, &secrets, limits, true).relay_options(options).build().deps;
    (world, deps)
}

async fn send(world: &World, deps: &Deps) -> (u16, String) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (_stop, rx) = watch::channel(false);
    let deps = deps.clone();
    tokio::spawn(
        async move { Session::new(deps, "192.0.2.9".parse().unwrap(), false, false, rx).run(server, true).await },
    );
    let mut c = Client::new(client);
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &world.password).await;
    c.transaction("rcpt@example.net", "<a@tenant.example>").await
}

/// The audit outcomes, waiting (briefly) for the writer.
async fn outcomes(world: &World, n: usize) -> Vec<AuditOutcome> {
    for _ in 0..100 {
        let page = world.store.query_audit(world.tenant, &AuditFilter::default(), &PageRequest::first()).await.unwrap();
        if page.items.len() >= n {
            return page.items.iter().map(|r| r.outcome).collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} audit records");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_after_the_deadline_is_the_client_s_250() {
    let upstream = ScriptedUpstream::start(AfterDot::AcceptAfter(Duration::from_millis(1500))).await;
    let (world, deps) = rig(&upstream, None).await;
    let (code, text) = send(&world, &deps).await;
    assert_eq!(code, 250, "{text}");
    assert!(text.contains("queued as S1"), "{text}");
    assert_eq!(upstream.received(), 1);
    assert_eq!(outcomes(&world, 1).await, [AuditOutcome::Accepted]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_after_the_dot_is_451_4_4_2_uncertain_and_spends_the_unit() {
    let upstream = ScriptedUpstream::start(AfterDot::Close).await;
    let (world, deps) = rig(&upstream, Some(1)).await;
    let (code, text) = send(&world, &deps).await;
    assert_eq!(code, 451, "{text}");
    assert!(text.contains("4.4.2") && text.contains("may have been delivered"), "{text}");
    assert_eq!(outcomes(&world, 1).await, [AuditOutcome::Uncertain]);
    let (code, text) = send(&world, &deps).await;
    assert!(code == 451 && text.contains("Sending limit reached"), "the unit was given back: {code} {text}");
    assert_eq!(upstream.received(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_451_to_the_dot_is_deferred_and_gives_the_unit_back() {
    let upstream = ScriptedUpstream::start(AfterDot::Defer).await;
    let (world, deps) = rig(&upstream, Some(1)).await;
    for attempt in 1..=2 {
        let (code, text) = send(&world, &deps).await;
        assert!(code == 451 && text.contains("4.4.0"), "attempt {attempt}: {code} {text}");
    }
    assert_eq!(upstream.received(), 2, "the second attempt was within the limit again");
    assert_eq!(outcomes(&world, 2).await, [AuditOutcome::Deferred, AuditOutcome::Deferred]);
}

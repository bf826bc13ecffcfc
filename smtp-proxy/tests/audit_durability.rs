//! No audit record lost (SPEC §3), on DynamoDB (moto, IAM enforced) with
//! the audit writer's endpoint behind the testkit's Forwarder: while the
//! endpoint is cut for longer than the writer's patience (scaled: 300 ms)
//! 200 messages pass; their records wait, go to the spill file, and are
//! replayed once the endpoint is back: every record is in the table
//! afterwards, exactly once, each naming the app password that
//! authenticated it. A writer killed with records spilled (its task
//! aborted, as a crash leaves them) leaves them in the file; the next
//! proxy on that file replays them when it starts.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{AuditFilter, AuditRecord, CredentialKind};
use sendas_core::ports::{PageRequest, SecretStore, Store};
use sendas_relay::audit::{AuditCounters, AuditOptions};
use sendas_smtp_proxy::builder::Proxy;
use sendas_smtp_proxy::session::Session;
use sendas_testkit::aws::{AwsEndpoint, Principal};
use sendas_testkit::scripted::{AfterDot, ScriptedUpstream};
use sendas_testkit::{Forwarder, Moto};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use support::*;
use tokio::sync::watch;

const PATIENCE: Duration = Duration::from_millis(300);

struct Rig {
    world: World,
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    /// The proxy's audit store, through the forwarder.
    audit_store: Arc<dyn Store>,
}

async fn rig(aws: &AwsEndpoint, forwarder: &Forwarder, upstream: &ScriptedUpstream) -> Rig {
    let (table, prefix) = aws.fresh_names();
    let (store, secrets) = support::backends::aws_backends(aws, &table, &prefix, None).await;
    let world = seed(store.clone()).await;
    support::net::own_upstream(&store, &secrets, &world, upstream.port, "a@tenant.example", "pw").await;
    let cut_able = aws.at(&forwarder.url()).sdk_config(Principal::ProxyTask).await;
    let audit_store: Arc<dyn Store> =
        Arc::new(sendas_store_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&cut_able), table));
    Rig { world, store, secrets, audit_store }
}

fn proxy(rig: &Rig, spill: &Path) -> Proxy {
    builder(&rig.store, &rig.secrets, limits_for_net(), true)
        .audit_store(rig.audit_store.clone())
        .audit_options(AuditOptions { spill: Some(spill.to_owned()), patience: PATIENCE })
        .build()
}

/// Sends `n` messages in one session; every one must be relayed.
async fn send(rig: &Rig, proxy: &Proxy, n: usize) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (_stop, rx) = watch::channel(false);
    let deps = proxy.deps.clone();
    let session = tokio::spawn(async move {
        Session::new(deps, "192.0.2.9".parse().unwrap(), false, false, rx).run(server, true).await;
    });
    let mut c = Client::new(client);
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &rig.world.password).await;
    for i in 0..n {
        let (code, text) = c.transaction("rcpt@example.net", "<a@tenant.example>").await;
        assert_eq!(code, 250, "message {i}: {text}");
    }
    c.expect("QUIT", 221).await;
    session.await.unwrap();
}

async fn wait_for(what: &str, within: Duration, done: impl Fn() -> bool) {
    let until = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < until, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every record of the tenant in the table (read as the admin, not through the forwarder).
async fn records(rig: &Rig) -> Vec<AuditRecord> {
    let mut all = Vec::new();
    let mut page = PageRequest::new(100, None);
    loop {
        let p = rig.store.query_audit(rig.world.tenant, &AuditFilter::default(), &page).await.unwrap();
        all.extend(p.items);
        match p.next {
            Some(next) => page = PageRequest::new(100, Some(next)),
            None => return all,
        }
    }
}

fn count(c: &AuditCounters) -> (u64, u64, u64, u64) {
    let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    (l(&c.written), l(&c.spilled), l(&c.replayed), l(&c.logged))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_wait_spill_and_replay_while_the_store_is_away_and_none_is_lost_or_doubled() {
    let moto = Moto::start();
    let mut forwarder = Forwarder::start(moto.port).await;
    let upstream = ScriptedUpstream::start(AfterDot::AcceptAfter(Duration::ZERO)).await;
    let rig = rig(&moto.aws(), &forwarder, &upstream).await;
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("audit.spill");
    let proxy = proxy(&rig, &spill);
    let counters = proxy.deps.audit.counters().clone();

    send(&rig, &proxy, 20).await;
    forwarder.cut().await;
    send(&rig, &proxy, 100).await;
    wait_for("records spilled while the store is away", Duration::from_secs(10), || {
        counters.spilled.load(Ordering::Relaxed) > 0
    })
    .await;
    send(&rig, &proxy, 80).await;
    forwarder.restore().await;
    wait_for("the spill file replayed once the store is back", Duration::from_secs(20), || {
        let (written, spilled, replayed, _) = count(&counters);
        written + replayed == 200 && replayed == spilled
    })
    .await;
    let Proxy { deps, audit_flush, .. } = proxy;
    drop(deps);
    audit_flush.await.unwrap();

    let (_, spilled, replayed, logged) = count(&counters);
    assert!(
        spilled > 0 && replayed == spilled && logged == 0,
        "spilled {spilled}, replayed {replayed}, logged {logged}"
    );
    let stored = records(&rig).await;
    let ids: HashSet<_> = stored.iter().map(|r| r.id).collect();
    assert_eq!((stored.len(), ids.len()), (200, 200), "every record once");
    assert!(
        stored.iter().all(|r| r.credential.as_ref().is_some_and(|c| c.kind == CredentialKind::AppPassword)),
        "each names its app password"
    );
    assert_eq!(upstream.received(), 200);
    assert_eq!(std::fs::read(&spill).unwrap_or_default(), b"", "the spill file is empty again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_spilled_by_a_killed_writer_are_replayed_when_the_next_one_starts() {
    let moto = Moto::start();
    let mut forwarder = Forwarder::start(moto.port).await;
    let upstream = ScriptedUpstream::start(AfterDot::AcceptAfter(Duration::ZERO)).await;
    let rig = rig(&moto.aws(), &forwarder, &upstream).await;
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("audit.spill");

    forwarder.cut().await;
    let first = proxy(&rig, &spill);
    let counters = first.deps.audit.counters().clone();
    send(&rig, &first, 30).await;
    wait_for("all 30 spilled", Duration::from_secs(10), || counters.spilled.load(Ordering::Relaxed) == 30).await;
    // Killed: the writer's task is gone before it could replay anything.
    first.audit_flush.abort();
    drop(first.deps);
    forwarder.restore().await;
    assert!(records(&rig).await.is_empty(), "nothing reached the table yet");

    let second = proxy(&rig, &spill);
    let counters = second.deps.audit.counters().clone();
    wait_for("replayed on start", Duration::from_secs(10), || counters.replayed.load(Ordering::Relaxed) == 30).await;
    drop(second.deps);
    second.audit_flush.await.unwrap();
    let stored = records(&rig).await;
    let ids: HashSet<_> = stored.iter().map(|r| r.id).collect();
    assert_eq!((stored.len(), ids.len()), (30, 30), "every spilled record, once");
}

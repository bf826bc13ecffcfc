//! Store requests per message, counted by instrumenting the store: the
//! embedded store counts its database calls, the AWS clients (DynamoDB and
//! Secrets Manager) count transmitted requests with an SDK interceptor.
//!
//! 1. The reply path (audit records sent to a separate store): AUTH on a
//!    cold cache, the first message (cold permission snapshot, password),
//!    then messages on a warm cache — which must cost no store request
//!    (the mailbox's health is written once, when its first login's outcome is new).
//! 2. The audit writer under load: 20 concurrent sessions × 5 messages on
//!    warm caches, every request counted, audit included.
//! 3. Phase 1 again with sending limits on the user, the mailbox and the
//!    tenant (high enough not to bite), counted in the backend's shared
//!    counters: the first message takes a block of each, the warm ones
//!    spend the blocks and must still cost no store request.
//!
//! Figures go to stdout and `target/store-cost.txt` (bench/README.md).
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::model::{SendingLimits, TenantLimits};
use sendas_core::ports::{SecretStore, SendCounter, Store};
use sendas_testkit::aws::Principal;
use std::sync::Arc;
use support::net::*;
use support::*;
use tokio::net::TcpStream;

const WARM: u64 = 20;
const SESSIONS: u64 = 20;
const PER_SESSION: u64 = 5;

type Backend = (Arc<dyn Store>, Arc<dyn SecretStore>);

/// Limits on every scope and window, far above what the test sends (blocks of a twentieth).
fn high_limits() -> TenantLimits {
    let all = |n: u32| SendingLimits {
        messages_per_minute: Some(n),
        messages_per_hour: Some(n),
        messages_per_day: Some(n),
        recipients_per_minute: Some(n),
        recipients_per_hour: Some(n),
        recipients_per_day: Some(n),
    };
    TenantLimits {
        tenant: all(1_000_000),
        user_default: all(10_000),
        mailbox_default: all(100_000),
        ..Default::default()
    }
}

/// Phase 1: AUTH, the first message and the warm ones on the reply path (audit apart);
/// with `limits`, the tenant gets [`high_limits`] counted there. Answers (auth, first, warm).
async fn reply_path(
    name: &str,
    (store, secrets): Backend,
    limits: Option<Arc<dyn SendCounter>>,
    count: &impl Fn() -> u64,
) -> (u64, u64, u64) {
    let uncounted: Arc<dyn Store> = Arc::new(sendas_core::testing::MemoryStore::new());
    let limited = limits.is_some();
    let net = start_counted(store.clone(), secrets.clone(), limits_for_net(), true, uncounted, limits).await;
    if limited {
        let mut tenant = store.get_tenant(net.world.tenant).await.unwrap();
        tenant.limits = high_limits();
        store.update_tenant(&tenant).await.unwrap();
    }
    let mut c = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
    c.reply().await;
    let at_start = count();
    c.login("alice", &net.world.password).await;
    let auth = count() - at_start;
    let before_first = count();
    transaction(&mut c).await;
    let first = count() - before_first;
    // The relay records the mailbox's health (its first login's outcome) off the reply path, once:
    // let that write land before the warm messages are counted.
    for _ in 0..100 {
        if !store.list_mailbox_health(net.world.tenant).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before_warm = count();
    for _ in 0..WARM {
        transaction(&mut c).await;
    }
    let warm = count() - before_warm;
    assert_eq!(net.mailbox_upstream.delivered().len() as u64, WARM + 1);
    assert_eq!(warm, 0, "{name}: a message on a warm cache made store requests on its reply path");
    let _ = net.stop.send(true);
    (auth, first, warm)
}

/// Phase 1 on `first` (and with limits on `limited`), phase 2 on `second`; `count` counts all.
async fn measure(
    name: &str,
    first: Backend,
    (limited, counter): (Backend, Arc<dyn SendCounter>),
    second: Backend,
    count: impl Fn() -> u64,
) -> String {
    let (auth, first, warm) = reply_path(name, first, None, &count).await;
    let (_, first_limited, warm_limited) = reply_path(name, limited, Some(counter), &count).await;

    // The same, with the audit records in the counted store, 20 sessions at once, caches warm.
    let (store, secrets) = second;
    // All sessions are alice's: the per-user cap of concurrent transactions is lifted here.
    let limits =
        sendas_smtp_proxy::config::Limits { max_transactions_per_user: SESSIONS as usize + 1, ..limits_for_net() };
    let net = start_with(store, secrets, limits, true).await;
    let mut warmup = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
    warmup.reply().await;
    warmup.login("alice", &net.world.password).await;
    transaction(&mut warmup).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let before_load = count();
    let sessions: Vec<_> = (0..SESSIONS)
        .map(|_| {
            let (port, password) = (net.submission, net.world.password.clone());
            tokio::spawn(async move {
                let mut c = Client::new(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
                c.reply().await;
                c.login("alice", &password).await;
                for _ in 0..PER_SESSION {
                    transaction(&mut c).await;
                }
            })
        })
        .collect();
    for s in sessions {
        s.await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let load = count() - before_load;
    let messages = SESSIONS * PER_SESSION;
    let _ = net.stop.send(true);
    format!(
        "{name}: AUTH (cold cache) {auth} requests; first message (cold permission snapshot) {first}; \
         warm cache, reply path: {warm} for {WARM} messages; {SESSIONS} sessions x {PER_SESSION} messages, \
         audit included: {load} requests for {messages} messages ({:.2} per message); \
         with sending limits on user, mailbox and tenant (9 counters): first message {first_limited}, \
         warm cache, reply path: {warm_limited} for {WARM} messages",
        load as f64 / messages as f64
    )
}

async fn transaction(c: &mut Client<TcpStream>) {
    assert_eq!(c.transaction("rcpt@example.net", "<a@tenant.example>").await.0, 250);
}

fn embedded(counted: &mut Vec<Arc<sendas_store_embedded::SqliteStore>>) -> Backend {
    let dir = tempfile::tempdir().unwrap().keep();
    let (store, secrets) = sendas_store_embedded::open_data_dir(&dir).unwrap();
    let store = Arc::new(store);
    counted.push(store.clone());
    (store, Arc::new(secrets))
}

/// A table on the shared moto; setup as the admin, the proxy as its task role (support::backends),
/// every request of both counted.
async fn aws(counter: &sendas_store_aws::RequestCounter) -> (Backend, String) {
    let aws = sendas_testkit::aws::AwsEndpoint::shared();
    let (table, prefix) = aws.fresh_names();
    (support::backends::aws_backends(aws, &table, &prefix, Some(counter)).await, table)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_requests_per_message_on_cold_and_warm_caches() {
    let mut stores = Vec::new();
    let (a, b) = (embedded(&mut stores), embedded(&mut stores));
    let limited = embedded(&mut stores);
    let sqlite: Arc<dyn SendCounter> = stores[2].clone();
    let count = move || stores.iter().map(|s| s.requests()).sum();
    let embedded = measure("embedded (SQLite calls)", a, (limited, sqlite), b, count).await;

    let counter = sendas_store_aws::RequestCounter::default();
    let (a, b) = (aws(&counter).await.0, aws(&counter).await.0);
    let (limited, table) = aws(&counter).await;
    let proxy = sendas_testkit::aws::AwsEndpoint::shared().sdk_config(Principal::ProxyTask).await;
    let dynamo = aws_sdk_dynamodb::config::Builder::from(&proxy).interceptor(counter.clone()).build();
    let dynamo: Arc<dyn SendCounter> =
        Arc::new(sendas_store_aws::DynamoSendCounter::new(aws_sdk_dynamodb::Client::from_conf(dynamo), table));
    let aws =
        measure("AWS (DynamoDB + Secrets Manager requests)", a, (limited, dynamo), b, move || counter.count()).await;
    let report = format!("{embedded}\n{aws}\n");
    print!("{report}");
    std::fs::write(sendas_testkit::repo_root().join("target/store-cost.txt"), report).unwrap();
}

//! Store requests per message, counted by instrumenting the store: the
//! embedded store counts its database calls, the AWS clients (DynamoDB and
//! Secrets Manager) count transmitted requests with an SDK interceptor.
//! Phases: AUTH on a cold cache, the first message (cold permission
//! snapshot), then messages on a warm cache — which must cost no store
//! request on the reply path. Figures go to stdout and
//! `target/store-cost.txt` (bench/README.md).
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::ports::{SecretStore, Store};
use std::sync::Arc;
use support::net::*;
use support::*;
use tokio::net::TcpStream;

const WARM: u64 = 20;

async fn measure(name: &str, store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>, count: impl Fn() -> u64) -> String {
    let net = start_with(store, secrets, limits_for_net(), true).await;
    let mut c = Client::new(TcpStream::connect(("127.0.0.1", net.submission)).await.unwrap());
    c.reply().await;
    let at_start = count();
    c.login("alice", &net.world.password).await;
    let auth = count() - at_start;
    let before_first = count();
    transaction(&mut c).await;
    let first = count() - before_first;
    let before_warm = count();
    for _ in 0..WARM {
        transaction(&mut c).await;
    }
    let warm = count() - before_warm;
    assert_eq!(net.mailbox_upstream.delivered().len() as u64, WARM + 1);
    let line = format!(
        "{name}: AUTH (cold cache) {auth} requests; first message (cold permission snapshot) {first}; \
         warm cache {:.2} per message ({warm} for {WARM})",
        warm as f64 / WARM as f64
    );
    let _ = net.stop.send(true);
    line
}

async fn transaction(c: &mut Client<TcpStream>) {
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    c.expect("RCPT TO:<rcpt@example.net>", 250).await;
    c.expect("DATA", 354).await;
    c.send(message("<a@tenant.example>", "").as_bytes()).await;
    c.send(b".\r\n").await;
    assert_eq!(c.reply().await.0, 250);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_requests_per_message_on_cold_and_warm_caches() {
    let dir = tempfile::tempdir().unwrap();
    let (store, secrets) = sendas_store_embedded::open_data_dir(dir.path()).unwrap();
    let store = Arc::new(store);
    let counted = store.clone();
    let embedded = measure("embedded (SQLite calls)", store, Arc::new(secrets), move || counted.requests()).await;

    let counter = sendas_store_aws::RequestCounter::default();
    let sdk = sendas_store_aws::load_aws_config().await;
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(counter.clone()).build(),
    );
    let table = format!("cost-{}", sendas_core::TenantId::generate());
    sendas_store_aws::create_table(&dynamo, &table).await.unwrap();
    let sm = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&sdk).interceptor(counter.clone()).build(),
    );
    let secrets = sendas_store_aws::SecretsManagerStore::new(sm, "cost/", sendas_store_aws::DEFAULT_SECRET_TTL);
    let store = Arc::new(sendas_store_aws::DynamoStore::new(dynamo, table));
    let aws = measure("AWS (DynamoDB + Secrets Manager requests)", store, Arc::new(secrets), move || counter.count())
        .await;
    let report = format!("{embedded}\n{aws}\n");
    print!("{report}");
    std::fs::write(sendas_testkit::repo_root().join("target/store-cost.txt"), report).unwrap();
}

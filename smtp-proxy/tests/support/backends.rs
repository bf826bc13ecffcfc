//! The three backends the proxy suite runs on.
//!
//! On AWS (moto with IAM enforced, see `scripts/moto_serialized.py`) a
//! backend has two faces. The stores a test gets seed the world and drive
//! the test (creating tenants, disabling users): they sign as the `admin`
//! principal. The proxy's own components — the authenticator, the relay's
//! secret reads, the audit writer — sign as `proxy-task`, the proxy's ECS
//! task role with the policies of infra/proxy.yaml: [`deployed`] answers
//! those stores for a store the test holds, and `deps` / `start_full` use
//! it. So a call the task role does not allow fails the test.
#![allow(dead_code, clippy::unwrap_used)]

use sendas_core::ports::{SecretStore, Store};
use sendas_store_aws::{DynamoStore, RequestCounter, SecretsManagerStore};
use sendas_testkit::aws::{AwsEndpoint, Principal};
use std::sync::{Arc, Mutex};

/// The embedded store in a fresh data directory.
pub fn embedded() -> (Arc<dyn Store>, Arc<dyn SecretStore>) {
    let dir = tempfile::tempdir().unwrap().keep();
    let (store, secrets) = sendas_store_embedded::open_data_dir(&dir).unwrap();
    (Arc::new(store), Arc::new(secrets))
}

/// A fresh DynamoDB table and Secrets Manager prefix on the shared moto (`AWS_ENDPOINT_URL`).
pub async fn dynamodb() -> (Arc<dyn Store>, Arc<dyn SecretStore>) {
    let (store, secrets, _, _) = dynamodb_named().await;
    (store, secrets)
}

/// As `dynamodb`, also answering the table name and secret prefix.
pub async fn dynamodb_named() -> (Arc<dyn Store>, Arc<dyn SecretStore>, String, String) {
    let aws = AwsEndpoint::shared();
    let (table, prefix) = aws.fresh_names();
    let (store, secrets) = aws_backends(aws, &table, &prefix, None).await;
    (store, secrets, table, prefix)
}

/// Creates `table` on `aws` as the admin and answers the admin's store on it and secret
/// store under `prefix`; the proxy's face of both (as
/// `proxy-task`) is registered for [`deployed`]. Every client counts through `counter`.
pub async fn aws_backends(
    aws: &AwsEndpoint,
    table: &str,
    prefix: &str,
    counter: Option<&RequestCounter>,
) -> (Arc<dyn Store>, Arc<dyn SecretStore>) {
    let clients = |config: aws_config::SdkConfig| {
        let mut dynamo = aws_sdk_dynamodb::config::Builder::from(&config);
        let mut sm = aws_sdk_secretsmanager::config::Builder::from(&config);
        if let Some(c) = counter {
            dynamo = dynamo.interceptor(c.clone());
            sm = sm.interceptor(c.clone());
        }
        (aws_sdk_dynamodb::Client::from_conf(dynamo.build()), aws_sdk_secretsmanager::Client::from_conf(sm.build()))
    };
    let (dynamo, sm) = clients(aws.sdk_config(Principal::Admin).await);
    sendas_store_aws::create_table(&dynamo, table).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(dynamo, table));
    let secrets: Arc<dyn SecretStore> = Arc::new(SecretsManagerStore::new(sm, prefix));
    let (dynamo, sm) = clients(aws.sdk_config(Principal::ProxyTask).await);
    let proxy_store: Arc<dyn Store> = Arc::new(DynamoStore::new(dynamo, table));
    let proxy_secrets: Arc<dyn SecretStore> = Arc::new(SecretsManagerStore::new(sm, prefix));
    DEPLOYED.lock().unwrap().push(Faces { store: store.clone(), secrets: secrets.clone(), proxy_store, proxy_secrets });
    (store, secrets)
}

/// A test's store and secret store, with the proxy's (task role) face of each.
struct Faces {
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    proxy_store: Arc<dyn Store>,
    proxy_secrets: Arc<dyn SecretStore>,
}

static DEPLOYED: Mutex<Vec<Faces>> = Mutex::new(Vec::new());

/// The store the proxy runs with for a store the test holds: on AWS the same table signed
/// as `proxy-task`; otherwise the store itself.
pub fn deployed(store: &Arc<dyn Store>) -> Arc<dyn Store> {
    let faces = DEPLOYED.lock().unwrap();
    faces.iter().find(|f| Arc::ptr_eq(&f.store, store)).map_or_else(|| store.clone(), |f| f.proxy_store.clone())
}

/// As [`deployed`], for a secret store.
pub fn deployed_secrets(secrets: &Arc<dyn SecretStore>) -> Arc<dyn SecretStore> {
    let faces = DEPLOYED.lock().unwrap();
    faces.iter().find(|f| Arc::ptr_eq(&f.secrets, secrets)).map_or_else(|| secrets.clone(), |f| f.proxy_secrets.clone())
}

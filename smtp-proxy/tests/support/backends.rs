//! The three backends the proxy suite runs on.
#![allow(dead_code, clippy::unwrap_used)]

use sendas_core::ports::{SecretStore, Store};
use std::sync::Arc;

/// The embedded store in a fresh data directory.
pub fn embedded() -> (Arc<dyn Store>, Arc<dyn SecretStore>) {
    let dir = tempfile::tempdir().unwrap().keep();
    let (store, secrets) = sendas_store_embedded::open_data_dir(&dir).unwrap();
    (Arc::new(store), Arc::new(secrets))
}

/// A fresh DynamoDB table and Secrets Manager prefix on moto (`AWS_ENDPOINT_URL`).
pub async fn dynamodb() -> (Arc<dyn Store>, Arc<dyn SecretStore>) {
    let (store, secrets, _, _) = dynamodb_named().await;
    (store, secrets)
}

/// As `dynamodb`, also answering the table name and secret prefix.
pub async fn dynamodb_named() -> (Arc<dyn Store>, Arc<dyn SecretStore>, String, String) {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.contains("127.0.0.1")),
        "AWS_ENDPOINT_URL must point at moto on 127.0.0.1; run scripts/test.sh"
    );
    let config = sendas_store_aws::load_aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("proxy-{}", sendas_core::TenantId::generate());
    sendas_store_aws::create_table(&client, &table).await.unwrap();
    let prefix = format!("proxy-test/{}/", sendas_core::TenantId::generate());
    let secrets = sendas_store_aws::SecretsManagerStore::new(
        aws_sdk_secretsmanager::Client::new(&config),
        prefix.clone(),
        sendas_store_aws::DEFAULT_SECRET_TTL,
    );
    (Arc::new(sendas_store_aws::DynamoStore::new(client, table.clone())), Arc::new(secrets), table, prefix)
}

/// The AWS configuration for a local endpoint, with explicit test credentials and region:
/// nothing may fall back to instance metadata.
pub async fn aws_at(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("eu-central-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

/// Creates `table` through `dynamo` and answers the store on it and the secret store
/// under `prefix` (cached for `secret_ttl`) through `secrets`.
pub async fn aws_backends(
    dynamo: aws_sdk_dynamodb::Client,
    secrets: aws_sdk_secretsmanager::Client,
    table: &str,
    prefix: &str,
    secret_ttl: std::time::Duration,
) -> (Arc<dyn Store>, Arc<dyn SecretStore>) {
    sendas_store_aws::create_table(&dynamo, table).await.unwrap();
    (
        Arc::new(sendas_store_aws::DynamoStore::new(dynamo, table)),
        Arc::new(sendas_store_aws::SecretsManagerStore::new(secrets, prefix, secret_ttl)),
    )
}

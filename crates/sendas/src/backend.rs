//! Choosing and opening the backends: the embedded store in a data
//! directory (default), or DynamoDB + Secrets Manager.

use anyhow::Context;
use sendas_core::model::Role;
use sendas_core::ports::{FailureCounter, PageRequest, SendCounter, Store};
use sendas_core::secret::ExposeSecret;
use sendas_relay::CachedSecrets;
use std::path::Path;
use std::sync::Arc;

/// The opened backends.
pub struct Backends {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The secret store, through the process's one credential cache (shared by the API and the relay).
    pub secrets: Arc<CachedSecrets>,
    /// AUTH failure counters shared between proxy processes (DynamoDB); `None`: each process counts alone.
    pub shared_failures: Option<Arc<dyn FailureCounter>>,
    /// Sending-limit counters: in the store (SQLite or DynamoDB), so processes on one store share them.
    pub send_counter: Arc<dyn SendCounter>,
}

/// Opens the embedded store in `dir` (created on first start).
pub fn embedded(dir: &Path) -> anyhow::Result<Backends> {
    let (store, secrets) = sendas_store_embedded::open_data_dir(dir)
        .with_context(|| format!("opening the data directory {}", dir.display()))?;
    let store = Arc::new(store);
    Ok(Backends {
        send_counter: store.clone(),
        store,
        secrets: CachedSecrets::with_default_ttl(Arc::new(secrets)),
        shared_failures: None,
    })
}

/// Opens DynamoDB table `table` and Secrets Manager under `prefix` (standard AWS configuration).
pub async fn aws(table: &str, prefix: &str) -> Backends {
    let aws = sendas_store_aws::AwsBackends::connect(&sendas_store_aws::load_aws_config().await, table, prefix);
    Backends {
        store: aws.store,
        secrets: CachedSecrets::with_default_ttl(aws.secrets),
        shared_failures: Some(aws.failures),
        send_counter: aws.send_counter,
    }
}

/// Writes a new operator token and answers its text (shown once).
pub async fn new_operator_token(store: &dyn Store, name: &str) -> anyhow::Result<String> {
    let name = sendas_core::model::Name::parse(name).map_err(|e| anyhow::anyhow!("token name: {e}"))?;
    let issued = sendas_core::service::tokens::mint(Role::Operator, name);
    store.create_token(&issued.token).await.context("writing the operator token")?;
    Ok(issued.text.expose_secret().to_owned())
}

/// Creates an operator token only when the store has none; answers it.
pub async fn first_operator_token(store: &dyn Store) -> anyhow::Result<Option<String>> {
    let existing = store.list_tokens(None, &PageRequest::new(1, None)).await.context("reading operator tokens")?;
    if !existing.items.is_empty() {
        return Ok(None);
    }
    new_operator_token(store, "first operator token").await.map(Some)
}

/// Claims the addresses of existing system mailboxes in `table` (the upgrade step of
/// `sendas claim-system-addresses`); answers how many claims it wrote.
pub async fn claim_system_addresses(table: &str) -> anyhow::Result<usize> {
    let config = sendas_store_aws::load_aws_config().await;
    let store = sendas_store_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), table.to_owned());
    store.claim_system_addresses().await.map_err(|e| anyhow::anyhow!("claiming system addresses in {table}: {e}"))
}

/// Creates the DynamoDB table unless it exists.
pub async fn create_aws_table(table: &str) -> anyhow::Result<()> {
    let config = sendas_store_aws::load_aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    if client.describe_table().table_name(table).send().await.is_ok() {
        return Ok(());
    }
    sendas_store_aws::create_table(&client, table).await.map_err(|e| anyhow::anyhow!("creating table {table}: {e}"))
}

//! The one wiring of the AWS backend: every process on AWS (the proxy
//! binary, each Lambda function, the `sendas` command with `--table`)
//! builds its DynamoDB and Secrets Manager clients, its store and its
//! shared counters here, from one `SdkConfig`, so they cannot drift.

use crate::{DynamoFailureCounter, DynamoSendCounter, DynamoStore, SecretsManagerStore};
use std::sync::Arc;

/// The backends of one process on one table and secret prefix.
#[derive(Clone)]
pub struct AwsBackends {
    /// The DynamoDB client (shared by the store and the counters).
    pub dynamo: aws_sdk_dynamodb::Client,
    /// The store.
    pub store: Arc<DynamoStore>,
    /// The secret store (raw: the caller puts its process's one cache in front).
    pub secrets: Arc<SecretsManagerStore>,
    /// The AUTH failure counters every replica shares.
    pub failures: Arc<DynamoFailureCounter>,
    /// The sending-limit counters every process shares.
    pub send_counter: Arc<DynamoSendCounter>,
}

impl AwsBackends {
    /// Clients of `aws` on table `table`, secrets under `secret_prefix`.
    pub fn connect(aws: &aws_config::SdkConfig, table: &str, secret_prefix: &str) -> AwsBackends {
        let dynamo = aws_sdk_dynamodb::Client::new(aws);
        AwsBackends {
            store: Arc::new(DynamoStore::new(dynamo.clone(), table)),
            secrets: Arc::new(SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(aws), secret_prefix)),
            failures: Arc::new(DynamoFailureCounter::new(dynamo.clone(), table)),
            send_counter: Arc::new(DynamoSendCounter::new(dynamo.clone(), table)),
            dynamo,
        }
    }
}

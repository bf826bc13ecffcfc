//! The store contract suite against DynamoDB and Secrets Manager, through
//! the real AWS SDK, on the AWS-compatible server named by
//! `AWS_ENDPOINT_URL` (moto, started by `scripts/test.sh`). Without that
//! variable these tests fail: they are never skipped silently.

mod dynamodb {
    use sendas_core::testing::contract::Backend;
    use sendas_store_aws::{DEFAULT_SECRET_TTL, DynamoStore, SecretsManagerStore, create_table, load_aws_config};
    use std::sync::Arc;

    pub(crate) async fn backend() -> Backend {
        assert!(
            std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.contains("127.0.0.1") || v.contains("localhost")),
            "AWS_ENDPOINT_URL must point at a local AWS-compatible server; run scripts/test.sh, which starts moto"
        );
        let config = load_aws_config().await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let table = format!("sendas-test-{}", sendas_core::TenantId::generate());
        create_table(&client, &table).await.expect("create table");
        let secrets = aws_sdk_secretsmanager::Client::new(&config);
        let prefix = format!("sendas-test/{}/", sendas_core::TenantId::generate());
        Backend {
            store: Arc::new(DynamoStore::new(client, table)),
            secrets: Arc::new(SecretsManagerStore::new(secrets, prefix, DEFAULT_SECRET_TTL)),
        }
    }

    mod contract {
        use super::backend;
        sendas_core::store_contract_tests!(backend);
    }
}

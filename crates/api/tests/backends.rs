//! The HTTP suite against the embedded store and against the AWS store on
//! moto (`AWS_ENDPOINT_URL`, started by scripts/test.sh).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use support::TestApi;

mod embedded {
    use super::*;

    fn api() -> TestApi {
        let dir = tempfile::tempdir().unwrap().keep();
        let (store, secrets) = sendas_store_embedded::open_data_dir(&dir).unwrap();
        TestApi::new(Arc::new(store), Arc::new(secrets))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn quota_race_over_http() {
        support::suite::quota_race_over_http(api()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mailbox_group_dropdown_walkthrough() {
        support::suite::mailbox_group_dropdown_walkthrough(api()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn validation_isolation_and_audit() {
        support::suite::validation_isolation_and_audit(api()).await;
    }
}

mod dynamodb {
    use super::*;
    use sendas_store_aws::{DEFAULT_SECRET_TTL, DynamoStore, SecretsManagerStore, create_table, load_aws_config};

    async fn api() -> TestApi {
        assert!(
            std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.contains("127.0.0.1")),
            "AWS_ENDPOINT_URL must point at moto on 127.0.0.1; run scripts/test.sh"
        );
        let config = load_aws_config().await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let table = format!("sendas-api-{}", sendas_core::TenantId::generate());
        create_table(&client, &table).await.unwrap();
        let secrets = SecretsManagerStore::new(
            aws_sdk_secretsmanager::Client::new(&config),
            format!("sendas-api/{}/", sendas_core::TenantId::generate()),
            DEFAULT_SECRET_TTL,
        );
        TestApi::new(Arc::new(DynamoStore::new(client, table)), Arc::new(secrets))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn quota_race_over_http() {
        support::suite::quota_race_over_http(api().await).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mailbox_group_dropdown_walkthrough() {
        support::suite::mailbox_group_dropdown_walkthrough(api().await).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn validation_isolation_and_audit() {
        support::suite::validation_isolation_and_audit(api().await).await;
    }
}

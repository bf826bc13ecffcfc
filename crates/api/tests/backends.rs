//! The HTTP suite against the embedded store and against the AWS store on
//! moto (`AWS_ENDPOINT_URL`, started by scripts/test.sh, IAM enforced: each
//! area runs as its Lambda function's principal).
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
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn etags_and_if_match() {
        support::suite::etags_and_if_match(api()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn templates_offered_by_the_rule() {
        support::suite::templates_offered_by_the_rule(api()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn send_over_http() {
        support::suite::send_over_http(api()).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sending_limits_within_ceilings() {
        support::suite::sending_limits_within_ceilings(api()).await;
    }
}

mod dynamodb {
    use super::*;

    /// Each area's router as its function's IAM principal (support::aws).
    async fn api() -> TestApi {
        support::aws::dynamodb_api().await
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
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn etags_and_if_match() {
        support::suite::etags_and_if_match(api().await).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn templates_offered_by_the_rule() {
        support::suite::templates_offered_by_the_rule(api().await).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn send_over_http() {
        support::suite::send_over_http(api().await).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sending_limits_within_ceilings() {
        support::suite::sending_limits_within_ceilings(api().await).await;
    }
}

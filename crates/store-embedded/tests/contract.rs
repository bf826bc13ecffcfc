//! The store contract suite against the embedded SQLite backend.

mod embedded {
    use sendas_core::testing::contract::Backend;
    use std::sync::Arc;

    async fn backend() -> Backend {
        // The directory is leaked on purpose: it must outlive the store in the test.
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let (store, secrets) = sendas_store_embedded::open_data_dir(&dir).expect("open");
        Backend { store: Arc::new(store), secrets: Arc::new(secrets) }
    }

    mod contract {
        use super::backend;
        sendas_core::store_contract_tests!(backend);

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn send_counters_never_pass_a_limit() {
            let dir = tempfile::tempdir().expect("temp dir");
            let (store, _) = sendas_store_embedded::open_data_dir(dir.path()).expect("open");
            sendas_core::testing::contract::send_counters_never_pass_a_limit(std::sync::Arc::new(store)).await;
        }
    }
}

//! The store contract suite against the in-memory backend.
#![cfg(feature = "test-util")]

mod memory {
    use sendas_core::testing::contract::Backend;
    use sendas_core::testing::{MemorySecretStore, MemoryStore};
    use std::sync::Arc;

    async fn backend() -> Backend {
        Backend { store: Arc::new(MemoryStore::new()), secrets: Arc::new(MemorySecretStore::default()) }
    }

    mod contract {
        use super::backend;
        sendas_core::store_contract_tests!(backend);

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn send_counters_never_pass_a_limit() {
            let counter = std::sync::Arc::new(sendas_core::ports::MemorySendCounter::default());
            sendas_core::testing::contract::send_counters_never_pass_a_limit(counter).await;
        }
    }
}

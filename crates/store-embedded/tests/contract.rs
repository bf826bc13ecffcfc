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

        /// Every tenant's claims in pages of two: each once, ordered by (tenant, id).
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn all_domains_page_by_tenant_and_id() {
            use sendas_core::model::DomainState;
            use sendas_core::ports::PageRequest;
            let b = backend().await;
            let mut expected = Vec::new();
            for i in 0..3 {
                let new = sendas_core::testing::fixtures::new_tenant(&format!("page{i}.example"), 1);
                b.store.create_tenant(&new).await.expect("tenant");
                for j in 0..2 {
                    let name = sendas_core::DomainName::parse(&format!("d{j}.page{i}.example")).expect("name");
                    let mut d =
                        sendas_core::service::domains::assigned(new.tenant.id, name, sendas_core::Timestamp::now())
                            .expect("claim");
                    d.state = if j == 0 { DomainState::Pending } else { DomainState::Assigned };
                    b.store.create_domain(&d).await.expect("create");
                    expected.push(d);
                }
            }
            expected.sort_by_key(|d| (d.tenant_id, d.id));
            let (mut seen, mut after) = (Vec::new(), None);
            loop {
                let page = b.store.list_all_domains(&PageRequest::new(2, after)).await.expect("page");
                assert!(page.items.len() <= 2);
                seen.extend(page.items);
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            assert_eq!(seen, expected);
            let bad = b.store.list_all_domains(&PageRequest::new(2, Some("not a cursor".into()))).await;
            assert!(matches!(bad, Err(sendas_core::StoreError::InvalidCursor)), "{bad:?}");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn send_counters_never_pass_a_limit() {
            let dir = tempfile::tempdir().expect("temp dir");
            let (store, _) = sendas_store_embedded::open_data_dir(dir.path()).expect("open");
            sendas_core::testing::contract::send_counters_never_pass_a_limit(std::sync::Arc::new(store)).await;
        }
    }
}

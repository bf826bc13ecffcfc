//! The store contract suite against DynamoDB and Secrets Manager, through
//! the real AWS SDK, on the moto of `scripts/test.sh` (`AWS_ENDPOINT_URL`,
//! IAM enforced; keys in `SENDAS_AWS_PRINCIPALS`). The store is exercised
//! as the admin principal: the contract is about the store's semantics;
//! what each deployed principal may call is held by the API, function and
//! proxy tests (and `tests/iam.rs`). Without moto these tests fail: they
//! are never skipped silently.

mod dynamodb {
    use sendas_core::testing::contract::Backend;
    use sendas_store_aws::{DynamoStore, SecretsManagerStore, create_table};
    use sendas_testkit::aws::{AwsEndpoint, Principal};
    use std::sync::Arc;

    pub(crate) async fn backend() -> Backend {
        let aws = AwsEndpoint::shared();
        let config = aws.sdk_config(Principal::Admin).await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let (table, prefix) = aws.fresh_names();
        create_table(&client, &table).await.expect("create table");
        let secrets = aws_sdk_secretsmanager::Client::new(&config);
        Backend {
            store: Arc::new(DynamoStore::new(client, table)),
            secrets: Arc::new(SecretsManagerStore::new(secrets, prefix)),
        }
    }

    mod contract {
        use super::{Arc, AwsEndpoint, Principal, backend, create_table};
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
            let aws = AwsEndpoint::shared();
            let client = aws_sdk_dynamodb::Client::new(&aws.sdk_config(Principal::Admin).await);
            let (table, _) = aws.fresh_names();
            create_table(&client, &table).await.expect("create table");
            let counter = Arc::new(sendas_store_aws::DynamoSendCounter::new(client, table));
            sendas_core::testing::contract::send_counters_never_pass_a_limit(counter).await;
        }

        /// A table of an older release has no system-address claims: claiming them afterwards
        /// gives each address to the tenant created first, once.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn system_addresses_of_an_older_table_are_claimed_afterwards() {
            use sendas_core::ports::TenantStore;
            use sendas_core::testing::fixtures::new_tenant;
            let aws = AwsEndpoint::shared();
            let client = aws_sdk_dynamodb::Client::new(&aws.sdk_config(Principal::Admin).await);
            let (table, _) = aws.fresh_names();
            create_table(&client, &table).await.expect("create table");
            let store = sendas_store_aws::DynamoStore::new(client.clone(), &table);
            let (first, second) = (new_tenant("older.example", 1), new_tenant("older.example", 1));
            let unclaim = |address: String| {
                let (client, table) = (client.clone(), table.clone());
                async move {
                    client
                        .delete_item()
                        .table_name(table)
                        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(format!("SYSADDR#{address}")))
                        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("SYSADDR".into()))
                        .send()
                        .await
                        .expect("delete the claim")
                }
            };
            // As an older release wrote them: the same system address in two tenants, no claims.
            store.create_tenant(&first).await.expect("first");
            unclaim(first.system_mailbox.address.to_string()).await;
            store.create_tenant(&second).await.expect("second, as the older release allowed");
            unclaim(second.system_mailbox.address.to_string()).await;
            assert_eq!(store.claim_system_addresses().await.expect("claim"), 1);
            assert_eq!(store.claim_system_addresses().await.expect("again"), 0, "idempotent");
            let claim = client
                .get_item()
                .table_name(&table)
                .key(
                    "PK",
                    aws_sdk_dynamodb::types::AttributeValue::S(format!("SYSADDR#{}", first.system_mailbox.address)),
                )
                .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("SYSADDR".into()))
                .send()
                .await
                .expect("read the claim")
                .item
                .expect("a claim");
            let holder = claim.get("tenant_id").and_then(|v| v.as_s().ok()).cloned();
            assert_eq!(holder, Some(first.tenant.id.to_string()), "the tenant created first keeps it");
            let third = new_tenant("older.example", 1);
            assert!(matches!(store.create_tenant(&third).await, Err(sendas_core::StoreError::Conflict(_))));
        }

        /// A DynamoDB that accepts connections and never answers: a take fails within its
        /// timeout instead of holding the tenant's leases.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_send_counter_take_that_hangs_fails_in_time() {
            use sendas_core::ports::{CounterKey, Scope, SendCounter, Units};
            let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let endpoint = format!("http://{}", silent.local_addr().expect("address"));
            let held = tokio::spawn(async move {
                let mut open = Vec::new();
                while let Ok((socket, _)) = silent.accept().await {
                    open.push(socket);
                }
            });
            let config = AwsEndpoint::shared().sdk_config(Principal::Admin).await;
            let client = aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&config).endpoint_url(endpoint).build(),
            );
            let counter = sendas_store_aws::DynamoSendCounter::new(client, "silent");
            let key = CounterKey {
                tenant: sendas_core::TenantId::generate(),
                scope: Scope::Tenant,
                window: sendas_core::model::Window::Minute,
                bucket: 1,
            };
            let limit = sendas_core::model::Allowance { messages: Some(5), recipients: None };
            let started = std::time::Instant::now();
            let result = counter.take(&key, Units { messages: 1, recipients: 0 }, limit).await;
            assert!(matches!(result, Err(sendas_core::StoreError::Unavailable(_))), "{result:?}");
            let took = started.elapsed();
            assert!(took >= sendas_store_aws::TAKE_TIMEOUT && took < sendas_store_aws::TAKE_TIMEOUT * 2, "{took:?}");
            held.abort();
        }
    }
}

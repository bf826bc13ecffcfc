//! Every row of the crate docs' access-pattern table (`src/lib.rs`),
//! measured: each operation runs on moto with the SDK interceptor
//! recording what it sent, and the requests (operation, and the items of
//! each transaction) must be exactly what the table says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sendas_core::Timestamp;
use sendas_core::model::{AuditFilter, Group, MailboxHealth, MailboxScope, SystemRelay};
use sendas_core::ports::*;
use sendas_core::service::permissions;
use sendas_core::testing::fixtures::*;
use sendas_store_aws::{DynamoFailureCounter, DynamoStore, RequestCounter, create_table};
use sendas_testkit::aws::{AwsEndpoint, Principal};
use std::collections::BTreeSet;
use std::time::Duration;

/// The requests recorded since the last call, as `Operation` or `TransactWriteItems(items)`; clears the log.
fn sent(log: &RequestCounter) -> Vec<String> {
    let out = log
        .requests()
        .into_iter()
        .map(|r| {
            let op = r.operation.trim_start_matches("dynamodb:").to_owned();
            if op == "TransactWriteItems" { format!("{op}({})", r.targets.len()) } else { op }
        })
        .collect();
    log.clear();
    out
}

/// A fresh table (as the admin) and a store on it whose every request is recorded.
async fn recorded_table() -> (DynamoStore, aws_sdk_dynamodb::Client, String, RequestCounter) {
    let aws = AwsEndpoint::shared();
    let (table, _) = aws.fresh_names();
    let config = aws.sdk_config(Principal::Admin).await;
    let log = RequestCounter::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config).interceptor(log.clone()).build(),
    );
    create_table(&client, &table).await.unwrap();
    (DynamoStore::new(client.clone(), &table), client, table, log)
}

fn times(op: &str, n: usize) -> Vec<String> {
    vec![op.to_owned(); n]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_access_pattern_table_costs_what_it_says() {
    let (s, client, table, log) = recorded_table().await;
    let first = PageRequest::first();
    sent(&log);

    // Tenants.
    let new = new_tenant("cost.example", 5);
    s.create_tenant(&new).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(7)"], "create tenant");
    let t = new.tenant.id;
    s.get_tenant(t).await.unwrap();
    assert_eq!(sent(&log), ["GetItem"], "get tenant");
    let mut tenant = new.tenant.clone();
    tenant.mailbox_quota = 6;
    s.update_tenant(&tenant).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "update tenant (quota copied to the counter)");
    s.list_tenants(&first).await.unwrap();
    assert_eq!(sent(&log), ["Query"], "list tenants (GSI1)");

    // Groups and users.
    let g = group(t, "Cost");
    s.create_group(&g).await.unwrap();
    sent(&log);
    let renamed = Group { name: name("Cost 2"), version: 2, ..g.clone() };
    s.update_group(&g, &renamed).await.unwrap();
    assert_eq!(sent(&log), ["UpdateItem"], "rename group");
    let mut u = user(t, "cost-user", &[new.company.id]);
    s.create_user(&u).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "create user");
    let mut joined = user(t, "cost-joined", &[new.company.id]);
    joined.groups.insert(g.id);
    s.create_user(&joined).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(3)"], "create user in one group");
    s.get_user(t, u.id).await.unwrap();
    s.get_company(t, new.company.id).await.unwrap();
    s.get_group(t, g.id).await.unwrap();
    assert_eq!(sent(&log), times("GetItem", 3), "get user, company, group");
    s.find_user_by_login(&u.login).await.unwrap();
    assert_eq!(sent(&log), times("GetItem", 2), "user by login");
    let before = u.clone();
    u.enabled = false;
    u.version = 2;
    s.update_user(&before, &u).await.unwrap();
    assert_eq!(sent(&log), ["PutItem"], "update user");
    let before = u.clone();
    u.groups.insert(g.id);
    u.version = 3;
    s.update_user(&before, &u).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "update user joining one group");
    assert!(s.update_user(&before, &u).await.is_err());
    assert_eq!(sent(&log), ["TransactWriteItems(2)", "GetItem"], "a raced update tells why with one read");
    for list in [
        s.list_companies(t, &first).await.map(drop),
        s.list_users(t, &first).await.map(drop),
        s.list_groups(t, &first).await.map(drop),
        s.list_mailboxes(t, &first).await.map(drop),
    ] {
        list.unwrap();
    }
    assert_eq!(sent(&log), times("Query", 4), "list companies, users, groups, mailboxes");

    // Mailboxes.
    let mut m = mailbox(t, "desk@cost.example", MailboxScope::Global);
    s.create_mailbox(&m).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(3)"], "create mailbox within quota");
    s.get_mailbox(t, m.id).await.unwrap();
    assert_eq!(sent(&log), ["GetItem"], "get mailbox");
    s.find_mailbox_by_address(t, &m.address).await.unwrap();
    assert_eq!(sent(&log), times("GetItem", 2), "find mailbox by address");
    let before = m.clone();
    m.display_name = name("Desk");
    m.version = 2;
    s.update_mailbox(&before, &m).await.unwrap();
    assert_eq!(sent(&log), ["PutItem"], "update mailbox, same address");
    let before = m.clone();
    m.address = address("front@cost.example");
    m.access.groups = BTreeSet::from([g.id]);
    m.version = 3;
    s.update_mailbox(&before, &m).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(4)"], "update mailbox, new address and one new group");
    let h = MailboxHealth {
        tenant_id: t,
        mailbox_id: m.id,
        failed_stage: None,
        detail: String::new(),
        at: Timestamp::now(),
    };
    s.put_mailbox_health(&h).await.unwrap();
    s.list_mailbox_health(t).await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "Query"], "record / list mailbox health");
    let snap = permissions::snapshot(&s, t, u.id).await.unwrap();
    let mut snapshot = sent(&log);
    snapshot.sort();
    assert_eq!(
        snapshot,
        ["GetItem", "GetItem", "GetItem", "Query", "Query", "Query", "Query", "Query"],
        "permission snapshot (tenant, user, platform domains; mailboxes, users, domains, confirmations and, \
         for a user in a group, groups)"
    );
    assert!(snap.user.groups.contains(&g.id));
    // A group marked `deleting` (a deletion beyond one transaction, under way) grants nothing.
    let mark = |expression: &'static str| {
        let update = client
            .update_item()
            .table_name(&table)
            .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(format!("TENANT#{t}")))
            .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(format!("GROUP#{}", g.id)))
            .update_expression(expression);
        if expression.starts_with("SET") {
            update.expression_attribute_values(":yes", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        } else {
            update
        }
    };
    mark("SET deleting = :yes").send().await.unwrap();
    assert!(s.get_group(t, g.id).await.unwrap().deleting, "the mark is read as Group::deleting");
    let snap = permissions::snapshot(&s, t, u.id).await.unwrap();
    assert!(snap.user.groups.is_empty(), "a group whose deletion began still counted in the snapshot");
    mark("REMOVE deleting").send().await.unwrap();
    sent(&log);

    // Group deletion: three references (two users, one mailbox), one transaction.
    let g = s.get_group(t, g.id).await.unwrap();
    sent(&log);
    s.delete_group(&g).await.unwrap();
    assert_eq!(sent(&log), ["GetItem", "Query", "Query", "TransactWriteItems(4)"], "delete group");
    let spare = mailbox(t, "spare@cost.example", MailboxScope::Global);
    s.create_mailbox(&spare).await.unwrap();
    sent(&log);
    s.delete_mailbox(t, spare.id).await.unwrap();
    assert_eq!(sent(&log), ["GetItem", "TransactWriteItems(3)", "DeleteItem"], "delete mailbox");

    // Credentials and tokens.
    let c = credential(&u, "pw");
    s.create_credential(&c, 20).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "create credential");
    s.list_credentials(t, u.id).await.unwrap();
    assert_eq!(sent(&log), ["Query"], "a user's credentials");
    s.delete_credential(t, u.id, c.id).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "revoke credential");
    let tok = token(sendas_core::model::Role::Admin { tenant_id: t });
    s.create_token(&tok).await.unwrap();
    s.get_token(tok.id).await.unwrap();
    s.list_tokens(Some(t), &first).await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "GetItem", "Query"], "create, get, list tokens");

    // Audit: one PutItem; batches of 25; a page reads every shard once.
    let now = Timestamp::now().millis();
    let record = |i: i64| audit(t, Timestamp(now - i), Some(m.id));
    s.append_audit(&record(0)).await.unwrap();
    assert_eq!(sent(&log), ["PutItem"], "append audit record");
    let batch: Vec<_> = (1..=30).map(record).collect();
    s.append_audits(&batch).await.unwrap();
    assert_eq!(sent(&log), times("BatchWriteItem", 2), "append 30 audit records");
    let page = s.query_audit(t, &AuditFilter::default(), &PageRequest::new(10, None)).await.unwrap();
    assert_eq!((page.items.len(), sent(&log)), (10, times("Query", 8)), "audit page by time: one Query per shard");
    let by_mailbox = AuditFilter { mailbox_id: Some(m.id), ..AuditFilter::default() };
    let page = s.query_audit(t, &by_mailbox, &PageRequest::new(10, page.next)).await.unwrap();
    assert_eq!((page.items.len(), sent(&log)), (10, times("Query", 8)), "audit page by mailbox (GSI1)");

    // Templates.
    let tpl = template(t, "Hi {{ name }}", "Dear {{ name }}", None);
    s.create_template(&tpl).await.unwrap();
    s.get_template(t, tpl.id).await.unwrap();
    s.list_templates(t, &first).await.unwrap();
    let edited = sendas_core::model::Template { subject: "Hello {{ name }}".into(), version: 2, ..tpl.clone() };
    s.update_template(&tpl, &edited).await.unwrap();
    s.delete_template(&edited).await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "GetItem", "Query", "PutItem", "DeleteItem"], "templates");

    // Idempotency keys of HTTP send.
    let idem = sendas_core::model::IdempotencyRecord {
        tenant_id: t,
        user_id: u.id,
        key: "k".into(),
        request_hash: "h".into(),
        state: sendas_core::model::IdempotencyState::Pending,
        expires_at: Timestamp::now().plus(Duration::from_secs(60)),
    };
    s.claim_idempotency(&idem, Timestamp::now()).await.unwrap();
    assert_eq!(sent(&log), ["PutItem"], "claim a free key");
    s.claim_idempotency(&idem, Timestamp::now()).await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "GetItem"], "claim a taken key");
    s.put_idempotency(&idem).await.unwrap();
    s.release_idempotency(t, u.id, "k").await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "DeleteItem"], "store an answer, release a key");

    // AUTH lockouts and the system relay.
    let counter = DynamoFailureCounter::new(client.clone(), &table);
    let keys = vec!["ip:192.0.2.9".to_owned(), "login:cost".to_owned()];
    counter.counts(&keys, Duration::from_secs(900)).await.unwrap();
    assert_eq!(sent(&log), ["BatchGetItem"], "lockout check");
    counter.record(&keys, Duration::from_secs(900)).await.unwrap();
    assert_eq!(sent(&log), times("UpdateItem", 2), "one failed AUTH");
    s.put_system_relay(&SystemRelay::Outbox { dir: "/tmp/cost-outbox".into() }).await.unwrap();
    s.get_system_relay().await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "GetItem"], "system relay");

    // A block of a sending limit, granted and refused.
    use sendas_core::ports::{CounterKey, Scope, SendCounter, Units};
    let limits = sendas_store_aws::DynamoSendCounter::new(client.clone(), &table);
    let key = CounterKey { tenant: t, scope: Scope::User(u.id), window: sendas_core::model::Window::Hour, bucket: 7 };
    let allowance = sendas_core::model::Allowance { messages: Some(5), recipients: None };
    assert!(limits.take(&key, Units { messages: 5, recipients: 9 }, allowance).await.unwrap());
    assert!(!limits.take(&key, Units { messages: 1, recipients: 1 }, allowance).await.unwrap());
    assert_eq!(sent(&log), times("UpdateItem", 2), "take a block: granted, refused");
}

/// A group named by more references than one transaction holds: marked,
/// references removed in transactions of 100, then the group deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_deletion_past_one_transaction_costs_what_the_table_says() {
    let (store, _, _, log) = recorded_table().await;
    let s = &store;
    let new = new_tenant("cost-big.example", 1);
    s.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    let g = group(t, "Everyone");
    s.create_group(&g).await.unwrap();
    for chunk in (0..150).collect::<Vec<_>>().chunks(15) {
        let creations = chunk.iter().map(|i| {
            let mut u = user(t, &format!("member-{i:03}"), &[new.company.id]);
            u.groups.insert(g.id);
            async move { s.create_user(&u).await }
        });
        for r in futures::future::join_all(creations).await {
            r.unwrap();
        }
    }
    let g = s.get_group(t, g.id).await.unwrap();
    sent(&log);
    s.delete_group(&g).await.unwrap();
    assert_eq!(
        sent(&log),
        [
            "GetItem",
            "Query",
            "Query",
            "TransactWriteItems(1)",
            "Query",
            "Query",
            "TransactWriteItems(100)",
            "TransactWriteItems(50)",
            "Query",
            "Query",
            "DeleteItem"
        ],
        "mark, remove 150 references in two transactions, confirm none is left, delete"
    );
    let users = s.list_users(t, &PageRequest::new(500, None)).await.unwrap().items;
    assert!(users.iter().all(|u| u.groups.is_empty() && u.version == 2));
}

/// The rows of sending domains, confirmations, the platform domains and
/// the platform-wide claims (system addresses, domains).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_domain_rows_of_the_access_pattern_table_cost_what_they_say() {
    use sendas_core::model::{AddressConfirmation, DomainState, PlatformDomains, SendingDomain};
    let (s, _, _, log) = recorded_table().await;
    let first = PageRequest::first();
    sent(&log);
    let new = new_tenant_owning("own.example", 2);
    s.create_tenant(&new).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(10)"], "create tenant with one assigned domain");
    let t = new.tenant.id;
    let other = new_tenant("rival.example", 2);
    s.create_tenant(&other).await.unwrap();
    sent(&log);

    // Claims: pending (holds nothing), verified (takes the platform-wide claim), lapsed (frees it).
    let name = sendas_core::DomainName::parse("claimed.example").unwrap();
    let mut pending = sendas_core::service::domains::assigned(t, name.clone(), Timestamp::now()).expect("a claim");
    pending.state = DomainState::Pending;
    s.create_domain(&pending).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "claim a domain (claim, name)");
    let held = sendas_core::service::domains::assigned(other.tenant.id, name.clone(), Timestamp::now()).unwrap();
    s.create_domain(&held).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(3)"], "assign a domain (claim, name, platform-wide claim)");
    s.get_domain(t, pending.id).await.unwrap();
    s.domain_holder(&name).await.unwrap();
    assert_eq!(sent(&log), times("GetItem", 2), "get a claim; the holder of a name");
    s.list_domains(t, &first).await.unwrap();
    s.list_all_domains(&first).await.unwrap();
    assert_eq!(sent(&log), times("Query", 2), "a tenant's claims; every claim (GSI1)");
    let checked = SendingDomain { version: pending.version + 1, ..pending.clone() };
    s.update_domain(&pending, &checked).await.unwrap();
    assert_eq!(sent(&log), ["PutItem"], "update a claim, no change of holding (a re-check)");
    let refused = SendingDomain { state: DomainState::Verified, version: checked.version + 1, ..checked.clone() };
    assert!(s.update_domain(&checked, &refused).await.is_err());
    assert_eq!(sent(&log), ["TransactWriteItems(2)", "GetItem"], "verify what another tenant holds: refused");
    s.delete_domain(&held).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(3)"], "release a claim that holds");
    s.update_domain(&checked, &refused).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "verify (claim, platform-wide claim)");
    s.update_domain(&checked, &refused).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)", "GetItem"], "the same write retried: Ok");
    let lapsed = SendingDomain { state: DomainState::Lapsed, version: refused.version + 1, ..refused.clone() };
    s.update_domain(&refused, &lapsed).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "lapse (claim, platform-wide claim freed)");
    s.delete_domain(&lapsed).await.unwrap();
    assert_eq!(sent(&log), ["TransactWriteItems(2)"], "delete a claim that holds nothing");

    // Confirmations and the platform domains.
    let c = AddressConfirmation {
        tenant_id: t,
        address: address("ceo@small.example"),
        code_hash: Some("ab".repeat(32)),
        code_expires_at: Some(Timestamp(1_000)),
        failed_tries: 0,
        sent: vec![Timestamp(10)],
        confirmed_at: None,
        version: 1,
    };
    s.put_confirmation(None, &c).await.unwrap();
    let done = AddressConfirmation { confirmed_at: Some(Timestamp(20)), version: 2, ..c.clone() };
    s.put_confirmation(Some(&c), &done).await.unwrap();
    s.get_confirmation(t, &c.address).await.unwrap();
    s.list_confirmations(t).await.unwrap();
    s.delete_confirmation(t, &c.address).await.unwrap();
    assert_eq!(
        sent(&log),
        ["PutItem", "PutItem", "GetItem", "Query", "DeleteItem"],
        "confirmations: create, replace, get, list, delete"
    );
    let p = PlatformDomains { domains: vec![], sender: Some(address("no-reply@mail.saas.example")) };
    s.put_platform_domains(&p).await.unwrap();
    s.get_platform_domains().await.unwrap();
    assert_eq!(sent(&log), ["PutItem", "GetItem"], "platform domains: set, read");

    // The system mailbox's address: unique across the platform, moved with its claim.
    let before = new.system_mailbox.clone();
    let mut moved = before.clone();
    moved.address = address("system@mail.saas.example");
    moved.version += 1;
    s.update_mailbox(&before, &moved).await.unwrap();
    assert_eq!(
        sent(&log),
        ["TransactWriteItems(5)"],
        "move a system mailbox's address (mailbox, both address claims, both system-address claims)"
    );
    s.delete_mailbox(t, moved.id).await.unwrap();
    assert_eq!(sent(&log), ["GetItem", "TransactWriteItems(3)", "DeleteItem"], "delete a system mailbox");
}

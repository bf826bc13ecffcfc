//! IAM as deployed, on the moto of `scripts/test.sh` (IAM enforced with the
//! policies of infra/template.yaml and infra/proxy.yaml, see
//! scripts/moto_serialized.py): what each principal's store calls may and
//! may not do, and that the enforcement is live — resources (another table,
//! another secret prefix) and conditions (`dynamodb:LeadingKeys`) included.
//! Also: a list page over DynamoDB's 1 MB response limit is read with
//! several Query requests and comes back whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sendas_core::model::MailboxScope;
use sendas_core::ports::{
    AuditStore, CredentialStore, FailureCounter, IdempotencyStore, MailboxStore, PageRequest, SecretRef, SecretStore,
    TemplateStore, TenantStore, TokenStore, UserStore,
};
use sendas_core::testing::fixtures::*;
use sendas_core::{StoreError, Timestamp, UserId};
use sendas_store_aws::{
    DynamoFailureCounter, DynamoSendCounter, DynamoStore, RequestCounter, SecretsManagerStore, create_table,
};
use sendas_testkit::aws::{AwsEndpoint, Principal};
use std::time::Duration;

/// The stores of one principal on a table and secret prefix, every request recorded.
struct As {
    store: DynamoStore,
    secrets: SecretsManagerStore,
    counter: DynamoFailureCounter,
    limits: DynamoSendCounter,
}

/// A fresh table (created by the admin) and secret prefix, with the admin's stores on them.
async fn admin_table() -> (String, String, DynamoStore, SecretsManagerStore) {
    let aws = AwsEndpoint::shared();
    let (table, prefix) = aws.fresh_names();
    let config = aws.sdk_config(Principal::Admin).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    create_table(&client, &table).await.unwrap();
    let secrets = SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(&config), &prefix);
    (table.clone(), prefix, DynamoStore::new(client, table), secrets)
}

async fn principal(who: Principal, table: &str, prefix: &str, log: &RequestCounter) -> As {
    let config = AwsEndpoint::shared().sdk_config(who).await;
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&config).interceptor(log.clone()).build(),
    );
    let sm = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&config).interceptor(log.clone()).build(),
    );
    As {
        store: DynamoStore::new(dynamo.clone(), table),
        secrets: SecretsManagerStore::new(sm, prefix),
        counter: DynamoFailureCounter::new(dynamo.clone(), table),
        limits: DynamoSendCounter::new(dynamo, table),
    }
}

/// Takes one message of a tenant's per-minute sending limit, as the limiter does.
async fn take_limit(counter: &DynamoSendCounter, tenant: sendas_core::TenantId) -> Result<bool, StoreError> {
    use sendas_core::model::{Allowance, Window};
    use sendas_core::ports::{CounterKey, Scope, SendCounter, Units};
    let key = CounterKey { tenant, scope: Scope::Tenant, window: Window::Minute, bucket: 1 };
    let limit = Allowance { messages: Some(10), recipients: None };
    counter.take(&key, Units { messages: 1, recipients: 1 }, limit).await
}

#[track_caller]
fn denied<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    match r {
        Err(StoreError::Unavailable(m)) if m.contains("AccessDeniedException") => {}
        other => panic!("{what}: expected AccessDeniedException, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_task_role_reads_counts_failures_appends_audit_and_nothing_else() {
    let (table, prefix, admin, admin_secrets) = admin_table().await;
    let new = new_tenant("iam-proxy.example", 3);
    admin.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    let m = mailbox(t, "m@iam-proxy.example", MailboxScope::Global);
    admin.create_mailbox(&m).await.unwrap();
    admin_secrets.put_secret(&SecretRef::mailbox(t, m.id), &"pw".to_owned().into()).await.unwrap();
    let log = RequestCounter::default();
    let proxy = principal(Principal::ProxyTask, &table, &prefix, &log).await;

    // What the proxy does: read the directory, the password, count AUTH failures, append audit.
    proxy.store.get_tenant(t).await.unwrap();
    proxy.store.list_mailboxes(t, &PageRequest::first()).await.unwrap();
    assert!(proxy.secrets.get_secret(&SecretRef::mailbox(t, m.id)).await.unwrap().is_some());
    let keys = vec!["ip:192.0.2.1".to_owned(), "login:alice".to_owned()];
    proxy.counter.record(&keys, Duration::from_secs(900)).await.unwrap();
    assert_eq!(proxy.counter.counts(&keys, Duration::from_secs(900)).await.unwrap(), vec![1, 1]);
    assert!(take_limit(&proxy.limits, t).await.expect("a block of a sending limit"));
    let now = Timestamp::now();
    let records: Vec<_> = (0..30).map(|_| audit(t, now, Some(m.id))).collect();
    proxy.store.append_audits(&records).await.expect("the audit writer's BatchWriteItem");
    proxy.store.append_audit(&audit(t, now, None)).await.expect("a single audit record");
    assert_eq!(admin.query_audit(t, &Default::default(), &PageRequest::new(100, None)).await.unwrap().items.len(), 31);
    // The relay: the mailbox's health, and a rotated refresh token stored over the existing secret.
    let health = sendas_core::model::MailboxHealth {
        tenant_id: t,
        mailbox_id: m.id,
        failed_stage: Some(sendas_core::model::HealthStage::Token),
        detail: "token: invalid_grant".into(),
        at: now,
    };
    proxy.store.put_mailbox_health(&health).await.expect("the relay's health write");
    assert_eq!(admin.list_mailbox_health(t).await.unwrap(), vec![health]);
    let rotated = "rotated".to_owned().into();
    proxy
        .secrets
        .put_secret(&SecretRef::mailbox(t, m.id), &rotated)
        .await
        .expect("a rotated refresh token stored back");

    // The recorded requests: every write of the proxy is under AUTHFAIL# or AUDIT#.
    for r in log.requests() {
        for target in &r.targets {
            if !matches!(target.action.as_str(), "dynamodb:GetItem" | "dynamodb:Query" | "dynamodb:BatchGetItem")
                && target.action.starts_with("dynamodb:")
            {
                assert!(
                    target
                        .partition_keys
                        .iter()
                        .all(|k| ["AUTHFAIL#", "AUDIT#", "HEALTH#", "LIMIT#"].iter().any(|p| k.starts_with(p))),
                    "{r:?}"
                );
            }
        }
    }

    // Not the proxy's business: directory writes, other keys, secrets writes, other prefixes, other tables.
    let mut changed = new.tenant.clone();
    changed.mailbox_quota = 100;
    denied(proxy.store.update_tenant(&changed).await, "raise its own quota");
    denied(
        proxy.store.create_credential(&credential(&user(t, "x", &[new.company.id]), "p"), 20).await,
        "mint a credential",
    );
    denied(proxy.store.delete_token(new.admin_token.id).await, "delete a token");
    // The relay stores a rotated refresh token back (PutSecretValue on an existing secret), but
    // creates and deletes no secret.
    let unknown = sendas_core::MailboxId::generate();
    denied(
        proxy.secrets.put_secret(&SecretRef::mailbox(t, unknown), &"evil".to_owned().into()).await,
        "create a secret",
    );
    denied(proxy.secrets.delete_secret(&SecretRef::mailbox(t, m.id)).await, "delete a secret");
    let elsewhere = SecretsManagerStore::new(
        aws_sdk_secretsmanager::Client::new(&AwsEndpoint::shared().sdk_config(Principal::ProxyTask).await),
        "elsewhere/",
    );
    denied(elsewhere.get_secret(&SecretRef::system_relay()).await, "a secret outside the prefix");
    let wrong = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&AwsEndpoint::shared().sdk_config(Principal::ProxyTask).await),
        "not-a-sendas-test-table",
    );
    denied(wrong.get_tenant(t).await, "a table the role does not name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_may_touch_only_its_own_secrets_and_me_writes_no_mailbox() {
    let (table, prefix, admin, _) = admin_table().await;
    let new = new_tenant("iam-fn.example", 3);
    admin.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    let log = RequestCounter::default();
    let pw = "pw".to_owned().into();
    let mb = SecretRef::mailbox(t, sendas_core::MailboxId::generate());

    let mailboxes = principal(Principal::FnMailboxes, &table, &prefix, &log).await;
    mailboxes.secrets.put_secret(&mb, &pw).await.unwrap();
    let health = sendas_core::model::MailboxHealth {
        tenant_id: t,
        mailbox_id: sendas_core::MailboxId::generate(),
        failed_stage: None,
        detail: "235 ok".into(),
        at: Timestamp::now(),
    };
    mailboxes.store.put_mailbox_health(&health).await.expect("mailboxes: verify records the health");
    assert_eq!(mailboxes.store.list_mailbox_health(t).await.unwrap(), vec![health]);
    assert!(mailboxes.secrets.get_secret(&mb).await.unwrap().is_some());
    denied(mailboxes.secrets.put_secret(&SecretRef::system_relay(), &pw).await, "mailboxes: the system relay");

    let platform = principal(Principal::FnPlatform, &table, &prefix, &log).await;
    platform.secrets.put_secret(&SecretRef::system_relay(), &pw).await.unwrap();
    denied(platform.secrets.get_secret(&mb).await, "platform: a mailbox password");

    for who in [Principal::FnDirectory, Principal::FnMe] {
        let f = principal(who, &table, &prefix, &log).await;
        denied(f.secrets.get_secret(&mb).await, "directory/me: a mailbox password");
        denied(f.counter.counts(&["ip:x".to_owned()], Duration::from_secs(60)).await, "directory/me: failure counters");
        if who == Principal::FnMe {
            denied(take_limit(&f.limits, t).await, "me: sending-limit counters");
        }
    }

    let me = principal(Principal::FnMe, &table, &prefix, &log).await;
    denied(
        me.store.create_mailbox(&mailbox(t, "sneaky@iam-fn.example", MailboxScope::Global)).await,
        "me: create a mailbox (its transaction updates the tenant's count)",
    );
    let u = user(t, "iam-user", &[new.company.id]);
    admin.create_user(&u).await.unwrap();
    me.store.create_credential(&credential(&u, "p"), 20).await.expect("me: its own app passwords");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_over_one_megabyte_takes_several_queries_and_comes_back_whole() {
    let (table, prefix, admin, _) = admin_table().await;
    let new = new_tenant("iam-pages.example", 100);
    admin.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    // 50 mailboxes × 700 user ids × 36 bytes ≈ 1.26 MB: more than one DynamoDB response.
    for i in 0..50 {
        let mut m = mailbox(t, &format!("p{i}@iam-pages.example"), MailboxScope::Global);
        m.access.users = (0..700).map(|_| UserId::generate()).collect();
        admin.create_mailbox(&m).await.unwrap();
    }
    let log = RequestCounter::default();
    let me = principal(Principal::FnMe, &table, &prefix, &log).await;
    let page = me.store.list_mailboxes(t, &PageRequest::new(PageRequest::MAX_LIMIT, None)).await.unwrap();
    assert_eq!((page.items.len(), page.next), (51, None));
    let queries = log.requests().iter().filter(|r| r.operation == "dynamodb:Query").count();
    assert!(queries >= 2, "one page of 51 mailboxes over 1 MB took {queries} Query request(s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_send_function_reads_appends_audit_claims_keys_and_nothing_else() {
    let (table, prefix, admin, admin_secrets) = admin_table().await;
    let new = new_tenant("iam-send.example", 3);
    admin.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    let m = mailbox(t, "m@iam-send.example", MailboxScope::Global);
    admin.create_mailbox(&m).await.unwrap();
    admin_secrets.put_secret(&SecretRef::mailbox(t, m.id), &"pw".to_owned().into()).await.unwrap();
    let u = user(t, "sender", &[new.company.id]);
    admin.create_user(&u).await.unwrap();
    let log = RequestCounter::default();
    let send = principal(Principal::FnSend, &table, &prefix, &log).await;

    // What sending does: the snapshot and a template, the login secret, an idempotency key, the audit record.
    sendas_core::service::permissions::snapshot(&send.store, t, u.id).await.expect("the snapshot");
    assert!(send.secrets.get_secret(&SecretRef::mailbox(t, m.id)).await.unwrap().is_some());
    let now = Timestamp::now();
    let key = sendas_core::model::IdempotencyRecord {
        tenant_id: t,
        user_id: u.id,
        key: "k".into(),
        request_hash: "h".into(),
        state: sendas_core::model::IdempotencyState::Pending,
        expires_at: now.plus(Duration::from_secs(60)),
    };
    send.store.claim_idempotency(&key, now).await.expect("claim a key");
    send.store.put_idempotency(&key).await.expect("store its answer");
    send.store.release_idempotency(t, u.id, "k").await.expect("release it");
    send.store.append_audit(&audit(t, now, Some(m.id))).await.expect("the audit record");
    assert!(take_limit(&send.limits, t).await.expect("a block of a sending limit"));
    for r in log.requests() {
        for target in r.targets.iter().filter(|x| !matches!(x.action.as_str(), "dynamodb:GetItem" | "dynamodb:Query")) {
            if target.action.starts_with("dynamodb:") {
                let ok = |k: &String| ["AUDIT#", "IDEMP#", "HEALTH#", "LIMIT#"].iter().any(|p| k.starts_with(p));
                assert!(target.partition_keys.iter().all(ok), "{r:?}");
            }
        }
    }

    // Not its business: the directory, mailboxes, templates, tokens, other secrets.
    denied(send.store.create_user(&user(t, "intruder", &[new.company.id])).await, "create a user");
    let mut moved = m.clone();
    moved.version += 1;
    moved.address = "elsewhere@iam-send.example".parse().unwrap();
    denied(send.store.update_mailbox(&m, &moved).await, "change a mailbox");
    denied(send.store.create_template(&template(t, "s", "t", None)).await, "create a template");
    denied(send.store.delete_token(new.admin_token.id).await, "delete a token");
    denied(send.secrets.delete_secret(&SecretRef::mailbox(t, m.id)).await, "delete a secret");
    let unknown = sendas_core::MailboxId::generate();
    denied(send.secrets.put_secret(&SecretRef::mailbox(t, unknown), &"x".to_owned().into()).await, "create a secret");
}

/// Sending domains, confirmations and the platform domains: the platform
/// function assigns and releases domains (tenant creation included) and
/// sets the platform domains and a system mailbox's address; the mailboxes
/// function (which serves the domain routes) claims, verifies and confirms;
/// the proxy and the send function read what the permission snapshot needs
/// and write none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_are_written_by_the_platform_and_mailboxes_functions_and_only_read_by_the_senders() {
    use sendas_core::model::{AddressConfirmation, DomainState, PlatformDomains, SendingDomain};
    use sendas_core::ports::{ConfirmationStore, DomainStore, SettingsStore};
    let (table, prefix, admin, _) = admin_table().await;
    let log = RequestCounter::default();
    let platform = principal(Principal::FnPlatform, &table, &prefix, &log).await;
    let mailboxes = principal(Principal::FnMailboxes, &table, &prefix, &log).await;

    // The operator: a tenant with an assigned domain, the platform domains, the system address.
    let new = new_tenant_owning("iam-domains.example", 2);
    platform.store.create_tenant(&new).await.expect("platform: create a tenant with an assigned domain");
    let t = new.tenant.id;
    let platform_domains = PlatformDomains {
        domains: vec![sendas_core::DomainName::parse("mail.saas.example").unwrap()],
        sender: Some(address("no-reply@mail.saas.example")),
    };
    platform.store.put_platform_domains(&platform_domains).await.expect("platform: the platform domains");
    let mut moved = new.system_mailbox.clone();
    moved.address = address("tenant-1@mail.saas.example");
    moved.version += 1;
    platform.store.update_mailbox(&new.system_mailbox, &moved).await.expect("platform: a system mailbox's address");
    assert_eq!(platform.store.list_all_domains(&PageRequest::first()).await.unwrap().items, new.domains);

    // The admin, through the mailboxes function: claim, verify, confirm an address.
    let name = sendas_core::DomainName::parse("claimed.iam-domains.example").unwrap();
    let mut pending = sendas_core::service::domains::assigned(t, name.clone(), Timestamp::now()).unwrap();
    pending.state = DomainState::Pending;
    mailboxes.store.create_domain(&pending).await.expect("mailboxes: claim a domain");
    let verified = SendingDomain { state: DomainState::Verified, version: pending.version + 1, ..pending.clone() };
    mailboxes.store.update_domain(&pending, &verified).await.expect("mailboxes: verify it");
    assert_eq!(mailboxes.store.domain_holder(&name).await.unwrap(), Some((t, pending.id)));
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
    mailboxes.store.put_confirmation(None, &c).await.expect("mailboxes: send a code");
    let done = AddressConfirmation { confirmed_at: Some(Timestamp(20)), version: 2, ..c.clone() };
    mailboxes.store.put_confirmation(Some(&c), &done).await.expect("mailboxes: the code entered");
    platform.store.delete_domain(&verified).await.expect("platform: release a domain");
    platform.store.create_domain(&verified).await.expect("platform: assign it again");

    // The senders read the ownership book, and write none of it.
    let u = user(t, "iam-domains-user", &[new.company.id]);
    admin.create_user(&u).await.unwrap();
    for who in [Principal::ProxyTask, Principal::FnSend, Principal::FnMe] {
        let f = principal(who, &table, &prefix, &log).await;
        sendas_core::service::ownership::book(&f.store, t).await.expect("the ownership book");
        sendas_core::service::permissions::snapshot(&f.store, t, u.id).await.expect("the snapshot");
        assert_eq!(f.store.list_confirmations(t).await.unwrap(), vec![done.clone()]);
        assert_eq!(f.store.get_platform_domains().await.unwrap(), platform_domains);
        if who == Principal::FnMe {
            continue; // `me` may put and delete items (its credentials); its policy names no partition
        }
        let other = SendingDomain { id: sendas_core::DomainId::generate(), ..pending.clone() };
        denied(f.store.create_domain(&other).await, "a sender: claim a domain");
        let lapsed = SendingDomain { state: DomainState::Lapsed, version: verified.version + 1, ..verified.clone() };
        denied(f.store.update_domain(&verified, &lapsed).await, "a sender: lapse a domain");
        denied(
            f.store.put_confirmation(Some(&done), &AddressConfirmation { version: 3, ..done.clone() }).await,
            "a confirmation",
        );
        denied(f.store.put_platform_domains(&PlatformDomains::default()).await, "a sender: the platform domains");
    }
}

/// The scheduled re-check's principal (`fn-recheck`): lists every claim on
/// GSI1, reads a claim, lapses it (freeing the platform-wide claim) and
/// verifies it again (taking it); nothing else — no tenant, mailbox,
/// confirmation, setting, secret, nor another tenant item under a claim's key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recheck_principal_reads_and_writes_domain_claims_and_nothing_else() {
    use sendas_core::model::{AddressConfirmation, DomainState, SendingDomain};
    use sendas_core::ports::{ConfirmationStore, DomainStore, SettingsStore};
    let (table, prefix, admin, admin_secrets) = admin_table().await;
    let log = RequestCounter::default();
    let recheck = principal(Principal::FnRecheck, &table, &prefix, &log).await;
    let new = new_tenant_owning("iam-recheck.example", 2);
    admin.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    let name = sendas_core::DomainName::parse("verified.iam-recheck.example").unwrap();
    let mut verified = sendas_core::service::domains::assigned(t, name.clone(), Timestamp::now()).unwrap();
    verified.state = DomainState::Verified;
    admin.create_domain(&verified).await.unwrap();

    let all = recheck.store.list_all_domains(&PageRequest::first()).await.expect("recheck: every claim");
    assert_eq!(all.items.len(), 1 + new.domains.len());
    assert_eq!(recheck.store.get_domain(t, verified.id).await.expect("recheck: a claim"), verified);
    let lapsed = SendingDomain { state: DomainState::Lapsed, version: verified.version + 1, ..verified.clone() };
    recheck.store.update_domain(&verified, &lapsed).await.expect("recheck: lapse a claim");
    assert_eq!(admin.domain_holder(&name).await.unwrap(), None, "the lapse freed the platform-wide claim");
    let again = SendingDomain { state: DomainState::Verified, version: lapsed.version + 1, ..lapsed.clone() };
    recheck.store.update_domain(&lapsed, &again).await.expect("recheck: verified again");
    assert_eq!(admin.domain_holder(&name).await.unwrap(), Some((t, verified.id)));

    denied(recheck.store.get_tenant(t).await, "recheck: a tenant");
    denied(recheck.store.get_mailbox(t, new.system_mailbox.id).await, "recheck: a mailbox");
    denied(recheck.store.list_domains(t, &PageRequest::first()).await, "recheck: a tenant's claims by Query");
    denied(recheck.store.get_platform_domains().await, "recheck: the platform domains");
    denied(recheck.store.list_confirmations(t).await, "recheck: confirmations");
    let c = AddressConfirmation {
        tenant_id: t,
        address: address("x@iam-recheck.example"),
        code_hash: None,
        code_expires_at: None,
        failed_tries: 0,
        sent: vec![],
        confirmed_at: Some(Timestamp(1)),
        version: 1,
    };
    denied(recheck.store.put_confirmation(None, &c).await, "recheck: confirm an address");
    let mut renamed = new.system_mailbox.clone();
    renamed.address = address("boss@iam-recheck.example");
    renamed.version += 1;
    denied(recheck.store.update_mailbox(&new.system_mailbox, &renamed).await, "recheck: a mailbox's address");
    let secret = SecretRef::mailbox(t, new.system_mailbox.id);
    admin_secrets.put_secret(&secret, &secrecy::SecretString::from("pw".to_owned())).await.unwrap();
    denied(recheck.secrets.get_secret(&secret).await.map(|_| ()), "recheck: a secret");
}

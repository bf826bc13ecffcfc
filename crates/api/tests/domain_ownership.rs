//! Address ownership end to end (SPEC §1, §2 rule 0): sending domains
//! claimed, proven against a real authoritative DNS server (Knot, on
//! loopback; records changed with knotc), re-checked on a test clock until
//! they lapse, held by one tenant platform-wide, and mailboxes outside
//! owned domains usable by nobody — on memory, SQLite and DynamoDB (moto,
//! each area as its function's IAM principal).

#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::Timestamp;
use sendas_core::ports::{DnsLookup, DomainStore, Store};
use sendas_core::service::domains::{self, Recheck};
use sendas_dns::{DnsConfig, HickoryDns};
use sendas_testkit::dns::{AuthDns, SilentDns};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use support::*;

const HOUR: i64 = 3_600_000;

fn dns_of(knot: &AuthDns) -> Arc<HickoryDns> {
    let mut config = DnsConfig::new(vec![knot.addr()]);
    config.timeout = Duration::from_millis(500);
    Arc::new(HickoryDns::new(&config).expect("resolver"))
}

async fn api_on(backend: &str, dns: Arc<dyn DnsLookup>) -> (TestApi, Option<tempfile::TempDir>) {
    match backend {
        "memory" => (
            TestApi::with_dns(
                Arc::new(sendas_core::testing::MemoryStore::new()),
                Arc::new(sendas_core::testing::MemorySecretStore::default()),
                dns,
            ),
            None,
        ),
        "embedded" => {
            let dir = tempfile::tempdir().unwrap();
            let (store, secrets) = sendas_store_embedded::open_data_dir(dir.path()).unwrap();
            (TestApi::with_dns(Arc::new(store), Arc::new(secrets), dns), Some(dir))
        }
        _ => (aws::dynamodb_api_with_dns(dns).await, None),
    }
}

fn from_addresses(v: &Value) -> Vec<String> {
    v["from"].as_array().unwrap().iter().map(|m| m["address"].as_str().unwrap().to_owned()).collect()
}

async fn ownership_of(api: &TestApi, t: &Tenant, mailbox: &str) -> String {
    let m = api.get(&format!("/v1/tenants/{}/mailboxes/{mailbox}", t.id), &t.admin).await;
    expect(&m, 200)["ownership"].as_str().unwrap().to_owned()
}

async fn the_whole_story(backend: &str) {
    let knot = AuthDns::builder().zone("bigbank.example").zone("small.example").failing_zone("broken.example").start();
    let dns = dns_of(&knot);
    let (api, _dir) = api_on(backend, dns.clone()).await;
    let store: Arc<dyn Store> = api.store.clone();
    let op = api.operator_token().await;
    let put =
        api.put("/v1/platform-domains", &op, json!({"domains": ["saas.example"], "sender": "no-reply@saas.example"}));
    expect(&put.await, 200);
    let a = create_tenant(&api, &op, "a-own.example", 5).await;
    let b = create_tenant(&api, &op, "b-own.example", 5).await;
    let alice = create_user(&api, &a, &format!("alice-{backend}")).await;
    let bert = create_user(&api, &b, &format!("bert-{backend}")).await;

    // A claims bigbank.example: the record to publish; a mailbox there is made but usable by nobody.
    let claim = api.post(&format!("/v1/tenants/{}/domains", a.id), &a.admin, json!({"name": "BigBank.example"})).await;
    let claim = expect(&claim, 201).clone();
    assert_eq!((claim["name"].as_str(), claim["state"].as_str()), (Some("bigbank.example"), Some("pending")));
    let record = &claim["records"][0];
    assert_eq!(record["name"], "_sendas-challenge.bigbank.example");
    assert_eq!(record["type"], "TXT");
    let value = record["value"].as_str().unwrap().to_owned();
    let random = value.strip_prefix("sendas-verification=").expect("the value's prefix");
    assert!(random.len() >= 26, "at least 128 bits: {random}");
    let domain_a = claim["id"].as_str().unwrap().to_owned();
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", a.id), &a.admin, mailbox_body("ceo@bigbank.example")).await;
    let ceo = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    assert_eq!(ownership_of(&api, &a, &ceo).await, "pending_domain");
    let dropdowns = api.get("/v1/me/mailboxes", &alice.token).await;
    assert!(!from_addresses(expect(&dropdowns, 200)).contains(&"ceo@bigbank.example".to_owned()));
    let send = json!({"from_mailbox_id": ceo, "subject": "s", "text_body": "t", "to": ["x@example.net"]});
    assert_eq!(
        expect(&api.post("/v1/me/messages", &alice.token, send.clone()).await, 403)["type"],
        "sender_not_allowed"
    );

    // B's claim of the same name is allowed while nobody holds it.
    let claim_b =
        api.post(&format!("/v1/tenants/{}/domains", b.id), &b.admin, json!({"name": "bigbank.example"})).await;
    let claim_b = expect(&claim_b, 201).clone();
    let domain_b = claim_b["id"].as_str().unwrap().to_owned();

    // What the resolver answers, told apart: NXDOMAIN, a wrong value, then the right one.
    let verify = |t: &Tenant, id: &str| {
        let (path, token) = (format!("/v1/tenants/{}/domains/{id}/verify", t.id), t.admin.clone());
        let api = &api;
        async move { api.post(&path, &token, json!({})).await }
    };
    let v = verify(&a, &domain_a).await;
    assert_eq!(
        (v.body["state"].as_str(), v.body["last_check"]["result"].as_str()),
        (Some("pending"), Some("no_such_name"))
    );
    knot.set_txt("_sendas-challenge.bigbank.example", "sendas-verification=someone-elses");
    let v = verify(&a, &domain_a).await;
    assert_eq!(v.body["last_check"]["result"], "wrong_value", "{}", v.raw);
    knot.add_txt("_sendas-challenge.bigbank.example", &value);
    let v = verify(&a, &domain_a).await;
    assert_eq!((v.body["state"].as_str(), v.body["last_check"]["result"].as_str()), (Some("verified"), Some("found")));
    assert_eq!(ownership_of(&api, &a, &ceo).await, "verified_domain");
    let dropdowns = api.get("/v1/me/mailboxes", &alice.token).await;
    assert!(from_addresses(expect(&dropdowns, 200)).contains(&"ceo@bigbank.example".to_owned()));

    // B publishes its own value too: the domain is A's now (409 domain_claimed); B's mailbox stays unusable.
    knot.add_txt("_sendas-challenge.bigbank.example", claim_b["records"][0]["value"].as_str().unwrap());
    assert_eq!(expect(&verify(&b, &domain_b).await, 409)["type"], "domain_claimed");
    let got = api.get(&format!("/v1/tenants/{}/domains/{domain_b}", b.id), &b.admin).await;
    assert_eq!((got.body["state"].as_str(), got.body["held_elsewhere"].as_bool()), (Some("pending"), Some(true)));
    let again = api.post(&format!("/v1/tenants/{}/domains", b.id), &b.admin, json!({"name": "bigbank.example"})).await;
    assert_eq!(expect(&again, 409)["type"], "conflict", "B claims it already");
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", b.id), &b.admin, mailbox_body("ceo@bigbank.example")).await;
    let b_ceo = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    assert_eq!(ownership_of(&api, &b, &b_ceo).await, "pending_domain");
    let send_b = json!({"from_mailbox_id": b_ceo, "subject": "s", "text_body": "t", "to": ["x@example.net"]});
    assert_eq!(expect(&api.post("/v1/me/messages", &bert.token, send_b).await, 403)["type"], "sender_not_allowed");
    let c = create_tenant(&api, &op, "c-own.example", 5).await;
    let claim_c =
        api.post(&format!("/v1/tenants/{}/domains", c.id), &c.admin, json!({"name": "bigbank.example"})).await;
    assert_eq!(expect(&claim_c, 409)["type"], "domain_claimed", "a verified domain cannot even be claimed elsewhere");

    // Near misses are their own domains or refused; look-alikes wait for the operator.
    let claim = |t: &Tenant, name: &str| {
        let (path, token, body) = (format!("/v1/tenants/{}/domains", t.id), t.admin.clone(), json!({"name": name}));
        let api = &api;
        async move { api.post(&path, &token, body).await }
    };
    assert_eq!(
        expect(&claim(&c, "sub.bigbank.example").await, 201)["state"],
        "pending",
        "a subdomain is another domain"
    );
    assert_eq!(expect(&claim(&c, "evilbigbank.example").await, 201)["state"], "pending");
    assert_eq!(expect(&claim(&c, "bigbank.example.").await, 422)["field"], "name", "a trailing dot");
    assert_eq!(expect(&claim(&c, "example").await, 422)["field"], "name", "a public suffix");
    assert_eq!(expect(&claim(&c, "co.uk").await, 422)["field"], "name", "a public suffix");
    assert_eq!(expect(&claim(&c, "t1.saas.example").await, 422)["field"], "name", "under a platform domain");
    assert_eq!(expect(&claim(&c, "bígbank.example").await, 201)["state"], "review", "an IDN skeleton twin");
    assert_eq!(expect(&claim(&c, "saas.examp1e").await, 201)["state"], "review", "a platform domain's twin");
    for i in 0..6 {
        assert_eq!(claim(&c, &format!("many{i}.example")).await.status.as_u16(), 201);
    }
    // sub., evil, bígbank, saas.examp1e and six more: ten wait, the most a tenant may have.
    let listed = api.get(&format!("/v1/tenants/{}/domains", c.id), &c.admin).await;
    let items = expect(&listed, 200)["items"].as_array().unwrap().clone();
    assert_eq!(items.iter().filter(|d| d["state"] != "assigned").count(), 10, "and c-own.example, assigned");
    assert_eq!(expect(&claim(&c, "one-more.example").await, 409)["type"], "too_many_pending_claims");

    // The system mailbox's address is the operator's.
    let sys = api.get(&format!("/v1/tenants/{}/mailboxes/{}", a.id, a.system_mailbox), &a.admin).await;
    let mut body = expect(&sys, 200).clone();
    let rename = json!({"address": "ceo2@bigbank.example", "display_name": body["display_name"], "global": true,
        "sender": true, "reply": body["reply"], "enabled": true});
    body["address"] = json!("boss@a-own.example");
    let put = api.put(&format!("/v1/tenants/{}/mailboxes/{}", a.id, a.system_mailbox), &a.admin, rename).await;
    assert_eq!(put.status.as_u16(), 403, "{}", put.raw);
    let path = format!("/v1/tenants/{}/system-address", a.id);
    assert_eq!(api.put(&path, &a.admin, json!({"address": "x@a-own.example"})).await.status.as_u16(), 403);
    assert_eq!(
        expect(&api.put(&path, &op, json!({"address": "elsewhere@unowned.example"})).await, 422)["field"],
        "address"
    );
    let moved = api.put(&path, &op, json!({"address": "a@saas.example"})).await;
    assert_eq!(expect(&moved, 200)["ownership"], "operator");
    let taken =
        api.put(&format!("/v1/tenants/{}/system-address", b.id), &op, json!({"address": "a@saas.example"})).await;
    assert_eq!(taken.status.as_u16(), 409, "system addresses are unique across the platform: {}", taken.raw);

    // The re-check, on a test clock: missing at every check for 72 h lapses; back → verified.
    knot.remove_txt("_sendas-challenge.bigbank.example");
    let rules = Recheck::default();
    let start = Timestamp::now();
    let at = |hours: i64| Timestamp(start.millis() + hours * HOUR);
    // Missing from the check at 24 h on: still verified at 48 and 72 h, lapsed at 96 h (72 h of answers).
    for hours in [24, 48, 72] {
        domains::recheck_due(store.as_ref(), dns.as_ref(), at(hours), &rules).await.unwrap();
        let d = api.get(&format!("/v1/tenants/{}/domains/{domain_a}", a.id), &a.admin).await;
        assert_eq!(
            (d.body["state"].as_str(), d.body["last_check"]["result"].as_str()),
            (Some("verified"), Some("no_such_name"))
        );
    }
    let report = domains::recheck_due(store.as_ref(), dns.as_ref(), at(80), &rules).await.unwrap();
    assert_eq!(report.checked, 0, "a domain checked within 24 h is not looked up again");
    let report = domains::recheck_due(store.as_ref(), dns.as_ref(), at(96), &rules).await.unwrap();
    assert_eq!(report.lapsed, 1, "{report:?}");
    let d = api.get(&format!("/v1/tenants/{}/domains/{domain_a}", a.id), &a.admin).await;
    assert_eq!(d.body["state"], "lapsed");
    assert!(d.body["lapsed_at"].is_string());
    assert_eq!(ownership_of(&api, &a, &ceo).await, "lapsed_domain");
    assert_eq!(
        expect(&api.post("/v1/me/messages", &alice.token, send.clone()).await, 403)["type"],
        "sender_not_allowed"
    );
    knot.set_txt("_sendas-challenge.bigbank.example", &value);
    let report = domains::recheck_due(store.as_ref(), dns.as_ref(), at(120), &rules).await.unwrap();
    assert_eq!(report.verified, 1, "{report:?}");
    assert_eq!(ownership_of(&api, &a, &ceo).await, "verified_domain");

    // The operator releases it: A's mailbox stops at once.
    assert_eq!(api.delete(&format!("/v1/tenants/{}/domains/{domain_a}", a.id), &op).await.status.as_u16(), 204);
    assert_eq!(ownership_of(&api, &a, &ceo).await, "unconfirmed");
    assert_eq!(expect(&api.post("/v1/me/messages", &alice.token, send).await, 403)["type"], "sender_not_allowed");
    // An assigned domain: the operator's word; the admin cannot drop it.
    let assigned =
        api.post(&format!("/v1/tenants/{}/domain-assignments", a.id), &op, json!({"name": "small.example"})).await;
    let assigned_id = expect(&assigned, 201)["id"].as_str().unwrap().to_owned();
    assert_eq!(assigned.body["state"], "assigned");
    let drop = api.delete(&format!("/v1/tenants/{}/domains/{assigned_id}", a.id), &a.admin).await;
    assert_eq!(drop.status.as_u16(), 403);
    let elsewhere =
        api.post(&format!("/v1/tenants/{}/domain-assignments", b.id), &op, json!({"name": "small.example"})).await;
    assert_eq!(expect(&elsewhere, 409)["type"], "domain_claimed");

    // A SERVFAIL is a resolver failure, never "missing".
    let broken = expect(&claim(&b, "broken.example").await, 201)["id"].as_str().unwrap().to_owned();
    let v = verify(&b, &broken).await;
    assert_eq!(
        (v.body["state"].as_str(), v.body["last_check"]["result"].as_str()),
        (Some("pending"), Some("resolver_failed"))
    );
    assert!(v.body["last_check"]["detail"].as_str().unwrap().contains("SERVFAIL"), "{}", v.raw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_domains_are_proven_held_rechecked_and_lapse() {
    the_whole_story("memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_domains_are_proven_held_rechecked_and_lapse() {
    the_whole_story("embedded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_domains_are_proven_held_rechecked_and_lapse() {
    the_whole_story("dynamodb").await;
}

/// A resolver that does not answer, and failures for 7 days: the domain lapses only then.
#[tokio::test]
async fn a_silent_resolver_lapses_a_domain_only_after_seven_days() {
    let silent = SilentDns::bind();
    let mut config = DnsConfig::new(vec![silent.addr()]);
    config.timeout = Duration::from_millis(200);
    config.attempts = 1;
    let dns = HickoryDns::new(&config).unwrap();
    let store = sendas_core::testing::MemoryStore::new();
    let t = sendas_core::TenantId::generate();
    let name = sendas_core::DomainName::parse("quiet.example").unwrap();
    let mut d = domains::assigned(t, name, Timestamp(0)).unwrap();
    d.state = sendas_core::model::DomainState::Verified;
    store.create_domain(&d).await.unwrap();
    let check = domains::lookup(&dns, &d, Timestamp(0)).await;
    assert_eq!(check.result, sendas_core::model::CheckResult::ResolverFailed);
    assert!(check.detail.contains("did not answer in time"), "{}", check.detail);
    let rules = Recheck::default();
    // Failing from day 1 on: still verified on day 7 (6 days of failures), lapsed on day 8.
    for day in 1..=7 {
        domains::recheck_due(&store, &dns, Timestamp(day * 24 * HOUR), &rules).await.unwrap();
        let now = store.get_domain(t, d.id).await.unwrap();
        assert_eq!(now.state, sendas_core::model::DomainState::Verified, "day {day}: failures are not answers");
        assert_eq!(now.missing_since, None);
    }
    domains::recheck_due(&store, &dns, Timestamp(8 * 24 * HOUR), &rules).await.unwrap();
    assert_eq!(store.get_domain(t, d.id).await.unwrap().state, sendas_core::model::DomainState::Lapsed);
}

/// A confirmed single address through the real path: the code arrives in
/// the system relay's outbox as a message from the platform's sender, is
/// in no response, five wrong entries void it, the right one makes the
/// mailbox usable, the daily limit holds, and a tenant proving the domain
/// later ends the confirmation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_address_is_confirmed_with_the_mailed_code() {
    let outbox = tempfile::tempdir().unwrap();
    let api = TestApi::memory();
    let op = api.operator_token().await;
    let relay = json!({"kind": "outbox", "dir": outbox.path().display().to_string()});
    expect(&api.put("/v1/system-relay", &op, relay).await, 200);
    let a = create_tenant(&api, &op, "a-own.example", 5).await;
    let b = create_tenant(&api, &op, "b-own.example", 5).await;
    let alice = create_user(&api, &a, "alice-confirm").await;
    let m =
        api.post(&format!("/v1/tenants/{}/mailboxes", a.id), &a.admin, mailbox_body("Info@Small-Club.example")).await;
    let info = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    assert_eq!(ownership_of(&api, &a, &info).await, "unconfirmed");
    let path = format!("/v1/tenants/{}/mailboxes/{info}/confirmation", a.id);
    let no_sender = api.post(&path, &a.admin, json!({})).await;
    assert_eq!(no_sender.status.as_u16(), 409, "no platform sender yet: {}", no_sender.raw);
    let put =
        api.put("/v1/platform-domains", &op, json!({"domains": ["saas.example"], "sender": "no-reply@saas.example"}));
    expect(&put.await, 200);

    let mailed = |n: usize| {
        let mut files: Vec<_> = std::fs::read_dir(outbox.path()).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert_eq!(files.len(), n, "messages in the outbox");
        std::fs::read_to_string(files.last().unwrap()).unwrap()
    };
    let code_in = |message: &str| {
        let body = message.replace("\r\n", "\n");
        let after = body.split("lautet:\n\n").nth(1).expect("the German paragraph");
        after.split_whitespace().next().unwrap().to_owned()
    };
    let sent = api.post(&path, &a.admin, json!({})).await;
    assert_eq!(sent.status.as_u16(), 202, "{}", sent.raw);
    let message = mailed(1);
    let code = code_in(&message);
    assert_eq!(code.len(), 8);
    assert!(!sent.raw.contains(&code), "the code is in no response");
    assert!(message.contains("From: sendas <no-reply@saas.example>"), "{message}");
    assert!(message.contains("To: info@small-club.example"), "{message}");
    assert!(message.contains("Auto-Submitted: auto-generated"), "{message}");
    let subject = message.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(!subject.contains(&code), "the code is not in the Subject");
    assert!(!message.contains("a-own.example"), "no text of the tenant's (not its name)");

    let enter = |c: &str| {
        let (p, token, body) = (format!("{path}/code"), a.admin.clone(), json!({"code": c}));
        let api = &api;
        async move { api.post(&p, &token, body).await }
    };
    for i in 1..=5 {
        let wrong = enter("ZZZZZZZZ").await;
        assert_eq!(wrong.status.as_u16(), 422, "try {i}: {}", wrong.raw);
    }
    assert_eq!(expect(&enter(&code).await, 409)["type"], "code_locked", "five wrong tries void the code");
    assert_eq!(ownership_of(&api, &a, &info).await, "unconfirmed");

    expect(&api.post(&path, &a.admin, json!({})).await, 202);
    let code = code_in(&mailed(2));
    let done = enter(&code.to_lowercase()).await;
    assert!(expect(&done, 200)["confirmed_at"].is_string(), "{}", done.raw);
    assert!(!done.raw.contains(&code));
    assert_eq!(ownership_of(&api, &a, &info).await, "confirmed");
    let dropdowns = api.get("/v1/me/mailboxes", &alice.token).await;
    assert!(from_addresses(expect(&dropdowns, 200)).contains(&"info@small-club.example".to_owned()));

    // Three codes per address a day.
    expect(&api.post(&path, &a.admin, json!({})).await, 202);
    assert_eq!(expect(&api.post(&path, &a.admin, json!({})).await, 429)["type"], "too_many_codes");
    mailed(3);

    // Never for an address in a platform domain or another tenant's domain.
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", a.id), &a.admin, mailbox_body("x@saas.example")).await;
    let platform = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    let refused_path = format!("/v1/tenants/{}/mailboxes/{platform}/confirmation", a.id);
    assert_eq!(api.post(&refused_path, &a.admin, json!({})).await.status.as_u16(), 422);
    // B proves (here: is assigned) small-club.example: A's confirmation of an address in it ends.
    let assign_path = format!("/v1/tenants/{}/domain-assignments", b.id);
    expect(&api.post(&assign_path, &op, json!({"name": "small-club.example"})).await, 201);
    assert_eq!(ownership_of(&api, &a, &info).await, "unconfirmed");
    assert_eq!(expect(&api.post(&path, &a.admin, json!({})).await, 409)["type"], "domain_claimed");
    mailed(3);
}

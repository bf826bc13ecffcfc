//! Each function's router driven through lambda_http's own adapter (the
//! code path `lambda_http::run` uses): API Gateway HTTP API payload v2
//! event JSON in, `LambdaResponse` JSON out, over DynamoDB and Secrets
//! Manager on moto, each function signed as its own IAM principal (the
//! `Policies` of infra/template.yaml, enforced by moto).
#![allow(clippy::unwrap_used)]

use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use sendas_api::Area;
use sendas_functions::{FunctionConfig, aws_router_with};
use sendas_testkit::aws::{AwsEndpoint, Principal};
use serde_json::{Value, json};
use std::time::Duration;

/// An API Gateway HTTP API (payload format 2.0) event.
fn event(method: &str, path: &str, query: &str, token: Option<&str>, body: Option<Value>) -> Value {
    let mut headers = json!({"host": "abc123.execute-api.eu-central-1.amazonaws.com", "user-agent": "curl/8"});
    if let Some(t) = token {
        headers["authorization"] = json!(format!("Bearer {t}"));
    }
    if body.is_some() {
        headers["content-type"] = json!("application/json");
    }
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
            "requestId": "req-1",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "28/Nov/2026:04:00:00 +0000",
            "timeEpoch": 1_795_838_400_000u64
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

/// Sends one event through the adapter; answers (status, headers, body JSON).
async fn invoke(router: &axum::Router, event: Value) -> (u16, Value, Value) {
    let request: LambdaRequest = serde_json::from_value(event).unwrap();
    let mut adapter = Adapter::from(router.clone());
    let response = adapter.call(LambdaEvent::new(request, Context::default())).await.unwrap();
    let v = serde_json::to_value(&response).unwrap();
    let body = v["body"].as_str().map(|b| serde_json::from_str(b).unwrap_or(Value::Null)).unwrap_or(Value::Null);
    (v["statusCode"].as_u64().unwrap() as u16, v["headers"].clone(), body)
}

/// A fresh table (created by the admin) and the functions' configuration on it; the admin's SDK config.
async fn fresh_table(dns_servers: Vec<std::net::SocketAddr>) -> (FunctionConfig, aws_config::SdkConfig) {
    let aws = AwsEndpoint::shared();
    let (table, secret_prefix) = aws.fresh_names();
    let admin = aws.sdk_config(Principal::Admin).await;
    sendas_store_aws::create_table(&aws_sdk_dynamodb::Client::new(&admin), &table).await.unwrap();
    let config = FunctionConfig {
        table,
        secret_prefix,
        secret_ttl: Duration::from_secs(60),
        relay: sendas_relay::RelayOptions::new(Duration::from_secs(10))
            .with_networks(sendas_core::policy::UpstreamNetworks::loopback()),
        limits_clock_for_tests: None,
        dns_servers,
    };
    (config, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_answers_api_gateway_v2_events() {
    let aws = AwsEndpoint::shared();
    let (config, admin) = fresh_table(vec![]).await;
    let table = config.table.clone();
    // Each function with its own principal's keys, as deployed.
    let mut functions = Vec::new();
    for area in Area::ALL {
        functions.push(aws_router_with(area, &config, &aws.sdk_config(Principal::of_area(area.name())).await));
    }
    let [platform, directory, mailboxes, me, send] = <[axum::Router; 5]>::try_from(functions).unwrap();

    // Bootstrap an operator token straight into the table (what `sendas bootstrap-operator` does), as the admin.
    let store = sendas_store_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&admin), table);
    let issued = sendas_core::service::tokens::mint(
        sendas_core::model::Role::Operator,
        sendas_core::model::Name::parse("bootstrap").unwrap(),
    );
    sendas_core::ports::TokenStore::create_token(&store, &issued.token).await.unwrap();
    let op = secrecy::ExposeSecret::expose_secret(&issued.text).to_owned();

    let body = json!({"name": "fn.example", "system_address": "system@fn.example", "domains": ["fn.example"]});
    let (status, _, created) = invoke(&platform, event("POST", "/v1/tenants", "", Some(&op), Some(body))).await;
    assert_eq!(status, 201, "{created}");
    let tenant = created["tenant"]["id"].as_str().unwrap().to_owned();
    let admin = created["admin_token"]["token"].as_str().unwrap().to_owned();
    let company = created["company"]["id"].as_str().unwrap().to_owned();
    let (status, _, list) = invoke(&platform, event("GET", "/v1/tenants", "limit=5", Some(&op), None)).await;
    assert_eq!((status, list["items"][0]["id"].as_str()), (200, Some(tenant.as_str())));

    let user = json!({"login": "fn-user", "name": "Fn User", "companies": [company]});
    let (status, _, u) =
        invoke(&directory, event("POST", &format!("/v1/tenants/{tenant}/users"), "", Some(&admin), Some(user))).await;
    assert_eq!(status, 201, "{u}");
    let tok = json!({"role": "user", "user_id": u["id"], "name": "fn"});
    let (status, _, t) =
        invoke(&directory, event("POST", &format!("/v1/tenants/{tenant}/tokens"), "", Some(&admin), Some(tok))).await;
    assert_eq!(status, 201, "{t}");
    let user_token = t["token"].as_str().unwrap().to_owned();

    let mb =
        json!({"address": "team@fn.example", "display_name": "Team", "global": true, "sender": true, "reply": true});
    let path = format!("/v1/tenants/{tenant}/mailboxes");
    let (status, _, m) = invoke(&mailboxes, event("POST", &path, "", Some(&admin), Some(mb.clone()))).await;
    assert_eq!(status, 201, "{m}");
    let mut second = mb;
    second["address"] = json!("more@fn.example");
    let (status, headers, problem) = invoke(&mailboxes, event("POST", &path, "", Some(&admin), Some(second))).await;
    assert_eq!((status, problem["type"].as_str()), (409, Some("quota_exceeded")));
    assert_eq!(headers["content-type"], "application/problem+json");

    let (status, _, dropdowns) = invoke(&me, event("GET", "/v1/me/mailboxes", "", Some(&user_token), None)).await;
    assert_eq!(status, 200, "{dropdowns}");
    let from: Vec<_> = dropdowns["from"].as_array().unwrap().iter().map(|m| m["address"].as_str().unwrap()).collect();
    assert_eq!(from.len(), 2, "{dropdowns}");
    assert!(from.contains(&"team@fn.example") && from.contains(&"system@fn.example"));

    // The send function: a message from the team mailbox through the system relay (an outbox here).
    let outbox = tempfile::tempdir().unwrap();
    let relay = json!({"kind": "outbox", "dir": outbox.path().to_str().unwrap()});
    let (status, _, _) = invoke(&platform, event("PUT", "/v1/system-relay", "", Some(&op), Some(relay))).await;
    assert_eq!(status, 200);
    let message = json!({"from_mailbox_id": m["id"], "subject": "Über Lambda", "text_body": "Hallo\n",
        "to": ["someone@example.net"]});
    let (status, _, sent) = invoke(&send, event("POST", "/v1/me/messages", "", Some(&user_token), Some(message))).await;
    assert_eq!(status, 201, "{sent}");
    assert!(sent["message_id"].as_str().unwrap().ends_with("@fn.example>"), "{sent}");
    assert_eq!(std::fs::read_dir(outbox.path()).unwrap().count(), 1, "the message is in the outbox");
    let (status, _, _) = invoke(&send, event("GET", "/v1/me", "", Some(&user_token), None)).await;
    assert_eq!(status, 404, "the send function serves only its route");

    // A function serves only its area: the me-routes are not in the platform function.
    let (status, _, _) = invoke(&platform, event("GET", "/v1/me", "", Some(&user_token), None)).await;
    assert_eq!(status, 404);
    let (status, _, _) = invoke(&me, event("GET", "/v1/me", "", None, None)).await;
    assert_eq!(status, 401);
}

/// An EventBridge scheduled event, as the template's `Schedule` event delivers it.
fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-07T10:00:00Z",
        "region": "eu-central-1",
        "resources": ["arn:aws:events:eu-central-1:123456789012:rule/sendas-test-RecheckFunctionHourly"],
        "detail": {}
    })
}

/// The scheduled re-check as deployed: the handler of `sendas-fn-recheck`
/// (lambda_runtime's event type) signed as its own principal on moto with
/// IAM enforced, looking records up at a real authoritative server (Knot),
/// on a test clock: a verified domain whose record is answered missing for
/// 72 h lapses, and verifies again when the record is back. An event that
/// is not a scheduled event changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recheck_function_lapses_and_restores_a_domain_on_its_schedule() {
    use sendas_core::model::DomainState;
    use sendas_core::ports::{DomainStore, TenantStore};
    use sendas_core::{DomainName, Timestamp};
    use sendas_functions::recheck::DomainRecheck;
    const HOUR: i64 = 3_600_000;

    let aws = AwsEndpoint::shared();
    let knot = sendas_testkit::dns::AuthDns::builder().zone("recheck.example").start();
    let (config, admin) = fresh_table(vec![knot.addr()]).await;
    let table = config.table.clone();
    let without_resolver = FunctionConfig { dns_servers: vec![], ..config.clone() };
    let refused = DomainRecheck::aws(&without_resolver, &admin).err().expect("no resolver, no start");
    assert!(refused.to_string().contains("no resolver"), "{refused}");
    let recheck = DomainRecheck::aws(&config, &aws.sdk_config(Principal::FnRecheck).await).unwrap();

    // A tenant with a verified domain whose record is published (seeded as the admin).
    let store = sendas_store_aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&admin), table);
    let new = sendas_core::testing::fixtures::new_tenant_owning("home.recheck.example", 1);
    store.create_tenant(&new).await.unwrap();
    let t = new.tenant.id;
    let start = Timestamp::now();
    let at = |hours: i64| Timestamp(start.millis() + hours * HOUR);
    let name = DomainName::parse("recheck.example").unwrap();
    let mut d = sendas_core::service::domains::assigned(t, name, start).unwrap();
    d.state = DomainState::Verified;
    store.create_domain(&d).await.unwrap();
    knot.set_txt(&d.record_name(), &d.record_value());
    let invoke = |hours: i64| {
        let recheck = recheck.clone();
        async move { recheck.handle(LambdaEvent::new(scheduled_event(), Context::default()), at(hours)).await }
    };

    let report = invoke(1).await.unwrap();
    assert_eq!((report.checked, report.lapsed), (1, 0), "never checked: due at once");
    assert_eq!(invoke(2).await.unwrap().checked, 0, "checked an hour ago: not due");
    knot.remove_txt(&d.record_name());
    for hours in [25, 49, 73] {
        assert_eq!(invoke(hours).await.unwrap().checked, 1);
        assert_eq!(store.get_domain(t, d.id).await.unwrap().state, DomainState::Verified, "{hours} h");
    }
    let report = invoke(97).await.unwrap();
    assert_eq!(report.lapsed, 1, "missing at every check for 72 h: {report:?}");
    let lapsed = store.get_domain(t, d.id).await.unwrap();
    assert_eq!((lapsed.state, lapsed.lapsed_at), (DomainState::Lapsed, Some(at(97))));
    assert_eq!(store.domain_holder(&d.name).await.unwrap(), None);

    // Not a scheduled event (an API Gateway request): refused, nothing looked up or written.
    knot.set_txt(&d.record_name(), &d.record_value());
    let api_event = event("GET", "/v1/me", "", None, None);
    let wrong = recheck.handle(LambdaEvent::new(api_event, Context::default()), at(130)).await;
    assert!(wrong.unwrap_err().to_string().contains("not a scheduled event"));
    let forged = json!({"source": "my.app", "detail-type": "Scheduled Event"});
    assert!(recheck.handle(LambdaEvent::new(forged, Context::default()), at(130)).await.is_err());
    assert_eq!(store.get_domain(t, d.id).await.unwrap(), lapsed);

    let report = invoke(130).await.unwrap();
    assert_eq!(report.verified, 1, "{report:?}");
    assert_eq!(store.domain_holder(&d.name).await.unwrap(), Some((t, d.id)));
}

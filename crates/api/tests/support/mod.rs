//! Shared helpers of the API tests: a router over some backend, a request
//! helper, and a seeded world of two tenants.
#![allow(dead_code, clippy::unwrap_used)]

pub mod aws;
pub mod suite;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sendas_api::AppState;
use sendas_core::ports::{SecretStore, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// A router and the backends behind it.
#[derive(Clone)]
pub struct TestApi {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn SecretStore>,
}

/// The answer of one request.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
    pub raw: String,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

/// The relay options of the test APIs: a 10 s deadline, the Web PKI roots, and upstream hosts
/// on loopback allowed (the tests' Dovecot, Postfix and capture servers are there).
pub fn relay_options() -> sendas_relay::RelayOptions {
    sendas_relay::RelayOptions::new(std::time::Duration::from_secs(10))
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback())
}

impl TestApi {
    pub fn new(store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>) -> Self {
        Self::with_dns(store, secrets, Arc::new(sendas_core::ports::NoResolver))
    }

    /// Looking ownership records up with `dns`.
    pub fn with_dns(
        store: Arc<dyn Store>,
        secrets: Arc<dyn SecretStore>,
        dns: Arc<dyn sendas_core::ports::DnsLookup>,
    ) -> Self {
        let cached = sendas_relay::CachedSecrets::with_default_ttl(secrets.clone());
        let router = sendas_api::router(AppState::standalone(store.clone(), cached, relay_options()).with_dns(dns));
        TestApi { router, store, secrets }
    }

    /// Over memory stores; `verify` trusts the CAs of `options`.
    pub fn memory_with(options: sendas_relay::RelayOptions) -> Self {
        let store: Arc<dyn Store> = Arc::new(sendas_core::testing::MemoryStore::new());
        let secrets: Arc<dyn SecretStore> = Arc::new(sendas_core::testing::MemorySecretStore::default());
        let cached = sendas_relay::CachedSecrets::with_default_ttl(secrets.clone());
        let router = sendas_api::router(AppState::standalone(store.clone(), cached, options));
        TestApi { router, store, secrets }
    }

    pub fn memory() -> Self {
        Self::new(
            Arc::new(sendas_core::testing::MemoryStore::new()),
            Arc::new(sendas_core::testing::MemorySecretStore::default()),
        )
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        self.call_with(method, path, token, body, &[]).await
    }

    /// A request with extra headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let content_type =
            resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let etag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, content_type, body, raw, etag, retry_after }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Issues an operator token straight through the store (the bootstrap path).
    pub async fn operator_token(&self) -> String {
        let name = sendas_core::model::Name::parse("test operator").unwrap();
        let issued = sendas_core::service::tokens::mint(sendas_core::model::Role::Operator, name);
        self.store.create_token(&issued.token).await.unwrap();
        secrecy::ExposeSecret::expose_secret(&issued.text).to_owned()
    }
}

/// Asserts a status and returns the body; prints the body on mismatch.
#[track_caller]
pub fn expect(a: &Answer, status: u16) -> &Value {
    assert_eq!(a.status.as_u16(), status, "unexpected answer: {}", a.raw);
    &a.body
}

/// One tenant seeded through the API.
pub struct Tenant {
    pub id: String,
    pub admin: String,
    pub company: String,
    pub system_mailbox: String,
}

/// Creates a tenant through the API as the operator.
pub async fn create_tenant(api: &TestApi, op: &str, domain: &str, quota: u32) -> Tenant {
    let body = json!({"name": domain, "system_address": format!("system@{domain}"), "mailbox_quota": quota, "domains": [domain]});
    let a = api.post("/v1/tenants", op, body).await;
    let v = expect(&a, 201);
    Tenant {
        id: v["tenant"]["id"].as_str().unwrap().to_owned(),
        admin: v["admin_token"]["token"].as_str().unwrap().to_owned(),
        company: v["company"]["id"].as_str().unwrap().to_owned(),
        system_mailbox: v["system_mailbox"]["id"].as_str().unwrap().to_owned(),
    }
}

/// A user with a user token.
pub struct User {
    pub id: String,
    pub login: String,
    pub token: String,
}

/// Creates a user and a user token for it.
pub async fn create_user(api: &TestApi, t: &Tenant, login: &str) -> User {
    let body = json!({"login": login, "name": login, "companies": [t.company]});
    let a = api.post(&format!("/v1/tenants/{}/users", t.id), &t.admin, body).await;
    let id = expect(&a, 201)["id"].as_str().unwrap().to_owned();
    let tok = api
        .post(&format!("/v1/tenants/{}/tokens", t.id), &t.admin, json!({"role": "user", "user_id": id, "name": login}))
        .await;
    let token = expect(&tok, 201)["token"].as_str().unwrap().to_owned();
    User { id, login: login.to_owned(), token }
}

/// A mailbox body.
pub fn mailbox_body(address: &str) -> Value {
    json!({"address": address, "display_name": address, "global": true, "sender": true, "reply": true})
}

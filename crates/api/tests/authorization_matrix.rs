//! The authorization matrix, generated from the OpenAPI document (the
//! route table): every operation × {operator, admin of the tenant, admin
//! of another tenant, user of the tenant, user of another tenant, no
//! token, revoked token}. Who may call an operation is read from its
//! `bearer` security scopes; an operation without them, or with a request
//! body this test has no example for, fails the test.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::Method;
use serde_json::{Value, json};
use support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Operator,
    AdminA,
    AdminB,
    UserA,
    UserB,
    NoToken,
    Revoked,
}

const EVERYONE: [Who; 7] =
    [Who::Operator, Who::AdminA, Who::AdminB, Who::UserA, Who::UserB, Who::NoToken, Who::Revoked];

/// A fresh world for one request: tenant A with one of everything, tenant B with an admin and a user.
struct World {
    api: TestApi,
    operator: String,
    spare_operator_token: String,
    a: Tenant,
    b: Tenant,
    user_a: User,
    user_b: User,
    group: String,
    mailbox: String,
    domain: String,
    template: String,
    cred_a: String,
    cred_b: String,
    spare_token_a: String,
    revoked: String,
}

/// The backend a world is built on.
#[derive(Clone, Copy)]
enum Backend {
    Memory,
    Embedded,
    Dynamo,
}

async fn api_on(backend: Backend) -> TestApi {
    match backend {
        Backend::Memory => TestApi::memory(),
        Backend::Embedded => {
            let dir = tempfile::tempdir().unwrap().keep();
            let (store, secrets) = sendas_store_embedded::open_data_dir(&dir).unwrap();
            TestApi::new(std::sync::Arc::new(store), std::sync::Arc::new(secrets))
        }
        // Each area as its Lambda function's IAM principal, on moto (support::aws).
        Backend::Dynamo => support::aws::dynamodb_api().await,
    }
}

async fn world(backend: Backend) -> World {
    let api = api_on(backend).await;
    let operator = api.operator_token().await;
    let spare = api.post("/v1/operator-tokens", &operator, json!({"name": "spare"})).await;
    let spare_operator_token = expect(&spare, 201)["id"].as_str().unwrap().to_owned();
    let relay = api.put("/v1/system-relay", &operator, json!({"kind": "outbox", "dir": "/tmp/outbox"})).await;
    expect(&relay, 200);
    let a = create_tenant(&api, &operator, "a.example", 5).await;
    let b = create_tenant(&api, &operator, "b.example", 5).await;
    let user_a = create_user(&api, &a, "user-a").await;
    let user_b = create_user(&api, &b, "user-b").await;
    let g = api.post(&format!("/v1/tenants/{}/groups", a.id), &a.admin, json!({"name": "G"})).await;
    let group = expect(&g, 201)["id"].as_str().unwrap().to_owned();
    let platform = json!({"domains": ["saas.example"], "sender": "no-reply@saas.example"});
    expect(&api.put("/v1/platform-domains", &operator, platform).await, 200);
    // In a domain nobody claimed: its address can be confirmed (a code is mailed to the outbox now).
    let mut body = mailbox_body("m@solo-a.example");
    body["smtp"] = json!({"host": "127.0.0.1", "port": 9, "tls": "none", "username": "m"});
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", a.id), &a.admin, body).await;
    let mailbox = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    let pw = api
        .put(&format!("/v1/tenants/{}/mailboxes/{mailbox}/password", a.id), &a.admin, json!({"password": "pw"}))
        .await;
    expect(&pw, 204);
    let code = api.post(&format!("/v1/tenants/{}/mailboxes/{mailbox}/confirmation", a.id), &a.admin, json!({})).await;
    expect(&code, 202);
    let d = api.post(&format!("/v1/tenants/{}/domains", a.id), &a.admin, json!({"name": "claimed-a.example"})).await;
    let domain = expect(&d, 201)["id"].as_str().unwrap().to_owned();
    let tpl = api.post(&format!("/v1/tenants/{}/templates", a.id), &a.admin, template_body()).await;
    let template = expect(&tpl, 201)["id"].as_str().unwrap().to_owned();
    let ca = api.post("/v1/me/smtp-credentials", &user_a.token, json!({"name": "c"})).await;
    let cred_a = expect(&ca, 201)["id"].as_str().unwrap().to_owned();
    let cb = api.post("/v1/me/smtp-credentials", &user_b.token, json!({"name": "c"})).await;
    let cred_b = expect(&cb, 201)["id"].as_str().unwrap().to_owned();
    let spare =
        api.post(&format!("/v1/tenants/{}/tokens", a.id), &a.admin, json!({"role": "admin", "name": "spare"})).await;
    let spare_token_a = expect(&spare, 201)["id"].as_str().unwrap().to_owned();
    let r = api.post(&format!("/v1/tenants/{}/tokens", a.id), &a.admin, json!({"role": "admin", "name": "gone"})).await;
    let revoked = expect(&r, 201)["token"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_str().unwrap();
    expect(&api.delete(&format!("/v1/tenants/{}/tokens/{id}", a.id), &a.admin).await, 204);
    World {
        api,
        operator,
        spare_operator_token,
        a,
        b,
        user_a,
        user_b,
        group,
        mailbox,
        domain,
        template,
        cred_a,
        cred_b,
        spare_token_a,
        revoked,
    }
}

impl World {
    fn token(&self, who: Who) -> Option<&str> {
        match who {
            Who::Operator => Some(&self.operator),
            Who::AdminA => Some(&self.a.admin),
            Who::AdminB => Some(&self.b.admin),
            Who::UserA => Some(&self.user_a.token),
            Who::UserB => Some(&self.user_b.token),
            Who::NoToken => None,
            Who::Revoked => Some(&self.revoked),
        }
    }

    fn path(&self, template: &str, who: Who) -> String {
        let token_id =
            if template.starts_with("/v1/operator-tokens") { &self.spare_operator_token } else { &self.spare_token_a };
        let cred = if who == Who::UserB && template.starts_with("/v1/me") { &self.cred_b } else { &self.cred_a };
        template
            .replace("{tenant_id}", &self.a.id)
            .replace("{user_id}", &self.user_a.id)
            .replace("{company_id}", &self.a.company)
            .replace("{group_id}", &self.group)
            .replace("{mailbox_id}", &self.mailbox)
            .replace("{domain_id}", &self.domain)
            .replace("{template_id}", &self.template)
            .replace("{credential_id}", cred)
            .replace("{token_id}", token_id)
    }

    /// A valid body for each operation that takes one.
    fn body(&self, operation: &str, who: Who) -> Option<Value> {
        Some(match operation {
            "create_tenant" => {
                json!({"name": "c.example", "system_address": "system@c.example", "domains": ["c.example"]})
            }
            "update_tenant" => json!({"mailbox_quota": 9}),
            "put_system_relay" => json!({"kind": "outbox", "dir": "/tmp/outbox"}),
            "put_platform_domains" => json!({"domains": ["saas.example"], "sender": "no-reply@saas.example"}),
            "claim_domain" => json!({"name": "new-a.example"}),
            "assign_domain" => json!({"name": "assigned-a.example"}),
            "set_system_address" => json!({"address": "system-2@a.example"}),
            "enter_code" => json!({"code": "WRONGONE"}),
            "create_operator_token" => json!({"name": "another"}),
            "create_company" | "update_company" | "create_group" | "update_group" => json!({"name": "Name"}),
            "create_user" => json!({"login": "new-user", "name": "New", "companies": [self.a.company]}),
            "update_user" => json!({"enabled": false}),
            "create_credential" | "create_my_credential" => json!({"name": "client"}),
            "create_token" => json!({"role": "user", "user_id": self.user_a.id, "name": "t"}),
            "create_mailbox" => mailbox_body("new@a.example"),
            "update_mailbox" => mailbox_body("renamed@a.example"),
            "set_password" | "set_credentials" => json!({"password": "new password"}),
            "set_access" => json!({"restricted": true, "users": [self.user_a.id], "groups": [self.group]}),
            "create_template" | "replace_template" => template_body(),
            // From the caller's own tenant's system mailbox, through the system relay (an outbox).
            "send_message" => {
                let from = if who == Who::UserB { &self.b.system_mailbox } else { &self.a.system_mailbox };
                json!({"from_mailbox_id": from, "subject": "s", "text_body": "t", "to": ["x@example.net"]})
            }
            _ => return None,
        })
    }
}

/// A global template body without presets.
fn template_body() -> Value {
    json!({"name": "Welcome", "global": true, "subject": "Hello {{ name }}", "text_body": "Dear {{ name }}"})
}

/// What `who` must get: `None` for success (2xx), else the status.
fn expected(scopes: &[String], who: Who, tenant_scoped: bool) -> Option<u16> {
    let may = |s: &str| scopes.iter().any(|x| x == s);
    let allowed = match who {
        Who::NoToken | Who::Revoked => return Some(401),
        Who::Operator => may("operator"),
        Who::AdminA => may("admin"),
        Who::UserA => may("self") || may("user"),
        Who::AdminB | Who::UserB if tenant_scoped => return Some(404),
        Who::AdminB => may("admin"),
        Who::UserB => may("user"),
    };
    if allowed { None } else { Some(403) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_every_route_answers_every_caller_as_its_scopes_say() {
    matrix(Backend::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_every_route_answers_every_caller_as_its_scopes_say() {
    matrix(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_every_route_answers_every_caller_as_its_scopes_say() {
    matrix(Backend::Dynamo).await;
}

async fn matrix(backend: Backend) {
    let doc = serde_json::to_value(sendas_api::openapi()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (template, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            let operation = op["operationId"].as_str().unwrap_or_default().to_owned();
            let security = op["security"].as_array().unwrap_or_else(|| panic!("{operation}: no security requirement"));
            let scopes: Vec<String> = security
                .iter()
                .flat_map(|s| s["bearer"].as_array().cloned().unwrap_or_default())
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect();
            assert!(!scopes.is_empty(), "{operation}: no bearer scopes");
            let needs_body = !op["requestBody"].is_null();
            // Callers that must be refused share one world (a refusal changes nothing: were one
            // let through, its assertion fails); each caller that must succeed gets a fresh one.
            let shared = world(backend).await;
            for who in EVERYONE {
                let want = expected(&scopes, who, template.contains("{tenant_id}"));
                let fresh;
                let w = if want.is_some() {
                    &shared
                } else {
                    fresh = world(backend).await;
                    &fresh
                };
                let body = w.body(&operation, who);
                assert!(!needs_body || body.is_some(), "{operation}: add an example body to the matrix");
                let path = w.path(template, who);
                let answer = w.api.call(method.clone(), &path, w.token(who), body).await;
                let status = answer.status.as_u16();
                match want {
                    // Authorised, and the body is wrong: the real code is only in the mailed message.
                    None if operation == "enter_code" => {
                        assert_eq!((status, answer.body["field"].as_str()), (422, Some("code")), "{}", answer.raw)
                    }
                    None => assert!(
                        answer.status.is_success(),
                        "{method} {template} as {who:?}: expected success, got {status}: {}",
                        answer.raw
                    ),
                    Some(want) => {
                        assert_eq!(status, want, "{method} {template} as {who:?}: {}", answer.raw);
                        assert_eq!(answer.content_type, "application/problem+json", "{operation}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 45 * 7, "only {checked} cases: routes are missing from the document");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems_too() {
    let w = world(Backend::Memory).await;
    let a = w.api.call(Method::GET, "/v1/nothing-here", Some(&w.operator), None).await;
    assert_eq!((a.status.as_u16(), a.content_type.as_str()), (404, "application/problem+json"));
    let a = w.api.call(Method::DELETE, "/v1/tenants", Some(&w.operator), None).await;
    assert_eq!(a.status.as_u16(), 405);
    assert_eq!((a.body["status"].as_u64(), a.body["type"].as_str()), (Some(405), Some("method_not_allowed")));
    let a = w.api.call(Method::GET, "/v1/tenants/not-a-uuid", Some(&w.operator), None).await;
    assert_eq!(a.status.as_u16(), 404);
    let doc = w.api.call(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(doc.status.as_u16(), 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// Sends raw body bytes (as JSON) and answers the status and the problem body.
async fn raw(w: &World, method: Method, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = w.api.router.clone().oneshot(req.body(axum::body::Body::from(body)).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Authorisation comes before the body: every caller an operation refuses
/// gets its refusal (401/403/404) also with a malformed body, never a 422
/// that describes the body to it. Generated from the document like the matrix.
#[tokio::test]
async fn authorization_comes_before_the_body() {
    let w = world(Backend::Memory).await;
    let doc = serde_json::to_value(sendas_api::openapi()).unwrap();
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            if op["requestBody"].is_null() {
                continue;
            }
            let scopes: Vec<String> = op["security"][0]["bearer"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect();
            for who in EVERYONE {
                let Some(want) = expected(&scopes, who, template.contains("{tenant_id}")) else { continue };
                let path = w.path(template, who);
                let (status, body) = raw(&w, method.clone(), &path, w.token(who), b"{\"malformed".to_vec()).await;
                assert_eq!(status, want, "{method} {template} as {who:?} with a malformed body: {body}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 50, "only {checked} cases");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_problem_json() {
    let w = world(Backend::Memory).await;
    let mut big = b"{\"name\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 5 << 20));
    big.extend_from_slice(b"\"}");
    let path = format!("/v1/tenants/{}/groups", w.a.id);
    let (status, body) = raw(&w, Method::POST, &path, Some(&w.a.admin), big).await;
    assert_eq!((status, body["status"].as_u64(), body["type"].as_str()), (413, Some(413), Some("payload_too_large")));
}

//! `POST .../mailboxes/{id}/verify` against a real SMTP server that
//! enforces AUTH (aiosmtpd): the right password logs in, a wrong one is
//! reported at the AUTH stage, and the password is never in the answer.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_testkit::Upstream;
use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_logs_in_with_the_right_password_and_reports_a_wrong_one() {
    let upstream = Upstream::start("box@up.example", "Right-Pass-123");
    let api = TestApi::memory();
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "up.example", 2).await;
    let mut body = mailbox_body("box@up.example");
    body["smtp"] = json!({"host": "127.0.0.1", "port": upstream.port, "tls": "none", "username": "box@up.example"});
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, body).await;
    let id = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/tenants/{}/mailboxes/{id}", t.id);

    let none = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    assert_eq!(expect(&none, 422)["field"], "credentials");

    expect(&api.put(&format!("{base}/password"), &t.admin, json!({"password": "Right-Pass-123"})).await, 204);
    let ok = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    let report = expect(&ok, 200);
    assert_eq!((report["ok"].as_bool(), report["stage"].as_str()), (Some(true), Some("done")), "{}", ok.raw);
    assert!(report["detail"].as_str().unwrap().starts_with("235"), "{}", ok.raw);

    expect(&api.put(&format!("{base}/password"), &t.admin, json!({"password": "Wrong-Pass-456"})).await, 204);
    let bad = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    let report = expect(&bad, 200);
    assert_eq!((report["ok"].as_bool(), report["stage"].as_str()), (Some(false), Some("auth")), "{}", bad.raw);
    assert!(report["detail"].as_str().unwrap().contains("535"), "{}", bad.raw);

    let shown = api.get(&base, &t.admin).await;
    assert_eq!(expect(&shown, 200)["smtp"]["password_set"], true);
    for a in [&ok, &bad, &shown] {
        assert!(!a.raw.contains("Right-Pass-123") && !a.raw.contains("Wrong-Pass-456"), "{}", a.raw);
    }

    drop(upstream);
    let down = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    assert_eq!(expect(&down, 200)["stage"], "connect");
}

/// A Microsoft 365-style mailbox through the API: the login method is
/// shown (never its secret), the secrets endpoint takes exactly the fields
/// the method needs, `verify` logs in to a real Dovecot that checks the
/// token, and the outcome is the mailbox's health in the mailbox's view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_login_methods_take_their_secrets_write_only_verify_and_show_health() {
    use sendas_testkit::upstreams::upstreams;
    let up = upstreams();
    let mut options = sendas_relay::RelayOptions::new(std::time::Duration::from_secs(10))
        .with_networks(sendas_core::policy::UpstreamNetworks::loopback());
    options.trust = sendas_smtp_client::Trust::with_pem_file(&up.ca_bundle()).unwrap();
    let api = TestApi::memory_with(options);
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "oauth.example", 3).await;
    let mut body = mailbox_body("alice@oauth.example");
    let login = json!({"method": "oauth2_client_credentials", "token_url": up.str(&["token", "token_url"]), "client_id": "m365-app"});
    body["smtp"] = json!({"host": "localhost", "port": up.port(&["dovecot", "tls_port"]), "tls": "tls",
        "username": "alice@example.test", "login": login});
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, body.clone()).await;
    let view = expect(&m, 201).clone();
    assert_eq!(view["smtp"]["login"]["method"], "oauth2_client_credentials", "{}", m.raw);
    assert_eq!(view["smtp"]["login"]["scope"], "https://outlook.office365.com/.default", "the default scope");
    assert_eq!(view["smtp"]["password_set"], false);
    let id = view["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/tenants/{}/mailboxes/{id}", t.id);

    // Only the method's own fields.
    let wrong =
        api.put(&format!("{base}/credentials"), &t.admin, json!({"refresh_token": "x", "client_secret": "y"})).await;
    assert_eq!(expect(&wrong, 422)["field"], "refresh_token", "{}", wrong.raw);
    let pw = api.put(&format!("{base}/password"), &t.admin, json!({"password": "pw"})).await;
    assert_eq!(expect(&pw, 422)["field"], "password", "{}", pw.raw);
    let none = api.put(&format!("{base}/credentials"), &t.admin, json!({})).await;
    assert_eq!(expect(&none, 422)["field"], "client_secret", "{}", none.raw);

    // A wrong client secret: the token stage fails, and the health says so.
    expect(&api.put(&format!("{base}/credentials"), &t.admin, json!({"client_secret": "not-the-secret"})).await, 204);
    let bad = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    let report = expect(&bad, 200);
    assert_eq!((report["ok"].as_bool(), report["stage"].as_str()), (Some(false), Some("token")), "{}", bad.raw);
    assert!(report["detail"].as_str().unwrap().contains("invalid_client"), "{}", bad.raw);
    let shown = api.get(&base, &t.admin).await;
    let health = &expect(&shown, 200)["health"];
    assert_eq!(
        (health["ok"].as_bool(), health["failed_stage"].as_str()),
        (Some(false), Some("token")),
        "{}",
        shown.raw
    );

    // The right one: logged in to Dovecot with XOAUTH2.
    expect(&api.put(&format!("{base}/credentials"), &t.admin, json!({"client_secret": "m365-secret"})).await, 204);
    let ok = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    let report = expect(&ok, 200);
    assert_eq!((report["ok"].as_bool(), report["stage"].as_str()), (Some(true), Some("done")), "{}", ok.raw);
    let listed = api.get(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin).await;
    let item =
        expect(&listed, 200)["items"].as_array().unwrap().iter().find(|m| m["id"] == id.as_str()).unwrap().clone();
    assert_eq!(item["health"]["ok"], true, "{}", listed.raw);
    assert_eq!(item["smtp"]["password_set"], true);
    for a in [&wrong, &bad, &shown, &ok, &listed] {
        assert!(!a.raw.contains("m365-secret") && !a.raw.contains("not-the-secret"), "{}", a.raw);
    }

    // Another kind of login: the stored secret no longer fits, so it is not "set".
    body["smtp"]["login"] = json!({"method": "google_service_account"});
    let moved = api.put(&base, &t.admin, body.clone()).await;
    assert_eq!(expect(&moved, 200)["smtp"]["password_set"], false, "{}", moved.raw);
    let key = api
        .put(&format!("{base}/credentials"), &t.admin, json!({"service_account_key": {"type": "service_account"}}))
        .await;
    assert_eq!(expect(&key, 422)["field"], "service_account_key", "{}", key.raw);
    let file = up.info["token"]["service_accounts"][0]["key_file"].as_str().unwrap().to_owned();
    let key: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    expect(&api.put(&format!("{base}/credentials"), &t.admin, json!({"service_account_key": key.clone()})).await, 204);
    let ok = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    assert_eq!(expect(&ok, 200)["stage"], "done", "{}", ok.raw);
    let private_key = key["private_key"].as_str().unwrap();
    let shown = api.get(&base, &t.admin).await;
    assert!(!shown.raw.contains(&private_key[40..80]) && !ok.raw.contains(&private_key[40..80]));

    // Microsoft's directory shortcut gives its token URL; giving both is refused.
    body["smtp"]["login"] =
        json!({"method": "oauth2_client_credentials", "directory": "contoso.onmicrosoft.com", "client_id": "app"});
    let ms = api.put(&base, &t.admin, body.clone()).await;
    assert_eq!(
        expect(&ms, 200)["smtp"]["login"]["token_url"],
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    body["smtp"]["login"]["token_url"] = json!("https://idp.example/token");
    assert_eq!(expect(&api.put(&base, &t.admin, body.clone()).await, 422)["field"], "smtp.login.token_url");
    body["smtp"]["login"] =
        json!({"method": "oauth2_refresh_token", "client_id": "c", "token_url": "http://idp.example/token"});
    assert_eq!(
        expect(&api.put(&base, &t.admin, body).await, 422)["field"],
        "smtp.login.token_url",
        "http only to loopback"
    );
}

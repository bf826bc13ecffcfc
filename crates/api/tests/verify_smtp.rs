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
    assert_eq!(expect(&none, 422)["field"], "password");

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

//! The demo data: its dropdowns agree with the policy function for every
//! user, and `sendas serve --demo` starts, serves, and stops cleanly.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use sendas_core::policy::{Usage, may_use};
use sendas_core::service::mailboxes::all_mailboxes;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dropdowns_of_every_demo_user_agree_with_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let b = sendas::backend::embedded(dir.path()).unwrap();
    let op = sendas::backend::first_operator_token(b.store.as_ref()).await.unwrap().unwrap();
    let info = sendas::demo::seed(b.store.as_ref(), b.secrets.as_ref(), "http://x", &op).await.unwrap();
    let secrets = sendas_relay::CachedSecrets::with_default_ttl(b.secrets.clone());
    let options = sendas_relay::RelayOptions::new(std::time::Duration::from_secs(10));
    let router = sendas_api::router(sendas_api::AppState::standalone(b.store.clone(), secrets, options));
    let tenant = b.store.get_tenant(info.tenant_id).await.unwrap();
    let mailboxes = all_mailboxes(b.store.as_ref(), info.tenant_id).await.unwrap();
    let book = sendas_core::service::ownership::book(b.store.as_ref(), info.tenant_id).await.unwrap();
    assert!(mailboxes.iter().all(|m| book.of(m).is_owned()), "the operator assigned demo.example to the demo tenant");
    assert_eq!(mailboxes.len(), 5, "system, global, restricted, authenticated, reply-only");
    assert!(mailboxes.iter().any(|m| m.authenticated()) && mailboxes.iter().any(|m| m.flags.restricted));
    assert!(mailboxes.iter().any(|m| !m.flags.sender && m.flags.reply));
    assert_eq!(info.users.iter().map(|u| u.login.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    for u in &info.users {
        let req = Request::get("/v1/me/mailboxes").header("authorization", format!("Bearer {}", u.token));
        let resp = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), 200);
        let v: serde_json::Value =
            serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let got = |key: &str| -> BTreeSet<String> {
            v[key].as_array().unwrap().iter().map(|m| m["address"].as_str().unwrap().to_owned()).collect()
        };
        let user = b.store.get_user(info.tenant_id, u.id).await.unwrap();
        let want = |usage| -> BTreeSet<String> {
            mailboxes
                .iter()
                .filter(|m| may_use(&tenant, &user, m, book.of(m), usage).is_allowed())
                .map(|m| m.address.to_string())
                .collect()
        };
        assert_eq!(got("from"), want(Usage::From), "{} From", u.login);
        assert_eq!(got("reply_to"), want(Usage::ReplyTo), "{} Reply-To", u.login);
        assert_eq!(got("from"), u.may_send_as.iter().cloned().collect(), "demo.json of {}", u.login);
        assert!(u.may_not_send_as.iter().all(|a| !got("from").contains(a)));
    }
    let alice = &info.users[0];
    assert!(
        alice.may_send_as.contains(&"sales@demo.example".into())
            && alice.may_send_as.contains(&"billing@demo.example".into())
    );
    let bob = &info.users[1];
    assert!(
        bob.may_not_send_as.contains(&"sales@demo.example".into())
            && bob.may_reply_to.contains(&"replies@demo.example".into())
    );
}

/// A plain HTTP/1.1 GET (the test needs no HTTP client crate).
fn http_get(addr: &str, path: &str, token: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    (status, out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

// The child is handed to the caller, which waits for it in `stop`.
#[allow(clippy::zombie_processes)]
fn start(dir: &std::path::Path) -> (std::process::Child, Vec<String>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sendas"))
        .args([
            "serve",
            "--demo",
            "--api-addr",
            "127.0.0.1:0",
            "--smtp-addr",
            "127.0.0.1:0",
            "--smtp-tls-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "serve ended early: {lines:?}");
        lines.push(line.trim_end().to_owned());
        if let Some(rest) = line.strip_prefix("sendas API listening on http://") {
            let addr = rest.split('/').next().unwrap().to_owned();
            return (child, lines, addr);
        }
    }
}

fn stop(mut child: std::process::Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "serve did not stop cleanly: {status}");
}

#[test]
fn serve_demo_prints_the_operator_token_once_and_answers_requests() {
    let dir = tempfile::tempdir().unwrap();
    let (child, lines, addr) = start(dir.path());
    assert!(lines.iter().any(|l| l.starts_with("operator token (shown once")), "{lines:?}");
    let demo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("demo.json")).unwrap()).unwrap();
    for key in ["api", "smtp", "tokens", "users"] {
        assert!(!demo[key].is_null(), "demo.json lacks {key}");
    }
    let (status, body) = http_get(&addr, "/v1/tenants", demo["tokens"]["operator"].as_str().unwrap());
    assert_eq!(status, 200, "{body}");
    let (status, _) = http_get(&addr, "/v1/me/mailboxes", demo["users"][0]["token"].as_str().unwrap());
    assert_eq!(status, 200);
    let (status, _) = http_get(&addr, "/v1/tenants", "sendas_bogus");
    assert_eq!(status, 401);
    stop(child);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("demo.json")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // A second start keeps the data: no new operator token, the same demo.
    let (child, lines, addr) = start(dir.path());
    assert!(!lines.iter().any(|l| l.starts_with("operator token")), "{lines:?}");
    let (status, body) = http_get(&addr, "/v1/tenants", demo["tokens"]["operator"].as_str().unwrap());
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"].as_array().unwrap().len(), 1);
    stop(child);
}

#[test]
fn help_is_complete_enough_to_use_the_tool() {
    let out = Command::new(env!("CARGO_BIN_EXE_sendas")).args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["--api-addr", "--data-dir", "--demo", "--aws-table", "operator token", "demo.json"] {
        assert!(text.contains(needle), "serve --help lacks {needle}:\n{text}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sendas")).arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("serve") && text.contains("bootstrap-operator"), "{text}");
}

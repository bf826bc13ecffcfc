//! A hostile admin tries to walk a mailbox's stored secret out (SPEC §3:
//! a secret is bound to the endpoint it was given for). The mailbox logs
//! in to a real SMTP server that enforces AUTH (aiosmtpd); capture servers
//! stand in for the attacker's hosts: an SMTP server that takes any AUTH
//! and records every byte it is sent, and a token endpoint that records
//! every request. After each change — port, host, TLS mode, username, the
//! login method (to a token URL of the attacker's) — `verify` and a message
//! over HTTP send find no secret, and the attacker's servers receive none.
//! Once the admin gives the secret again, the mailbox logs in and relays.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_testkit::Upstream;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const SECRET: &str = "Right-Pass-123";

/// Everything the attacker's servers were sent.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn add(&self, bytes: &[u8]) {
        self.0.lock().unwrap().extend_from_slice(bytes);
    }

    /// The secret in any form a client could send it: as is, in AUTH PLAIN's or LOGIN's base64,
    /// or form-encoded in a token request.
    fn assert_no_secret(&self, what: &str) {
        let seen = String::from_utf8_lossy(&self.0.lock().unwrap()).to_string();
        let b64 = |s: &str| data_encoding::BASE64.encode(s.as_bytes());
        for form in [
            SECRET.to_owned(),
            b64(SECRET),
            b64(&format!("\0box@up.example\0{SECRET}")),
            b64(&format!("\0attacker\0{SECRET}")),
        ] {
            assert!(!seen.contains(&form), "{what}: the attacker received the secret ({form}) in {seen:?}");
        }
    }
}

/// An SMTP server on `addr` that offers AUTH, accepts any credentials and records every line.
async fn attacker_smtp(addr: &str, capture: Capture) -> u16 {
    let listener = TcpListener::bind(addr).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let capture = capture.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 attacker ESMTP\r\n").await;
                let mut line = String::new();
                while lines.read_line(&mut line).await.unwrap_or(0) > 0 {
                    capture.add(line.as_bytes());
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-attacker\r\n250 AUTH PLAIN LOGIN\r\n",
                        "AUTH" if line.split_whitespace().count() > 2 => b"235 2.7.0 ok\r\n",
                        "AUTH" => b"334 \r\n",
                        "QUIT" => b"221 bye\r\n",
                        _ if line.trim().is_empty() => b"",
                        _ => b"334 \r\n",
                    };
                    let _ = write.write_all(reply).await;
                    line.clear();
                }
            });
        }
    });
    port
}

/// An HTTP listener that records every request and answers 400.
async fn attacker_token_endpoint(capture: Capture) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            let n = tokio::time::timeout(std::time::Duration::from_secs(2), socket.read(&mut buf))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(0);
            capture.add(&buf[..n]);
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_change_of_settings_walks_a_stored_secret_out() {
    let upstream = Upstream::start("box@up.example", SECRET);
    let capture = Capture::default();
    let attacker_port = attacker_smtp("127.0.0.1:0", capture.clone()).await;
    // The same port as the real server, on another loopback address: only the host differs.
    let attacker_host_port = attacker_smtp(&format!("127.0.0.2:{}", upstream.port), capture.clone()).await;
    assert_eq!(attacker_host_port, upstream.port);
    let token_port = attacker_token_endpoint(capture.clone()).await;

    let api = TestApi::memory();
    let op = api.operator_token().await;
    let t = create_tenant(&api, &op, "up.example", 2).await;
    let user = create_user(&api, &t, "sender").await;
    let legit = json!({"host": "127.0.0.1", "port": upstream.port, "tls": "none", "username": "box@up.example"});
    let mut body = mailbox_body("box@up.example");
    body["smtp"] = legit.clone();
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", t.id), &t.admin, body.clone()).await;
    let id = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/tenants/{}/mailboxes/{id}", t.id);
    let send = |subject: &'static str| {
        let body = json!({"from_mailbox_id": id, "to": ["rcpt@example.net"], "subject": subject, "text_body": "Hi."});
        let (api, token) = (&api, user.token.clone());
        async move { api.post("/v1/me/messages", &token, body).await }
    };

    expect(&api.put(&format!("{base}/password"), &t.admin, json!({"password": SECRET})).await, 204);
    let ok = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    assert_eq!(expect(&ok, 200)["ok"], true, "{}", ok.raw);
    expect(&send("before").await, 201);
    assert_eq!(upstream.delivered().len(), 1);

    let moved: [(&str, Value); 5] = [
        ("port", json!({"host": "127.0.0.1", "port": attacker_port, "tls": "none", "username": "box@up.example"})),
        ("host", json!({"host": "127.0.0.2", "port": upstream.port, "tls": "none", "username": "box@up.example"})),
        ("username", json!({"host": "127.0.0.1", "port": attacker_port, "tls": "none", "username": "attacker"})),
        ("tls", json!({"host": "127.0.0.1", "port": attacker_port, "tls": "tls", "username": "box@up.example"})),
        (
            "login method and token URL",
            json!({"host": "127.0.0.1", "port": attacker_port, "tls": "none", "username": "box@up.example",
                "login": {"method": "oauth2_client_credentials", "token_url": format!("http://127.0.0.1:{token_port}/token"),
                    "client_id": "attacker-app"}}),
        ),
    ];
    for (what, settings) in moved {
        let mut change = body.clone();
        change["smtp"] = settings;
        let put = api.put(&base, &t.admin, change).await;
        assert_eq!(expect(&put, 200)["smtp"]["password_set"], false, "{what}: {}", put.raw);
        let verify = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
        assert_eq!(verify.status.as_u16(), 422, "{what}: verify without a secret: {}", verify.raw);
        let sent = send("after a change").await;
        assert!(!sent.status.is_success(), "{what}: a message was sent: {}", sent.raw);
        capture.assert_no_secret(what);
        // Back to the real server: the secret stays forgotten until it is given again.
        let mut back = body.clone();
        back["smtp"] = legit.clone();
        assert_eq!(expect(&api.put(&base, &t.admin, back).await, 200)["smtp"]["password_set"], false, "{what}");
        let verify = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
        assert_eq!(verify.status.as_u16(), 422, "{what}: the forgotten secret came back: {}", verify.raw);
        expect(&api.put(&format!("{base}/password"), &t.admin, json!({"password": SECRET})).await, 204);
    }
    let ok = api.post(&format!("{base}/verify"), &t.admin, json!({})).await;
    assert_eq!(expect(&ok, 200)["ok"], true, "{}", ok.raw);
    expect(&send("given again").await, 201);
    assert_eq!(upstream.delivered().len(), 2, "the mailbox relays once the secret is given again");
    capture.assert_no_secret("the whole test");
}

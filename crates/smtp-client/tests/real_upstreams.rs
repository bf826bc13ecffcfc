//! The client against real servers (`scripts/upstreams/start.py`, started
//! once for this binary): password logins to Postfix (Cyrus SASL) over
//! STARTTLS and implicit TLS verifying the test CA; XOAUTH2 and OAUTHBEARER
//! to Dovecot submission with tokens from the token endpoint (checked by
//! introspection), also a Microsoft-size token that only fits after `334`;
//! refused tokens (garbage, revoked) after the OAuth failure dance; and
//! certificates with a wrong name, expired, not yet valid, self-signed or
//! from an unknown CA failing at `Tls` with not one byte of the message
//! sent. What arrived is read from the capture server, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use secrecy::SecretString;
use sendas_smtp_client::{Auth, Client, ConnectOptions, ErrorKind, Mechanism, Security, Step, Trust};
use sendas_testkit::upstreams::upstreams;
use serde_json::json;
use std::time::Duration;

fn options(port: u16, security: Security) -> ConnectOptions {
    let mut opts = ConnectOptions::new("localhost", port, security);
    opts.trust = Trust::with_pem_file(&upstreams().ca_bundle()).unwrap();
    opts.hello = "sendas.test".into();
    opts
}

/// A message with its own Date and Message-ID (so no server adds them), ending with CRLF.
fn message(to: &str, marker: &str) -> Vec<u8> {
    format!(
        "From: Sender <sender@example.test>\r\nTo: <{to}>\r\nSubject: {marker}\r\n\
         Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <{marker}@sendas.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         .a line that starts with a dot\r\n..and two\r\n.\r\nGr\u{fc}\u{df}e, {marker}\r\n{}\r\n",
        "x".repeat(998)
    )
    .into_bytes()
}

/// The captured bytes are the server's trace headers followed by exactly what was sent.
fn assert_arrived_as_sent(eml: &[u8], sent: &[u8]) {
    assert!(
        eml.ends_with(sent),
        "the captured message does not end with the message sent:\n{}",
        String::from_utf8_lossy(eml)
    );
    let added = String::from_utf8_lossy(&eml[..eml.len() - sent.len()]).into_owned();
    for line in added.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.starts_with("Received:") || line.starts_with([' ', '\t']), "unexpected added header {line:?}");
    }
}

fn password(user: &str) -> Auth {
    let up = upstreams();
    Auth::Password { username: user.into(), password: SecretString::from(up.str(&["postfix", "users", user])) }
}

fn bearer(token: String) -> Auth {
    Auth::Bearer { username: "alice@example.test".into(), token: SecretString::from(token) }
}

#[tokio::test]
async fn postfix_password_over_starttls_delivers_byte_for_byte_and_reuses_the_connection() {
    let up = upstreams();
    let mut client =
        Client::connect(&options(up.port(&["postfix", "starttls_port"]), Security::StartTls)).await.unwrap();
    assert!(client.is_tls());
    // Postfix offers AUTH only after STARTTLS: these are the post-TLS capabilities.
    assert!(client.capabilities().offers_auth("PLAIN") && !client.capabilities().starttls);
    assert!(client.capabilities().pipelining);
    client.authenticate(&password("relay@example.test")).await.unwrap();
    let to = "starttls@dest.example";
    let first = message(to, "postfix-starttls-1");
    let second = message(to, "postfix-starttls-2");
    let reply = client.send("relay@example.test", &[to], &first).await.unwrap();
    assert_eq!(reply.code(), 250);
    assert!(!client.is_broken() && client.still_open().await);
    client.send("relay@example.test", &[to], &second).await.unwrap();
    client.quit().await;
    let got = up.wait_captured(to, 2);
    for ((meta, eml), sent) in got.iter().zip([&first, &second]) {
        assert_eq!(meta["mail_from"], "relay@example.test");
        assert_eq!(meta["rcpt_tos"], json!([to]));
        assert_arrived_as_sent(eml, sent);
        let text = String::from_utf8_lossy(eml);
        assert!(text.contains("(Authenticated sender: relay@example.test)") && text.contains("with ESMTPSA"), "{text}");
    }
}

#[tokio::test]
async fn postfix_password_over_implicit_tls_with_login() {
    let up = upstreams();
    let mut client = Client::connect(&options(up.port(&["postfix", "tls_port"]), Security::Tls)).await.unwrap();
    client.authenticate_with(&password("relay@example.test"), Mechanism::Login).await.unwrap();
    let to = "implicit-tls@dest.example";
    let sent = message(to, "postfix-tls");
    client.send("relay@example.test", &[to, "implicit-tls-2@dest.example"], &sent).await.unwrap();
    client.quit().await;
    let (meta, eml) = up.wait_captured(to, 1).remove(0);
    let mut rcpts: Vec<_> = meta["rcpt_tos"].as_array().unwrap().iter().filter_map(|r| r.as_str()).collect();
    rcpts.sort_unstable();
    assert_eq!(rcpts, ["implicit-tls-2@dest.example", to], "Postfix may reorder recipients");
    assert_arrived_as_sent(&eml, &sent);
    assert!(String::from_utf8_lossy(&eml).contains("(Authenticated sender: relay@example.test)"));

    // A wrong password: 535 at Auth, permanent.
    let mut client = Client::connect(&options(up.port(&["postfix", "tls_port"]), Security::Tls)).await.unwrap();
    let wrong = Auth::Password { username: "relay@example.test".into(), password: SecretString::from("nope-pw") };
    let e = client.authenticate(&wrong).await.unwrap_err();
    assert_eq!((e.step(), e.code(), e.is_permanent()), (Step::Auth, Some(535), true));
    assert!(!format!("{e} {e:?}").contains("nope-pw"));
}

#[tokio::test]
async fn bad_certificates_fail_at_tls_and_send_nothing() {
    let up = upstreams();
    let to = "bad-cert@dest.example";
    let sent = message(to, "bad-cert");
    let reasons = [
        ("wrong_name", "not valid for name"),
        ("expired", "certificate expired"),
        ("not_yet_valid", "not valid yet"),
        ("self_signed", "UnknownIssuer"),
        ("untrusted", "UnknownIssuer"),
    ];
    for (name, reason) in reasons {
        for (key, security) in [("starttls_port", Security::StartTls), ("tls_port", Security::Tls)] {
            let port = up.port(&["postfix", "bad_cert_ports", name, key]);
            let attempt = async {
                let mut client = Client::connect(&options(port, security)).await?;
                client.authenticate(&password("relay@example.test")).await?;
                client.send("relay@example.test", &[to], &sent).await
            };
            let e = attempt.await.unwrap_err();
            assert_eq!(e.step(), Step::Tls, "{name} {key}: {e}");
            assert!(matches!(e.kind(), ErrorKind::Tls(_)) && e.is_transient(), "{name} {key}: {e}");
            assert!(e.to_string().contains(reason), "{name} {key}: {e}");
        }
    }
    // The good server too, when the test CA is not trusted (Web PKI roots only).
    let e = Client::connect(&ConnectOptions::new("localhost", up.port(&["postfix", "tls_port"]), Security::Tls))
        .await
        .unwrap_err();
    assert_eq!(e.step(), Step::Tls, "{e}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(up.captured(to).is_empty(), "a message reached the capture server");
}

#[tokio::test]
async fn dovecot_xoauth2_over_starttls() {
    let up = upstreams();
    let token = {
        let _lock = up.token_lock();
        up.client_credentials_token("m365-app", "m365-secret")
    };
    let mut client =
        Client::connect(&options(up.port(&["dovecot", "starttls_port"]), Security::StartTls)).await.unwrap();
    let auth = bearer(token.clone());
    assert_eq!(auth.choose(client.capabilities()), Some(Mechanism::XOAuth2));
    assert!(!format!("{auth:?} {client:?}").contains(&token));
    client.authenticate(&auth).await.unwrap();
    let to = "xoauth2@dest.example";
    let sent = message(to, "dovecot-xoauth2");
    client.send("alice@example.test", &[to], &sent).await.unwrap();
    client.quit().await;
    let (meta, eml) = up.wait_captured(to, 1).remove(0);
    assert_eq!(meta["auth_login"], "alice@example.test");
    assert_eq!(meta["mail_from"], "alice@example.test");
    assert_arrived_as_sent(&eml, &sent);
    let text = String::from_utf8_lossy(&eml);
    assert!(text.contains("by dovecot.localhost") && text.contains("with ESMTPSA"), "{text}");
    let log = std::fs::read_to_string(up.str(&["dovecot", "log"])).unwrap_or_default();
    assert!(log.contains("user=<alice@example.test>, method=XOAUTH2"), "{log}");
}

#[tokio::test]
async fn dovecot_oauthbearer_over_implicit_tls_when_xoauth2_is_not_offered() {
    let up = upstreams();
    let token = {
        let _lock = up.token_lock();
        up.client_credentials_token("m365-app", "m365-secret")
    };
    let mut client =
        Client::connect(&options(up.port(&["dovecot_bearer_only", "tls_port"]), Security::Tls)).await.unwrap();
    let auth = bearer(token);
    assert_eq!(auth.choose(client.capabilities()), Some(Mechanism::OAuthBearer));
    client.authenticate(&auth).await.unwrap();
    let to = "oauthbearer@dest.example";
    let sent = message(to, "dovecot-oauthbearer");
    client.send("alice@example.test", &[to], &sent).await.unwrap();
    client.quit().await;
    let (meta, eml) = up.wait_captured(to, 1).remove(0);
    assert_eq!(meta["auth_login"], "alice@example.test");
    assert_arrived_as_sent(&eml, &sent);
    assert!(String::from_utf8_lossy(&eml).contains("by dovecot-bearer.localhost"));
}

#[tokio::test]
async fn a_microsoft_size_token_goes_after_334() {
    let up = upstreams();
    let token = {
        let _lock = up.token_lock();
        up.control(&json!({"pad": 1500}));
        let token = up.client_credentials_token("m365-app", "m365-secret");
        up.control(&json!({"pad": 0}));
        token
    };
    assert!(token.len() > 1500, "token of {} characters", token.len());
    for (server, port_key) in [("dovecot", "starttls_port"), ("dovecot_bearer_only", "starttls_port")] {
        let mut client = Client::connect(&options(up.port(&[server, port_key]), Security::StartTls)).await.unwrap();
        client.authenticate(&bearer(token.clone())).await.unwrap();
        let to = format!("long-token-{}@dest.example", server.replace('_', "-"));
        let sent = message(&to, "long-token");
        client.send("alice@example.test", &[to.as_str()], &sent).await.unwrap();
        client.quit().await;
        let (meta, eml) = up.wait_captured(&to, 1).remove(0);
        assert_eq!(meta["auth_login"], "alice@example.test");
        assert_arrived_as_sent(&eml, &sent);
    }
}

#[tokio::test]
async fn refused_tokens_give_535_after_the_oauth_dance() {
    let up = upstreams();
    let revoked = {
        let _lock = up.token_lock();
        let token = up.client_credentials_token("m365-app", "m365-secret");
        up.control(&json!({"revoke": {"access_token": token}}));
        token
    };
    let cases = [
        ("dovecot", "garbage-token-not-a-jwt".to_owned()),
        ("dovecot", revoked.clone()),
        ("dovecot_bearer_only", "garbage-token-not-a-jwt".to_owned()),
        ("dovecot_bearer_only", revoked),
    ];
    // Dovecot answers a failed login after ~0.5 s: run the cases side by side.
    let runs = cases.map(|(server, token)| {
        let port = up.port(&[server, "tls_port"]);
        tokio::spawn(async move {
            let mut client = Client::connect(&options(port, Security::Tls)).await.unwrap();
            let e = client.authenticate(&bearer(token.clone())).await.unwrap_err();
            assert_eq!((e.step(), e.code(), e.is_permanent()), (Step::Auth, Some(535), true), "{server}: {e}");
            // The 334 JSON error was acknowledged (the dance), then the 535 came.
            assert!(e.detail().is_some_and(|d| d.contains("\"status\"")), "{server}: {e}");
            assert!(!format!("{e} {e:?}").contains(&token));
            // The connection is still in order after a refused AUTH.
            assert!(!client.is_broken());
            if let Err(e) = client.noop().await {
                panic!("{server}: NOOP after the refused AUTH: {e}");
            }
            client.quit().await;
        })
    });
    for run in runs {
        run.await.unwrap();
    }
}

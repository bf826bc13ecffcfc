//! How the client talks, checked against a scripted fake server over an
//! in-memory pipe whose client side records every write: MAIL/RCPT/DATA in
//! one write with PIPELINING (one round trip), one command per write
//! without it, all-or-nothing recipients, RSET and reuse, no downgrade
//! when STARTTLS fails, HELO fallback, the SASL exchanges (OAuth failure
//! dance, long tokens after 334, LOGIN), SMTPUTF8/8BITMIME/SIZE, 421 and
//! timeouts, and no secret in errors or `Debug`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fake;

use fake::{AuthMode, Fake, Script};
use secrecy::SecretString;
use sendas_smtp_client::{Auth, Client, ConnectOptions, ErrorKind, Mechanism, Security, Step, Timeouts, dot_stuffed};
use std::time::Duration;

const MESSAGE: &[u8] = b"From: a@x.test\r\nTo: b@y.test\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n";

fn script(ehlo: &[&'static str]) -> Script {
    Script { ehlo: Some(ehlo.to_vec()), ..Script::default() }
}

#[tokio::test]
async fn pipelining_sends_mail_rcpt_data_in_one_write_and_the_message_in_another() {
    let mut fake = Fake::start(script(&["PIPELINING", "SIZE 1000000", "8BITMIME"]));
    let mut client = fake.client(Security::None).await.unwrap();
    let before = fake.write_count();
    let reply = client.send("a@x.test", &["b@y.test", "c@y.test"], MESSAGE).await.unwrap();
    assert_eq!((reply.code(), reply.text().as_str()), (250, "Ok: queued as Q1"));
    let writes = fake.writes();
    assert_eq!(writes.len() - before, 2, "{writes:?}");
    assert_eq!(
        writes[before],
        format!("MAIL FROM:<a@x.test> SIZE={}\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n", MESSAGE.len())
    );
    assert_eq!(writes[before + 1].as_bytes(), dot_stuffed(MESSAGE));
    // Reuse: the next message goes on the same connection, again in two writes.
    assert!(!client.is_broken());
    client.send("a@x.test", &["d@y.test"], b"Subject: 2\r\n\r\nsecond\r\n").await.unwrap();
    assert_eq!(fake.write_count() - before, 4);
    client.quit().await;
    let seen = fake.seen().await;
    assert_eq!(seen.messages.len(), 2);
    assert_eq!(seen.messages[0], dot_stuffed(MESSAGE));
    assert!(seen.messages[0].ends_with(b"body\r\n.\r\n") && !seen.messages[0].ends_with(b"\r\n\r\n.\r\n"));
    assert_eq!(seen.commands.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test]
async fn without_pipelining_each_command_waits_for_its_reply() {
    let mut fake = Fake::start(script(&["8BITMIME"]));
    let mut client = fake.client(Security::None).await.unwrap();
    let before = fake.write_count();
    client.send("a@x.test", &["b@y.test", "c@y.test"], MESSAGE).await.unwrap();
    let writes = fake.writes();
    assert_eq!(
        writes[before..writes.len() - 1],
        ["MAIL FROM:<a@x.test>\r\n", "RCPT TO:<b@y.test>\r\n", "RCPT TO:<c@y.test>\r\n", "DATA\r\n"]
    );
    client.quit().await;
    assert_eq!(fake.seen().await.messages.len(), 1);
}

#[tokio::test]
async fn one_refused_recipient_fails_the_whole_send_and_no_message_is_sent() {
    // Pipelined: DATA was already accepted for the other recipient; the client ends the connection
    // without the terminator, so the server drops the unfinished message.
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.send("a@x.test", &["b@y.test", "refuse@y.test", "c@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.code(), e.is_permanent()), (Step::Rcpt, Some(550), true));
    assert_eq!(e.enhanced().map(|c| c.to_string()).as_deref(), Some("5.1.1"));
    assert!(client.is_broken());
    let writes = fake.writes().concat();
    assert!(!writes.contains("leading dot"), "{writes}");
    let seen = fake.seen().await;
    assert!(seen.messages.is_empty() && seen.aborted_data);

    // One by one: the client stops at the refusal and sends RSET; the connection stays usable.
    let mut fake = Fake::start(script(&[]));
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.send("a@x.test", &["b@y.test", "later@y.test", "c@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.code(), e.is_transient()), (Step::Rcpt, Some(450), true));
    assert!(!client.is_broken());
    client.send("a@x.test", &["b@y.test"], MESSAGE).await.unwrap();
    client.quit().await;
    let seen = fake.seen().await;
    let verbs: Vec<_> = seen.commands.iter().map(|c| c.split([' ', ':']).next().unwrap_or("").to_owned()).collect();
    assert_eq!(verbs, ["EHLO", "MAIL", "RCPT", "RCPT", "RSET", "MAIL", "RCPT", "DATA", "QUIT"]);
    assert_eq!(seen.messages.len(), 1);
}

#[tokio::test]
async fn all_recipients_refused_sends_rset_not_the_message() {
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.send("a@x.test", &["refuse@y.test", "refuse2@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.code()), (Step::Rcpt, Some(550)));
    assert!(!client.is_broken());
    assert_eq!(fake.writes().last().map(String::as_str), Some("RSET\r\n"));
    // A refused MAIL fails at Mail, whatever the RCPTs got.
    client.quit().await;
    let seen = fake.seen().await;
    assert!(seen.messages.is_empty() && !seen.aborted_data);

    let mut fake = Fake::start(Script { mail_reply: "553 5.7.1 not yours", ..Script::default() });
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.send("a@x.test", &["b@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.code()), (Step::Mail, Some(553)));
    assert_eq!(e.to_string(), "mail: 553 5.7.1 not yours");
}

#[tokio::test]
async fn body_and_address_parameters_follow_the_offer() {
    let mut fake = Fake::start(script(&["PIPELINING", "8BITMIME", "SMTPUTF8"]));
    let mut client = fake.client(Security::None).await.unwrap();
    client.send("jörg@x.test", &["b@y.test"], "Subject: é\r\n\r\nx\r\n".as_bytes()).await.unwrap();
    assert!(fake.writes().iter().any(|w| w.starts_with("MAIL FROM:<jörg@x.test> BODY=8BITMIME SMTPUTF8\r\n")));

    let mut fake = Fake::start(script(&["PIPELINING", "SIZE 100"]));
    let mut client = fake.client(Security::None).await.unwrap();
    let before = fake.write_count();
    let e = client.send("a@x.test", &["jörg@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.kind(), e.is_permanent()), (Step::Mail, &ErrorKind::NeedsSmtpUtf8, true));
    let e = client.send("a@x.test", &["b@y.test"], &[b'x'; 200]).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::TooBig { size: 202, limit: 100 });
    let e = client.send("a@x.test", &["b@y.test>\r\nRCPT TO:<evil@z.test"], MESSAGE).await.unwrap_err();
    assert_eq!(e.step(), Step::Rcpt);
    let e = client.send::<&str>("a@x.test", &[], MESSAGE).await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Invalid("no recipients"));
    assert_eq!(fake.write_count(), before, "nothing is sent for an envelope that cannot go");
    // No 8BITMIME offered: no BODY parameter (the bytes go as they are).
    client.send("a@x.test", &["b@y.test"], "é\r\n".as_bytes()).await.unwrap();
    assert!(fake.writes().iter().any(|w| w.starts_with("MAIL FROM:<a@x.test> SIZE=4\r\n")));
}

#[tokio::test]
async fn starttls_is_never_downgraded() {
    // Required but not offered.
    let mut fake = Fake::start(script(&["PIPELINING", "AUTH PLAIN"]));
    let e = fake.client(Security::StartTls).await.unwrap_err();
    assert_eq!((e.step(), e.kind()), (Step::Tls, &ErrorKind::NotOffered("STARTTLS")));
    assert_eq!(fake.writes().last().map(String::as_str), Some("EHLO localhost\r\n"));

    // Offered, then refused: an error at Tls, and nothing more is written.
    let mut fake = Fake::start(script(&["STARTTLS", "AUTH PLAIN"]));
    let e = fake.client(Security::StartTls).await.unwrap_err();
    assert_eq!((e.step(), e.code(), e.is_transient()), (Step::Tls, Some(454), true));
    assert_eq!(fake.writes().last().map(String::as_str), Some("STARTTLS\r\n"));

    // Plaintext injected after the 220: refused before any handshake.
    let mut fake = Fake::start(Script {
        ehlo: Some(vec!["STARTTLS"]),
        starttls_reply: "220 2.0.0 go ahead\r\n250 injected",
        ..Script::default()
    });
    let e = fake.client(Security::StartTls).await.unwrap_err();
    assert_eq!(e.step(), Step::Tls);
    assert!(matches!(e.kind(), ErrorKind::Protocol(_)), "{e}");

    // Offered and accepted, but the fake speaks no TLS: the handshake fails at Tls.
    let mut fake =
        Fake::start(Script { ehlo: Some(vec!["STARTTLS"]), starttls_reply: "220 2.0.0 go ahead", ..Script::default() });
    let e = fake.client(Security::StartTls).await.unwrap_err();
    assert_eq!(e.step(), Step::Tls);
}

#[tokio::test]
async fn helo_when_ehlo_is_refused() {
    let mut fake = Fake::start(Script { ehlo: None, ..Script::default() });
    let mut client = fake.client(Security::None).await.unwrap();
    assert!(!client.capabilities().esmtp && !client.capabilities().pipelining);
    client.send("a@x.test", &["b@y.test"], MESSAGE).await.unwrap();
    client.quit().await;
    let seen = fake.seen().await;
    assert_eq!(seen.commands[..2], ["EHLO localhost", "HELO localhost"]);
    assert_eq!(seen.messages.len(), 1);
}

fn bearer(token: &str) -> Auth {
    Auth::Bearer { username: "alice@example.test".into(), token: SecretString::from(token) }
}

#[tokio::test]
async fn oauth_failure_dance() {
    for (mechanism, ack) in [(Mechanism::XOAuth2, ""), (Mechanism::OAuthBearer, "AQ==")] {
        let mut fake = Fake::start(Script { auth: AuthMode::OAuthRefuse, ..Script::default() });
        let mut client = fake.client(Security::None).await.unwrap();
        let e = client.authenticate_with(&bearer("tok-secret-123"), mechanism).await.unwrap_err();
        assert_eq!((e.step(), e.code(), e.is_permanent()), (Step::Auth, Some(535), true));
        assert_eq!(e.detail(), Some(r#"{"status":"401","schemes":"bearer","scope":"mail"}"#));
        let shown = format!("{e} {e:?} {client:?}");
        assert!(!shown.contains("tok-secret-123"), "{shown}");
        assert!(!client.is_broken());
        client.quit().await;
        let seen = fake.seen().await;
        assert!(seen.commands[1].starts_with(&format!("AUTH {} ", mechanism.name())));
        assert_eq!(seen.commands[2], ack);
    }
}

#[tokio::test]
async fn a_long_token_goes_after_334() {
    let token = "t".repeat(1500);
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    assert_eq!(client.authenticate(&bearer(&token)).await.unwrap().code(), 235);
    client.quit().await;
    let seen = fake.seen().await;
    assert_eq!(seen.commands[1], "AUTH XOAUTH2");
    assert!(seen.commands[2].len() > 2000);

    // A short one goes inline, in one round trip.
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    client.authenticate(&bearer("short")).await.unwrap();
    client.quit().await;
    let seen = fake.seen().await;
    assert!(seen.commands[1].starts_with("AUTH XOAUTH2 dXNlcj1hbGljZUBleGFtcGxlLnRlc3QBYXV0aD1CZWFyZXIgc2hvcnQBAQ=="));
    assert_eq!(seen.commands[2], "QUIT");
}

#[tokio::test]
async fn any_2xx_to_auth_is_success_as_smtp_sink_answers() {
    let mut fake = Fake::start(Script { auth: AuthMode::Sink, ..Script::default() });
    let mut client = fake.client(Security::None).await.unwrap();
    assert_eq!(client.authenticate(&bearer("tok")).await.unwrap().code(), 250);
    client.quit().await;
}

#[tokio::test]
async fn passwords_plain_and_login() {
    let pw = Auth::Password { username: "u@x.test".into(), password: SecretString::from("pw-secret") };
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    client.authenticate(&pw).await.unwrap();
    client.quit().await;
    assert_eq!(fake.seen().await.commands[1], "AUTH PLAIN AHVAeC50ZXN0AHB3LXNlY3JldA==");

    let mut fake = Fake::start(script(&["AUTH LOGIN"]));
    let mut client = fake.client(Security::None).await.unwrap();
    client.authenticate(&pw).await.unwrap();
    client.quit().await;
    assert_eq!(fake.seen().await.commands[1..4], ["AUTH LOGIN", "dUB4LnRlc3Q=", "cHctc2VjcmV0"]);

    // Not offered: an error before anything is sent.
    let mut fake = Fake::start(script(&["AUTH PLAIN"]));
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.authenticate(&bearer("x")).await.unwrap_err();
    assert_eq!((e.step(), e.kind()), (Step::Auth, &ErrorKind::NotOffered("AUTH XOAUTH2 or OAUTHBEARER")));

    // A server that keeps asking is cancelled with "*".
    let mut fake = Fake::start(Script { auth: AuthMode::Endless, ..Script::default() });
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.authenticate_with(&pw, Mechanism::Login).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Protocol(_)));
    assert_eq!(fake.writes().last().map(String::as_str), Some("*\r\n"));
}

#[tokio::test]
async fn a_421_breaks_the_connection() {
    let mut fake = Fake::start(script(&[]));
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.send("a@x.test", &["closing@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.code()), (Step::Rcpt, Some(421)));
    assert!(client.is_broken());
    assert!(!client.still_open().await);
    let e = client.send("a@x.test", &["b@y.test"], MESSAGE).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io(_)));
}

#[tokio::test]
async fn a_421_in_a_pipelined_batch_is_the_answer() {
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    let e = client.send("a@x.test", &["b@y.test", "closing@y.test", "c@y.test"], MESSAGE).await.unwrap_err();
    assert_eq!((e.step(), e.code(), e.is_transient()), (Step::Rcpt, Some(421), true));
    assert!(client.is_broken());
}

#[tokio::test]
async fn idle_connections_are_checked_without_blocking() {
    let mut fake = Fake::start(Script::default());
    let mut client = fake.client(Security::None).await.unwrap();
    assert!(client.still_open().await);
    client.noop().await.unwrap();
    assert!(client.still_open().await);
    client.quit().await;
}

#[tokio::test]
async fn a_silent_server_times_out_at_connect() {
    let mut fake = Fake::start(Script { silent: true, ..Script::default() });
    let mut opts = ConnectOptions::new("fake.test", 25, Security::None);
    opts.timeouts = Timeouts::uniform(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let e = Client::handshake(fake.io.take().unwrap(), &opts).await.unwrap_err();
    assert_eq!((e.step(), e.kind()), (Step::Connect, &ErrorKind::TimedOut));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn no_tls_is_for_loopback_only() {
    // Loopback passes the check (and this server refuses with its greeting).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"554 5.3.2 go away\r\n").await;
        }
    });
    let e = Client::connect(&ConnectOptions::new("127.0.0.1", port, Security::None)).await.unwrap_err();
    assert_eq!((e.step(), e.code()), (Step::Connect, Some(554)));

    // A non-loopback address of this machine (if it has one) is refused before the greeting.
    let Some(ip) = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|u| u.connect("192.0.2.1:9").and_then(|()| u.local_addr()))
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
    else {
        return;
    };
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"220 hello\r\n").await;
        }
    });
    let e = Client::connect(&ConnectOptions::new(ip.to_string(), port, Security::None)).await.unwrap_err();
    assert_eq!(
        (e.step(), e.kind()),
        (Step::Connect, &ErrorKind::Invalid("a connection without TLS is for loopback only"))
    );
}

#[tokio::test]
async fn a_closed_port_fails_at_connect() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = Client::connect(&ConnectOptions::new("127.0.0.1", port, Security::StartTls)).await.unwrap_err();
    assert_eq!(e.step(), Step::Connect);
    assert!(matches!(e.kind(), ErrorKind::Io(_)) && e.is_transient(), "{e}");
}

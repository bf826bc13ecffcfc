//! The production binary `sendas-smtp-proxy` with a TOML file, over
//! DynamoDB and Secrets Manager on a private moto: it relays, refuses,
//! serves /metrics, logs JSON without secrets, answers 451/454 when the
//! database is gone, and drains on SIGTERM.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use support::net::*;
use support::*;
use tokio::net::TcpStream;

async fn aws_for(url: &str) -> aws_config::SdkConfig {
    // Explicit test credentials and region: nothing may fall back to instance metadata.
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("eu-central-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

async fn http_get(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_binary_relays_refuses_reports_and_survives_a_lost_database() {
    let mut moto = sendas_testkit::Moto::start();
    let aws = aws_for(&moto.url()).await;
    let table = "proxy-binary".to_owned();
    let prefix = "binary/".to_owned();
    let dynamo = aws_sdk_dynamodb::Client::new(&aws);
    sendas_store_aws::create_table(&dynamo, &table).await.unwrap();
    let store: Arc<dyn sendas_core::ports::Store> = Arc::new(sendas_store_aws::DynamoStore::new(dynamo, table.clone()));
    let secrets: Arc<dyn sendas_core::ports::SecretStore> = Arc::new(sendas_store_aws::SecretsManagerStore::new(
        aws_sdk_secretsmanager::Client::new(&aws),
        prefix.clone(),
        Duration::from_secs(60),
    ));
    let (world, mailbox_upstream, _system) = prepare(store, secrets).await;

    let (smtp, metrics) = (sendas_testkit::free_port(), sendas_testkit::free_port());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("proxy.toml");
    std::fs::write(
        &config,
        format!(
            "hostname = \"proxy.test\"\nsubmission_addr = \"127.0.0.1:{smtp}\"\nmetrics_addr = \"127.0.0.1:{metrics}\"\n\
             table = \"{table}\"\nsecret_prefix = \"{prefix}\"\nplaintext_auth_insecure = true\n\
             [limits]\nsnapshot_ttl_secs = 1\nauth_failure_delay_ms = 50\nrelay_timeout_secs = 5\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("proxy.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sendas-smtp-proxy"))
        .arg(&config)
        .env("AWS_ENDPOINT_URL", moto.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-central-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "debug")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", smtp)).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the binary did not listen: {}", std::fs::read_to_string(&log).unwrap_or_default());

    let mut c = Client::new(TcpStream::connect(("127.0.0.1", smtp)).await.unwrap());
    assert_eq!(c.reply().await.0, 220);
    c.login("alice", &world.password).await;
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    c.expect("RCPT TO:<rcpt@example.net>", 250).await;
    c.expect("DATA", 354).await;
    c.send(message("<a@tenant.example>", "").as_bytes()).await;
    c.send(b".\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    c.expect("MAIL FROM:<a@tenant.example>", 250).await;
    c.expect("RCPT TO:<rcpt@example.net>", 250).await;
    c.expect("DATA", 354).await;
    c.send(message("<ceo@victim.example>", "").as_bytes()).await;
    c.send(b".\r\n").await;
    assert_eq!(c.reply().await.0, 550);
    let delivered = mailbox_upstream.delivered();
    assert_eq!((delivered.len(), delivered[0].login.as_str()), (1, MAILBOX_USER));

    let page = http_get(metrics, "/metrics").await;
    assert!(page.contains("sendas_smtp_accepted_total 1"), "{page}");
    assert!(page.contains("sendas_smtp_rejected_total{reply=\"550 5.7.1\"} 1"), "{page}");
    assert!(http_get(metrics, "/healthz").await.contains("ok"));

    // The database goes away: after the snapshot TTL, MAIL FROM answers 451 and AUTH 454.
    moto.stop();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.expect("MAIL FROM:<a@tenant.example>", 451).await;
    let mut d = Client::new(TcpStream::connect(("127.0.0.1", smtp)).await.unwrap());
    d.reply().await;
    d.expect("EHLO c", 250).await;
    let token = data_encoding::BASE64.encode(format!("\0alice\0{}", world.password).as_bytes());
    let t = d.expect(&format!("AUTH PLAIN {token}"), 454).await;
    assert!(t.contains("4.7.0"));

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.lines().count() > 3);
    for line in logs.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not a JSON log line: {line}");
        assert!(!line.contains(&world.password) && !line.contains(MAILBOX_PASS), "a secret in the logs");
        assert!(!line.contains("Hello."), "a message body in the logs");
    }
}

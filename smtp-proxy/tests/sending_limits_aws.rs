//! Sending limits on AWS as deployed: two `sendas-smtp-proxy` processes
//! (the production binary, signing as the proxy's task role) and HTTP send
//! (the send function's router, signing as its role) share DynamoDB
//! counters on moto with IAM enforced. Per user (the window rolls over),
//! per mailbox and per tenant, nothing is sent beyond a limit, whichever
//! door the client takes.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::Request;
use sendas_core::model::{Role, SendingLimits, TenantLimits};
use sendas_core::ports::Store;
use sendas_testkit::aws::{AwsEndpoint, Principal};
use sendas_testkit::windows::{limits_toml, next_minute, quiet_window, scaled_clock};
use std::sync::Arc;
use std::time::Duration;
use support::net::*;
use support::process::{ProxyProcess, http_get};
use support::*;
use tokio::net::TcpStream;
use tower::ServiceExt;

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Sent,
    Limited,
}

struct Doors {
    proxies: [ProxyProcess; 2],
    http: axum::Router,
    passwords: [(String, String); 2],
    tokens: [String; 2],
    mailbox_ids: Vec<(sendas_core::EmailAddress, String)>,
}

impl Doors {
    /// One message from user `who` (0 alice, 1 bob) as `from`, through proxy 0, proxy 1 or HTTP (2).
    async fn send(&self, door: usize, who: usize, from: &str) -> Outcome {
        if door == 2 {
            return self.http_send(who, from).await;
        }
        let mut c = Client::new(TcpStream::connect(("127.0.0.1", self.proxies[door].smtp)).await.unwrap());
        c.reply().await;
        let (login, password) = &self.passwords[who];
        c.login(login, password).await;
        let mut last = (250, String::new());
        for cmd in [format!("MAIL FROM:<{from}>"), "RCPT TO:<rcpt@example.net>".into(), "DATA".into()] {
            c.send(format!("{cmd}\r\n").as_bytes()).await;
            last = c.reply().await;
            if last.0 != 250 && last.0 != 354 {
                break;
            }
        }
        if last.0 == 354 {
            let message = format!("From: <{from}>\r\nTo: <rcpt@example.net>\r\nSubject: limits\r\n\r\nHello.\r\n.\r\n");
            c.send(message.as_bytes()).await;
            last = c.reply().await;
        }
        match last.0 {
            250 => Outcome::Sent,
            451 if last.1.contains("4.7.0") && last.1.contains("Sending limit reached") => Outcome::Limited,
            _ => panic!("door {door}: {last:?}"),
        }
    }

    async fn http_send(&self, who: usize, from: &str) -> Outcome {
        let from: sendas_core::EmailAddress = from.parse().unwrap();
        let id = &self.mailbox_ids.iter().find(|(a, _)| *a == from).unwrap().1;
        let body = serde_json::json!({"from_mailbox_id": id, "to": ["rcpt@example.net"], "subject": "limits", "text_body": "Hello."});
        let request = Request::post("/v1/me/messages")
            .header("authorization", format!("Bearer {}", self.tokens[who]))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.http.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        match status {
            201 => Outcome::Sent,
            429 => {
                let seconds: u64 = retry.expect("Retry-After").parse().unwrap();
                assert!((1..=86_400).contains(&seconds));
                Outcome::Limited
            }
            _ => panic!("HTTP send: {status} {}", String::from_utf8_lossy(&bytes)),
        }
    }
}

async fn set_limits(store: &Arc<dyn Store>, tenant: sendas_core::TenantId, limits: TenantLimits) {
    sendas_core::service::tenants::set_limits(store.as_ref(), &Role::Operator, tenant, limits).await.unwrap();
    // The proxies' snapshots (with the tenant's limits) live 1 s; HTTP send reads them anew.
    tokio::time::sleep(Duration::from_millis(1300)).await;
}

fn per(f: impl Fn(&mut SendingLimits)) -> SendingLimits {
    let mut l = SendingLimits::NONE;
    f(&mut l);
    l
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_proxy_processes_and_http_share_the_limits_on_dynamodb() {
    let aws = AwsEndpoint::shared();
    let (table, prefix) = aws.fresh_names();
    let (store, secrets) = backends::aws_backends(aws, &table, &prefix, None).await;
    let (world, mailbox_upstream, system_upstream) = prepare(store.clone(), secrets).await;
    let t = world.tenant;
    let dir = tempfile::tempdir().unwrap();
    // The two processes and HTTP send count on one scaled clock: a minute rolls over in a few real seconds.
    let clock = scaled_clock();
    let proxies = [
        ProxyProcess::spawn(dir.path(), aws, &table, &prefix, &limits_toml(&clock)).await,
        ProxyProcess::spawn(dir.path(), aws, &table, &prefix, &limits_toml(&clock)).await,
    ];
    let config = sendas_functions::FunctionConfig {
        table: table.clone(),
        secret_prefix: prefix.clone(),
        secret_ttl: Duration::from_secs(30),
        relay: sendas_relay::RelayOptions::new(Duration::from_secs(5))
            .with_networks(sendas_core::policy::UpstreamNetworks::loopback()),
        limits_clock_for_tests: Some(clock),
        dns_servers: vec![],
    };
    let send_role = aws.sdk_config(Principal::FnSend).await;
    let http = sendas_functions::aws_router_with(sendas_api::Area::Send, &config, &send_role);
    let admin = Role::Admin { tenant_id: t };
    let users = sendas_core::service::directory::all_users(store.as_ref(), t).await.unwrap();
    let mut tokens = Vec::new();
    for login in ["alice", "bob"] {
        let u = users.iter().find(|u| u.login.to_string() == login).unwrap();
        let role = Role::User { tenant_id: t, user_id: u.id };
        let issued = sendas_core::service::tokens::issue(store.as_ref(), &admin, role, "t").await.unwrap();
        tokens.push(sendas_core::secret::ExposeSecret::expose_secret(&issued.text).to_owned());
    }
    let mailboxes = sendas_core::service::mailboxes::all_mailboxes(store.as_ref(), t).await.unwrap();
    let doors = Doors {
        proxies,
        http,
        passwords: [("alice".into(), world.password.clone()), ("bob".into(), world.bob_password.clone())],
        tokens: [tokens[0].clone(), tokens[1].clone()],
        mailbox_ids: mailboxes.iter().map(|m| (m.address.clone(), m.id.to_string())).collect(),
    };
    let (own, shared) = ("a@tenant.example", "a@xn--tnant-bsa.example");
    let delivered = || mailbox_upstream.delivered().len() + system_upstream.delivered().len();

    // Per user and minute: 4, across two processes and HTTP; 9 attempts, exactly 4 delivered.
    set_limits(
        &store,
        t,
        TenantLimits { user_default: per(|l| l.messages_per_minute = Some(4)), ..Default::default() },
    )
    .await;
    quiet_window(&clock).await;
    let mut outcomes = Vec::new();
    for i in 0..9 {
        outcomes.push(doors.send(i % 3, 0, own).await);
    }
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Sent).count(), 4, "{outcomes:?}");
    assert_eq!(delivered(), 4, "nothing beyond the limit reached the upstream");
    assert_eq!(doors.send(1, 1, own).await, Outcome::Sent, "bob has a limit of his own");
    next_minute(&clock).await;
    for door in 0..3 {
        assert_eq!(doors.send(door, 0, own).await, Outcome::Sent, "the window rolled over (door {door})");
    }
    assert_eq!(delivered(), 8);

    // Per mailbox and hour: 3 for a@tenant.example, whoever sends through whichever door.
    set_limits(
        &store,
        t,
        TenantLimits { mailbox_default: per(|l| l.messages_per_hour = Some(3)), ..Default::default() },
    )
    .await;
    quiet_window(&clock).await;
    let mut sent = 0;
    for i in 0..6 {
        sent += usize::from(doors.send(i % 3, i % 2, own).await == Outcome::Sent);
    }
    assert_eq!(sent, 3);
    assert_eq!(doors.send(2, 0, shared).await, Outcome::Sent, "another mailbox has its own count");

    // Per tenant and day: 2 for everyone.
    set_limits(&store, t, TenantLimits { tenant: per(|l| l.messages_per_day = Some(2)), ..Default::default() }).await;
    quiet_window(&clock).await;
    let outcomes = [
        doors.send(0, 0, own).await,
        doors.send(1, 1, shared).await,
        doors.send(2, 0, shared).await,
        doors.send(0, 1, own).await,
        doors.send(1, 0, own).await,
    ];
    assert_eq!(outcomes.iter().filter(|o| **o == Outcome::Sent).count(), 2, "{outcomes:?}");
    assert_eq!(delivered(), 8 + 3 + 1 + 2);

    // /metrics of each process counts its refusals.
    for p in &doors.proxies {
        let page = http_get(p.metrics, "/metrics").await;
        assert!(page.contains("sendas_limit_refusals_total{scope=\"user\",window=\"minute\"}"), "{page}");
    }
}

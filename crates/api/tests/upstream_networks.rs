//! SSRF (SPEC §3: upstream hosts are public). A hostile tenant admin
//! points a mailbox's host or token URL at the platform's own network.
//! Host names resolve through a real authoritative server (Knot DNS), the
//! relay checks every address before connecting, and:
//!
//! - names resolving to 10.x, 169.254.x, ::1 or ::ffff:127.0.0.1 (and a
//!   name with one public and one private address) are refused by
//!   `verify` and by HTTP send *before any connect*: these cases run in a
//!   network namespace with only loopback (`sendas_testkit::netns`), so a
//!   regression cannot send a packet anywhere, and a listener on every
//!   loopback address of the port counts the connections it got: none;
//! - token URLs with such names, or with IP literals, are refused alike;
//! - a DNS answer that changes between the check and the connect cannot
//!   redirect the connection: the relay connects to the address it checked.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_core::policy::UpstreamNetworks;
use sendas_core::ports::{DnsError, DnsLookup};
use sendas_dns::{DnsConfig, HickoryDns};
use sendas_relay::{RelayOptions, UpstreamPolicy};
use sendas_testkit::dns::AuthDns;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// Counts the connections made to it (and greets them, so a client would go on to EHLO).
async fn counting_listener(addr: &str) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(addr).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = socket.write_all(b"220 internal service ready\r\n").await;
        }
    });
    (port, count)
}

/// An API whose relay resolves through `dns` and admits `networks`.
fn api_over(dns: Arc<dyn DnsLookup>, networks: UpstreamNetworks) -> TestApi {
    let mut options = RelayOptions::new(Duration::from_secs(5));
    options.upstreams = UpstreamPolicy::new(dns, networks);
    TestApi::memory_with(options)
}

/// A tenant with a user and an authenticated mailbox whose settings the test sets.
struct Rig {
    tenant: Tenant,
    user: User,
    base: String,
    id: String,
    body: Value,
}

async fn rig(api: &TestApi) -> Rig {
    let op = api.operator_token().await;
    let tenant = create_tenant(api, &op, "inside.example", 3).await;
    let user = create_user(api, &tenant, "sender").await;
    let body = mailbox_body("box@inside.example");
    let m = api.post(&format!("/v1/tenants/{}/mailboxes", tenant.id), &tenant.admin, body.clone()).await;
    let id = expect(&m, 201)["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/tenants/{}/mailboxes/{id}", tenant.id);
    Rig { tenant, user, base, id, body }
}

impl Rig {
    /// Points the mailbox at `smtp` and gives it its secret.
    async fn point_at(&self, api: &TestApi, smtp: Value) {
        let mut change = self.body.clone();
        change["smtp"] = smtp.clone();
        expect(&api.put(&self.base, &self.tenant.admin, change).await, 200);
        let (path, secret) = match smtp["login"]["method"].as_str() {
            Some("oauth2_client_credentials") => ("credentials", json!({"client_secret": "app-secret"})),
            _ => ("password", json!({"password": "Box-Pass-123"})),
        };
        expect(&api.put(&format!("{}/{path}", self.base), &self.tenant.admin, secret).await, 204);
    }

    async fn verify(&self, api: &TestApi) -> Value {
        expect(&api.post(&format!("{}/verify", self.base), &self.tenant.admin, json!({})).await, 200).clone()
    }

    async fn send(&self, api: &TestApi) -> Answer {
        let body = json!({"from_mailbox_id": self.id, "to": ["rcpt@example.net"], "subject": "Hi", "text_body": "Hi."});
        api.post("/v1/me/messages", &self.user.token, body).await
    }
}

#[test]
fn hosts_and_token_urls_inside_the_platform_are_refused_before_any_connect() {
    if !sendas_testkit::netns::loopback_only("hosts_and_token_urls_inside_the_platform_are_refused_before_any_connect")
    {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(refused_before_any_connect());
}

async fn refused_before_any_connect() {
    let knot = AuthDns::start(&["attacker.example"]);
    // One port on every loopback address (IPv4-mapped included): whatever the relay connected to, it is counted.
    let (port, connections) = counting_listener("[::]:0").await;
    let names = [
        ("ten.attacker.example.", vec![("A", "10.0.0.1")], "private"),
        ("metadata.attacker.example.", vec![("A", "169.254.169.254")], "link-local"),
        ("six.attacker.example.", vec![("AAAA", "::1")], "loopback"),
        ("mapped.attacker.example.", vec![("AAAA", "::ffff:127.0.0.1")], "loopback"),
        ("mixed.attacker.example.", vec![("A", "52.96.0.1"), ("A", "10.0.0.1")], "private"),
    ];
    for (name, records, _) in &names {
        for rtype in ["A", "AAAA"] {
            let rdata: Vec<&str> = records.iter().filter(|(t, _)| *t == rtype).map(|(_, r)| *r).collect();
            knot.set_records(name, rtype, &rdata);
        }
    }
    let dns: Arc<dyn DnsLookup> = Arc::new(HickoryDns::new(&DnsConfig::new(vec![knot.addr()])).unwrap());
    assert_eq!(dns.ips("metadata.attacker.example").await, Ok(vec!["169.254.169.254".parse::<IpAddr>().unwrap()]));
    let api = api_over(dns, UpstreamNetworks::public_only());

    let rig_public = rig(&api).await;
    let mut cases: Vec<(String, Value, &str, &str)> = Vec::new();
    for (name, _, kind) in &names {
        let host = name.trim_end_matches('.');
        let smtp = json!({"host": host, "port": port, "tls": "starttls", "username": "box@inside.example"});
        cases.push((format!("host {host}"), smtp, "connect", kind));
    }
    let smtp = json!({"host": "127.0.0.1", "port": port, "tls": "none", "username": "box@inside.example"});
    cases.push(("host 127.0.0.1".into(), smtp, "connect", "loopback"));
    refused_all(&api, &rig_public, cases, &connections).await;

    // Token URLs: the mailbox's SMTP server (on 127.0.0.1, which this operator allows) is reached
    // and offers XOAUTH2; the token endpoint is refused before a connect. IPv4-mapped 127.0.0.1
    // would be 127.0.0.1 itself, so the mapped case points at 127.0.0.2.
    knot.set_records("mapped.attacker.example.", "AAAA", &["::ffff:127.0.0.2"]);
    let dns: Arc<dyn DnsLookup> = Arc::new(HickoryDns::new(&DnsConfig::new(vec![knot.addr()])).unwrap());
    let api = api_over(dns, UpstreamNetworks::parse_list("127.0.0.1/32").unwrap());
    let rig_allowed = rig(&api).await;
    let (smtp_port, smtp_connections) = smtp_offering_oauth("127.0.0.1:0").await;
    let mut cases: Vec<(String, Value, &str, &str)> = Vec::new();
    let mut token_hosts: Vec<(String, &str)> =
        names.iter().map(|(name, _, kind)| (name.trim_end_matches('.').to_owned(), *kind)).collect();
    // Literals need no lookup, and are checked all the same (hyper connects to a literal directly).
    for (literal, kind) in [("127.0.0.2", "loopback"), ("[::ffff:127.0.0.2]", "loopback"), ("[fe80::1]", "link-local")]
    {
        token_hosts.push((literal.to_owned(), kind));
    }
    for (host, kind) in token_hosts {
        let login = json!({"method": "oauth2_client_credentials", "client_id": "app",
            "token_url": format!("https://{host}:{port}/token")});
        let smtp = json!({"host": "127.0.0.1", "port": smtp_port, "tls": "none", "username": "box@inside.example",
            "login": login});
        cases.push((format!("token URL at {host}"), smtp, "token", kind));
    }
    refused_all(&api, &rig_allowed, cases, &connections).await;
    assert!(smtp_connections.load(Ordering::SeqCst) > 0, "the allowed SMTP server was reached");
}

/// Each case: verify fails at `stage` naming the kind of range (never the address), HTTP send
/// sends nothing, and nothing connected to the inside listener.
async fn refused_all(api: &TestApi, rig: &Rig, cases: Vec<(String, Value, &str, &str)>, inside: &AtomicUsize) {
    for (what, smtp, stage, kind) in cases {
        rig.point_at(api, smtp).await;
        let report = rig.verify(api).await;
        let detail = report["detail"].as_str().unwrap_or_default().to_owned();
        assert_eq!((report["ok"].as_bool(), report["stage"].as_str()), (Some(false), Some(stage)), "{what}: {report}");
        assert!(detail.contains(&format!("a {kind} address")) && detail.contains("must be public"), "{what}: {detail}");
        for address in ["10.0.0.1", "169.254.169.254", "127.0.0.2", "::1", "fe80"] {
            assert!(
                !detail.contains(address) || what.contains(address),
                "{what}: the refusal shows {address}: {detail}"
            );
        }
        let sent = rig.send(api).await;
        assert_eq!(sent.status.as_u16(), 503, "{what}: {}", sent.raw);
        assert_eq!(inside.load(Ordering::SeqCst), 0, "{what}: the relay connected inside");
    }
}

/// An SMTP server without TLS that offers XOAUTH2 and refuses every login; counts connections.
async fn smtp_offering_oauth(addr: &str) -> (u16, Arc<AtomicUsize>) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let listener = TcpListener::bind(addr).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read);
                let _ = write.write_all(b"220 mail.inside ESMTP\r\n").await;
                let mut line = String::new();
                while lines.read_line(&mut line).await.unwrap_or(0) > 0 {
                    let reply: &[u8] = match line.get(..4).unwrap_or_default().to_ascii_uppercase().as_str() {
                        "EHLO" => b"250-mail.inside\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n",
                        "QUIT" => b"221 bye\r\n",
                        _ => b"535 5.7.8 no\r\n",
                    };
                    let _ = write.write_all(reply).await;
                    line.clear();
                }
            });
        }
    });
    (port, count)
}

/// Resolves through Knot, then (once) moves the name to another address
/// right after answering: the DNS answer changes between check and connect.
struct Rebinding {
    inner: HickoryDns,
    knot: Arc<AuthDns>,
    lookups: AtomicUsize,
}

#[async_trait::async_trait]
impl DnsLookup for Rebinding {
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        self.inner.txt(name).await
    }

    async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        let answer = self.inner.ips(host).await;
        if self.lookups.fetch_add(1, Ordering::SeqCst) == 0 {
            self.knot.set_records("rebind.attacker.example.", "A", &["127.0.0.2"]);
        }
        answer
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_answer_changed_after_the_check_cannot_redirect_the_connection() {
    let knot = Arc::new(AuthDns::start(&["attacker.example"]));
    knot.set_records("rebind.attacker.example.", "A", &["127.0.0.1"]);
    let (port, allowed) = smtp_offering_oauth("127.0.0.1:0").await;
    let inside = TcpListener::bind(("127.0.0.2", port)).await.unwrap();
    let inside_count = Arc::new(AtomicUsize::new(0));
    let seen = inside_count.clone();
    tokio::spawn(async move {
        while inside.accept().await.is_ok() {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    let rebinding = Arc::new(Rebinding {
        inner: HickoryDns::new(&DnsConfig::new(vec![knot.addr()])).unwrap(),
        knot: knot.clone(),
        lookups: AtomicUsize::new(0),
    });
    // Only 127.0.0.1 is allowed: 127.0.0.2 stands for the platform's inside.
    let api = api_over(rebinding.clone(), UpstreamNetworks::parse_list("127.0.0.1/32").unwrap());
    let rig = rig(&api).await;
    let smtp =
        json!({"host": "rebind.attacker.example", "port": port, "tls": "starttls", "username": "box@inside.example"});
    rig.point_at(&api, smtp).await;

    // The check saw 127.0.0.1; the name then moved to 127.0.0.2. The connection went to the checked address.
    let report = rig.verify(&api).await;
    assert_eq!(report["stage"], "tls", "the allowed server was reached (it offers no STARTTLS): {report}");
    assert_eq!((allowed.load(Ordering::SeqCst), inside_count.load(Ordering::SeqCst)), (1, 0));
    assert_eq!(rebinding.lookups.load(Ordering::SeqCst), 1, "one lookup per connection");
    // What an internal host said is kept to its codes.
    assert!(!report["detail"].as_str().unwrap_or_default().contains("mail.inside"), "{report}");

    // The next connection looks up again and sees 127.0.0.2: refused, never connected.
    let report = rig.verify(&api).await;
    assert_eq!(report["stage"], "connect", "{report}");
    assert!(report["detail"].as_str().unwrap_or_default().contains("loopback address"), "{report}");
    assert_eq!(inside_count.load(Ordering::SeqCst), 0);
}

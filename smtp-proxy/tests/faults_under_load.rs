//! Faults under load: clients keep sending through the proxy (DynamoDB and
//! Secrets Manager on moto, behind a forwarder that can cut the endpoint)
//! while the mailbox's upstream is killed and restarted twice and the
//! store endpoint goes away and comes back. Counted afterwards: every
//! message a client got 250 for is at the upstream exactly once (none
//! lost, none doubled), and every other message got a 4xx or 5xx reply —
//! none went unanswered. Figures go to stdout and
//! `target/faults-report.txt`.
#![allow(clippy::unwrap_used)]

mod support;

use sendas_bench::{SmtpClient, connect_from};
use sendas_testkit::{Forwarder, Moto, Upstream};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::net::*;
use support::*;

const SESSIONS: usize = 12;
const MAX_PER_SESSION: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Refused(u16),
    NoReply,
}

async fn login(addr: std::net::SocketAddr, password: &str, done: &AtomicBool) -> Option<SmtpClient> {
    while !done.load(Ordering::Relaxed) {
        if let Ok(mut c) = connect_from(addr, None).await
            && matches!(c.reply().await, Ok((220, _)))
            && c.hello_and_auth(Some(&("alice".to_owned(), password.to_owned()))).await.is_ok()
        {
            return Some(c);
        }
        // 454 while the store is away: try again shortly.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Sends until `done` (at least a few messages), reconnecting after a lost connection.
async fn client(
    s: usize,
    addr: std::net::SocketAddr,
    password: String,
    done: Arc<AtomicBool>,
    outcomes: Arc<Mutex<HashMap<String, Outcome>>>,
) {
    let mut conn = None;
    for n in 0..MAX_PER_SESSION {
        if done.load(Ordering::Relaxed) && n >= 5 {
            break;
        }
        if conn.is_none() {
            conn = login(addr, &password, &done).await;
        }
        let Some(c) = conn.as_mut() else { break };
        let id = format!("f.{s}.{n}");
        let message = sendas_bench::message("a@tenant.example", "rcpt@example.net", "f", s, n, 1500);
        let outcome = match c.transaction("a@tenant.example", "rcpt@example.net", &message).await {
            Ok((250, _)) => Outcome::Accepted,
            Ok((code, _)) => Outcome::Refused(code),
            Err(_) => {
                conn = None;
                Outcome::NoReply
            }
        };
        outcomes.lock().unwrap().insert(id, outcome);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    if let Some(mut c) = conn {
        let _ = c.command("QUIT").await;
    }
}

fn message_id(m: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(m);
    let id = text.lines().find_map(|l| l.strip_prefix("Message-ID: <"))?;
    Some(id.trim_end_matches('>').trim_end_matches("@sendas-bench").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_message_is_lost_or_doubled_when_upstream_and_store_fail_under_load() {
    let moto = Moto::start();
    let mut endpoint = Forwarder::start(moto.port).await;
    // Setup as the admin, the proxy as its task role, both through the forwarder.
    let aws = moto.aws().at(&endpoint.url());
    let (table, prefix) = aws.fresh_names();
    let (store, secrets) = support::backends::aws_backends(&aws, &table, &prefix, None).await;
    let mut limits = limits_for_net();
    limits.snapshot_ttl = Duration::from_secs(1);
    limits.relay_timeout = Duration::from_secs(3);
    limits.max_connections_per_ip = 200;
    limits.auth_failures_per_ip = 10_000;
    limits.auth_failures_per_login = 10_000;
    let mut net = start_with(store, secrets, limits, true).await;
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], net.submission).into();
    let (port, maildir) = (net.mailbox_upstream.port, net.mailbox_upstream.maildir.clone());

    let done = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(HashMap::new()));
    let clients: Vec<_> = (0..SESSIONS)
        .map(|s| tokio::spawn(client(s, addr, net.world.password.clone(), done.clone(), outcomes.clone())))
        .collect();

    let mut faults = Vec::new();
    let sent = |o: &Arc<Mutex<HashMap<String, Outcome>>>| o.lock().unwrap().len();
    let pause = |ms| tokio::time::sleep(Duration::from_millis(ms));
    pause(800).await;
    for round in 0..2 {
        net.mailbox_upstream.stop();
        faults.push(format!("upstream killed (SIGKILL) after {} messages", sent(&outcomes)));
        pause(700).await;
        net.mailbox_upstream = Upstream::start_on(port, MAILBOX_USER, MAILBOX_PASS, maildir.clone());
        faults.push(format!("upstream restarted after {} messages", sent(&outcomes)));
        pause(700).await;
        if round == 0 {
            endpoint.cut().await;
            faults.push(format!("store endpoint (DynamoDB + Secrets Manager) cut after {} messages", sent(&outcomes)));
            pause(2000).await;
            endpoint.restore().await;
            faults.push(format!("store endpoint restored after {} messages", sent(&outcomes)));
            pause(1500).await;
        }
    }
    pause(1000).await;
    done.store(true, Ordering::Relaxed);
    for c in clients {
        tokio::time::timeout(Duration::from_secs(60), c).await.expect("a client hung").unwrap();
    }

    let outcomes = outcomes.lock().unwrap().clone();
    let mut at_upstream: HashMap<String, usize> = HashMap::new();
    for m in net.mailbox_upstream.delivered() {
        *at_upstream.entry(message_id(&m.message).unwrap()).or_default() += 1;
    }
    let mut by_reply: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes.values() {
        let key = match o {
            Outcome::Accepted => "250".to_owned(),
            Outcome::Refused(c) => c.to_string(),
            Outcome::NoReply => "no reply".to_owned(),
        };
        *by_reply.entry(key).or_default() += 1;
    }
    let accepted: Vec<&String> = outcomes.iter().filter(|(_, o)| **o == Outcome::Accepted).map(|(k, _)| k).collect();
    let lost: Vec<&&String> = accepted.iter().filter(|id| !at_upstream.contains_key(id.as_str())).collect();
    let doubled: Vec<(&String, &usize)> = at_upstream.iter().filter(|(_, n)| **n > 1).collect();
    let refused_but_delivered =
        outcomes.iter().filter(|(id, o)| **o != Outcome::Accepted && at_upstream.contains_key(id.as_str())).count();
    let report = format!(
        "faults under load: {} sessions, {} messages, replies {:?}\n  {}\n  accepted and at the upstream exactly once: {} of {}; lost: {}; doubled: {}; refused (4xx/5xx) yet delivered: {}",
        SESSIONS,
        outcomes.len(),
        by_reply,
        faults.join("\n  "),
        accepted.len() - lost.len(),
        accepted.len(),
        lost.len(),
        doubled.len(),
        refused_but_delivered,
    );
    println!("{report}");
    let _ = std::fs::write(sendas_testkit::repo_root().join("target/faults-report.txt"), format!("{report}\n"));
    assert!(lost.is_empty(), "250 answered but not at the upstream: {lost:?}");
    assert!(doubled.is_empty(), "at the upstream more than once: {doubled:?}");
    assert!(!by_reply.contains_key("no reply"), "a message went unanswered: {by_reply:?}");
    assert!(by_reply.keys().all(|k| k == "250" || k.starts_with('4') || k.starts_with('5')), "{by_reply:?}");
    assert!(accepted.len() > 100, "the load ran: {by_reply:?}");
    assert!(by_reply.keys().any(|k| k.starts_with('4')), "the faults were felt (4xx): {by_reply:?}");
    let _ = net.stop.send(true);
}

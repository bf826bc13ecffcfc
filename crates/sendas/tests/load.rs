//! Bounded load on `sendas serve` (a separate process, embedded store,
//! outbox relay), from many loopback source addresses like many clients:
//!
//! - 1,000 concurrent authenticated sessions, each sending one message:
//!   every one is answered 250 and lands in the outbox exactly once;
//! - the per-IP connection limit answers `421 4.7.0` to the one too many;
//! - 10,000 idle connections held at once, the total limit answering
//!   `421 4.7.0` beyond it; the proxy's memory (RSS) is measured;
//! - afterwards every connection place is free again (no stuck sessions).
//!
//! Figures go to stdout and `target/load-report.txt` (README "Security and
//! reliability"). Needs `ulimit -n` ≥ 12,000 (scripts/test.sh raises it).
#![allow(clippy::unwrap_used)]

use sendas_bench::{LoadConfig, ServeProcess, loopback_sources, open_idle, rss_kib, run_load};
use std::collections::HashMap;
use std::time::Duration;

const IDLE: usize = 10_000;
// One user's 1,000 sessions at once: the per-user cap of concurrent transactions (10 by
// default, tested in smtp-proxy/tests/protocol.rs) is lifted here.
const LIMITS: &str = "max_connections = 10050\nmax_connections_per_ip = 150\ncommand_timeout_secs = 120\nmax_transactions_per_user = 1000\n";

fn open_files_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_senders_and_ten_thousand_idle_connections() {
    assert!(open_files_limit() >= 12_000, "raise the open files limit (ulimit -n 20000) for this test");
    let dir = tempfile::tempdir().unwrap();
    let serve = ServeProcess::start(env!("CARGO_BIN_EXE_sendas").as_ref(), dir.path(), Some(LIMITS)).unwrap();
    let alice = serve.user("alice").unwrap();
    let mut report = Vec::new();
    let (rss_start, _) = rss_kib(serve.pid()).unwrap();

    // 1,000 concurrent senders over 100 source addresses (10 per address, limit 150).
    let load = LoadConfig {
        addr: serve.smtp,
        sessions: 1000,
        messages_per_session: 1,
        size: 2048,
        auth: Some(alice.clone()),
        from: "info@demo.example".into(),
        to: "someone@example.net".into(),
        source_ips: loopback_sources(2, 100),
        deadline: Duration::from_secs(120),
        tag: "load".into(),
        tls: None,
        pipelining: true,
        declare_size: false,
        retry_temporary: None,
    };
    let r = run_load(&load).await;
    assert!(r.failures.is_empty(), "failures under load: {:?}", r.failures);
    assert_eq!(r.accepted_count(), 1000);
    let outbox = serve.outbox();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &outbox {
        let text = String::from_utf8_lossy(m);
        let id = text.lines().find_map(|l| l.strip_prefix("Message-ID: <")).unwrap().trim_end_matches('>').to_owned();
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), 1000, "every accepted message is in the outbox");
    assert!(seen.values().all(|&n| n == 1), "and only once");
    let (rss_after_load, hwm_load) = rss_kib(serve.pid()).unwrap();
    report.push(format!("1000 concurrent sending sessions: {}", r.summary()));
    report.push(format!(
        "proxy RSS: {:.1} MiB at start, {:.1} MiB after the senders (peak {:.1} MiB)",
        mib(rss_start),
        mib(rss_after_load),
        mib(hwm_load)
    ));

    // The per-IP limit: 150 from one address are let in, the 151st is told 421 4.7.0.
    let (held, refused) = open_idle(serve.smtp, 151, &loopback_sources(250, 1), None, None).await;
    assert_eq!((held.len(), refused.as_slice()), (150, ["greeting 421 4.7.0".to_owned()].as_slice()));
    drop(held);
    // The places come back once the server has seen the 150 closes: poll (bounded) until that address
    // is let in 150 times again. Those 150 stay open as the first of the idle connections, so the total
    // below is exact: no connection of the per-IP phase can still hold a place.
    let mut first = Vec::new();
    for _ in 0..100 {
        let (probe, refused) = open_idle(serve.smtp, 150, &loopback_sources(250, 1), None, None).await;
        if refused.is_empty() {
            first = probe;
            break;
        }
        drop(probe);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(first.len(), 150, "the per-IP places were not given back");

    // 10,000 idle connections (100 per address), then the total limit of 10,050.
    let (mut idle, refused) = open_idle(serve.smtp, IDLE - first.len(), &loopback_sources(2, 100), None, None).await;
    assert!(refused.is_empty(), "idle connections refused: {:?}", &refused[..refused.len().min(5)]);
    idle.extend(first);
    let (extra, beyond) = open_idle(serve.smtp, 60, &loopback_sources(300, 60), None, None).await;
    assert_eq!(extra.len(), 50, "up to the total limit");
    assert!(beyond.len() == 10 && beyond.iter().all(|b| b == "greeting 421 4.7.0"), "{beyond:?}");
    let (rss_idle, hwm_idle) = rss_kib(serve.pid()).unwrap();
    report.push(format!(
        "{} idle connections held: proxy RSS {:.1} MiB ({:.1} KiB per connection over the start), peak {:.1} MiB",
        idle.len() + extra.len(),
        mib(rss_idle),
        (rss_idle.saturating_sub(rss_start)) as f64 / (idle.len() + extra.len()) as f64,
        mib(hwm_idle)
    ));
    drop(idle);
    drop(extra);

    // Every place is free again: 1,000 more senders go through.
    let mut again = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (probe, refused) = open_idle(serve.smtp, 1, &loopback_sources(2, 1), None, None).await;
        if refused.is_empty() && probe.len() == 1 {
            again = true;
            break;
        }
    }
    assert!(again, "connection places were not freed");
    let r2 = run_load(&LoadConfig { tag: "again".into(), ..load }).await;
    assert!(r2.failures.is_empty() && r2.accepted_count() == 1000, "after the idle phase: {}", r2.summary());
    report.push(format!("1000 senders after the idle phase: {}", r2.summary()));
    let text = report.join("\n");
    println!("{text}");
    std::fs::write(sendas_testkit::repo_root().join("target/load-report.txt"), text + "\n").unwrap();
}

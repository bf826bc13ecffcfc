//! `sendas-loadgen`: N concurrent SMTP sessions × M messages of S bytes
//! against a server; prints rate, latency percentiles and other replies
//! (one line, or JSON with --json).

use clap::Parser;
use sendas_bench::{LoadConfig, loopback_sources, run_load};
use std::net::SocketAddr;
use std::time::Duration;

/// SMTP load generator.
#[derive(Parser)]
struct Args {
    /// Server address.
    #[arg(long)]
    addr: SocketAddr,
    /// Concurrent sessions.
    #[arg(long, default_value_t = 1)]
    sessions: usize,
    /// Messages per session (one kept connection).
    #[arg(long, default_value_t = 100)]
    messages: usize,
    /// Message size in bytes.
    #[arg(long, default_value_t = 10240)]
    size: usize,
    /// AUTH PLAIN login (no AUTH without it).
    #[arg(long)]
    login: Option<String>,
    /// AUTH PLAIN password.
    #[arg(long, env = "SENDAS_LOADGEN_PASSWORD", default_value = "")]
    password: String,
    /// MAIL FROM and From.
    #[arg(long, default_value = "info@demo.example")]
    from: String,
    /// RCPT TO.
    #[arg(long, default_value = "someone@example.net")]
    to: String,
    /// Spread sessions over this many loopback source addresses (127.0.0.2 on).
    #[arg(long, default_value_t = 0)]
    sources: u32,
    /// Give up a session after this many seconds.
    #[arg(long, default_value_t = 300)]
    deadline_secs: u64,
    /// STARTTLS, trusting the CA certificate(s) in this PEM file.
    #[arg(long)]
    tls_ca: Option<std::path::PathBuf>,
    /// Instead of sending: open this many idle sessions (STARTTLS and AUTH as
    /// given), report how many were held, and hold them for --hold-secs.
    #[arg(long)]
    idle: Option<usize>,
    /// How long --idle holds its sessions.
    #[arg(long, default_value_t = 10)]
    hold_secs: u64,
    /// Send MAIL, RCPT and DATA one at a time instead of pipelined.
    #[arg(long)]
    no_pipelining: bool,
    /// Declare each message's size in MAIL FROM (SIZE=).
    #[arg(long)]
    declare_size: bool,
    /// On a 4xx to a transaction: RSET, wait this many milliseconds, send the same message again.
    #[arg(long)]
    retry_temporary_ms: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    let config = LoadConfig {
        addr: a.addr,
        sessions: a.sessions,
        messages_per_session: a.messages,
        size: a.size,
        auth: a.login.map(|l| (l, a.password)),
        from: a.from,
        to: a.to,
        source_ips: loopback_sources(2, a.sources),
        deadline: Duration::from_secs(a.deadline_secs),
        tag: format!("lg{}", std::process::id()),
        pipelining: !a.no_pipelining,
        declare_size: a.declare_size,
        retry_temporary: a.retry_temporary_ms.map(Duration::from_millis),
        tls: a.tls_ca.map(|p| {
            let pem = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            sendas_bench::tls_connector(&pem).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        }),
    };
    if let Some(n) = a.idle {
        let (held, refused) =
            sendas_bench::open_idle(config.addr, n, &config.source_ips, config.auth.as_ref(), config.tls.as_ref())
                .await;
        let mut kinds = std::collections::BTreeMap::<String, usize>::new();
        refused.into_iter().for_each(|r| *kinds.entry(r).or_default() += 1);
        println!("{}", serde_json::json!({"held": held.len(), "refused": kinds}));
        tokio::time::sleep(Duration::from_secs(a.hold_secs)).await;
        drop(held);
        return;
    }
    let r = run_load(&config).await;
    if a.json {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{}",
            serde_json::json!({
                "accepted": r.accepted_count(),
                "seconds": r.elapsed.as_secs_f64(),
                "rate": r.rate(),
                "p50_ms": ms(r.percentile(50.0)),
                "p90_ms": ms(r.percentile(90.0)),
                "p99_ms": ms(r.percentile(99.0)),
                "other": r.failures,
                "retried": r.retried,
            })
        );
    } else {
        println!("{}", r.summary());
    }
}

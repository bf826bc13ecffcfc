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
    };
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
            })
        );
    } else {
        println!("{}", r.summary());
    }
}

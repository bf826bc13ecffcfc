//! sendas-bench: an SMTP load generator on tokio. [`run_load`] drives N
//! concurrent sessions (EHLO, AUTH PLAIN, M transactions of messages of a
//! given size, QUIT) and reports messages per second, latency percentiles
//! per transaction and replies by code; [`open_idle`] holds many idle
//! connections. Source addresses can be spread over 127.0.0.0/8 so that
//! per-IP connection limits are met as with many real clients.

mod client;
mod report;
mod serve;

pub use client::{SmtpClient, connect_from, tls_connector};
pub use report::Report;
pub use serve::ServeProcess;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One load run.
#[derive(Clone)]
pub struct LoadConfig {
    /// The server.
    pub addr: SocketAddr,
    /// Concurrent sessions.
    pub sessions: usize,
    /// Transactions per session (on one kept connection).
    pub messages_per_session: usize,
    /// Message size in bytes (headers included).
    pub size: usize,
    /// AUTH PLAIN login and password; `None`: no AUTH (a sink).
    pub auth: Option<(String, String)>,
    /// MAIL FROM and the From field.
    pub from: String,
    /// RCPT TO.
    pub to: String,
    /// Source addresses, used in turn (empty: the system chooses).
    pub source_ips: Vec<IpAddr>,
    /// Every session gives up after this long.
    pub deadline: Duration,
    /// A tag in every Message-ID, to find the messages again.
    pub tag: String,
    /// STARTTLS with this connector before AUTH.
    pub tls: Option<tokio_rustls::TlsConnector>,
    /// Send MAIL, RCPT and DATA in one write (RFC 2920), as mail servers and most clients do.
    pub pipelining: bool,
    /// Declare each message's size in MAIL FROM (`SIZE=`, RFC 1870), as mail clients do.
    pub declare_size: bool,
    /// Answer a 4xx to a transaction as a client keeping its queue does: RSET,
    /// wait this long, and send the same message again (until the deadline).
    pub retry_temporary: Option<Duration>,
}

/// A message of about `size` bytes with a unique Message-ID `<tag.session.n@sendas-bench>`.
pub fn message(from: &str, to: &str, tag: &str, session: usize, n: usize, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: load {session}.{n}\r\nMessage-ID: <{tag}.{session}.{n}@sendas-bench>\r\n\r\n"
    )
    .into_bytes();
    let line = b"The quick brown fox jumps over the lazy dog while the proxy checks the From.\r\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m
}

/// Runs the load and reports; sessions that fail count their error and stop.
pub async fn run_load(config: &LoadConfig) -> Report {
    let report = Arc::new(Mutex::new(Report::default()));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(config.sessions);
    for s in 0..config.sessions {
        let (config, report) = (config.clone(), report.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = tokio::time::timeout(config.deadline, session(&config, s, &report)).await;
            if outcome.is_err() {
                report.lock().unwrap_or_else(|p| p.into_inner()).count("timeout");
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut r = Arc::try_unwrap(report).map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner())).unwrap_or_default();
    r.elapsed = start.elapsed();
    r
}

async fn session(config: &LoadConfig, s: usize, report: &Mutex<Report>) {
    let source = (!config.source_ips.is_empty()).then(|| config.source_ips[s % config.source_ips.len()]);
    let record = |what: &str| report.lock().unwrap_or_else(|p| p.into_inner()).count(what);
    let mut c = match connect_from(config.addr, source).await {
        Ok(c) => c,
        Err(e) => return record(&format!("connect: {}", e.kind())),
    };
    let greeting = c.reply().await;
    if !matches!(greeting, Ok((220, _))) {
        return record(&reply_key("greeting", &greeting));
    }
    if let Some(tls) = &config.tls
        && let Err(e) = c.starttls(tls).await
    {
        return record(&format!("starttls: {e}"));
    }
    if let Err(e) = c.hello_and_auth(config.auth.as_ref()).await {
        return record(&format!("login: {e}"));
    }
    for n in 0..config.messages_per_session {
        let body = message(&config.from, &config.to, &config.tag, s, n, config.size);
        let t = Instant::now();
        let mut reply =
            c.transaction_with(&config.from, &config.to, &body, config.pipelining, config.declare_size).await;
        while let (Some(pause), Ok((400..=499, _))) = (config.retry_temporary, &reply) {
            report.lock().unwrap_or_else(|p| p.into_inner()).retry(&reply_key("data", &reply));
            if c.command("RSET").await.is_err() {
                break;
            }
            tokio::time::sleep(pause).await;
            reply = c.transaction_with(&config.from, &config.to, &body, config.pipelining, config.declare_size).await;
        }
        let elapsed = t.elapsed();
        let mut r = report.lock().unwrap_or_else(|p| p.into_inner());
        match &reply {
            Ok((250, _)) => r.accepted(elapsed, format!("{}.{s}.{n}", config.tag)),
            _ => r.count(&reply_key("data", &reply)),
        }
        drop(r);
        if reply.is_err() {
            return;
        }
    }
    let _ = c.command("QUIT").await;
}

fn reply_key(stage: &str, reply: &std::io::Result<(u16, String)>) -> String {
    match reply {
        Ok((code, text)) => format!("{stage} {code} {}", text.split_whitespace().next().unwrap_or_default()),
        Err(e) => format!("{stage}: {}", e.kind()),
    }
}

/// Opens `n` connections (spread over `source_ips`), reads each greeting
/// and, with `auth`, logs in; answers the open clients and the greeting
/// codes of the others (e.g. 421 beyond a connection limit).
pub async fn open_idle(
    addr: SocketAddr,
    n: usize,
    source_ips: &[IpAddr],
    auth: Option<&(String, String)>,
    tls: Option<&tokio_rustls::TlsConnector>,
) -> (Vec<SmtpClient>, Vec<String>) {
    let mut open = Vec::with_capacity(n);
    let mut refused = Vec::new();
    for i in 0..n {
        let source = (!source_ips.is_empty()).then(|| source_ips[i % source_ips.len()]);
        let mut c = match connect_from(addr, source).await {
            Ok(c) => c,
            Err(e) => {
                refused.push(format!("connect: {}", e.kind()));
                continue;
            }
        };
        match c.reply().await {
            Ok((220, _)) => {}
            other => {
                refused.push(reply_key("greeting", &other));
                continue;
            }
        }
        if let Some(tls) = tls
            && let Err(e) = c.starttls(tls).await
        {
            refused.push(format!("starttls: {e}"));
            continue;
        }
        if auth.is_some()
            && let Err(e) = c.hello_and_auth(auth).await
        {
            refused.push(format!("login: {e}"));
            continue;
        }
        open.push(c);
    }
    (open, refused)
}

/// `count` loopback addresses from 127.0.0.`first` on (wrapping into 127.0.1.x ...).
pub fn loopback_sources(first: u32, count: u32) -> Vec<IpAddr> {
    (first..first + count).map(|i| IpAddr::from([127, 0, (i >> 8) as u8, (i & 0xff) as u8])).collect()
}

/// The resident and peak resident memory of a process, in KiB (Linux `/proc`).
pub fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field =
        |name: &str| status.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse::<u64>().ok();
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The CPU time (user + system) a process used so far (Linux `/proc`).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

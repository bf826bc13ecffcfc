//! Counters and a relay-latency histogram, rendered in the Prometheus
//! text format at `/metrics`.

use sendas_core::limiter::Limiter;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The proxy's metrics.
#[derive(Default)]
pub struct Metrics {
    /// Sessions started.
    pub sessions: AtomicU64,
    /// Sessions open now.
    pub sessions_active: AtomicU64,
    /// Failed AUTH attempts.
    pub auth_failures: AtomicU64,
    /// Failed AUTH attempts for a login guessed at from several addresses (answered slower, not locked).
    pub auth_login_alerts: AtomicU64,
    /// Messages relayed.
    pub accepted: AtomicU64,
    rejected: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<([u64; BUCKETS.len()], u64, f64)>,
    limiter: OnceLock<Arc<Limiter>>,
    audit: OnceLock<Arc<sendas_relay::audit::AuditCounters>>,
}

impl Metrics {
    /// Shows `limiter`'s refusals (the process's one limiter: SMTP and HTTP send together).
    pub fn show_limits(&self, limiter: Arc<Limiter>) {
        let _ = self.limiter.set(limiter);
    }

    /// Shows the audit writer's counters (written, spilled, replayed, logged).
    pub fn show_audit(&self, counters: Arc<sendas_relay::audit::AuditCounters>) {
        let _ = self.audit.set(counters);
    }

    /// Counts a refused transaction under `reason` (e.g. `"550 5.7.1"`).
    pub fn reject(&self, reason: &str) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()).entry(reason.to_owned()).or_default() += 1;
    }

    /// Records one relay's duration.
    pub fn relay_latency(&self, d: Duration) {
        let s = d.as_secs_f64();
        let mut h = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                h.0[i] += 1;
            }
        }
        h.1 += 1;
        h.2 += s;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"));
        };
        counter("sendas_smtp_sessions_total", "SMTP sessions started.", self.sessions.load(Ordering::Relaxed));
        counter("sendas_smtp_auth_failures_total", "Failed AUTH attempts.", self.auth_failures.load(Ordering::Relaxed));
        counter(
            "sendas_smtp_auth_login_alerts_total",
            "Failed AUTH attempts for a login guessed at from several addresses (slowed, not locked).",
            self.auth_login_alerts.load(Ordering::Relaxed),
        );
        counter(
            "sendas_smtp_accepted_total",
            "Messages relayed and answered 250.",
            self.accepted.load(Ordering::Relaxed),
        );
        out.push_str(
            "# HELP sendas_smtp_sessions_active Open SMTP sessions.\n# TYPE sendas_smtp_sessions_active gauge\n",
        );
        out.push_str(&format!("sendas_smtp_sessions_active {}\n", self.sessions_active.load(Ordering::Relaxed)));
        out.push_str("# HELP sendas_smtp_rejected_total Refused transactions by reply.\n# TYPE sendas_smtp_rejected_total counter\n");
        for (reason, n) in self.rejected.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            out.push_str(&format!("sendas_smtp_rejected_total{{reply=\"{reason}\"}} {n}\n"));
        }
        out.push_str("# HELP sendas_limit_refusals_total Messages (or recipients before DATA) refused by a sending limit, SMTP and HTTP send.\n# TYPE sendas_limit_refusals_total counter\n");
        for ((scope, window), n) in self.limiter.get().map(|l| l.refusals()).unwrap_or_default() {
            out.push_str(&format!("sendas_limit_refusals_total{{scope=\"{scope}\",window=\"{window}\"}} {n}\n"));
        }
        out.push_str("# HELP sendas_audit_records_total Audit records by where they went: written to the store, spilled to the local file, replayed from it, logged whole.\n# TYPE sendas_audit_records_total counter\n");
        if let Some(a) = self.audit.get() {
            for (to, n) in
                [("written", &a.written), ("spilled", &a.spilled), ("replayed", &a.replayed), ("logged", &a.logged)]
            {
                out.push_str(&format!("sendas_audit_records_total{{to=\"{to}\"}} {}\n", n.load(Ordering::Relaxed)));
            }
        }
        let h = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str(
            "# HELP sendas_smtp_relay_seconds Upstream relay latency.\n# TYPE sendas_smtp_relay_seconds histogram\n",
        );
        for (i, b) in BUCKETS.iter().enumerate() {
            out.push_str(&format!("sendas_smtp_relay_seconds_bucket{{le=\"{b}\"}} {}\n", h.0[i]));
        }
        out.push_str(&format!("sendas_smtp_relay_seconds_bucket{{le=\"+Inf\"}} {}\n", h.1));
        out.push_str(&format!("sendas_smtp_relay_seconds_sum {}\nsendas_smtp_relay_seconds_count {}\n", h.2, h.1));
        out
    }
}

/// Serves `GET /metrics` (Prometheus text) and `GET /healthz` until `shutdown` turns true.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    metrics: std::sync::Arc<Metrics>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    use axum::routing::get;
    let router = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], m.render()) }
            }),
        )
        .route("/healthz", get(|| async { "ok" }));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { crate::shutdown::stopped(&mut shutdown).await })
        .await
}

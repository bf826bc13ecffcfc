//! What a load run measured.

use std::collections::BTreeMap;
use std::time::Duration;

/// Accepted messages with their latencies, everything else by reply.
#[derive(Debug, Default)]
pub struct Report {
    /// Latency of each accepted transaction (MAIL to the final reply).
    pub latencies: Vec<Duration>,
    /// The tags (`tag.session.n`) of the accepted messages.
    pub accepted_ids: Vec<String>,
    /// Other outcomes by stage and reply code (e.g. `data 451 4.4.1`).
    pub failures: BTreeMap<String, usize>,
    /// Temporary refusals answered by trying the same message again
    /// (`--retry-temporary`), by reply (e.g. `data 451 4.3.1`).
    pub retried: BTreeMap<String, usize>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    pub(crate) fn accepted(&mut self, latency: Duration, id: String) {
        self.latencies.push(latency);
        self.accepted_ids.push(id);
    }

    pub(crate) fn count(&mut self, what: &str) {
        *self.failures.entry(what.to_owned()).or_default() += 1;
    }

    pub(crate) fn retry(&mut self, what: &str) {
        *self.retried.entry(what.to_owned()).or_default() += 1;
    }

    /// Accepted messages.
    pub fn accepted_count(&self) -> usize {
        self.latencies.len()
    }

    /// Accepted messages per second of wall time.
    pub fn rate(&self) -> f64 {
        self.accepted_count() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at percentile `p` (0–100) of accepted transactions.
    pub fn percentile(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        match l.len() {
            0 => Duration::ZERO,
            n => l[((p / 100.0) * (n - 1) as f64).round() as usize],
        }
    }

    /// One line: rate, p50/p90/p99 and failures.
    pub fn summary(&self) -> String {
        format!(
            "{} accepted in {:.2}s ({:.0} msg/s), p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, other: {:?}",
            self.accepted_count(),
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.percentile(50.0).as_secs_f64() * 1e3,
            self.percentile(90.0).as_secs_f64() * 1e3,
            self.percentile(99.0).as_secs_f64() * 1e3,
            self.failures
        )
    }
}

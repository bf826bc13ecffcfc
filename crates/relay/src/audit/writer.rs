//! The audit writer: a finished transaction hands its record over and gets
//! on with its reply. Batched (the proxy, `sendas serve`): a background
//! task writes records in batches (up to [`MAX_BATCH`], gathered for at
//! most [`LINGER`]) with one store request per batch. Direct (a Lambda
//! function, which may be frozen once it answered): the request writes its
//! record itself before it answers.
//!
//! No record is dropped. A batch the store refuses is retried with backoff
//! for [`AuditOptions::patience`] (while the bounded queue fills,
//! transactions wait for room: back-pressure, never loss); then it goes to
//! the spill file, when the process has one (a disk that outlives it:
//! `sendas serve`, a replica with a volume), else it is logged whole as one
//! JSON line (Fargate and Lambda: CloudWatch keeps it). The spill file is
//! replayed when the writer starts and after the store takes a batch
//! again; the store deduplicates by record id, so a replay cut short is
//! simply done again. On shutdown the task writes what is queued (with a
//! short patience) before it ends: keep its [`AuditFlush`] and await it
//! after the server stopped.

use super::spill::SpillFile;
use sendas_core::model::AuditRecord;
use sendas_core::ports::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Most records in one write.
pub const MAX_BATCH: usize = 100;
/// Longest a record waits for others to join its batch.
pub const LINGER: Duration = Duration::from_millis(20);
/// Records queued before transactions wait.
const QUEUE: usize = 10_000;
/// The patience left for the last batches once the process is stopping.
const CLOSING_PATIENCE: Duration = Duration::from_secs(2);
/// How often a spill file is tried again while no records come.
const REPLAY_EVERY: Duration = Duration::from_secs(1);

/// Where records go that the store does not take, and when.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The spill file (`None`: such records are logged whole instead).
    pub spill: Option<PathBuf>,
    /// How long a batch is retried before it is spilled (or logged).
    pub patience: Duration,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { spill: None, patience: Duration::from_secs(20) }
    }
}

/// What happened to records, for the metrics.
#[derive(Debug, Default)]
pub struct AuditCounters {
    /// Written to the store when handed over.
    pub written: AtomicU64,
    /// Put into the spill file.
    pub spilled: AtomicU64,
    /// Written to the store from the spill file.
    pub replayed: AtomicU64,
    /// Logged whole, the store and the spill file having failed.
    pub logged: AtomicU64,
}

/// Hands records to the store; clones share it.
#[derive(Clone)]
pub struct AuditWriter {
    mode: Mode,
    counters: Arc<AuditCounters>,
}

#[derive(Clone)]
enum Mode {
    Batched(mpsc::Sender<AuditRecord>),
    Direct(Arc<Keeper>),
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            Mode::Batched(_) => "batched",
            Mode::Direct(_) => "direct",
        };
        f.debug_struct("AuditWriter").field("mode", &mode).finish()
    }
}

/// Completes when every record handed over before the last batched
/// [`AuditWriter`] clone was dropped is in the store, spilled or logged.
pub type AuditFlush = JoinHandle<()>;

impl AuditWriter {
    /// Starts the batching task on the current tokio runtime (it replays the spill file first).
    pub fn start(store: Arc<dyn Store>, options: AuditOptions) -> (AuditWriter, AuditFlush) {
        let counters = Arc::new(AuditCounters::default());
        let keeper = Keeper::new(store, options, counters.clone());
        let (queue, records) = mpsc::channel(QUEUE);
        (AuditWriter { mode: Mode::Batched(queue), counters }, tokio::spawn(write_batches(keeper, records)))
    }

    /// A writer that writes each record before `record` returns (no background task).
    pub fn direct(store: Arc<dyn Store>, options: AuditOptions) -> AuditWriter {
        let counters = Arc::new(AuditCounters::default());
        AuditWriter { mode: Mode::Direct(Arc::new(Keeper::new(store, options, counters.clone()))), counters }
    }

    /// Hands a record over (batched: waits only while the queue is full).
    pub async fn record(&self, record: AuditRecord) {
        match &self.mode {
            Mode::Batched(queue) => {
                if let Err(lost) = queue.send(record).await {
                    // The task is gone (the runtime is ending): the log keeps it.
                    log_whole(&lost.0);
                    self.counters.logged.fetch_add(1, Ordering::Relaxed);
                }
            }
            Mode::Direct(keeper) => keeper.keep(vec![record], keeper.patience).await,
        }
    }

    /// Its counters.
    pub fn counters(&self) -> &Arc<AuditCounters> {
        &self.counters
    }
}

/// Writes to the store, with patience, and keeps what it does not take.
struct Keeper {
    store: Arc<dyn Store>,
    spill: Option<SpillFile>,
    patience: Duration,
    counters: Arc<AuditCounters>,
    /// Records wait in the spill file.
    spilled: AtomicBool,
}

impl Keeper {
    fn new(store: Arc<dyn Store>, options: AuditOptions, counters: Arc<AuditCounters>) -> Keeper {
        let spill = options.spill.map(SpillFile::new);
        Keeper { store, spilled: AtomicBool::new(spill.is_some()), spill, patience: options.patience, counters }
    }

    /// Writes `batch`, retrying with backoff for `patience`; whether the store took it.
    async fn write(&self, batch: &[AuditRecord], patience: Duration) -> bool {
        let until = tokio::time::Instant::now() + patience;
        let mut wait = Duration::from_millis(50);
        loop {
            match self.store.append_audits(batch).await {
                Ok(()) => return true,
                Err(e) if tokio::time::Instant::now() + wait > until => {
                    tracing::warn!(error = %e, records = batch.len(), "the store did not take audit records in time");
                    return false;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "writing audit records failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// Gets `batch` into the store, else the spill file, else the log.
    async fn keep(&self, batch: Vec<AuditRecord>, patience: Duration) {
        if self.write(&batch, patience).await {
            self.counters.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
            if self.spilled.load(Ordering::Relaxed) {
                self.replay().await;
            }
            return;
        }
        let n = batch.len() as u64;
        if let Some(spill) = self.spill.clone() {
            let written = tokio::task::spawn_blocking(move || spill.append(&batch).map_err(|e| (e, batch))).await;
            match written {
                Ok(Ok(())) => {
                    self.spilled.store(true, Ordering::Relaxed);
                    self.counters.spilled.fetch_add(n, Ordering::Relaxed);
                    tracing::warn!(records = n, "audit records spilled to the local file, replayed later");
                    return;
                }
                Ok(Err((e, batch))) => {
                    tracing::error!(error = %e, "the audit spill file cannot be written");
                    batch.iter().for_each(log_whole);
                }
                Err(e) => tracing::error!(error = %e, "the audit spill task failed"),
            }
        } else {
            batch.iter().for_each(log_whole);
        }
        self.counters.logged.fetch_add(n, Ordering::Relaxed);
    }

    /// Writes the spill file's records to the store and empties it once all are in.
    async fn replay(&self) {
        let Some(spill) = self.spill.clone() else { return };
        let reading = spill.clone();
        let records = match tokio::task::spawn_blocking(move || reading.read()).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::error!(error = %e, path = %spill.path().display(), "the audit spill file cannot be read");
                return;
            }
            Err(_) => return,
        };
        for chunk in records.chunks(MAX_BATCH) {
            if !self.write(chunk, Duration::ZERO).await {
                return;
            }
        }
        match tokio::task::spawn_blocking(move || spill.clear()).await {
            Ok(Ok(())) => {
                self.spilled.store(false, Ordering::Relaxed);
                if !records.is_empty() {
                    self.counters.replayed.fetch_add(records.len() as u64, Ordering::Relaxed);
                    tracing::info!(records = records.len(), "spilled audit records replayed");
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "the audit spill file cannot be emptied"),
            Err(_) => {}
        }
    }
}

/// The last resort: the record, whole, as one JSON log line.
fn log_whole(record: &AuditRecord) {
    let json = serde_json::to_string(record).unwrap_or_default();
    tracing::error!(target: "sendas::audit", audit_record = %json, "audit record kept in the log: the store did not take it");
}

async fn write_batches(keeper: Keeper, mut records: mpsc::Receiver<AuditRecord>) {
    keeper.replay().await;
    loop {
        let first = if keeper.spilled.load(Ordering::Relaxed) {
            match tokio::time::timeout(REPLAY_EVERY, records.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    keeper.replay().await;
                    continue;
                }
            }
        } else {
            records.recv().await
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        let until = tokio::time::Instant::now() + LINGER;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(until, records.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        let patience = if records.is_closed() { keeper.patience.min(CLOSING_PATIENCE) } else { keeper.patience };
        keeper.keep(batch, patience).await;
    }
    if keeper.spilled.load(Ordering::Relaxed) {
        keeper.replay().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::model::AuditFilter;
    use sendas_core::ports::{AuditStore, PageRequest};
    use sendas_core::testing::{MemoryStore, fixtures};
    use sendas_core::{TenantId, Timestamp};

    async fn stored(memory: &MemoryStore, t: TenantId) -> usize {
        let page = memory.query_audit(t, &AuditFilter::default(), &PageRequest::new(1000, None)).await;
        page.map(|p| p.items.len()).unwrap_or(0)
    }

    #[tokio::test]
    async fn records_are_written_in_batches_and_flushed_on_shutdown() {
        let memory = Arc::new(MemoryStore::new());
        let (writer, flush) = AuditWriter::start(memory.clone(), AuditOptions::default());
        let t = TenantId::generate();
        let before = memory.requests();
        for i in 0..250 {
            writer.record(fixtures::audit(t, Timestamp(Timestamp::now().millis() - i), None)).await;
        }
        drop(writer);
        flush.await.expect("the writer ends");
        assert_eq!(stored(&memory, t).await, 250, "every record, after the flush");
        let requests = memory.requests() - before;
        assert!(requests <= 5, "250 records in at most a few batches: {requests} store requests");
    }

    #[tokio::test]
    async fn records_the_store_refuses_are_spilled_and_replayed_by_the_next_writer() {
        let dir = tempfile::tempdir().expect("dir");
        let memory = Arc::new(MemoryStore::new());
        let options =
            AuditOptions { spill: Some(dir.path().join("audit.spill")), patience: Duration::from_millis(200) };
        let t = TenantId::generate();
        memory.fail_writes(true);
        let (writer, flush) = AuditWriter::start(memory.clone(), options.clone());
        for i in 0..30 {
            writer.record(fixtures::audit(t, Timestamp(Timestamp::now().millis() - i), None)).await;
        }
        let counters = writer.counters().clone();
        drop(writer);
        flush.await.expect("the writer ends");
        assert_eq!(counters.spilled.load(Ordering::Relaxed), 30, "all spilled");
        assert_eq!(stored(&memory, t).await, 0);
        memory.fail_writes(false);
        let (writer, flush) = AuditWriter::start(memory.clone(), options);
        let counters = writer.counters().clone();
        drop(writer);
        flush.await.expect("the writer ends");
        assert_eq!(counters.replayed.load(Ordering::Relaxed), 30, "replayed on start");
        assert_eq!(stored(&memory, t).await, 30, "in the store, once each");
    }

    #[tokio::test]
    async fn without_a_spill_file_a_refused_record_is_logged() {
        let memory = Arc::new(MemoryStore::new());
        memory.fail_writes(true);
        let writer = AuditWriter::direct(memory.clone(), AuditOptions { spill: None, patience: Duration::ZERO });
        writer.record(fixtures::audit(TenantId::generate(), Timestamp::now(), None)).await;
        assert_eq!(writer.counters().logged.load(Ordering::Relaxed), 1);
    }
}

//! The audit writer: a finished transaction hands its record to a
//! background task and gets on with its reply; the task writes records in
//! batches (up to [`MAX_BATCH`], gathered for at most [`LINGER`]) with one
//! store request per batch (SQLite: one transaction; DynamoDB:
//! BatchWriteItem). So a message on a warm cache costs no store request on
//! its reply path, and under load far less than one.
//!
//! Durability: a record waits at most `LINGER` plus the write; a failed
//! write is retried with backoff, then logged and dropped (as a failed
//! single write always was: the message itself was already relayed). When
//! the queue is full, transactions wait for room (back-pressure), never
//! drop. On shutdown the task writes what is queued before it ends: keep
//! its [`AuditFlush`] and await it after the server stopped.

use sendas_core::model::AuditRecord;
use sendas_core::ports::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Most records in one write.
pub const MAX_BATCH: usize = 100;
/// Longest a record waits for others to join its batch.
pub const LINGER: Duration = Duration::from_millis(20);
/// Records queued before transactions wait.
const QUEUE: usize = 10_000;
/// Attempts per batch.
const ATTEMPTS: u32 = 5;

/// Hands records to the writer task; clones share it.
#[derive(Clone, Debug)]
pub struct AuditWriter {
    queue: mpsc::Sender<AuditRecord>,
}

/// Completes when every record handed over before the last
/// [`AuditWriter`] clone was dropped is written (or given up on).
pub type AuditFlush = JoinHandle<()>;

impl AuditWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>) -> (AuditWriter, AuditFlush) {
        let (queue, records) = mpsc::channel(QUEUE);
        (AuditWriter { queue }, tokio::spawn(write_batches(store, records)))
    }

    /// Queues a record (waits only while the queue is full).
    pub async fn record(&self, record: AuditRecord) {
        if self.queue.send(record).await.is_err() {
            tracing::error!("the audit writer has stopped; a record is lost");
        }
    }
}

async fn write_batches(store: Arc<dyn Store>, mut records: mpsc::Receiver<AuditRecord>) {
    while let Some(first) = records.recv().await {
        let mut batch = vec![first];
        let until = tokio::time::Instant::now() + LINGER;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(until, records.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        for attempt in 1..=ATTEMPTS {
            match store.append_audits(&batch).await {
                Ok(()) => break,
                Err(e) if attempt == ATTEMPTS => {
                    tracing::error!(error = %e, records = batch.len(), "writing audit records failed; dropped");
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "writing audit records failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::model::AuditFilter;
    use sendas_core::ports::{AuditStore, PageRequest};
    use sendas_core::testing::{MemoryStore, fixtures};
    use sendas_core::{TenantId, Timestamp};

    #[tokio::test]
    async fn records_are_written_in_batches_and_flushed_on_shutdown() {
        let memory = Arc::new(MemoryStore::new());
        let (writer, flush) = AuditWriter::start(memory.clone());
        let t = TenantId::generate();
        let before = memory.requests();
        for i in 0..250 {
            writer.record(fixtures::audit(t, Timestamp(Timestamp::now().millis() - i), None)).await;
        }
        drop(writer);
        flush.await.expect("the writer ends");
        let written = memory.query_audit(t, &AuditFilter::default(), &PageRequest::new(500, None)).await;
        assert_eq!(written.map(|p| p.items.len()).ok(), Some(250), "every record, after the flush");
        let requests = memory.requests() - before;
        assert!(requests <= 5, "250 records in at most a few batches: {requests} store requests");
    }
}

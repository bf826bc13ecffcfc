//! The SQLite connection, its schema, and the bridge from async callers to
//! blocking SQLite calls.

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use sendas_core::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// Errors opening the embedded store.
#[derive(Debug, Error)]
pub enum EmbeddedError {
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(String),
    /// The secret key file is missing, unreadable or does not match the data.
    #[error("secret key: {0}")]
    Key(String),
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies (tenant_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS users (tenant_id TEXT NOT NULL, id TEXT NOT NULL, login TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS groups (tenant_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS mailboxes (tenant_id TEXT NOT NULL, id TEXT NOT NULL, address TEXT NOT NULL,
  system INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, address));
CREATE TABLE IF NOT EXISTS credentials (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, id TEXT NOT NULL,
  body TEXT NOT NULL, PRIMARY KEY (tenant_id, user_id, id));
CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, tenant_id TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_by_tenant ON tokens (tenant_id, id);
CREATE TABLE IF NOT EXISTS audit (tenant_id TEXT NOT NULL, at INTEGER NOT NULL, id TEXT NOT NULL,
  mailbox_id TEXT, expires_at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, at, id));
CREATE INDEX IF NOT EXISTS audit_by_mailbox ON audit (tenant_id, mailbox_id, at, id);
CREATE INDEX IF NOT EXISTS audit_by_expiry ON audit (expires_at);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mailbox_health (tenant_id TEXT NOT NULL, mailbox_id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (tenant_id, mailbox_id));
CREATE TABLE IF NOT EXISTS templates (tenant_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS idempotency (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, key TEXT NOT NULL,
  expires_at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, user_id, key));
CREATE TABLE IF NOT EXISTS send_counters (tenant_id TEXT NOT NULL, scope TEXT NOT NULL, bucket TEXT NOT NULL,
  messages INTEGER NOT NULL, recipients INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, scope, bucket));
CREATE INDEX IF NOT EXISTS send_counters_by_expiry ON send_counters (expires_at);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, nonce BLOB NOT NULL, sealed BLOB NOT NULL);
"#;

/// The shared connection. Cloning shares it (and its request counter).
#[derive(Clone)]
pub(crate) struct Db {
    conn: Arc<Mutex<Connection>>,
    calls: Arc<AtomicU64>,
}

impl Db {
    /// Opens or creates the database file and applies the schema.
    pub(crate) fn open(path: &Path) -> Result<Self, EmbeddedError> {
        let db_err = |e: rusqlite::Error| EmbeddedError::Database(format!("{}: {e}", path.display()));
        let conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        Ok(Db { conn: Arc::new(Mutex::new(conn)), calls: Arc::new(AtomicU64::new(0)) })
    }

    /// How many calls reached the database so far (store and secrets together).
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Runs `f` with the connection on tokio's blocking pool.
    pub(crate) async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Runs `f` synchronously (for opening, before any runtime exists).
    pub(crate) fn call_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

/// Maps a SQLite error: unique violations are conflicts, busy/locked are
/// retryable, the rest is unavailability.
pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict("already exists".into()),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Unavailable("database busy".into()),
        _ => StoreError::Unavailable(format!("database: {e}")),
    }
}

/// Serialises a model value as the JSON body.
pub(crate) fn to_body<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("encoding: {e}")))
}

/// Decodes a JSON body.
pub(crate) fn from_body<T: DeserializeOwned>(body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("decoding: {e}")))
}

/// The body of the one row `sql` selects, or `NotFound`.
pub(crate) fn get_one<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<T, StoreError> {
    let body: Option<String> = conn.query_row(sql, params, |r| r.get(0)).optional().map_err(sql_err)?;
    from_body(&body.ok_or(StoreError::NotFound)?)
}

/// The bodies of every row `sql` selects.
pub(crate) fn get_all<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(sql_err)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0)).map_err(sql_err)?;
    let mut out = Vec::new();
    for body in rows {
        out.push(from_body(&body.map_err(sql_err)?)?);
    }
    Ok(out)
}

/// `NotFound` when an UPDATE or DELETE touched no row.
pub(crate) fn touched(n: usize) -> Result<(), StoreError> {
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Reads a meta value.
pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional().map_err(sql_err)
}

/// Writes a meta value.
pub(crate) fn meta_put(conn: &Connection, key: &str, value: &[u8]) -> Result<(), StoreError> {
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])
        .map(|_| ())
        .map_err(sql_err)
}

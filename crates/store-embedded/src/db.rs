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
CREATE TABLE IF NOT EXISTS domains (tenant_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  holds INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name));
CREATE UNIQUE INDEX IF NOT EXISTS domains_held ON domains (name) WHERE holds = 1;
CREATE TABLE IF NOT EXISTS confirmations (tenant_id TEXT NOT NULL, address TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (tenant_id, address));
CREATE TABLE IF NOT EXISTS system_addresses (address TEXT PRIMARY KEY, tenant_id TEXT NOT NULL);
"#;

/// Steps that change existing data, in order; `PRAGMA user_version` counts
/// those applied. Each runs once, in one transaction with its count.
const MIGRATIONS: &[&str] = &[
    // 1: system addresses became unique across the platform. A database of
    // an older release may hold the same system address in two tenants:
    // the tenant created first (lowest id) keeps the claim, the other keeps
    // its address without one until the operator moves it.
    "INSERT OR IGNORE INTO system_addresses (address, tenant_id)
       SELECT address, tenant_id FROM mailboxes WHERE system = 1 ORDER BY tenant_id, id;",
];

/// Applies the migrations not applied yet.
fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let done: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(usize::try_from(done).unwrap_or(0)) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(i64::MAX))?;
        tx.commit()?;
    }
    Ok(())
}

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
        let mut conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        migrate(&mut conn).map_err(db_err)?;
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

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use rusqlite::{Connection, params};
    use sendas_core::StoreError;
    use sendas_core::model::MailboxScope;
    use sendas_core::ports::{MailboxStore, TenantStore};
    use sendas_core::testing::fixtures::{address, mailbox, new_tenant};

    /// The schema of the release before sending domains and platform-unique system addresses.
    const OLD_SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE tenants (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE mailboxes (tenant_id TEXT NOT NULL, id TEXT NOT NULL, address TEXT NOT NULL,
  system INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, address));
CREATE TABLE settings (key TEXT PRIMARY KEY, body TEXT NOT NULL);";

    /// A database of the older release in which two tenants' system mailboxes share an address
    /// still opens; the tenant created first keeps the platform-wide claim, the other can move away.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(clippy::unwrap_used)]
    async fn an_older_database_opens_and_its_system_addresses_are_claimed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let (first, second) = (new_tenant("old.example", 1), new_tenant("old.example", 1));
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(OLD_SCHEMA).unwrap();
            for new in [&first, &second] {
                let (t, m) = (new.tenant.id.to_string(), &new.system_mailbox);
                conn.execute(
                    "INSERT INTO tenants (id, body) VALUES (?1, ?2)",
                    params![t, super::to_body(&new.tenant).unwrap()],
                )
                .unwrap();
                conn.execute(
                    "INSERT INTO mailboxes (tenant_id, id, address, system, body) VALUES (?1, ?2, ?3, 1, ?4)",
                    params![t, m.id.to_string(), m.address.as_str(), super::to_body(m).unwrap()],
                )
                .unwrap();
            }
        }
        drop(SqliteStore::open(&path).unwrap());
        let store = SqliteStore::open(&path).unwrap(); // the migration ran once; opening again is fine

        let third = new_tenant("old.example", 1);
        assert!(matches!(store.create_tenant(&third).await, Err(StoreError::Conflict(_))), "the address is claimed");
        let moved = |m: &sendas_core::model::Mailbox, to: &str| {
            let mut m = m.clone();
            m.address = address(to);
            m.version += 1;
            m
        };
        let away = moved(&second.system_mailbox, "system@elsewhere.example");
        store.update_mailbox(&second.system_mailbox, &away).await.unwrap(); // the tenant without the claim
        let mut fourth = new_tenant("x.example", 1);
        fourth.system_mailbox = mailbox(fourth.tenant.id, "system@elsewhere.example", MailboxScope::Global);
        fourth.system_mailbox.system = true;
        assert!(matches!(store.create_tenant(&fourth).await, Err(StoreError::Conflict(_))), "claimed by the move");
        store.update_mailbox(&first.system_mailbox, &moved(&first.system_mailbox, "system@new.example")).await.unwrap();
        store.create_tenant(&third).await.unwrap(); // the claim the first tenant left is free
    }
}

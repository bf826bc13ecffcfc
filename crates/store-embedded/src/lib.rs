//! sendas-store-embedded: the local default backend, one SQLite file.
//!
//! [`SqliteStore`] implements every `Store` trait of `sendas-core` on a
//! SQLite database in WAL mode; each model value is kept as a JSON body
//! next to the columns that index it, and the uniqueness rules (login,
//! address per tenant) are SQLite `UNIQUE` constraints. Every call runs on
//! tokio's blocking pool, never on the async runtime's threads. All writes
//! go through one connection, so the quota check and the insert of a
//! mailbox happen in one `BEGIN IMMEDIATE` transaction and cannot race.
//!
//! Platform-wide claims: a sending domain that holds (`verified`,
//! `assigned`) is its `domains` row with `holds = 1`, under a partial
//! unique index on the name; a system mailbox's address is a row of
//! `system_addresses` (address primary key), written in the same
//! transaction as the tenant or the mailbox's move. Tables are created
//! with `CREATE TABLE IF NOT EXISTS`; changes to existing data are the
//! numbered steps of `db::MIGRATIONS`, counted in `PRAGMA user_version`
//! (step 1 claims the system addresses of a database of an older release:
//! where two tenants share one, the tenant created first keeps it).
//!
//! [`EncryptedSecretStore`] keeps mailbox passwords in the same file,
//! sealed with XChaCha20-Poly1305 under a 256-bit key from a key file
//! (created with mode 0600 on first start). A missing or wrong key file is
//! a clear error at open time, never silent data loss.
//!
//! Why SQLite: one file, no server, transactions and unique constraints
//! that make the store contract's race guarantees simple, and the most
//! widely deployed embedded database there is (rusqlite, bundled).

mod db;
mod secrets;
mod store;

pub use db::EmbeddedError;
pub use secrets::EncryptedSecretStore;
pub use store::SqliteStore;

use std::path::Path;

/// The database file inside a data directory.
pub const DB_FILE: &str = "sendas.db";
/// The secret key file inside a data directory.
pub const KEY_FILE: &str = "secrets.key";

/// Opens (creating on first start) the store and secret store in `dir`.
pub fn open_data_dir(dir: &Path) -> Result<(SqliteStore, EncryptedSecretStore), EmbeddedError> {
    std::fs::create_dir_all(dir).map_err(|e| EmbeddedError::Io(format!("creating {}: {e}", dir.display())))?;
    let store = SqliteStore::open(&dir.join(DB_FILE))?;
    let secrets = EncryptedSecretStore::open(&store, &dir.join(KEY_FILE))?;
    Ok((store, secrets))
}

//! `SqliteStore`: the `Store` traits of sendas-core on SQLite, one file per aggregate.

mod audit;
mod directory;
mod domains;
mod idempotency;
mod mailboxes;
mod send_counter;
mod templates;
mod tenants;
mod tokens;
mod versioned;

use crate::db::{Db, EmbeddedError, get_all};
use rusqlite::Connection;
use sendas_core::StoreError;
use sendas_core::ports::{Page, PageRequest};
use serde::de::DeserializeOwned;
use std::path::Path;

/// The embedded `Store`.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) db: Db,
}

impl SqliteStore {
    /// Opens or creates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, EmbeddedError> {
        Ok(SqliteStore { db: Db::open(path)? })
    }

    /// Database calls so far, of this store and of the secret store opened
    /// with it (they share the connection): the benchmarks' request count.
    pub fn requests(&self) -> u64 {
        self.db.calls()
    }
}

/// One page of rows from `sql`, which must select `body` and take
/// `?1 = scope key, ?2 = after-cursor, ?3 = limit + 1`, ordered by id.
pub(crate) fn page_by_id<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    scope: &str,
    page: &PageRequest,
    id_of: impl Fn(&T) -> String,
) -> Result<Page<T>, StoreError> {
    let after = page.after.clone().unwrap_or_default();
    let items = get_all(conn, sql, rusqlite::params![scope, after, page.limit() + 1])?;
    Ok(Page::from_overfetch(items, page.limit(), id_of))
}

/// Tables keyed `(tenant_id, id)` with only a JSON body besides: the
/// shared CRUD of companies and groups (and the reads of users).
pub(crate) mod scoped {
    use crate::db::{get_one, sql_err, touched};
    use rusqlite::params;
    use sendas_core::StoreError;
    use sendas_core::ports::{Page, PageRequest};
    use serde::de::DeserializeOwned;

    /// Inserts a row; `Conflict` if the key exists.
    pub(crate) async fn insert(
        s: &super::SqliteStore,
        table: &'static str,
        t: String,
        id: String,
        body: String,
    ) -> Result<(), StoreError> {
        s.db.call(move |c| {
            c.execute(&format!("INSERT INTO {table} (tenant_id, id, body) VALUES (?1, ?2, ?3)"), params![t, id, body])
                .map(|_| ())
                .map_err(sql_err)
        })
        .await
    }

    /// Reads a row's body; `NotFound` if absent.
    pub(crate) async fn get<T: DeserializeOwned + Send + 'static>(
        s: &super::SqliteStore,
        table: &'static str,
        t: String,
        id: String,
    ) -> Result<T, StoreError> {
        s.db.call(move |c| {
            get_one(c, &format!("SELECT body FROM {table} WHERE tenant_id = ?1 AND id = ?2"), params![t, id])
        })
        .await
    }

    /// One page of a tenant's rows, by id.
    pub(crate) async fn list<T: DeserializeOwned + Send + 'static>(
        s: &super::SqliteStore,
        table: &'static str,
        t: String,
        page: &PageRequest,
        id_of: fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        let page = page.clone();
        s.db.call(move |c| {
            let sql = format!("SELECT body FROM {table} WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
            super::page_by_id(c, &sql, &t, &page, id_of)
        })
        .await
    }

    /// Replaces a row's body; `NotFound` if absent.
    pub(crate) async fn update(
        s: &super::SqliteStore,
        table: &'static str,
        t: String,
        id: String,
        body: String,
    ) -> Result<(), StoreError> {
        s.db.call(move |c| {
            let sql = format!("UPDATE {table} SET body = ?3 WHERE tenant_id = ?1 AND id = ?2");
            touched(c.execute(&sql, params![t, id, body]).map_err(sql_err)?)
        })
        .await
    }
}

//! Versioned writes on SQLite: every check runs inside the writer's
//! IMMEDIATE transaction, so no other write can come between the check and
//! the write (see the `UserStore`/`GroupStore`/`MailboxStore` docs).

use crate::db::{get_all, sql_err, to_body, touched};
use rusqlite::{OptionalExtension, Transaction, params};
use sendas_core::model::{Mailbox, User};
use sendas_core::{GroupId, StoreError};

/// `VersionMismatch` unless row `(t, id)` of `table` is at `expected`
/// (rows written before versions existed count as 0); `NotFound` if absent.
pub(crate) fn require_version(
    tx: &Transaction<'_>,
    table: &str,
    t: &str,
    id: &str,
    expected: u64,
) -> Result<(), StoreError> {
    let sql =
        format!("SELECT IFNULL(json_extract(body, '$.version'), 0) FROM {table} WHERE tenant_id = ?1 AND id = ?2");
    let stored: Option<i64> = tx.query_row(&sql, params![t, id], |r| r.get(0)).optional().map_err(sql_err)?;
    match stored {
        None => Err(StoreError::NotFound),
        Some(v) if u64::try_from(v).ok() == Some(expected) => Ok(()),
        Some(_) => Err(StoreError::VersionMismatch),
    }
}

/// `MissingGroup` unless every group exists in tenant `t`.
pub(crate) fn require_groups<'a>(
    tx: &Transaction<'_>,
    t: &str,
    groups: impl IntoIterator<Item = &'a GroupId>,
) -> Result<(), StoreError> {
    for g in groups {
        let found: Option<i64> = tx
            .query_row("SELECT 1 FROM groups WHERE tenant_id = ?1 AND id = ?2", params![t, g.to_string()], |r| r.get(0))
            .optional()
            .map_err(sql_err)?;
        if found.is_none() {
            return Err(StoreError::MissingGroup);
        }
    }
    Ok(())
}

/// Deletes group `g` of tenant `t` at version `expected`, and removes it
/// from every user and access list of the tenant (each raised a version).
pub(crate) fn delete_group(tx: &Transaction<'_>, t: &str, g: GroupId, expected: u64) -> Result<(), StoreError> {
    let id = g.to_string();
    require_version(tx, "groups", t, &id, expected)?;
    let users: Vec<User> = get_all(tx, "SELECT body FROM users WHERE tenant_id = ?1", params![t])?;
    for mut u in users.into_iter().filter(|u| u.groups.contains(&g)) {
        u.groups.remove(&g);
        u.version += 1;
        let sql = "UPDATE users SET body = ?3 WHERE tenant_id = ?1 AND id = ?2";
        tx.execute(sql, params![t, u.id.to_string(), to_body(&u)?]).map_err(sql_err)?;
    }
    let mailboxes: Vec<Mailbox> = get_all(tx, "SELECT body FROM mailboxes WHERE tenant_id = ?1", params![t])?;
    for mut m in mailboxes.into_iter().filter(|m| m.access.groups.contains(&g)) {
        m.access.groups.remove(&g);
        m.version += 1;
        let sql = "UPDATE mailboxes SET body = ?3 WHERE tenant_id = ?1 AND id = ?2";
        tx.execute(sql, params![t, m.id.to_string(), to_body(&m)?]).map_err(sql_err)?;
    }
    touched(tx.execute("DELETE FROM groups WHERE tenant_id = ?1 AND id = ?2", params![t, id]).map_err(sql_err)?)
}

//! Companies, users and groups.

use super::{SqliteStore, scoped, versioned};
use crate::db::{get_one, sql_err, to_body, touched};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sendas_core::model::{Company, Group, Login, User};
use sendas_core::ports::{CompanyStore, GroupStore, Page, PageRequest, UserStore};
use sendas_core::{CompanyId, GroupId, StoreError, TenantId, UserId};

#[async_trait]
impl CompanyStore for SqliteStore {
    async fn create_company(&self, c: &Company) -> Result<(), StoreError> {
        scoped::insert(self, "companies", c.tenant_id.to_string(), c.id.to_string(), to_body(c)?).await
    }
    async fn get_company(&self, tenant: TenantId, id: CompanyId) -> Result<Company, StoreError> {
        scoped::get(self, "companies", tenant.to_string(), id.to_string()).await
    }
    async fn list_companies(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Company>, StoreError> {
        scoped::list(self, "companies", tenant.to_string(), page, |x: &Company| x.id.to_string()).await
    }
    async fn update_company(&self, c: &Company) -> Result<(), StoreError> {
        scoped::update(self, "companies", c.tenant_id.to_string(), c.id.to_string(), to_body(c)?).await
    }
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, g: &Group) -> Result<(), StoreError> {
        scoped::insert(self, "groups", g.tenant_id.to_string(), g.id.to_string(), to_body(g)?).await
    }
    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<Group, StoreError> {
        scoped::get(self, "groups", tenant.to_string(), id.to_string()).await
    }
    async fn list_groups(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Group>, StoreError> {
        scoped::list(self, "groups", tenant.to_string(), page, |x: &Group| x.id.to_string()).await
    }
    async fn update_group(&self, before: &Group, after: &Group) -> Result<(), StoreError> {
        let (t, id, expected, body) =
            (before.tenant_id.to_string(), before.id.to_string(), before.version, to_body(after)?);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                versioned::require_version(&tx, "groups", &t, &id, expected)?;
                let sql = "UPDATE groups SET body = ?3 WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id, body]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn delete_group(&self, g: &Group) -> Result<(), StoreError> {
        let (t, id, expected) = (g.tenant_id.to_string(), g.id, g.version);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                versioned::delete_group(&tx, &t, id, expected)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, u: &User) -> Result<(), StoreError> {
        let (t, id, login, body) = (u.tenant_id.to_string(), u.id.to_string(), u.login.to_string(), to_body(u)?);
        let groups = u.groups.clone();
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                versioned::require_groups(&tx, &t, &groups)?;
                tx.execute(
                    "INSERT INTO users (tenant_id, id, login, body) VALUES (?1, ?2, ?3, ?4)",
                    params![t, id, login, body],
                )
                .map_err(sql_err)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError> {
        scoped::get(self, "users", tenant.to_string(), id.to_string()).await
    }
    async fn find_user_by_login(&self, login: &Login) -> Result<User, StoreError> {
        let login = login.to_string();
        self.db.call(move |c| get_one(c, "SELECT body FROM users WHERE login = ?1", params![login])).await
    }
    async fn list_users(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<User>, StoreError> {
        scoped::list(self, "users", tenant.to_string(), page, |x: &User| x.id.to_string()).await
    }
    async fn update_user(&self, before: &User, after: &User) -> Result<(), StoreError> {
        let (t, id, login, body) =
            (before.tenant_id.to_string(), before.id.to_string(), after.login.to_string(), to_body(after)?);
        let (expected, added) = (before.version, after.groups.difference(&before.groups).copied().collect::<Vec<_>>());
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                let stored: Option<String> = tx
                    .query_row("SELECT login FROM users WHERE tenant_id = ?1 AND id = ?2", params![t, id], |r| r.get(0))
                    .optional()
                    .map_err(sql_err)?;
                match stored {
                    None => return Err(StoreError::NotFound),
                    Some(l) if l != login => return Err(StoreError::Conflict("a login cannot change".into())),
                    Some(_) => {}
                }
                versioned::require_version(&tx, "users", &t, &id, expected)?;
                versioned::require_groups(&tx, &t, &added)?;
                let sql = "UPDATE users SET body = ?3 WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id, body]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
}

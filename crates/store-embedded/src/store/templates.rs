//! Message templates: versioned like users, groups and mailboxes.

use super::{SqliteStore, scoped, versioned};
use crate::db::{sql_err, to_body, touched};
use async_trait::async_trait;
use rusqlite::{TransactionBehavior, params};
use sendas_core::model::Template;
use sendas_core::ports::{Page, PageRequest, TemplateStore};
use sendas_core::{StoreError, TemplateId, TenantId};

#[async_trait]
impl TemplateStore for SqliteStore {
    async fn create_template(&self, t: &Template) -> Result<(), StoreError> {
        scoped::insert(self, "templates", t.tenant_id.to_string(), t.id.to_string(), to_body(t)?).await
    }
    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> Result<Template, StoreError> {
        scoped::get(self, "templates", tenant.to_string(), id.to_string()).await
    }
    async fn list_templates(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Template>, StoreError> {
        scoped::list(self, "templates", tenant.to_string(), page, |x: &Template| x.id.to_string()).await
    }
    async fn update_template(&self, before: &Template, after: &Template) -> Result<(), StoreError> {
        let (t, id, expected, body) =
            (before.tenant_id.to_string(), before.id.to_string(), before.version, to_body(after)?);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                versioned::require_version(&tx, "templates", &t, &id, expected)?;
                let sql = "UPDATE templates SET body = ?3 WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id, body]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
    async fn delete_template(&self, template: &Template) -> Result<(), StoreError> {
        let (t, id, expected) = (template.tenant_id.to_string(), template.id.to_string(), template.version);
        self.db
            .call(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
                versioned::require_version(&tx, "templates", &t, &id, expected)?;
                let sql = "DELETE FROM templates WHERE tenant_id = ?1 AND id = ?2";
                touched(tx.execute(sql, params![t, id]).map_err(sql_err)?)?;
                tx.commit().map_err(sql_err)
            })
            .await
    }
}

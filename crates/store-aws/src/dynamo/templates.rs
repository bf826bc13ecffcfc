//! Message templates: `TENANT#<t>` / `TEMPLATE#<id>`, replaced and deleted
//! only at the version read.

use super::versioned::at_version;
use super::{DynamoStore, item_with_keys, s, tx};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::Template;
use sendas_core::ports::{Page, PageRequest, TemplateStore};
use sendas_core::{StoreError, TemplateId, TenantId};

fn template_sk(id: TemplateId) -> String {
    format!("TEMPLATE#{id}")
}

#[async_trait]
impl TemplateStore for DynamoStore {
    async fn create_template(&self, t: &Template) -> Result<(), StoreError> {
        self.put_new(item_with_keys(t, &[(PK, tenant_pk(t.tenant_id)), (SK, template_sk(t.id))])?).await
    }
    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> Result<Template, StoreError> {
        self.get(tenant_pk(tenant), template_sk(id)).await
    }
    async fn list_templates(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Template>, StoreError> {
        self.query_prefix(tenant_pk(tenant), "TEMPLATE#", page, |t: &Template| t.id.to_string()).await
    }
    async fn update_template(&self, before: &Template, after: &Template) -> Result<(), StoreError> {
        let item = item_with_keys(after, &[(PK, tenant_pk(after.tenant_id)), (SK, template_sk(after.id))])?;
        let (cond, values) = at_version(before.version);
        let put = tx::put_if(self.table(), item, &format!("attribute_exists(PK) AND {cond}"), values)?;
        match self.write_items(vec![put]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(self
                .why_not_written(tenant_pk(before.tenant_id), template_sk(before.id), |_: Template| {
                    StoreError::VersionMismatch
                })
                .await),
        }
    }
    async fn delete_template(&self, t: &Template) -> Result<(), StoreError> {
        let (cond, values) = at_version(t.version);
        let result = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key(PK, s(tenant_pk(t.tenant_id)))
            .key(SK, s(template_sk(t.id)))
            .condition_expression(format!("attribute_exists(PK) AND {cond}"))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .send()
            .await;
        match result.map_err(crate::error::unavailable) {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => Err(self
                .why_not_written(tenant_pk(t.tenant_id), template_sk(t.id), |_: Template| StoreError::VersionMismatch)
                .await),
            Err(e) => Err(e),
        }
    }
}

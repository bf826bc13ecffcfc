//! Tenants, and the atomic creation of a tenant with its first items.

use super::{DynamoStore, failed, item_with_keys, n, tx};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::Tenant;
use sendas_core::ports::{NewTenant, Page, PageRequest, TenantStore};
use sendas_core::{StoreError, TenantId};

#[async_trait]
impl TenantStore for DynamoStore {
    async fn create_tenant(&self, new: &NewTenant) -> Result<(), StoreError> {
        let t = new.tenant.id;
        let mut tenant_item = item_with_keys(
            &new.tenant,
            &[(PK, tenant_pk(t)), (SK, TENANT_SK.into()), (GSI1PK, TENANTS.into()), (GSI1SK, t.to_string())],
        )?;
        tenant_item.insert("mailbox_count".into(), n(0));
        let m = &new.system_mailbox;
        let claim = super::mailboxes::address_claim(m)?;
        let items = vec![
            tx::put_new(self.table(), tenant_item)?,
            tx::put_new(
                self.table(),
                item_with_keys(&new.company, &[(PK, tenant_pk(t)), (SK, format!("COMPANY#{}", new.company.id))])?,
            )?,
            tx::put_new(self.table(), super::mailboxes::mailbox_item(m)?)?,
            tx::put_new(self.table(), claim)?,
            tx::put_new(self.table(), super::tokens::token_item(&new.admin_token)?)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if (0..5).any(|i| failed(&reasons, i)) => Err(StoreError::Conflict("tenant exists".into())),
            Err(reasons) => Err(StoreError::Unavailable(format!("create tenant cancelled: {reasons:?}"))),
        }
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        self.get(tenant_pk(id), TENANT_SK).await
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        self.query_gsi(TENANTS.into(), page, |t: &Tenant| (tenant_pk(t.id), TENANT_SK.into(), t.id.to_string())).await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.update_existing(tenant_pk(tenant.id), TENANT_SK, tenant).await
    }
}

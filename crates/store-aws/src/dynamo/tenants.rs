//! Tenants, and the atomic creation of a tenant with its first items.

use super::{DynamoStore, failed, item_with_keys, n, s, tx};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::Tenant;
use sendas_core::ports::{NewTenant, Page, PageRequest, TenantStore};
use sendas_core::{StoreError, TenantId};
use std::collections::HashMap;

#[async_trait]
impl TenantStore for DynamoStore {
    async fn create_tenant(&self, new: &NewTenant) -> Result<(), StoreError> {
        let t = new.tenant.id;
        let tenant_item = item_with_keys(
            &new.tenant,
            &[(PK, tenant_pk(t)), (SK, TENANT_SK.into()), (GSI1PK, TENANTS.into()), (GSI1SK, t.to_string())],
        )?;
        let counter = HashMap::from([
            (PK.to_owned(), s(tenant_pk(t))),
            (SK.to_owned(), s(MAILBOX_COUNT_SK)),
            ("n".to_owned(), n(0)),
            ("quota".to_owned(), n(new.tenant.mailbox_quota)),
        ]);
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
            tx::put_new(self.table(), counter)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if (0..6).any(|i| failed(&reasons, i)) => Err(StoreError::Conflict("tenant exists".into())),
            Err(reasons) => Err(StoreError::Unavailable(format!("create tenant cancelled: {reasons:?}"))),
        }
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        self.get(tenant_pk(id), TENANT_SK).await
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        self.query_gsi(TENANTS.into(), page, |t: &Tenant| (tenant_pk(t.id), TENANT_SK.into(), t.id.to_string())).await
    }

    /// The tenant item and the quota copied on its mailbox counter, in one transaction.
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let set = super::SetAll::of(tenant, HashMap::new())?;
        let tenant_update = tx::update_named(
            self.table(),
            tenant_pk(tenant.id),
            TENANT_SK,
            &set.expression,
            "attribute_exists(PK)",
            set.names,
            set.values,
        )?;
        let quota = tx::update(
            self.table(),
            tenant_pk(tenant.id),
            MAILBOX_COUNT_SK,
            "SET quota = :quota",
            "attribute_exists(PK)",
            HashMap::from([(":quota".to_owned(), n(tenant.mailbox_quota))]),
        )?;
        match self.transact(vec![tenant_update, quota]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::NotFound),
        }
    }
}

//! Tenants, and the atomic creation of a tenant with its first items.

use super::{DynamoStore, failed, item_with_keys, n, s, tx};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::error::DOMAIN_CLAIMED;
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
        let mut items = vec![
            tx::put_new(self.table(), tenant_item)?,
            tx::put_new(
                self.table(),
                item_with_keys(&new.company, &[(PK, tenant_pk(t)), (SK, format!("COMPANY#{}", new.company.id))])?,
            )?,
            tx::put_new(self.table(), super::mailboxes::mailbox_item(m)?)?,
            tx::put_new(self.table(), claim)?,
            tx::put_new(self.table(), super::tokens::token_item(&new.admin_token)?)?,
            tx::put_new(self.table(), counter)?,
            tx::put_new(self.table(), super::mailboxes::system_address_claim(m))?,
        ];
        for d in &new.domains {
            items.extend(super::domains::creation(self.table(), d)?);
        }
        if items.len() > super::versioned::MAX_TRANSACTION_ITEMS {
            return Err(StoreError::Unavailable(format!(
                "a tenant is created in one transaction of at most {} items: assign fewer domains at once",
                super::versioned::MAX_TRANSACTION_ITEMS
            )));
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if (0..6).any(|i| failed(&reasons, i)) => Err(StoreError::Conflict("tenant exists".into())),
            Err(reasons) if failed(&reasons, 6) => {
                Err(StoreError::Conflict("another tenant's system mailbox has this address".into()))
            }
            Err(reasons) if (7..reasons.len()).any(|i| failed(&reasons, i)) => {
                Err(StoreError::Conflict(DOMAIN_CLAIMED.into()))
            }
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

impl DynamoStore {
    /// Claims the address of every system mailbox that has no
    /// `SYSADDR#<address>` item yet (tables of releases before system
    /// addresses were unique across the platform): tenants in id order, so
    /// where two share an address the one created first keeps it and the
    /// other keeps its address unclaimed until the operator moves it.
    /// Idempotent; answers how many claims it wrote. One Query per page of
    /// tenants, one per tenant's mailboxes, one conditional PutItem per claim.
    pub async fn claim_system_addresses(&self) -> Result<usize, StoreError> {
        let tenants = sendas_core::ports::read_all(|p| async move { self.list_tenants(&p).await }).await?;
        let mut claimed = 0;
        for tenant in tenants {
            let t = tenant.id;
            let mailboxes = sendas_core::ports::read_all(|p| async move {
                sendas_core::ports::MailboxStore::list_mailboxes(self, t, &p).await
            })
            .await?;
            for m in mailboxes.iter().filter(|m| m.system) {
                match self.put_new(super::mailboxes::system_address_claim(m)).await {
                    Ok(()) => claimed += 1,
                    Err(StoreError::Conflict(_)) => {} // claimed already (by it, or by a tenant created earlier)
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(claimed)
    }
}

//! Companies, users (with their platform-wide login claims) and groups.

use super::{DynamoStore, decode, failed, item_with_keys, s, tx};
use crate::error::unavailable;
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::{Company, Group, Login, User};
use sendas_core::ports::{CompanyStore, GroupStore, Page, PageRequest, UserStore};
use sendas_core::{CompanyId, GroupId, StoreError, TenantId, UserId};

fn company_sk(id: CompanyId) -> String {
    format!("COMPANY#{id}")
}
fn user_sk(id: UserId) -> String {
    format!("USER#{id}")
}
fn group_sk(id: GroupId) -> String {
    format!("GROUP#{id}")
}

#[async_trait]
impl CompanyStore for DynamoStore {
    async fn create_company(&self, c: &Company) -> Result<(), StoreError> {
        self.put_new(item_with_keys(c, &[(PK, tenant_pk(c.tenant_id)), (SK, company_sk(c.id))])?).await
    }
    async fn get_company(&self, tenant: TenantId, id: CompanyId) -> Result<Company, StoreError> {
        self.get(tenant_pk(tenant), company_sk(id)).await
    }
    async fn list_companies(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Company>, StoreError> {
        self.query_prefix(tenant_pk(tenant), "COMPANY#", page, |c: &Company| c.id.to_string()).await
    }
    async fn update_company(&self, c: &Company) -> Result<(), StoreError> {
        self.update_existing(tenant_pk(c.tenant_id), &company_sk(c.id), c).await
    }
}

#[async_trait]
impl GroupStore for DynamoStore {
    async fn create_group(&self, g: &Group) -> Result<(), StoreError> {
        self.put_new(item_with_keys(g, &[(PK, tenant_pk(g.tenant_id)), (SK, group_sk(g.id))])?).await
    }
    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<Group, StoreError> {
        self.get(tenant_pk(tenant), group_sk(id)).await
    }
    async fn list_groups(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Group>, StoreError> {
        self.query_prefix(tenant_pk(tenant), "GROUP#", page, |g: &Group| g.id.to_string()).await
    }
    async fn update_group(&self, g: &Group) -> Result<(), StoreError> {
        self.update_existing(tenant_pk(g.tenant_id), &group_sk(g.id), g).await
    }
    async fn delete_group(&self, tenant: TenantId, id: GroupId) -> Result<(), StoreError> {
        self.delete_existing(tenant_pk(tenant), group_sk(id)).await
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn create_user(&self, u: &User) -> Result<(), StoreError> {
        let user = item_with_keys(u, &[(PK, tenant_pk(u.tenant_id)), (SK, user_sk(u.id))])?;
        let mut claim = super::Item::new();
        claim.insert(PK.into(), s(login_pk(&u.login)));
        claim.insert(SK.into(), s(LOGIN_SK));
        claim.insert("tenant_id".into(), s(u.tenant_id.to_string()));
        claim.insert("user_id".into(), s(u.id.to_string()));
        let items = vec![tx::put_new(self.table(), user)?, tx::put_new(self.table(), claim)?];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(r) if failed(&r, 1) => Err(StoreError::Conflict("login taken".into())),
            Err(_) => Err(StoreError::Conflict("user exists".into())),
        }
    }
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError> {
        self.get(tenant_pk(tenant), user_sk(id)).await
    }
    async fn find_user_by_login(&self, login: &Login) -> Result<User, StoreError> {
        let claim = self.get_item(login_pk(login), LOGIN_SK).await?.ok_or(StoreError::NotFound)?;
        let text = |k: &str| claim.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        let tenant = TenantId::parse(&text("tenant_id")).map_err(|_| StoreError::Corrupt("login claim".into()))?;
        let user = UserId::parse(&text("user_id")).map_err(|_| StoreError::Corrupt("login claim".into()))?;
        self.get_user(tenant, user).await
    }
    async fn list_users(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<User>, StoreError> {
        self.query_prefix(tenant_pk(tenant), "USER#", page, |u: &User| u.id.to_string()).await
    }
    async fn update_user(&self, u: &User) -> Result<(), StoreError> {
        let item = item_with_keys(u, &[(PK, tenant_pk(u.tenant_id)), (SK, user_sk(u.id))])?;
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression("attribute_exists(PK) AND login = :login")
            .expression_attribute_values(":login", s(u.login.to_string()))
            .send()
            .await;
        match result.map_err(unavailable) {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => match self.get_item(tenant_pk(u.tenant_id), user_sk(u.id)).await? {
                None => Err(StoreError::NotFound),
                Some(existing) => {
                    let stored: User = decode(existing)?;
                    Err(StoreError::Conflict(format!("a login cannot change (is {})", stored.login)))
                }
            },
            Err(e) => Err(e),
        }
    }
}

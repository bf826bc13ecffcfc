//! Companies, users (with their platform-wide login claims) and groups.

use super::versioned::{at_version, claim_group, group_sk, put_user, user_sk};
use super::{DynamoStore, SetAll, failed, item_with_keys, s, tx};
use crate::error::unavailable;
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::{Company, Group, Login, User};
use sendas_core::ports::{CompanyStore, GroupStore, Page, PageRequest, UserStore};
use sendas_core::{CompanyId, GroupId, StoreError, TenantId, UserId};

fn company_sk(id: CompanyId) -> String {
    format!("COMPANY#{id}")
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
    async fn update_group(&self, before: &Group, after: &Group) -> Result<(), StoreError> {
        // SET keeps the group's `refs` and `deleting` (see `versioned`).
        let (cond, values) = at_version(before.version);
        let set = SetAll::of(after, values)?;
        let (pk, sk) = (tenant_pk(before.tenant_id), group_sk(before.id));
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(PK, s(pk.clone()))
            .key(SK, s(sk.clone()))
            .update_expression(set.expression)
            .condition_expression(format!("attribute_exists(PK) AND attribute_not_exists(deleting) AND {cond}"))
            .set_expression_attribute_names(Some(set.names))
            .set_expression_attribute_values(Some(set.values))
            .send()
            .await;
        match result.map_err(unavailable) {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => Err(self
                .why_not_written(pk, sk, |stored: Group| {
                    if stored.version == before.version { StoreError::NotFound } else { StoreError::VersionMismatch }
                })
                .await),
            Err(e) => Err(e),
        }
    }
    async fn delete_group(&self, g: &Group) -> Result<(), StoreError> {
        self.delete_group_with_references(g).await
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
        let mut items = vec![tx::put_new(self.table(), user)?, tx::put_new(self.table(), claim)?];
        for g in &u.groups {
            items.push(claim_group(self.table(), u.tenant_id, *g)?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(r) if failed(&r, 1) => Err(StoreError::Conflict("login taken".into())),
            Err(r) if failed(&r, 0) => Err(StoreError::Conflict("user exists".into())),
            Err(_) => Err(StoreError::MissingGroup),
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
    async fn update_user(&self, before: &User, after: &User) -> Result<(), StoreError> {
        let mut items = vec![put_user(self.table(), before, after)?];
        for g in after.groups.difference(&before.groups) {
            items.push(claim_group(self.table(), after.tenant_id, *g)?);
        }
        match self.write_items(items).await? {
            Ok(()) => Ok(()),
            Err(r) if failed(&r, 0) => Err(self
                .why_not_written(tenant_pk(before.tenant_id), user_sk(before.id), |stored: User| {
                    if stored.login != after.login {
                        StoreError::Conflict(format!("a login cannot change (is {})", stored.login))
                    } else {
                        StoreError::VersionMismatch
                    }
                })
                .await),
            Err(_) => Err(StoreError::MissingGroup),
        }
    }
}

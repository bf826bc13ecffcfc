//! SMTP credentials and API tokens.

use super::{DynamoStore, Item, item_with_keys};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::{ApiToken, SmtpCredential};
use sendas_core::ports::{CredentialStore, Page, PageRequest, TokenStore};
use sendas_core::{CredentialId, StoreError, TenantId, TokenId, UserId};

fn credential_sk(user: UserId, id: CredentialId) -> String {
    format!("CRED#{user}#{id}")
}

/// The token item with its keys (tokens are found by id, listed by tenant on GSI1).
pub(crate) fn token_item(t: &ApiToken) -> Result<Item, StoreError> {
    item_with_keys(
        t,
        &[
            (PK, token_pk(t.id)),
            (SK, TOKEN_SK.into()),
            (GSI1PK, tokens_gsi(t.role.tenant())),
            (GSI1SK, t.id.to_string()),
        ],
    )
}

#[async_trait]
impl CredentialStore for DynamoStore {
    async fn create_credential(&self, c: &SmtpCredential) -> Result<(), StoreError> {
        self.put_new(item_with_keys(c, &[(PK, tenant_pk(c.tenant_id)), (SK, credential_sk(c.user_id, c.id))])?).await
    }

    async fn list_credentials(&self, tenant: TenantId, user: UserId) -> Result<Vec<SmtpCredential>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", super::s(tenant_pk(tenant)))
            .expression_attribute_values(":prefix", super::s(format!("CRED#{user}#")))
            .consistent_read(true);
        self.query_all(query, None, None).await
    }

    async fn delete_credential(&self, tenant: TenantId, user: UserId, id: CredentialId) -> Result<(), StoreError> {
        self.delete_existing(tenant_pk(tenant), credential_sk(user, id)).await
    }
}

#[async_trait]
impl TokenStore for DynamoStore {
    async fn create_token(&self, t: &ApiToken) -> Result<(), StoreError> {
        self.put_new(token_item(t)?).await
    }
    async fn get_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        self.get(token_pk(id), TOKEN_SK).await
    }
    async fn list_tokens(&self, tenant: Option<TenantId>, page: &PageRequest) -> Result<Page<ApiToken>, StoreError> {
        self.query_gsi(tokens_gsi(tenant), page, |t: &ApiToken| (token_pk(t.id), TOKEN_SK.into(), t.id.to_string()))
            .await
    }
    async fn delete_token(&self, id: TokenId) -> Result<(), StoreError> {
        self.delete_existing(token_pk(id), TOKEN_SK.into()).await
    }
}

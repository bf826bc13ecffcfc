//! SMTP credentials and API tokens.

use super::{DynamoStore, Item, failed, item_with_keys, n, tx};
use crate::keys::*;
use async_trait::async_trait;
use sendas_core::model::{ApiToken, SmtpCredential};
use sendas_core::ports::{CredentialStore, Page, PageRequest, TokenStore};
use sendas_core::{CredentialId, StoreError, TenantId, TokenId, UserId};
use std::collections::HashMap;

fn credential_sk(user: UserId, id: CredentialId) -> String {
    format!("CRED#{user}#{id}")
}

/// The counter of a user's credentials (attribute `n`, SK `COUNT`), so the cap holds under races.
/// Its own partition, so that the `me` function may update it and nothing else.
fn credential_count_pk(tenant: TenantId, user: UserId) -> String {
    format!("CREDCOUNT#{tenant}#{user}")
}
const COUNT_SK: &str = "COUNT";

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
    /// One transaction: the user's counter raised on the condition that it is below the cap, and the
    /// credential put new. (Credentials written before the counter existed are not counted.)
    async fn create_credential(&self, c: &SmtpCredential, max_per_user: usize) -> Result<(), StoreError> {
        let item = item_with_keys(c, &[(PK, tenant_pk(c.tenant_id)), (SK, credential_sk(c.user_id, c.id))])?;
        let count = tx::update(
            self.table(),
            credential_count_pk(c.tenant_id, c.user_id),
            COUNT_SK,
            "SET n = if_not_exists(n, :zero) + :one",
            "attribute_not_exists(n) OR n < :max",
            HashMap::from([
                (":zero".to_owned(), n(0)),
                (":one".to_owned(), n(1)),
                (":max".to_owned(), n(max_per_user)),
            ]),
        )?;
        match self.transact(vec![count, tx::put_new(self.table(), item)?]).await? {
            Ok(()) => Ok(()),
            Err(reasons) if failed(&reasons, 0) => Err(StoreError::QuotaExceeded),
            Err(_) => Err(StoreError::Conflict("credential exists".into())),
        }
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

    /// One transaction: the credential deleted (it must exist) and the user's counter lowered.
    async fn delete_credential(&self, tenant: TenantId, user: UserId, id: CredentialId) -> Result<(), StoreError> {
        let exists = ("attribute_exists(PK)", HashMap::new());
        let delete = tx::delete(self.table(), tenant_pk(tenant), credential_sk(user, id), Some(exists))?;
        let count = tx::update(
            self.table(),
            credential_count_pk(tenant, user),
            COUNT_SK,
            "SET n = if_not_exists(n, :one) - :one",
            "attribute_not_exists(n) OR n > :zero",
            HashMap::from([(":zero".to_owned(), n(0)), (":one".to_owned(), n(1))]),
        )?;
        match self.transact(vec![delete, count]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::NotFound),
        }
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

//! API tokens: issue (shown once), authenticate, list, revoke.
//!
//! Token text: `sendas_<32 hex id>_<32 base32 secret>`. The id finds the
//! stored hash in one read; the secret is compared in constant time.

use super::{parse_name, require_admin, require_operator};
use crate::error::{ServiceError, StoreError};
use crate::model::{ApiToken, Role};
use crate::ports::{Page, PageRequest, Store};
use crate::secret::{API_TOKEN_PREFIX, ExposeSecret, SecretHash, SecretString, generate_secret};
use crate::{TenantId, Timestamp, TokenId};

/// A freshly issued token: the stored record and the text, shown once.
#[derive(Debug)]
pub struct IssuedToken {
    /// What is stored.
    pub token: ApiToken,
    /// The bearer token text; never stored.
    pub text: SecretString,
}

/// Builds a token for `role` without storing it.
pub fn mint(role: Role, name: crate::model::Name) -> IssuedToken {
    let id = TokenId::generate();
    let secret = generate_secret();
    let simple = id.to_string().replace('-', "");
    let text = SecretString::from(format!("{API_TOKEN_PREFIX}{simple}_{}", secret.expose_secret()));
    let token = ApiToken {
        id,
        role,
        name,
        hash: SecretHash::of(secret.expose_secret()),
        created_at: Timestamp::now(),
        issued_by: None,
    };
    IssuedToken { token, text }
}

/// Issues a token. The operator issues any role; an admin issues admin and
/// user tokens of its own tenant (for users of that tenant).
pub async fn issue(store: &dyn Store, caller: &Role, role: Role, name: &str) -> Result<IssuedToken, ServiceError> {
    let name = parse_name("name", name)?;
    match role {
        Role::Operator => require_operator(caller)?,
        Role::Admin { tenant_id } => authorize_tenant_token(store, caller, tenant_id).await?,
        Role::User { tenant_id, user_id } => {
            authorize_tenant_token(store, caller, tenant_id).await?;
            store.get_user(tenant_id, user_id).await.map_err(|e| match e {
                StoreError::NotFound => ServiceError::invalid("user_id", "no such user in this tenant"),
                other => other.into(),
            })?;
        }
    }
    let mut issued = mint(role, name);
    issued.token.issued_by = Some(crate::model::Issuer::of(caller));
    store.create_token(&issued.token).await?;
    Ok(issued)
}

async fn authorize_tenant_token(store: &dyn Store, caller: &Role, tenant: TenantId) -> Result<(), ServiceError> {
    if *caller == Role::Operator {
        store.get_tenant(tenant).await?;
        return Ok(());
    }
    require_admin(caller, tenant)
}

/// Revokes a token of `tenant` (`None`: an operator token); a token of
/// another scope answers `NotFound`.
pub async fn revoke_in(
    store: &dyn Store,
    caller: &Role,
    tenant: Option<TenantId>,
    id: TokenId,
) -> Result<(), ServiceError> {
    match tenant {
        None => require_operator(caller)?,
        Some(t) => authorize_tenant_token(store, caller, t).await?,
    }
    let token = store.get_token(id).await?;
    if token.role.tenant() != tenant {
        return Err(ServiceError::NotFound);
    }
    Ok(store.delete_token(id).await?)
}

/// Splits a token text into id and secret; `None` when it is not one.
fn parse_text(text: &str) -> Option<(TokenId, &str)> {
    let rest = text.strip_prefix(API_TOKEN_PREFIX)?;
    let (simple, secret) = rest.split_once('_')?;
    if simple.len() != 32 || !simple.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hyphenated =
        format!("{}-{}-{}-{}-{}", &simple[..8], &simple[8..12], &simple[12..16], &simple[16..20], &simple[20..]);
    Some((TokenId::parse(&hyphenated).ok()?, secret))
}

/// The token record of a presented bearer token (its role, id and issuer). Unknown, revoked
/// and malformed tokens, tokens of a disabled tenant and of a disabled user all answer
/// `Unauthorized`, the same way.
pub async fn authenticate(store: &dyn Store, text: &str) -> Result<ApiToken, ServiceError> {
    let (id, secret) = parse_text(text).ok_or(ServiceError::Unauthorized)?;
    let token = match store.get_token(id).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Err(ServiceError::Unauthorized),
        Err(e) => return Err(e.into()),
    };
    if !token.hash.verify(secret) {
        return Err(ServiceError::Unauthorized);
    }
    let gone = |e: StoreError| match e {
        StoreError::NotFound => ServiceError::Unauthorized,
        other => other.into(),
    };
    if let Some(tenant) = token.role.tenant()
        && !store.get_tenant(tenant).await.map_err(gone)?.enabled
    {
        return Err(ServiceError::Unauthorized);
    }
    if let Role::User { tenant_id, user_id } = token.role
        && !store.get_user(tenant_id, user_id).await.map_err(gone)?.enabled
    {
        return Err(ServiceError::Unauthorized);
    }
    Ok(token)
}

/// Tokens of a tenant (its admin or the operator) or, with `None`, the
/// operator's own tokens.
pub async fn list(
    store: &dyn Store,
    caller: &Role,
    tenant: Option<TenantId>,
    page: &PageRequest,
) -> Result<Page<ApiToken>, ServiceError> {
    match tenant {
        None => require_operator(caller)?,
        Some(t) => authorize_tenant_token(store, caller, t).await?,
    }
    Ok(store.list_tokens(tenant, page).await?)
}

/// Revokes a token the caller could have issued.
pub async fn revoke(store: &dyn Store, caller: &Role, id: TokenId) -> Result<(), ServiceError> {
    let token = store.get_token(id).await?;
    match token.role.tenant() {
        None => require_operator(caller)?,
        Some(t) => authorize_tenant_token(store, caller, t).await?,
    }
    Ok(store.delete_token(id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_text_round_trips_and_garbage_is_refused() {
        let issued = mint(Role::Operator, crate::model::Name::parse("t").expect("name"));
        let text = issued.text.expose_secret();
        assert!(text.starts_with("sendas_"));
        let (id, secret) = parse_text(text).expect("parses");
        assert_eq!(id, issued.token.id);
        assert!(issued.token.hash.verify(secret));
        for bad in ["", "sendas_", "sendas_x_y", "bearer", &text[1..], &text.replace("sendas_", "sendaz_")] {
            assert!(parse_text(bad).is_none_or(|(_, s)| !issued.token.hash.verify(s)), "{bad}");
        }
        assert!(!format!("{issued:?}").contains(text));
    }
}

//! SMTP credentials (app passwords): issue (shown once), list, revoke,
//! and the check SMTP AUTH runs.

use super::{parse_name, require_admin_or_self};
use crate::error::{ServiceError, StoreError};
use crate::model::{Login, Role, SmtpCredential, Tenant, User};
use crate::ports::Store;
use crate::secret::{ExposeSecret, SecretHash, SecretString, generate_secret};
use crate::{CredentialId, TenantId, Timestamp, UserId};

/// Most app passwords one user may hold (keeps AUTH to a bounded number of hash compares).
pub const MAX_CREDENTIALS_PER_USER: usize = 20;

/// A freshly issued app password, shown once.
#[derive(Debug)]
pub struct IssuedCredential {
    /// What is stored.
    pub credential: SmtpCredential,
    /// The app password; never stored.
    pub password: SecretString,
}

/// Issues an app password: the user for itself, or an admin of its tenant.
pub async fn issue(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    user: UserId,
    name: &str,
) -> Result<IssuedCredential, ServiceError> {
    require_admin_or_self(caller, tenant, user)?;
    let name = parse_name("name", name)?;
    store.get_user(tenant, user).await?;
    let password = generate_secret();
    let credential = SmtpCredential {
        tenant_id: tenant,
        user_id: user,
        id: CredentialId::generate(),
        name,
        hash: SecretHash::of(password.expose_secret()),
        created_at: Timestamp::now(),
        issued_by: Some(crate::model::Issuer::of(caller)),
    };
    match store.create_credential(&credential, MAX_CREDENTIALS_PER_USER).await {
        Err(StoreError::QuotaExceeded) => {
            return Err(ServiceError::Conflict(format!(
                "a user holds at most {MAX_CREDENTIALS_PER_USER} app passwords; revoke one first"
            )));
        }
        other => other?,
    }
    Ok(IssuedCredential { credential, password })
}

/// A user's app passwords (names and dates; hashes stay inside).
pub async fn list(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<SmtpCredential>, ServiceError> {
    require_admin_or_self(caller, tenant, user)?;
    store.get_user(tenant, user).await?;
    Ok(store.list_credentials(tenant, user).await?)
}

/// Revokes one app password.
pub async fn revoke(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    user: UserId,
    id: CredentialId,
) -> Result<(), ServiceError> {
    require_admin_or_self(caller, tenant, user)?;
    Ok(store.delete_credential(tenant, user, id).await?)
}

/// Why SMTP AUTH failed. The proxy answers all but `Unavailable` with the
/// same 535, so a caller cannot tell which it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// Unknown login, wrong password, disabled user or tenant.
    Invalid,
    /// The store could not be asked; answer 454 and let the client retry.
    Unavailable(String),
}

/// Checks a login and app password; answers the user and its tenant.
/// Costs 1 login lookup + 1 credential list + 1 tenant read.
pub async fn authenticate(store: &dyn Store, login: &str, password: &str) -> Result<(Tenant, User), AuthFailure> {
    let unavailable = |e: StoreError| match e {
        StoreError::NotFound => AuthFailure::Invalid,
        other => AuthFailure::Unavailable(other.to_string()),
    };
    let Ok(login) = Login::parse(login) else {
        return Err(AuthFailure::Invalid);
    };
    let user = store.find_user_by_login(&login).await.map_err(unavailable)?;
    let credentials = store.list_credentials(user.tenant_id, user.id).await.map_err(unavailable)?;
    // Compare against every credential, so time does not depend on which matched.
    let matched = credentials.iter().fold(false, |acc, c| c.hash.verify(password) | acc);
    if !matched || !user.enabled {
        return Err(AuthFailure::Invalid);
    }
    let tenant = store.get_tenant(user.tenant_id).await.map_err(unavailable)?;
    if !tenant.enabled {
        return Err(AuthFailure::Invalid);
    }
    Ok((tenant, user))
}

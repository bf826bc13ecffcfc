//! Which mailboxes a user may use as From and as Reply-To: the two
//! dropdowns of the API and the SMTP proxy's permission snapshot.
//!
//! Cost: 1 read of the tenant + 1 read of the user + ⌈mailboxes / 500⌉
//! list pages of the tenant's mailboxes (access lists are stored on the
//! mailbox, group membership on the user, so nothing else is read). For a
//! tenant with up to 500 mailboxes that is 3 store requests.

use crate::error::ServiceError;
use crate::model::{Role, Tenant, User};
use crate::policy::{UsableMailboxes, usable_mailboxes};
use crate::ports::Store;
use crate::{TenantId, UserId};

/// Everything the proxy needs to check a user's messages.
#[derive(Debug, Clone)]
pub struct PermissionSnapshot {
    /// The user's tenant.
    pub tenant: Tenant,
    /// The user.
    pub user: User,
    /// The mailboxes the user may use, by use.
    pub usable: UsableMailboxes,
}

/// Loads the snapshot of one user (no role check: for the proxy, which
/// has authenticated the user itself).
pub async fn snapshot(store: &dyn Store, tenant: TenantId, user: UserId) -> Result<PermissionSnapshot, ServiceError> {
    let tenant = store.get_tenant(tenant).await?;
    let user = store.get_user(tenant.id, user).await?;
    let mailboxes = super::mailboxes::all_mailboxes(store, tenant.id).await?;
    let usable = usable_mailboxes(&tenant, &user, &mailboxes);
    Ok(PermissionSnapshot { tenant, user, usable })
}

/// The dropdowns of a user: the user itself or an admin of its tenant.
pub async fn usable_by(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    user: UserId,
) -> Result<UsableMailboxes, ServiceError> {
    super::require_admin_or_self(caller, tenant, user)?;
    Ok(snapshot(store, tenant, user).await?.usable)
}

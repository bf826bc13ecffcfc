//! Which mailboxes a user may use as From and as Reply-To: the two
//! dropdowns of the API and the SMTP proxy's permission snapshot.
//!
//! Cost of [`snapshot`]: 1 read of the tenant + 1 read of the user +
//! ⌈mailboxes / 500⌉ list pages of the tenant's mailboxes + ⌈users / 500⌉
//! list pages of the tenant's users (their names: the display names the
//! user may not write, [`crate::policy::NameGuard`]). Access lists are
//! stored on the mailbox, group membership on the user, so nothing else is
//! read. For a tenant with up to 500 mailboxes and 500 users that is 4
//! store requests. The dropdowns ([`usable_by`]) skip the users: 3. A user
//! in any group costs ⌈groups / 500⌉ list pages of the tenant's groups
//! more (in parallel with the others): a group whose deletion has begun
//! (`Group::deleting`) grants nothing, so only the user's groups that
//! exist and are not being deleted count. Rule 0's facts
//! ([`super::ownership::book`]) load in parallel with the rest: 3 more.

use crate::error::ServiceError;
use crate::model::{Group, Role, Tenant, User};
use crate::policy::{NameGuard, UsableMailboxes, usable_mailboxes};
use crate::ports::Store;
use crate::{GroupId, TenantId, UserId};
use std::collections::BTreeSet;

/// Everything the proxy needs to check a user's messages.
#[derive(Debug, Clone)]
pub struct PermissionSnapshot {
    /// The user's tenant.
    pub tenant: Tenant,
    /// The user, with only the groups that grant (none being deleted).
    pub user: User,
    /// The mailboxes the user may use, by use, and the display names it
    /// may not write (`usable.names`).
    pub usable: UsableMailboxes,
}

/// Loads the snapshot of one user (no role check: for the proxy, which
/// has authenticated the user itself).
pub async fn snapshot(store: &dyn Store, tenant: TenantId, user: UserId) -> Result<PermissionSnapshot, ServiceError> {
    load(store, tenant, user, true).await
}

async fn load(
    store: &dyn Store,
    tenant: TenantId,
    user: UserId,
    names: bool,
) -> Result<PermissionSnapshot, ServiceError> {
    let tenant = store.get_tenant(tenant).await?;
    let mut user = store.get_user(tenant.id, user).await?;
    // The lists go out together: the users only for the names, the groups only for a member of any.
    let users = async { if names { super::directory::all_users(store, tenant.id).await.map(Some) } else { Ok(None) } };
    let groups = async {
        if user.groups.is_empty() { Ok(None) } else { super::directory::all_groups(store, tenant.id).await.map(Some) }
    };
    let (mailboxes, users, groups, book) = futures::join!(
        super::mailboxes::all_mailboxes(store, tenant.id),
        users,
        groups,
        super::ownership::book(store, tenant.id)
    );
    let (mailboxes, book) = (mailboxes?, book?);
    if let Some(groups) = groups? {
        user.groups = granting_groups(&user, &groups);
    }
    let mut usable = usable_mailboxes(&tenant, &user, &mailboxes, &book);
    if let Some(users) = users? {
        usable.names = NameGuard::new(&user, &users, &mailboxes, &usable);
    }
    Ok(PermissionSnapshot { tenant, user, usable })
}

/// The user's groups that grant: those that exist and whose deletion has not begun.
fn granting_groups(user: &User, groups: &[Group]) -> BTreeSet<GroupId> {
    groups.iter().filter(|g| !g.deleting && user.groups.contains(&g.id)).map(|g| g.id).collect()
}

/// The dropdowns of a user: the user itself or an admin of its tenant
/// (without the display names: `usable.names` stays empty).
pub async fn usable_by(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    user: UserId,
) -> Result<UsableMailboxes, ServiceError> {
    super::require_admin_or_self(caller, tenant, user)?;
    Ok(load(store, tenant, user, false).await?.usable)
}

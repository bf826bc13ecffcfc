//! Companies, users, groups and group membership of a tenant (admin only;
//! a user may read itself).

use super::edit::{IfMatch, retry_raced};
use super::{parse_name, require_admin, require_admin_or_self};
use crate::error::{ServiceError, StoreError};
use crate::model::{Company, Group, Login, Role, SendingLimits, User};
use crate::ports::{Page, PageRequest, Store};
use crate::{CompanyId, GroupId, TenantId, Timestamp, UserId};
use std::collections::BTreeSet;

/// Creates a company.
pub async fn create_company(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    name: &str,
) -> Result<Company, ServiceError> {
    require_admin(caller, tenant)?;
    let company = Company {
        tenant_id: tenant,
        id: CompanyId::generate(),
        name: parse_name("name", name)?,
        created_at: Timestamp::now(),
    };
    store.create_company(&company).await?;
    Ok(company)
}

/// Renames a company.
pub async fn rename_company(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: CompanyId,
    name: &str,
) -> Result<Company, ServiceError> {
    require_admin(caller, tenant)?;
    let mut company = store.get_company(tenant, id).await?;
    company.name = parse_name("name", name)?;
    store.update_company(&company).await?;
    Ok(company)
}

/// Lists companies (admins and users of the tenant).
pub async fn list_companies(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    page: &PageRequest,
) -> Result<Page<Company>, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.list_companies(tenant, page).await?)
}

/// One company.
pub async fn get_company(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: CompanyId,
) -> Result<Company, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.get_company(tenant, id).await?)
}

/// Maps a missing referenced item to a validation error on `field`.
fn missing_as_invalid(field: &'static str, what: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::NotFound => ServiceError::invalid(field, format!("no such {what} in this tenant")),
        other => other.into(),
    }
}

async fn check_companies(store: &dyn Store, tenant: TenantId, ids: &BTreeSet<CompanyId>) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Err(ServiceError::invalid("companies", "a user needs at least one company"));
    }
    for id in ids {
        store.get_company(tenant, *id).await.map_err(missing_as_invalid("companies", "company"))?;
    }
    Ok(())
}

/// The most groups one user may be in, and one access list may name: the
/// stores check every group a write adds inside the write itself (one
/// DynamoDB transaction holds at most 100 items).
pub const MAX_GROUPS: usize = 64;

/// Checks that the groups exist (and are not too many).
pub(crate) async fn check_groups(
    store: &dyn Store,
    tenant: TenantId,
    ids: &BTreeSet<GroupId>,
) -> Result<(), ServiceError> {
    if ids.len() > MAX_GROUPS {
        return Err(ServiceError::invalid("groups", format!("at most {MAX_GROUPS} groups")));
    }
    for id in ids {
        store.get_group(tenant, *id).await.map_err(missing_as_invalid("groups", "group"))?;
    }
    Ok(())
}

/// What an admin supplies to create a user.
#[derive(Debug, Clone)]
pub struct CreateUser {
    /// Platform-unique login (the SMTP username).
    pub login: String,
    /// Display name.
    pub name: String,
    /// Companies (at least one).
    pub companies: BTreeSet<CompanyId>,
    /// Groups.
    pub groups: BTreeSet<GroupId>,
    /// Its own sending limits (within the tenant's user ceiling).
    pub limits: SendingLimits,
}

/// Refuses user limits above the tenant's user ceiling (reads the tenant only when limits are set).
async fn check_user_limits(store: &dyn Store, tenant: TenantId, limits: &SendingLimits) -> Result<(), ServiceError> {
    if limits.is_none() {
        return Ok(());
    }
    let ceiling = store.get_tenant(tenant).await?.limits.user_ceiling;
    limits.within(&ceiling, "limits").map_err(|e| ServiceError::invalid(e.field, e.reason))
}

/// Creates a user; `Conflict` when the login is taken anywhere on the platform.
pub async fn create_user(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    input: CreateUser,
) -> Result<User, ServiceError> {
    require_admin(caller, tenant)?;
    let login = Login::parse(&input.login).map_err(|e| ServiceError::invalid("login", e.to_string()))?;
    let name = parse_name("name", &input.name)?;
    check_companies(store, tenant, &input.companies).await?;
    check_groups(store, tenant, &input.groups).await?;
    check_user_limits(store, tenant, &input.limits).await?;
    let user = User {
        limits: input.limits,
        tenant_id: tenant,
        id: UserId::generate(),
        login,
        name,
        companies: input.companies,
        groups: input.groups,
        enabled: true,
        created_at: Timestamp::now(),
        version: 1,
    };
    store.create_user(&user).await?;
    Ok(user)
}

/// One user: an admin of its tenant or the user itself.
pub async fn get_user(store: &dyn Store, caller: &Role, tenant: TenantId, id: UserId) -> Result<User, ServiceError> {
    require_admin_or_self(caller, tenant, id)?;
    Ok(store.get_user(tenant, id).await?)
}

/// Lists users.
pub async fn list_users(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    page: &PageRequest,
) -> Result<Page<User>, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.list_users(tenant, page).await?)
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    /// New display name.
    pub name: Option<String>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// Replace the companies.
    pub companies: Option<BTreeSet<CompanyId>>,
    /// Replace the groups.
    pub groups: Option<BTreeSet<GroupId>>,
    /// Replace its sending limits.
    pub limits: Option<SendingLimits>,
}

/// Updates a user (admin only). The login never changes. Fields left
/// `None` keep what is stored when the write happens (a concurrent edit of
/// another field is never lost); `if_match` pins the version edited.
pub async fn update_user(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: UserId,
    change: UpdateUser,
    if_match: &IfMatch,
) -> Result<User, ServiceError> {
    require_admin(caller, tenant)?;
    let name = change.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
    if let Some(companies) = &change.companies {
        check_companies(store, tenant, companies).await?;
    }
    if let Some(groups) = &change.groups {
        check_groups(store, tenant, groups).await?;
    }
    if let Some(limits) = &change.limits {
        check_user_limits(store, tenant, limits).await?;
    }
    retry_raced(if_match, || async {
        let before = store.get_user(tenant, id).await?;
        if_match.check(before.version)?;
        let mut after = before.clone();
        if let Some(name) = &name {
            after.name = name.clone();
        }
        if let Some(enabled) = change.enabled {
            after.enabled = enabled;
        }
        if let Some(companies) = &change.companies {
            after.companies = companies.clone();
        }
        if let Some(groups) = &change.groups {
            after.groups = groups.clone();
        }
        if let Some(limits) = change.limits {
            after.limits = limits;
        }
        write_user(store, &before, after).await
    })
    .await
}

/// Writes `after` over `before` as the next version (unchanged: no write).
async fn write_user(store: &dyn Store, before: &User, mut after: User) -> Result<User, ServiceError> {
    if after == *before {
        return Ok(after);
    }
    after.version = before.version + 1;
    store.update_user(before, &after).await?;
    Ok(after)
}

/// Creates a group.
pub async fn create_group(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    name: &str,
) -> Result<Group, ServiceError> {
    require_admin(caller, tenant)?;
    let group = Group {
        tenant_id: tenant,
        id: GroupId::generate(),
        name: parse_name("name", name)?,
        created_at: Timestamp::now(),
        version: 1,
        deleting: false,
    };
    store.create_group(&group).await?;
    Ok(group)
}

/// One group.
pub async fn get_group(store: &dyn Store, caller: &Role, tenant: TenantId, id: GroupId) -> Result<Group, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.get_group(tenant, id).await?)
}

/// Renames a group; `if_match` pins the version renamed.
pub async fn rename_group(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: GroupId,
    name: &str,
    if_match: &IfMatch,
) -> Result<Group, ServiceError> {
    require_admin(caller, tenant)?;
    let name = parse_name("name", name)?;
    retry_raced(if_match, || async {
        let before = store.get_group(tenant, id).await?;
        if_match.check(before.version)?;
        if before.name == name {
            return Ok(before);
        }
        let after = Group { name: name.clone(), version: before.version + 1, ..before.clone() };
        store.update_group(&before, &after).await?;
        Ok(after)
    })
    .await
}

/// Lists groups.
pub async fn list_groups(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    page: &PageRequest,
) -> Result<Page<Group>, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.list_groups(tenant, page).await?)
}

/// Every user of the tenant, read page by page.
pub async fn all_users(store: &dyn Store, tenant: TenantId) -> Result<Vec<User>, StoreError> {
    crate::ports::read_all(|page| async move { store.list_users(tenant, &page).await }).await
}

/// Every group of the tenant, read page by page.
pub async fn all_groups(store: &dyn Store, tenant: TenantId) -> Result<Vec<Group>, StoreError> {
    crate::ports::read_all(|page| async move { store.list_groups(tenant, &page).await }).await
}

/// The members of a group.
pub async fn group_members(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: GroupId,
) -> Result<Vec<User>, ServiceError> {
    require_admin(caller, tenant)?;
    store.get_group(tenant, id).await?;
    Ok(all_users(store, tenant).await?.into_iter().filter(|u| u.groups.contains(&id)).collect())
}

/// Adds (`member = true`) or removes a user from a group. Adding checks
/// the group in the same atomic write, so a user never joins a group that
/// a concurrent deletion removed.
pub async fn set_membership(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    group: GroupId,
    user: UserId,
    member: bool,
) -> Result<User, ServiceError> {
    require_admin(caller, tenant)?;
    store.get_group(tenant, group).await?;
    retry_raced(&IfMatch::Any, || async {
        let before = store.get_user(tenant, user).await?;
        let mut after = before.clone();
        if member {
            after.groups.insert(group);
            if after.groups.len() > MAX_GROUPS {
                return Err(ServiceError::invalid("groups", format!("at most {MAX_GROUPS} groups")));
            }
        } else {
            after.groups.remove(&group);
        }
        write_user(store, &before, after).await.map_err(|e| match e {
            // The group went away between the check above and the write.
            ServiceError::Validation { field: "groups", .. } => ServiceError::NotFound,
            other => other,
        })
    })
    .await
}

/// Deletes a group and removes it from its members and from mailbox access
/// lists in one atomic step; `if_match` pins the group's version.
pub async fn delete_group(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: GroupId,
    if_match: &IfMatch,
) -> Result<(), ServiceError> {
    require_admin(caller, tenant)?;
    retry_raced(if_match, || async {
        let group = store.get_group(tenant, id).await?;
        if_match.check(group.version)?;
        Ok(store.delete_group(&group).await?)
    })
    .await
}

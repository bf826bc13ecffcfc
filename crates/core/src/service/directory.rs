//! Companies, users, groups and group membership of a tenant (admin only;
//! a user may read itself).

use super::{parse_name, require_admin, require_admin_or_self};
use crate::error::{ServiceError, StoreError};
use crate::model::{Company, Group, Login, Role, User};
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

async fn check_groups(store: &dyn Store, tenant: TenantId, ids: &BTreeSet<GroupId>) -> Result<(), ServiceError> {
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
    let user = User {
        tenant_id: tenant,
        id: UserId::generate(),
        login,
        name,
        companies: input.companies,
        groups: input.groups,
        enabled: true,
        created_at: Timestamp::now(),
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
}

/// Updates a user (admin only). The login never changes.
pub async fn update_user(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: UserId,
    change: UpdateUser,
) -> Result<User, ServiceError> {
    require_admin(caller, tenant)?;
    let mut user = store.get_user(tenant, id).await?;
    if let Some(name) = change.name {
        user.name = parse_name("name", &name)?;
    }
    if let Some(enabled) = change.enabled {
        user.enabled = enabled;
    }
    if let Some(companies) = change.companies {
        check_companies(store, tenant, &companies).await?;
        user.companies = companies;
    }
    if let Some(groups) = change.groups {
        check_groups(store, tenant, &groups).await?;
        user.groups = groups;
    }
    store.update_user(&user).await?;
    Ok(user)
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
    };
    store.create_group(&group).await?;
    Ok(group)
}

/// One group.
pub async fn get_group(store: &dyn Store, caller: &Role, tenant: TenantId, id: GroupId) -> Result<Group, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.get_group(tenant, id).await?)
}

/// Renames a group.
pub async fn rename_group(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: GroupId,
    name: &str,
) -> Result<Group, ServiceError> {
    require_admin(caller, tenant)?;
    let mut group = store.get_group(tenant, id).await?;
    group.name = parse_name("name", name)?;
    store.update_group(&group).await?;
    Ok(group)
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

/// Adds (`member = true`) or removes a user from a group.
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
    let mut u = store.get_user(tenant, user).await?;
    let changed = if member { u.groups.insert(group) } else { u.groups.remove(&group) };
    if changed {
        store.update_user(&u).await?;
    }
    Ok(u)
}

/// Deletes a group and removes it from its members and from mailbox access lists.
pub async fn delete_group(store: &dyn Store, caller: &Role, tenant: TenantId, id: GroupId) -> Result<(), ServiceError> {
    require_admin(caller, tenant)?;
    store.get_group(tenant, id).await?;
    for mut user in all_users(store, tenant).await? {
        if user.groups.remove(&id) {
            store.update_user(&user).await?;
        }
    }
    for mut mailbox in super::mailboxes::all_mailboxes(store, tenant).await? {
        if mailbox.access.groups.remove(&id) {
            store.update_mailbox(&mailbox).await?;
        }
    }
    Ok(store.delete_group(tenant, id).await?)
}

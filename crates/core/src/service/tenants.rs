//! Tenants: created by the operator with their first company, system
//! mailbox and admin token; the operator alone enables, disables and sets
//! the mailbox quota.

use super::tokens::{IssuedToken, mint};
use super::{parse_name, require_operator};
use crate::error::ServiceError;
use crate::model::{
    AccessList, Company, DEFAULT_MAILBOX_QUOTA, Mailbox, MailboxFlags, MailboxScope, Role, Tenant, TenantLimits,
};
use crate::ports::{NewTenant, Page, PageRequest, Store};
use crate::{CompanyId, EmailAddress, MailboxId, TenantId, Timestamp};

/// What the operator supplies to create a tenant.
#[derive(Debug, Clone)]
pub struct CreateTenant {
    /// Tenant name.
    pub name: String,
    /// Name of its first company (defaults to the tenant name).
    pub company_name: Option<String>,
    /// Address of its system mailbox.
    pub system_address: String,
    /// Mailboxes beyond the system mailbox (default 1).
    pub mailbox_quota: Option<u32>,
    /// Domains the operator assigns it in the same step (`assigned`).
    pub domains: Vec<String>,
}

/// A created tenant, with the first admin token shown once.
#[derive(Debug)]
pub struct CreatedTenant {
    /// The tenant.
    pub tenant: Tenant,
    /// Its first company.
    pub company: Company,
    /// Its system mailbox.
    pub system_mailbox: Mailbox,
    /// Its first admin token.
    pub admin_token: IssuedToken,
}

/// Creates a tenant (operator only).
pub async fn create(store: &dyn Store, caller: &Role, input: CreateTenant) -> Result<CreatedTenant, ServiceError> {
    require_operator(caller)?;
    let name = parse_name("name", &input.name)?;
    let company_name = parse_name("company_name", input.company_name.as_deref().unwrap_or(&input.name))?;
    let address = EmailAddress::parse(&input.system_address)
        .map_err(|e| ServiceError::invalid("system_address", e.to_string()))?;
    let now = Timestamp::now();
    let platform = store.get_platform_domains().await?;
    let tenant_id = TenantId::generate();
    let mut domains = Vec::new();
    for d in &input.domains {
        let name = super::domains::parse_claimable(d, &platform)
            .map_err(|e| ServiceError::invalid("domains", e.to_string()))?;
        if domains.iter().all(|x: &crate::model::SendingDomain| x.name != name) {
            domains.push(super::domains::assigned(tenant_id, name, now)?);
        }
    }
    check_system_address(&address, &platform, domains.iter().map(|d| &d.name))?;
    let tenant = Tenant {
        limits: Default::default(),
        id: tenant_id,
        name: name.clone(),
        enabled: true,
        mailbox_quota: input.mailbox_quota.unwrap_or(DEFAULT_MAILBOX_QUOTA),
        created_at: now,
        allow_executable_attachments: false,
    };
    let company = Company { tenant_id: tenant.id, id: CompanyId::generate(), name: company_name, created_at: now };
    let system_mailbox = Mailbox {
        display_name_policy: Default::default(),
        limits: Default::default(),
        tenant_id: tenant.id,
        id: MailboxId::generate(),
        address,
        display_name: name.clone(),
        scope: MailboxScope::Global,
        flags: MailboxFlags { sender: true, reply: true, restricted: false, enabled: true },
        smtp: None,
        access: AccessList::default(),
        system: true,
        created_at: now,
        version: 1,
    };
    let token_name = parse_name("name", "first admin token")?;
    let mut admin_token = mint(Role::Admin { tenant_id: tenant.id }, token_name);
    admin_token.token.issued_by = Some(crate::model::Issuer::Operator);
    let new = NewTenant {
        tenant: tenant.clone(),
        company: company.clone(),
        system_mailbox: system_mailbox.clone(),
        admin_token: admin_token.token.clone(),
        domains,
    };
    store.create_tenant(&new).await?;
    Ok(CreatedTenant { tenant, company, system_mailbox, admin_token })
}

/// A system mailbox's address must be in a platform domain or in a
/// domain of its tenant (SPEC §1: the operator's to set).
pub fn check_system_address<'a>(
    address: &EmailAddress,
    platform: &crate::model::PlatformDomains,
    tenant_domains: impl IntoIterator<Item = &'a crate::DomainName>,
) -> Result<(), ServiceError> {
    let domain = address.domain_name();
    if platform.covers(&domain) || tenant_domains.into_iter().any(|d| *d == domain) {
        return Ok(());
    }
    Err(ServiceError::invalid(
        "system_address",
        "must be in a platform domain or in a domain assigned to this tenant (`domains`)",
    ))
}

/// One tenant: the operator or an admin of that tenant.
pub async fn get(store: &dyn Store, caller: &Role, id: TenantId) -> Result<Tenant, ServiceError> {
    super::require_operator_or_admin(caller, id)?;
    Ok(store.get_tenant(id).await?)
}

/// All tenants (operator only).
pub async fn list(store: &dyn Store, caller: &Role, page: &PageRequest) -> Result<Page<Tenant>, ServiceError> {
    require_operator(caller)?;
    Ok(store.list_tenants(page).await?)
}

/// What the operator changes on a tenant; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantChange {
    /// A new name.
    pub name: Option<String>,
    /// Enable or disable (a disabled tenant can neither sign in nor send).
    pub enabled: Option<bool>,
    /// The mailbox quota (an admin cannot raise its own).
    pub mailbox_quota: Option<u32>,
    /// Whether HTTP send may attach executable files.
    pub allow_executable_attachments: Option<bool>,
    /// The sending limits, ceilings and defaults (replaced whole).
    pub limits: Option<TenantLimits>,
}

/// Changes a tenant (operator only): every field is checked before the one write.
pub async fn change(store: &dyn Store, caller: &Role, id: TenantId, c: TenantChange) -> Result<Tenant, ServiceError> {
    super::require_operator_for(caller, id)?;
    let name = c.name.as_deref().map(|n| parse_name("name", n)).transpose()?;
    if c.mailbox_quota.is_some_and(|q| q > 100_000) {
        return Err(ServiceError::invalid("mailbox_quota", "at most 100000"));
    }
    if let Some(limits) = &c.limits {
        limits.validate().map_err(|e| ServiceError::invalid(e.field, e.reason))?;
    }
    let mut tenant = store.get_tenant(id).await?;
    let before = tenant.clone();
    if let Some(name) = name {
        tenant.name = name;
    }
    tenant.enabled = c.enabled.unwrap_or(tenant.enabled);
    tenant.mailbox_quota = c.mailbox_quota.unwrap_or(tenant.mailbox_quota);
    tenant.allow_executable_attachments = c.allow_executable_attachments.unwrap_or(tenant.allow_executable_attachments);
    tenant.limits = c.limits.unwrap_or(tenant.limits);
    if tenant != before {
        store.update_tenant(&tenant).await?;
    }
    Ok(tenant)
}

/// Sets the mailbox quota (operator only: an admin cannot raise its own).
pub async fn set_quota(store: &dyn Store, caller: &Role, id: TenantId, quota: u32) -> Result<Tenant, ServiceError> {
    change(store, caller, id, TenantChange { mailbox_quota: Some(quota), ..Default::default() }).await
}

/// Sets a tenant's sending limits, ceilings and defaults (operator only).
pub async fn set_limits(
    store: &dyn Store,
    caller: &Role,
    id: TenantId,
    limits: TenantLimits,
) -> Result<Tenant, ServiceError> {
    change(store, caller, id, TenantChange { limits: Some(limits), ..Default::default() }).await
}

/// Enables or disables a tenant (operator only).
pub async fn set_enabled(
    store: &dyn Store,
    caller: &Role,
    id: TenantId,
    enabled: bool,
) -> Result<Tenant, ServiceError> {
    change(store, caller, id, TenantChange { enabled: Some(enabled), ..Default::default() }).await
}

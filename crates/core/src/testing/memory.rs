//! `MemoryStore`: every aggregate in maps behind one mutex. One lock makes
//! every operation atomic, which is what the contract asks of the quota
//! and uniqueness checks.

use crate::error::StoreError;
use crate::model::{
    AddressConfirmation, ApiToken, AuditFilter, AuditRecord, Company, Group, IdempotencyClaim, IdempotencyRecord,
    Login, Mailbox, MailboxHealth, PlatformDomains, SendingDomain, SmtpCredential, SystemRelay, Template, Tenant, User,
};
use crate::ports::{
    AuditStore, CompanyStore, ConfirmationStore, CredentialStore, DomainStore, GroupStore, IdempotencyStore,
    MailboxStore, NewTenant, Page, PageRequest, SettingsStore, TemplateStore, TenantStore, TokenStore, UserStore,
};
use crate::{
    CompanyId, CredentialId, DomainId, DomainName, EmailAddress, GroupId, MailboxId, TemplateId, TenantId, Timestamp,
    TokenId, UserId,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct Data {
    tenants: BTreeMap<TenantId, Tenant>,
    companies: BTreeMap<(TenantId, CompanyId), Company>,
    users: BTreeMap<(TenantId, UserId), User>,
    logins: BTreeMap<Login, (TenantId, UserId)>,
    groups: BTreeMap<(TenantId, GroupId), Group>,
    mailboxes: BTreeMap<(TenantId, MailboxId), Mailbox>,
    addresses: BTreeMap<(TenantId, EmailAddress), MailboxId>,
    credentials: BTreeMap<(TenantId, UserId, CredentialId), SmtpCredential>,
    tokens: BTreeMap<TokenId, ApiToken>,
    audit: BTreeMap<(TenantId, Timestamp, crate::AuditId), AuditRecord>,
    system_relay: Option<SystemRelay>,
    health: BTreeMap<(TenantId, MailboxId), MailboxHealth>,
    templates: BTreeMap<(TenantId, TemplateId), Template>,
    idempotency: BTreeMap<(TenantId, UserId, String), IdempotencyRecord>,
    domains: BTreeMap<(TenantId, DomainId), SendingDomain>,
    domain_claims: BTreeMap<DomainName, (TenantId, DomainId)>,
    system_addresses: BTreeMap<EmailAddress, TenantId>,
    confirmations: BTreeMap<(TenantId, EmailAddress), AddressConfirmation>,
    platform_domains: PlatformDomains,
}

/// An in-memory `Store`. It counts the requests made to it (every trait
/// method is one request), so tests can check what a use-case costs.
#[derive(Default)]
pub struct MemoryStore {
    data: Mutex<Data>,
    requests: AtomicU64,
    audit_refused: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many store requests were made so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Makes audit writes fail with `Unavailable` (`true`) or succeed again.
    pub fn fail_writes(&self, fail: bool) {
        self.audit_refused.store(fail, Ordering::Relaxed);
    }

    fn audit_refusal(&self) -> Result<(), StoreError> {
        match self.audit_refused.load(Ordering::Relaxed) {
            true => Err(StoreError::Unavailable("audit writes refused (test)".into())),
            false => Ok(()),
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A page of a tenant's items from a map keyed `(tenant, id)`.
fn page_of<I: Ord + Copy + std::fmt::Display, T: Clone>(
    map: &BTreeMap<(TenantId, I), T>,
    tenant: TenantId,
    page: &PageRequest,
) -> Page<T> {
    let items: Vec<(String, T)> = map
        .iter()
        .filter(|((t, _), _)| *t == tenant)
        .map(|((_, id), v)| (id.to_string(), v.clone()))
        .filter(|(id, _)| page.after.as_ref().is_none_or(|a| id > a))
        .take(page.limit() as usize + 1)
        .collect();
    let p = Page::from_overfetch(items, page.limit(), |(id, _)| id.clone());
    Page { items: p.items.into_iter().map(|(_, v)| v).collect(), next: p.next }
}

fn found<T: Clone>(v: Option<&T>) -> Result<T, StoreError> {
    v.cloned().ok_or(StoreError::NotFound)
}

#[async_trait]
impl TenantStore for MemoryStore {
    async fn create_tenant(&self, new: &NewTenant) -> Result<(), StoreError> {
        let mut d = self.data();
        let t = new.tenant.id;
        if d.tenants.contains_key(&t) || d.tokens.contains_key(&new.admin_token.id) {
            return Err(StoreError::Conflict("tenant exists".into()));
        }
        if d.system_addresses.contains_key(&new.system_mailbox.address) {
            return Err(StoreError::Conflict("another tenant's system mailbox has this address".into()));
        }
        if new.domains.iter().any(|x| d.domain_claims.contains_key(&x.name)) {
            return Err(StoreError::Conflict(crate::error::DOMAIN_CLAIMED.into()));
        }
        for x in &new.domains {
            d.domain_claims.insert(x.name.clone(), (t, x.id));
            d.domains.insert((t, x.id), x.clone());
        }
        d.system_addresses.insert(new.system_mailbox.address.clone(), t);
        d.tenants.insert(t, new.tenant.clone());
        d.companies.insert((t, new.company.id), new.company.clone());
        d.mailboxes.insert((t, new.system_mailbox.id), new.system_mailbox.clone());
        d.addresses.insert((t, new.system_mailbox.address.clone()), new.system_mailbox.id);
        d.tokens.insert(new.admin_token.id, new.admin_token.clone());
        Ok(())
    }
    async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError> {
        found(self.data().tenants.get(&id))
    }
    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let d = self.data();
        let items: Vec<Tenant> = d
            .tenants
            .values()
            .filter(|t| page.after.as_ref().is_none_or(|a| t.id.to_string() > *a))
            .take(page.limit() as usize + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit(), |t| t.id.to_string()))
    }
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut d = self.data();
        let slot = d.tenants.get_mut(&tenant.id).ok_or(StoreError::NotFound)?;
        *slot = tenant.clone();
        Ok(())
    }
}

#[async_trait]
impl CompanyStore for MemoryStore {
    async fn create_company(&self, c: &Company) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.companies.contains_key(&(c.tenant_id, c.id)) {
            return Err(StoreError::Conflict("company exists".into()));
        }
        d.companies.insert((c.tenant_id, c.id), c.clone());
        Ok(())
    }
    async fn get_company(&self, tenant: TenantId, id: CompanyId) -> Result<Company, StoreError> {
        found(self.data().companies.get(&(tenant, id)))
    }
    async fn list_companies(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Company>, StoreError> {
        Ok(page_of(&self.data().companies, tenant, page))
    }
    async fn update_company(&self, c: &Company) -> Result<(), StoreError> {
        let mut d = self.data();
        let slot = d.companies.get_mut(&(c.tenant_id, c.id)).ok_or(StoreError::NotFound)?;
        *slot = c.clone();
        Ok(())
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, u: &User) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.users.contains_key(&(u.tenant_id, u.id)) || d.logins.contains_key(&u.login) {
            return Err(StoreError::Conflict("login taken".into()));
        }
        if u.groups.iter().any(|g| !d.groups.contains_key(&(u.tenant_id, *g))) {
            return Err(StoreError::MissingGroup);
        }
        d.logins.insert(u.login.clone(), (u.tenant_id, u.id));
        d.users.insert((u.tenant_id, u.id), u.clone());
        Ok(())
    }
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError> {
        found(self.data().users.get(&(tenant, id)))
    }
    async fn find_user_by_login(&self, login: &Login) -> Result<User, StoreError> {
        let d = self.data();
        let key = d.logins.get(login).ok_or(StoreError::NotFound)?;
        found(d.users.get(key))
    }
    async fn list_users(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<User>, StoreError> {
        Ok(page_of(&self.data().users, tenant, page))
    }
    async fn update_user(&self, before: &User, after: &User) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (before.tenant_id, before.id);
        let stored = d.users.get(&key).ok_or(StoreError::NotFound)?;
        if stored.login != after.login {
            return Err(StoreError::Conflict("a login cannot change".into()));
        }
        if stored.version != before.version {
            return Err(StoreError::VersionMismatch);
        }
        let t = before.tenant_id;
        if after.groups.difference(&before.groups).any(|g| !d.groups.contains_key(&(t, *g))) {
            return Err(StoreError::MissingGroup);
        }
        d.users.insert(key, after.clone());
        Ok(())
    }
}

#[async_trait]
impl GroupStore for MemoryStore {
    async fn create_group(&self, g: &Group) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.groups.contains_key(&(g.tenant_id, g.id)) {
            return Err(StoreError::Conflict("group exists".into()));
        }
        d.groups.insert((g.tenant_id, g.id), g.clone());
        Ok(())
    }
    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<Group, StoreError> {
        found(self.data().groups.get(&(tenant, id)))
    }
    async fn list_groups(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Group>, StoreError> {
        Ok(page_of(&self.data().groups, tenant, page))
    }
    async fn update_group(&self, before: &Group, after: &Group) -> Result<(), StoreError> {
        let mut d = self.data();
        let slot = d.groups.get_mut(&(before.tenant_id, before.id)).ok_or(StoreError::NotFound)?;
        if slot.version != before.version {
            return Err(StoreError::VersionMismatch);
        }
        *slot = after.clone();
        Ok(())
    }
    async fn delete_group(&self, g: &Group) -> Result<(), StoreError> {
        let mut d = self.data();
        let (t, id) = (g.tenant_id, g.id);
        let stored = d.groups.get(&(t, id)).ok_or(StoreError::NotFound)?;
        if stored.version != g.version {
            return Err(StoreError::VersionMismatch);
        }
        d.groups.remove(&(t, id));
        for ((_, _), u) in d.users.iter_mut().filter(|((ut, _), u)| *ut == t && u.groups.contains(&id)) {
            u.groups.remove(&id);
            u.version += 1;
        }
        for ((_, _), m) in d.mailboxes.iter_mut().filter(|((mt, _), m)| *mt == t && m.access.groups.contains(&id)) {
            m.access.groups.remove(&id);
            m.version += 1;
        }
        Ok(())
    }
}

#[async_trait]
impl MailboxStore for MemoryStore {
    async fn create_mailbox(&self, m: &Mailbox) -> Result<(), StoreError> {
        let mut d = self.data();
        let t = m.tenant_id;
        let quota = d.tenants.get(&t).ok_or(StoreError::NotFound)?.mailbox_quota as usize;
        if d.mailboxes.contains_key(&(t, m.id)) || d.addresses.contains_key(&(t, m.address.clone())) {
            return Err(StoreError::Conflict("address taken".into()));
        }
        let used = d.mailboxes.iter().filter(|((tt, _), mb)| *tt == t && !mb.system).count();
        if !m.system && used >= quota {
            return Err(StoreError::QuotaExceeded);
        }
        d.addresses.insert((t, m.address.clone()), m.id);
        d.mailboxes.insert((t, m.id), m.clone());
        Ok(())
    }
    async fn get_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<Mailbox, StoreError> {
        found(self.data().mailboxes.get(&(tenant, id)))
    }
    async fn find_mailbox_by_address(&self, tenant: TenantId, address: &EmailAddress) -> Result<Mailbox, StoreError> {
        let d = self.data();
        let id = d.addresses.get(&(tenant, address.clone())).ok_or(StoreError::NotFound)?;
        found(d.mailboxes.get(&(tenant, *id)))
    }
    async fn list_mailboxes(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Mailbox>, StoreError> {
        Ok(page_of(&self.data().mailboxes, tenant, page))
    }
    async fn update_mailbox(&self, before: &Mailbox, m: &Mailbox) -> Result<(), StoreError> {
        let mut d = self.data();
        let (t, key) = (m.tenant_id, (m.tenant_id, m.id));
        let stored = d.mailboxes.get(&key).ok_or(StoreError::NotFound)?;
        if stored.version != before.version {
            return Err(StoreError::VersionMismatch);
        }
        let old = stored.address.clone();
        if m.access.groups.difference(&before.access.groups).any(|g| !d.groups.contains_key(&(t, *g))) {
            return Err(StoreError::MissingGroup);
        }
        if old != m.address {
            if d.addresses.contains_key(&(t, m.address.clone())) {
                return Err(StoreError::Conflict("address taken".into()));
            }
            if m.system {
                if d.system_addresses.contains_key(&m.address) {
                    return Err(StoreError::Conflict("another tenant's system mailbox has this address".into()));
                }
                d.system_addresses.remove(&old);
                d.system_addresses.insert(m.address.clone(), t);
            }
            d.addresses.remove(&(t, old));
            d.addresses.insert((t, m.address.clone()), m.id);
        }
        d.mailboxes.insert(key, m.clone());
        Ok(())
    }
    async fn delete_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<(), StoreError> {
        let mut d = self.data();
        let m = d.mailboxes.remove(&(tenant, id)).ok_or(StoreError::NotFound)?;
        if m.system {
            d.system_addresses.remove(&m.address);
        }
        d.addresses.remove(&(tenant, m.address));
        d.health.remove(&(tenant, id));
        Ok(())
    }
    async fn put_mailbox_health(&self, h: &MailboxHealth) -> Result<(), StoreError> {
        self.data().health.insert((h.tenant_id, h.mailbox_id), h.clone());
        Ok(())
    }
    async fn list_mailbox_health(&self, tenant: TenantId) -> Result<Vec<MailboxHealth>, StoreError> {
        Ok(self.data().health.iter().filter(|((t, _), _)| *t == tenant).map(|(_, h)| h.clone()).collect())
    }
}

#[async_trait]
impl DomainStore for MemoryStore {
    async fn create_domain(&self, x: &SendingDomain) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (x.tenant_id, x.id);
        if d.domains.contains_key(&key) || d.domains.values().any(|o| o.tenant_id == x.tenant_id && o.name == x.name) {
            return Err(StoreError::Conflict("this tenant claims the domain already".into()));
        }
        if x.state.holds() {
            if d.domain_claims.contains_key(&x.name) {
                return Err(StoreError::Conflict(crate::error::DOMAIN_CLAIMED.into()));
            }
            d.domain_claims.insert(x.name.clone(), key);
        }
        d.domains.insert(key, x.clone());
        Ok(())
    }
    async fn get_domain(&self, tenant: TenantId, id: DomainId) -> Result<SendingDomain, StoreError> {
        found(self.data().domains.get(&(tenant, id)))
    }
    async fn list_domains(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError> {
        Ok(page_of(&self.data().domains, tenant, page))
    }
    async fn list_all_domains(&self, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError> {
        let d = self.data();
        let items: Vec<(String, SendingDomain)> = d
            .domains
            .iter()
            .map(|((t, id), v)| (format!("{t}/{id}"), v.clone()))
            .filter(|(k, _)| page.after.as_ref().is_none_or(|a| k > a))
            .take(page.limit() as usize + 1)
            .collect();
        let p = Page::from_overfetch(items, page.limit(), |(k, _)| k.clone());
        Ok(Page { items: p.items.into_iter().map(|(_, v)| v).collect(), next: p.next })
    }
    async fn update_domain(&self, before: &SendingDomain, after: &SendingDomain) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (after.tenant_id, after.id);
        let stored = d.domains.get(&key).ok_or(StoreError::NotFound)?;
        if stored == after {
            return Ok(());
        }
        if stored.version != before.version || stored.name != after.name {
            return Err(StoreError::VersionMismatch);
        }
        let holder = d.domain_claims.get(&after.name).copied();
        if after.state.holds() && holder.is_some_and(|h| h != key) {
            return Err(StoreError::Conflict(crate::error::DOMAIN_CLAIMED.into()));
        }
        if after.state.holds() {
            d.domain_claims.insert(after.name.clone(), key);
        } else if holder == Some(key) {
            d.domain_claims.remove(&after.name);
        }
        d.domains.insert(key, after.clone());
        Ok(())
    }
    async fn delete_domain(&self, x: &SendingDomain) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (x.tenant_id, x.id);
        let stored = d.domains.get(&key).ok_or(StoreError::NotFound)?;
        if stored.version != x.version {
            return Err(StoreError::VersionMismatch);
        }
        if d.domain_claims.get(&x.name) == Some(&key) {
            d.domain_claims.remove(&x.name);
        }
        d.domains.remove(&key);
        Ok(())
    }
    async fn domain_holder(&self, name: &DomainName) -> Result<Option<(TenantId, DomainId)>, StoreError> {
        Ok(self.data().domain_claims.get(name).copied())
    }
}

#[async_trait]
impl ConfirmationStore for MemoryStore {
    async fn get_confirmation(
        &self,
        tenant: TenantId,
        address: &EmailAddress,
    ) -> Result<AddressConfirmation, StoreError> {
        found(self.data().confirmations.get(&(tenant, address.clone())))
    }
    async fn list_confirmations(&self, tenant: TenantId) -> Result<Vec<AddressConfirmation>, StoreError> {
        Ok(self.data().confirmations.iter().filter(|((t, _), _)| *t == tenant).map(|(_, c)| c.clone()).collect())
    }
    async fn put_confirmation(
        &self,
        before: Option<&AddressConfirmation>,
        after: &AddressConfirmation,
    ) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (after.tenant_id, after.address.clone());
        match (before, d.confirmations.get(&key)) {
            (None, Some(_)) => return Err(StoreError::Conflict("a confirmation exists".into())),
            (Some(_), None) => return Err(StoreError::NotFound),
            (Some(b), Some(stored)) if stored.version != b.version => return Err(StoreError::VersionMismatch),
            _ => {}
        }
        d.confirmations.insert(key, after.clone());
        Ok(())
    }
    async fn delete_confirmation(&self, tenant: TenantId, address: &EmailAddress) -> Result<(), StoreError> {
        self.data().confirmations.remove(&(tenant, address.clone()));
        Ok(())
    }
}

#[async_trait]
impl TemplateStore for MemoryStore {
    async fn create_template(&self, t: &Template) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.templates.contains_key(&(t.tenant_id, t.id)) {
            return Err(StoreError::Conflict("template exists".into()));
        }
        d.templates.insert((t.tenant_id, t.id), t.clone());
        Ok(())
    }
    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> Result<Template, StoreError> {
        found(self.data().templates.get(&(tenant, id)))
    }
    async fn list_templates(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Template>, StoreError> {
        Ok(page_of(&self.data().templates, tenant, page))
    }
    async fn update_template(&self, before: &Template, after: &Template) -> Result<(), StoreError> {
        let mut d = self.data();
        let slot = d.templates.get_mut(&(before.tenant_id, before.id)).ok_or(StoreError::NotFound)?;
        if slot.version != before.version {
            return Err(StoreError::VersionMismatch);
        }
        *slot = after.clone();
        Ok(())
    }
    async fn delete_template(&self, t: &Template) -> Result<(), StoreError> {
        let mut d = self.data();
        let stored = d.templates.get(&(t.tenant_id, t.id)).ok_or(StoreError::NotFound)?;
        if stored.version != t.version {
            return Err(StoreError::VersionMismatch);
        }
        d.templates.remove(&(t.tenant_id, t.id));
        Ok(())
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn claim_idempotency(&self, r: &IdempotencyRecord, now: Timestamp) -> Result<IdempotencyClaim, StoreError> {
        let mut d = self.data();
        let key = (r.tenant_id, r.user_id, r.key.clone());
        match d.idempotency.get(&key) {
            Some(existing) if existing.expires_at >= now => Ok(IdempotencyClaim::Taken(existing.clone())),
            _ => {
                d.idempotency.insert(key, r.clone());
                Ok(IdempotencyClaim::Claimed)
            }
        }
    }
    async fn put_idempotency(&self, r: &IdempotencyRecord) -> Result<(), StoreError> {
        self.data().idempotency.insert((r.tenant_id, r.user_id, r.key.clone()), r.clone());
        Ok(())
    }
    async fn release_idempotency(&self, tenant: TenantId, user: UserId, key: &str) -> Result<(), StoreError> {
        self.data().idempotency.remove(&(tenant, user, key.to_owned()));
        Ok(())
    }
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn create_credential(&self, c: &SmtpCredential, max_per_user: usize) -> Result<(), StoreError> {
        let mut d = self.data();
        let key = (c.tenant_id, c.user_id, c.id);
        if d.credentials.contains_key(&key) {
            return Err(StoreError::Conflict("credential exists".into()));
        }
        let held = d.credentials.keys().filter(|(t, u, _)| (*t, *u) == (c.tenant_id, c.user_id)).count();
        if held >= max_per_user {
            return Err(StoreError::QuotaExceeded);
        }
        d.credentials.insert(key, c.clone());
        Ok(())
    }
    async fn list_credentials(&self, tenant: TenantId, user: UserId) -> Result<Vec<SmtpCredential>, StoreError> {
        let d = self.data();
        Ok(d.credentials.values().filter(|c| c.tenant_id == tenant && c.user_id == user).cloned().collect())
    }
    async fn delete_credential(&self, tenant: TenantId, user: UserId, id: CredentialId) -> Result<(), StoreError> {
        self.data().credentials.remove(&(tenant, user, id)).map(|_| ()).ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn create_token(&self, t: &ApiToken) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.tokens.contains_key(&t.id) {
            return Err(StoreError::Conflict("token exists".into()));
        }
        d.tokens.insert(t.id, t.clone());
        Ok(())
    }
    async fn get_token(&self, id: TokenId) -> Result<ApiToken, StoreError> {
        found(self.data().tokens.get(&id))
    }
    async fn list_tokens(&self, tenant: Option<TenantId>, page: &PageRequest) -> Result<Page<ApiToken>, StoreError> {
        let d = self.data();
        let items: Vec<ApiToken> = d
            .tokens
            .values()
            .filter(|t| t.role.tenant() == tenant)
            .filter(|t| page.after.as_ref().is_none_or(|a| t.id.to_string() > *a))
            .take(page.limit() as usize + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit(), |t| t.id.to_string()))
    }
    async fn delete_token(&self, id: TokenId) -> Result<(), StoreError> {
        self.data().tokens.remove(&id).map(|_| ()).ok_or(StoreError::NotFound)
    }
}

/// The audit cursor: `<millis>:<id>` of the last record of a page.
pub(crate) fn audit_cursor(r: &AuditRecord) -> String {
    format!("{:020}:{}", r.at.millis(), r.id)
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, r: &AuditRecord) -> Result<(), StoreError> {
        self.audit_refusal()?;
        self.data().audit.insert((r.tenant_id, r.at, r.id), r.clone());
        Ok(())
    }
    async fn append_audits(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        self.audit_refusal()?;
        let mut d = self.data();
        for r in records {
            d.audit.insert((r.tenant_id, r.at, r.id), r.clone());
        }
        Ok(())
    }
    async fn query_audit(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        let d = self.data();
        let now = Timestamp::now();
        let items: Vec<AuditRecord> = d
            .audit
            .values()
            .rev()
            .filter(|r| r.tenant_id == tenant && r.expires_at > now)
            .filter(|r| f.from.is_none_or(|from| r.at >= from) && f.to.is_none_or(|to| r.at < to))
            .filter(|r| f.mailbox_id.is_none_or(|m| r.mailbox_id == Some(m)))
            .filter(|r| f.matches_user_and_outcome(r))
            .filter(|r| page.after.as_ref().is_none_or(|a| audit_cursor(r) < *a))
            .take(page.limit() as usize + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, page.limit(), audit_cursor))
    }
    async fn purge_expired_audit(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut d = self.data();
        let before = d.audit.len();
        d.audit.retain(|_, r| r.expires_at > now);
        Ok((before - d.audit.len()) as u64)
    }
}

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn get_system_relay(&self) -> Result<Option<SystemRelay>, StoreError> {
        Ok(self.data().system_relay.clone())
    }
    async fn put_system_relay(&self, relay: &SystemRelay) -> Result<(), StoreError> {
        self.data().system_relay = Some(relay.clone());
        Ok(())
    }
    async fn get_platform_domains(&self) -> Result<PlatformDomains, StoreError> {
        Ok(self.data().platform_domains.clone())
    }
    async fn put_platform_domains(&self, domains: &PlatformDomains) -> Result<(), StoreError> {
        self.data().platform_domains = domains.clone();
        Ok(())
    }
}

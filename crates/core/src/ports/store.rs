//! The store port, one narrow trait per aggregate, and `Store` over all of them.

use super::{Page, PageRequest};
use crate::error::StoreError;
use crate::model::{
    AddressConfirmation, ApiToken, AuditFilter, AuditRecord, Company, Group, IdempotencyClaim, IdempotencyRecord,
    Login, Mailbox, MailboxHealth, PlatformDomains, SendingDomain, SmtpCredential, SystemRelay, Template, Tenant, User,
};
use crate::{
    CompanyId, CredentialId, DomainId, DomainName, EmailAddress, GroupId, MailboxId, TemplateId, TenantId, Timestamp,
    TokenId, UserId,
};
use async_trait::async_trait;

/// Everything that comes into being with a tenant, written atomically.
#[derive(Debug, Clone)]
pub struct NewTenant {
    /// The tenant.
    pub tenant: Tenant,
    /// Its first company.
    pub company: Company,
    /// Its system mailbox (`system = true`, not counted against the quota).
    pub system_mailbox: Mailbox,
    /// Its first admin token.
    pub admin_token: ApiToken,
    /// Domains the operator assigns it (`DomainState::Assigned`), claimed
    /// platform-wide in the same atomic step.
    pub domains: Vec<SendingDomain>,
}

/// Tenants.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Writes a new tenant with its company, system mailbox, admin token
    /// and assigned domains in one atomic step. `Conflict` if the id
    /// exists, if another tenant's system mailbox has the system address
    /// (system addresses are unique platform-wide), or, with
    /// `"domain_claimed"` in the text, if another tenant holds one of the domains.
    async fn create_tenant(&self, new: &NewTenant) -> Result<(), StoreError>;
    /// One tenant.
    async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError>;
    /// All tenants, ordered by id (creation time).
    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError>;
    /// Replaces name, `enabled` and quota; `NotFound` if absent.
    async fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
}

/// Companies of a tenant.
#[async_trait]
pub trait CompanyStore: Send + Sync {
    /// `Conflict` if the id exists.
    async fn create_company(&self, company: &Company) -> Result<(), StoreError>;
    /// One company of the tenant.
    async fn get_company(&self, tenant: TenantId, id: CompanyId) -> Result<Company, StoreError>;
    /// The tenant's companies, ordered by id.
    async fn list_companies(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Company>, StoreError>;
    /// Replaces a company; `NotFound` if absent.
    async fn update_company(&self, company: &Company) -> Result<(), StoreError>;
}

/// Users of a tenant. Logins are unique across the platform and immutable.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// `Conflict` if the id or the login exists (in any tenant).
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;
    /// One user of the tenant.
    async fn get_user(&self, tenant: TenantId, id: UserId) -> Result<User, StoreError>;
    /// The user with this login, whatever its tenant (SMTP AUTH starts here).
    async fn find_user_by_login(&self, login: &Login) -> Result<User, StoreError>;
    /// The tenant's users, ordered by id.
    async fn list_users(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<User>, StoreError>;
    /// Replaces `before` by `after` (same tenant, id and login) if the
    /// stored user is still at `before.version`; `after` is written as
    /// given (its version one higher). Groups in `after` but not in
    /// `before` must exist in the same atomic step (`MissingGroup`).
    /// `NotFound` if absent, `VersionMismatch` if it changed since read,
    /// `Conflict` if the login would change.
    async fn update_user(&self, before: &User, after: &User) -> Result<(), StoreError>;
}

/// Groups of a tenant.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// `Conflict` if the id exists.
    async fn create_group(&self, group: &Group) -> Result<(), StoreError>;
    /// One group of the tenant.
    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<Group, StoreError>;
    /// The tenant's groups, ordered by id.
    async fn list_groups(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Group>, StoreError>;
    /// Replaces `before` by `after` if the stored group is still at
    /// `before.version`; `NotFound` if absent, `VersionMismatch` otherwise.
    async fn update_group(&self, before: &Group, after: &Group) -> Result<(), StoreError>;
    /// Deletes a group still at `group.version` and removes it from every
    /// user and mailbox access list that names it, as one atomic step
    /// where the backend can (see each backend's docs for the limit);
    /// nothing can name the group any more once this returns.
    /// `NotFound` if absent, `VersionMismatch` if the group changed.
    async fn delete_group(&self, group: &Group) -> Result<(), StoreError>;
}

/// Mailboxes of a tenant; addresses are unique per tenant.
#[async_trait]
pub trait MailboxStore: Send + Sync {
    /// Creates a non-system mailbox: `QuotaExceeded` when the tenant has
    /// `mailbox_quota` non-system mailboxes already, `Conflict` when the
    /// address or id exists, `NotFound` when the tenant does not. Atomic.
    async fn create_mailbox(&self, mailbox: &Mailbox) -> Result<(), StoreError>;
    /// One mailbox of the tenant.
    async fn get_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<Mailbox, StoreError>;
    /// The tenant's mailbox with this (normalised) address.
    async fn find_mailbox_by_address(&self, tenant: TenantId, address: &EmailAddress) -> Result<Mailbox, StoreError>;
    /// The tenant's mailboxes, ordered by id.
    async fn list_mailboxes(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Mailbox>, StoreError>;
    /// Replaces `before` by `after` if the stored mailbox is still at
    /// `before.version`, moving its address when it changed (`Conflict` if
    /// the new one is taken in the tenant or, for a system mailbox, by
    /// another tenant's system mailbox); groups added to the access list must exist
    /// in the same atomic step (`MissingGroup`). `NotFound` if absent,
    /// `VersionMismatch` if it changed since read.
    async fn update_mailbox(&self, before: &Mailbox, after: &Mailbox) -> Result<(), StoreError>;
    /// Deletes a mailbox and frees its address and quota place.
    async fn delete_mailbox(&self, tenant: TenantId, id: MailboxId) -> Result<(), StoreError>;
    /// Records a mailbox's last relay outcome (replaces the previous one).
    async fn put_mailbox_health(&self, health: &MailboxHealth) -> Result<(), StoreError>;
    /// The last relay outcomes of the tenant's mailboxes (those ever relayed through or verified).
    async fn list_mailbox_health(&self, tenant: TenantId) -> Result<Vec<MailboxHealth>, StoreError>;
}

/// Sending domains: claims per tenant, and the platform-wide claim that
/// makes a `verified` or `assigned` domain belong to one tenant only.
#[async_trait]
pub trait DomainStore: Send + Sync {
    /// Writes a new claim. `Conflict` if the id exists or the tenant claims
    /// the name already; if `domain.state.holds()`, also takes the
    /// platform-wide claim in the same atomic step (`Conflict` with
    /// `"domain_claimed"` in the text when another tenant holds it).
    async fn create_domain(&self, domain: &SendingDomain) -> Result<(), StoreError>;
    /// One claim of the tenant.
    async fn get_domain(&self, tenant: TenantId, id: DomainId) -> Result<SendingDomain, StoreError>;
    /// The tenant's claims, ordered by id.
    async fn list_domains(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError>;
    /// Every tenant's claims, ordered by (tenant, id): the re-check and the operator's view.
    async fn list_all_domains(&self, page: &PageRequest) -> Result<Page<SendingDomain>, StoreError>;
    /// Replaces `before` by `after` (same tenant, id and name) if the stored
    /// claim is still at `before.version`. When `after.state.holds()` and
    /// `before`'s did not, takes the platform-wide claim atomically
    /// (`Conflict` with `"domain_claimed"` when another tenant holds it);
    /// when `before` held and `after` does not, frees it. A retried write
    /// that had already succeeded is not reported as a conflict.
    /// `NotFound`, `VersionMismatch`.
    async fn update_domain(&self, before: &SendingDomain, after: &SendingDomain) -> Result<(), StoreError>;
    /// Deletes a claim still at `domain.version`, freeing the platform-wide
    /// claim if it held it. `NotFound`, `VersionMismatch`.
    async fn delete_domain(&self, domain: &SendingDomain) -> Result<(), StoreError>;
    /// Which tenant's claim holds `name` platform-wide, if any.
    async fn domain_holder(&self, name: &DomainName) -> Result<Option<(TenantId, DomainId)>, StoreError>;
}

/// Confirmed addresses of a tenant, one record per (tenant, address).
#[async_trait]
pub trait ConfirmationStore: Send + Sync {
    /// The record of one address; `NotFound` if none.
    async fn get_confirmation(
        &self,
        tenant: TenantId,
        address: &EmailAddress,
    ) -> Result<AddressConfirmation, StoreError>;
    /// Every record of the tenant, ordered by address.
    async fn list_confirmations(&self, tenant: TenantId) -> Result<Vec<AddressConfirmation>, StoreError>;
    /// Creates (`before` `None`: `Conflict` if one exists) or replaces a
    /// record still at `before.version` (`VersionMismatch`, `NotFound`).
    async fn put_confirmation(
        &self,
        before: Option<&AddressConfirmation>,
        after: &AddressConfirmation,
    ) -> Result<(), StoreError>;
    /// Deletes the record of an address (nothing if there is none).
    async fn delete_confirmation(&self, tenant: TenantId, address: &EmailAddress) -> Result<(), StoreError>;
}

/// Message templates of a tenant.
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// `Conflict` if the id exists.
    async fn create_template(&self, template: &Template) -> Result<(), StoreError>;
    /// One template of the tenant.
    async fn get_template(&self, tenant: TenantId, id: TemplateId) -> Result<Template, StoreError>;
    /// The tenant's templates, ordered by id.
    async fn list_templates(&self, tenant: TenantId, page: &PageRequest) -> Result<Page<Template>, StoreError>;
    /// Replaces `before` by `after` if the stored template is still at
    /// `before.version`; `NotFound` if absent, `VersionMismatch` otherwise.
    async fn update_template(&self, before: &Template, after: &Template) -> Result<(), StoreError>;
    /// Deletes a template still at `template.version`; `NotFound`, `VersionMismatch`.
    async fn delete_template(&self, template: &Template) -> Result<(), StoreError>;
}

/// `Idempotency-Key` records of HTTP send.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `record.key` for `record.user_id` with a pending record,
    /// atomically: `Claimed` if no record exists or the one there expired
    /// before `now`, else `Taken` with the record there.
    async fn claim_idempotency(
        &self,
        record: &IdempotencyRecord,
        now: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError>;
    /// Replaces the record of the key (its answer, or a longer expiry).
    async fn put_idempotency(&self, record: &IdempotencyRecord) -> Result<(), StoreError>;
    /// Forgets a key (a request that sent nothing may be retried with it).
    async fn release_idempotency(&self, tenant: TenantId, user: UserId, key: &str) -> Result<(), StoreError>;
}

/// SMTP credentials (app passwords) of users.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Creates a credential unless its user holds `max_per_user` already
    /// (`QuotaExceeded`; atomic, also under races); `Conflict` if the id exists.
    async fn create_credential(&self, credential: &SmtpCredential, max_per_user: usize) -> Result<(), StoreError>;
    /// All credentials of one user, ordered by id.
    async fn list_credentials(&self, tenant: TenantId, user: UserId) -> Result<Vec<SmtpCredential>, StoreError>;
    /// Revokes one credential; `NotFound` if absent.
    async fn delete_credential(&self, tenant: TenantId, user: UserId, id: CredentialId) -> Result<(), StoreError>;
}

/// API tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// `Conflict` if the id exists.
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// The token with this id, whatever its tenant (authentication starts here).
    async fn get_token(&self, id: TokenId) -> Result<ApiToken, StoreError>;
    /// Tokens bound to a tenant (admin and user tokens), or with `None` the
    /// operator tokens; ordered by id.
    async fn list_tokens(&self, tenant: Option<TenantId>, page: &PageRequest) -> Result<Page<ApiToken>, StoreError>;
    /// Revokes a token; `NotFound` if absent.
    async fn delete_token(&self, id: TokenId) -> Result<(), StoreError>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one record.
    async fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError>;
    /// Appends several records in as few requests as the backend allows
    /// (the proxy's audit writer batches); all or, on error, possibly some.
    async fn append_audits(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        for r in records {
            self.append_audit(r).await?;
        }
        Ok(())
    }
    /// A tenant's records matching the filter, newest first; records past
    /// `expires_at` are never returned.
    async fn query_audit(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError>;
    /// Deletes records that expired before `now`; answers how many. Backends
    /// with native expiry (DynamoDB TTL) may answer 0 and leave it to the backend.
    async fn purge_expired_audit(&self, now: Timestamp) -> Result<u64, StoreError>;
}

/// Platform settings.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The system relay, if configured.
    async fn get_system_relay(&self) -> Result<Option<SystemRelay>, StoreError>;
    /// Sets the system relay.
    async fn put_system_relay(&self, relay: &SystemRelay) -> Result<(), StoreError>;
    /// The platform domains and the platform's sender (empty if never set).
    async fn get_platform_domains(&self) -> Result<PlatformDomains, StoreError>;
    /// Sets the platform domains and the platform's sender.
    async fn put_platform_domains(&self, domains: &PlatformDomains) -> Result<(), StoreError>;
}

/// Every aggregate's store: what the composition roots hold as `Arc<dyn Store>`.
pub trait Store:
    TenantStore
    + CompanyStore
    + UserStore
    + GroupStore
    + MailboxStore
    + DomainStore
    + ConfirmationStore
    + TemplateStore
    + IdempotencyStore
    + CredentialStore
    + TokenStore
    + AuditStore
    + SettingsStore
{
}

impl<T> Store for T where
    T: TenantStore
        + CompanyStore
        + UserStore
        + GroupStore
        + MailboxStore
        + DomainStore
        + ConfirmationStore
        + TemplateStore
        + IdempotencyStore
        + CredentialStore
        + TokenStore
        + AuditStore
        + SettingsStore
{
}

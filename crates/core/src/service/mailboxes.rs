//! Mailboxes: create within the quota, update flags and SMTP settings, the
//! write-only password, access lists, delete (never the system mailbox).

use super::edit::{IfMatch, merged, retry_raced};
use super::require_admin;
use crate::error::{ServiceError, StoreError};
use crate::model::{
    AccessList, BoundSecret, DisplayNamePolicy, EndpointFingerprint, LoginMethod, Mailbox, MailboxFlags, MailboxScope,
    Name, Role, SendingLimits, SmtpSettings,
};
use crate::ports::{Page, PageRequest, SecretRef, SecretStore, Store};
use crate::secret::{ExposeSecret, SecretString};
use crate::{EmailAddress, GroupId, MailboxId, TenantId, Timestamp, UserId};
use std::collections::BTreeSet;

/// The editable fields of a mailbox.
#[derive(Debug, Clone)]
pub struct MailboxInput {
    /// The address (parsed and normalised here).
    pub address: String,
    /// Display name.
    pub display_name: String,
    /// Owning company, or global.
    pub scope: MailboxScope,
    /// Flags.
    pub flags: MailboxFlags,
    /// SMTP settings when `authenticated`.
    pub smtp: Option<SmtpSettings>,
    /// Its own sending limits (within the tenant's mailbox ceiling).
    pub limits: SendingLimits,
    /// Which display names a message may show for it.
    pub display_name_policy: DisplayNamePolicy,
}

/// `kept`: the limits stored now; limits left as they are are not checked
/// again (a ceiling lowered later caps them, it does not block other edits).
async fn validate(
    store: &dyn Store,
    tenant: TenantId,
    input: &MailboxInput,
    kept: Option<&SendingLimits>,
) -> Result<(EmailAddress, Name), ServiceError> {
    let address = EmailAddress::parse(&input.address).map_err(|e| ServiceError::invalid("address", e.to_string()))?;
    let name = super::parse_name("display_name", &input.display_name)?;
    if let MailboxScope::Company(company) = input.scope {
        store.get_company(tenant, company).await.map_err(|e| match e {
            StoreError::NotFound => ServiceError::invalid("scope.company_id", "no such company in this tenant"),
            other => other.into(),
        })?;
    }
    if !input.limits.is_none() && kept != Some(&input.limits) {
        let ceiling = store.get_tenant(tenant).await?.limits.mailbox_ceiling;
        input.limits.within(&ceiling, "limits").map_err(|e| ServiceError::invalid(e.field, e.reason))?;
    }
    Ok((address, name))
}

/// Creates a mailbox: `QuotaExceeded` beyond the tenant's quota (atomic),
/// `Conflict` when the address exists in the tenant.
pub async fn create(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    input: MailboxInput,
) -> Result<Mailbox, ServiceError> {
    require_admin(caller, tenant)?;
    let (address, display_name) = validate(store, tenant, &input, None).await?;
    let smtp = input.smtp.map(|mut s| {
        s.password_set = false;
        s
    });
    let mailbox = Mailbox {
        display_name_policy: input.display_name_policy,
        limits: input.limits,
        tenant_id: tenant,
        id: MailboxId::generate(),
        address,
        display_name,
        scope: input.scope,
        flags: input.flags,
        smtp,
        access: AccessList::default(),
        system: false,
        created_at: Timestamp::now(),
        version: 1,
    };
    store.create_mailbox(&mailbox).await?;
    Ok(mailbox)
}

/// One mailbox (admin).
pub async fn get(store: &dyn Store, caller: &Role, tenant: TenantId, id: MailboxId) -> Result<Mailbox, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.get_mailbox(tenant, id).await?)
}

/// Lists mailboxes (admin).
pub async fn list(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    page: &PageRequest,
) -> Result<Page<Mailbox>, ServiceError> {
    require_admin(caller, tenant)?;
    Ok(store.list_mailboxes(tenant, page).await?)
}

/// Every mailbox of a tenant, read page by page.
pub async fn all_mailboxes(store: &dyn Store, tenant: TenantId) -> Result<Vec<Mailbox>, StoreError> {
    crate::ports::read_all(|page| async move { store.list_mailboxes(tenant, &page).await }).await
}

/// Replaces the editable fields. The system mailbox stays `sender`,
/// global, not `restricted`, enabled and without SMTP settings.
/// `if_match` pins the version replaced.
pub async fn update(
    store: &dyn Store,
    secrets: &dyn SecretStore,
    caller: &Role,
    tenant: TenantId,
    id: MailboxId,
    input: MailboxInput,
    if_match: &IfMatch,
) -> Result<Mailbox, ServiceError> {
    require_admin(caller, tenant)?;
    // What the caller replaces: a field the input leaves as it was here is not written on a
    // retry, so another admin's concurrent change of it (an access change's `restricted`) stays.
    let base = store.get_mailbox(tenant, id).await?;
    let (address, display_name) = validate(store, tenant, &input, Some(&base.limits)).await?;
    retry_raced(if_match, || async {
        let before = store.get_mailbox(tenant, id).await?;
        if_match.check(before.version)?;
        if before.system {
            let f = input.flags;
            if input.scope != MailboxScope::Global || !f.sender || f.restricted || !f.enabled || input.smtp.is_some() {
                return Err(ServiceError::invalid(
                    "flags",
                    "the system mailbox stays sender, global, enabled, unrestricted and on the system relay",
                ));
            }
            if address != before.address {
                return Err(ServiceError::Forbidden("only the operator sets the system mailbox's address"));
            }
        }
        let mut after = before.clone();
        after.address = merged(&address, &base.address, &before.address);
        after.display_name = merged(&display_name, &base.display_name, &before.display_name);
        after.scope = merged(&input.scope, &base.scope, &before.scope);
        let (f, b, t) = (&input.flags, &base.flags, &before.flags);
        after.flags.sender = merged(&f.sender, &b.sender, &t.sender);
        after.flags.reply = merged(&f.reply, &b.reply, &t.reply);
        after.flags.restricted = merged(&f.restricted, &b.restricted, &t.restricted);
        after.flags.enabled = merged(&f.enabled, &b.enabled, &t.enabled);
        after.limits = merged(&input.limits, &base.limits, &before.limits);
        after.display_name_policy =
            merged(&input.display_name_policy, &base.display_name_policy, &before.display_name_policy);
        after.smtp = input.smtp.clone();
        // The stored secret stays only while everything it was given for stays (SPEC §3):
        // another host, port, TLS mode, username, login method or OAuth parameter forgets it.
        let forgotten = forget_moved_secret(&before, &mut after);
        let written = write(store, &before, after).await?;
        if forgotten {
            secrets.delete_secret(&SecretRef::mailbox(tenant, id)).await?;
        }
        Ok(written)
    })
    .await
}

/// Sets the system mailbox's address (operator only, SPEC §1): in a
/// platform domain or a `verified`/`assigned` domain of the tenant, and
/// unique across the platform (the store's platform-wide claim).
pub async fn set_system_address(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    address: &str,
) -> Result<Mailbox, ServiceError> {
    super::require_operator_for(caller, tenant)?;
    let address = crate::EmailAddress::parse(address).map_err(|e| ServiceError::invalid("address", e.to_string()))?;
    let platform = store.get_platform_domains().await?;
    let domains = super::ownership::all_domains(store, tenant).await?;
    let held = domains.iter().filter(|d| d.state.holds()).map(|d| &d.name);
    super::tenants::check_system_address(&address, &platform, held).map_err(|_| {
        ServiceError::invalid("address", "must be in a platform domain or a verified or assigned domain of this tenant")
    })?;
    let system = all_mailboxes(store, tenant).await?.into_iter().find(|m| m.system).ok_or(ServiceError::NotFound)?;
    let mut after = system.clone();
    after.address = address;
    write(store, &system, after).await
}

/// Keeps `password_set` when the endpoint of `after` is the one the secret
/// was given for; answers whether a stored secret is forgotten.
fn forget_moved_secret(before: &Mailbox, after: &mut Mailbox) -> bool {
    let had = before.smtp.as_ref().filter(|s| s.password_set);
    let same = |a: &SmtpSettings, b: &SmtpSettings| EndpointFingerprint::of(a) == EndpointFingerprint::of(b);
    match (had, after.smtp.as_mut()) {
        (Some(old), Some(new)) if same(old, new) => {
            new.password_set = true;
            false
        }
        (had, new) => {
            if let Some(new) = new {
                new.password_set = false;
            }
            had.is_some()
        }
    }
}

/// Writes `after` over `before` as the next version (unchanged: no write).
async fn write(store: &dyn Store, before: &Mailbox, mut after: Mailbox) -> Result<Mailbox, ServiceError> {
    if after == *before {
        return Ok(after);
    }
    after.version = before.version + 1;
    store.update_mailbox(before, &after).await?;
    Ok(after)
}

/// Sets the write-only SMTP password of an `authenticated` mailbox whose login method is `password`.
pub async fn set_password(
    store: &dyn Store,
    secrets: &dyn SecretStore,
    caller: &Role,
    tenant: TenantId,
    id: MailboxId,
    password: &SecretString,
) -> Result<Mailbox, ServiceError> {
    let pw = password.expose_secret();
    if pw.is_empty() || pw.len() > 1024 || pw.chars().any(char::is_control) {
        return Err(ServiceError::invalid("password", "1..=1024 characters, no control characters"));
    }
    set_login_secret(store, secrets, caller, tenant, id, |settings| match settings.login() {
        LoginMethod::Password => Ok(password.clone()),
        other => Err(ServiceError::invalid(
            "password",
            format!("the mailbox logs in with {}: set its secrets at /credentials", other.name()),
        )),
    })
    .await
}

/// Stores the write-only secret of an `authenticated` mailbox's login:
/// `secret_for` checks it against the mailbox's settings and returns the
/// form it is stored in.
pub async fn set_login_secret(
    store: &dyn Store,
    secrets: &dyn SecretStore,
    caller: &Role,
    tenant: TenantId,
    id: MailboxId,
    secret_for: impl FnOnce(&SmtpSettings) -> Result<SecretString, ServiceError>,
) -> Result<Mailbox, ServiceError> {
    require_admin(caller, tenant)?;
    let mailbox = store.get_mailbox(tenant, id).await?;
    let Some(smtp) = mailbox.smtp.as_ref() else {
        return Err(ServiceError::invalid("smtp", "the mailbox has no SMTP settings (not authenticated)"));
    };
    let secret = secret_for(smtp)?;
    // Sealed for exactly these settings: whatever is written after, it opens for no others.
    let given_for = EndpointFingerprint::of(smtp);
    secrets.put_secret(&SecretRef::mailbox(tenant, id), &BoundSecret::seal(smtp, &secret)).await?;
    retry_raced(&IfMatch::Any, || async {
        let before = store.get_mailbox(tenant, id).await?;
        let mut after = before.clone();
        match after.smtp.as_mut() {
            Some(smtp) if EndpointFingerprint::of(smtp) == given_for => smtp.password_set = true,
            Some(_) => {
                return Err(ServiceError::Conflict(
                    "the mailbox's SMTP or login settings changed meanwhile: set the secret again".into(),
                ));
            }
            None => return Err(ServiceError::invalid("smtp", "the mailbox has no SMTP settings (not authenticated)")),
        }
        write(store, &before, after).await
    })
    .await
}

/// Sets `restricted` and the users and groups allowed to use the mailbox;
/// the groups are checked again inside the write (a group deleted meanwhile
/// is never listed). `if_match` pins the version replaced.
#[allow(clippy::too_many_arguments)]
pub async fn set_access(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: MailboxId,
    restricted: bool,
    users: BTreeSet<UserId>,
    groups: BTreeSet<GroupId>,
    if_match: &IfMatch,
) -> Result<Mailbox, ServiceError> {
    require_admin(caller, tenant)?;
    for u in &users {
        store.get_user(tenant, *u).await.map_err(|e| match e {
            StoreError::NotFound => ServiceError::invalid("users", "no such user in this tenant"),
            other => other.into(),
        })?;
    }
    super::directory::check_groups(store, tenant, &groups).await?;
    retry_raced(if_match, || async {
        let before = store.get_mailbox(tenant, id).await?;
        if_match.check(before.version)?;
        if before.system && restricted {
            return Err(ServiceError::invalid("restricted", "the system mailbox cannot be restricted"));
        }
        let mut after = before.clone();
        after.flags.restricted = restricted;
        after.access = AccessList { users: users.clone(), groups: groups.clone() };
        write(store, &before, after).await
    })
    .await
}

/// Deletes a mailbox and its password; the system mailbox cannot be deleted.
pub async fn delete(
    store: &dyn Store,
    secrets: &dyn SecretStore,
    caller: &Role,
    tenant: TenantId,
    id: MailboxId,
) -> Result<(), ServiceError> {
    require_admin(caller, tenant)?;
    let mailbox = store.get_mailbox(tenant, id).await?;
    if mailbox.system {
        return Err(ServiceError::Conflict("the system mailbox cannot be deleted".into()));
    }
    store.delete_mailbox(tenant, id).await?;
    secrets.delete_secret(&SecretRef::mailbox(tenant, id)).await?;
    Ok(())
}

//! Sending domains (SPEC §1, §4): an admin claims a domain and publishes
//! the TXT record sendas answers; `verify` looks it up now; the re-check
//! looks every proven domain up again and lapses one whose record stays
//! missing. The operator assigns a domain to a tenant, or releases one.
//!
//! Ownership is platform-wide: the store's domain claim makes a
//! `verified` or `assigned` domain belong to one tenant (atomically). DNS
//! is reached only through the [`DnsLookup`] port.

use super::{require_admin, require_operator, require_operator_for, require_operator_or_admin};
use crate::error::ServiceError;
use crate::model::{CheckResult, DomainCheck, DomainState, PlatformDomains, Role, SendingDomain};
use crate::policy::skeleton;
use crate::ports::{DnsError, DnsLookup, PageRequest, Store, read_all};
use crate::{DomainId, DomainName, TenantId, Timestamp};
use std::time::Duration;

/// At most this many claims of a tenant are `pending` or in review at once.
pub const MAX_PENDING_CLAIMS: usize = 10;

/// How often proven domains are looked up again, and when they lapse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recheck {
    /// Between two checks of one domain (24 h).
    pub every: Duration,
    /// Answered missing at every check for this long: lapsed (72 h).
    pub lapse_after_missing: Duration,
    /// The resolver failed at every check for this long: lapsed, with an alert (7 days).
    pub lapse_after_failing: Duration,
}

impl Default for Recheck {
    fn default() -> Self {
        Recheck {
            every: Duration::from_secs(24 * 3600),
            lapse_after_missing: Duration::from_secs(72 * 3600),
            lapse_after_failing: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// A claim as its tenant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainStatus {
    /// The claim.
    pub domain: SendingDomain,
    /// Another tenant holds the domain now (this claim cannot verify).
    pub held_elsewhere: bool,
}

/// Parses a domain an admin or the operator may give a tenant: a
/// registrable name (not a public suffix), not a platform domain nor a name under one.
pub fn parse_claimable(input: &str, platform: &PlatformDomains) -> Result<DomainName, ServiceError> {
    let name = DomainName::parse(input.trim()).map_err(|e| ServiceError::invalid("name", e.to_string()))?;
    if psl::domain_str(name.as_str()).is_none() {
        return Err(ServiceError::invalid("name", "a public suffix alone cannot be claimed; claim a domain under it"));
    }
    if platform.covers(&name) {
        return Err(ServiceError::invalid("name", "this is a platform domain (or a name under one): the operator's"));
    }
    Ok(name)
}

fn challenge() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
    Ok(data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase())
}

fn new_claim(
    tenant: TenantId,
    name: DomainName,
    state: DomainState,
    now: Timestamp,
) -> Result<SendingDomain, ServiceError> {
    Ok(SendingDomain {
        tenant_id: tenant,
        id: DomainId::generate(),
        name,
        state,
        challenge: challenge()?,
        created_at: now,
        verified_at: (state == DomainState::Assigned).then_some(now),
        lapsed_at: None,
        missing_since: None,
        failing_since: None,
        last_check: None,
        version: 1,
    })
}

/// An assigned claim for a new tenant (operator; `tenants::create` writes it).
pub fn assigned(tenant: TenantId, name: DomainName, now: Timestamp) -> Result<SendingDomain, ServiceError> {
    new_claim(tenant, name, DomainState::Assigned, now)
}

/// Every claim of every tenant.
async fn every_claim(store: &dyn Store) -> Result<Vec<SendingDomain>, ServiceError> {
    Ok(read_all(|page| async move { store.list_all_domains(&page).await }).await?)
}

/// Whether `name` looks like (UTS #39 skeleton) another tenant's proven domain or a platform domain.
async fn looks_like_another(
    store: &dyn Store,
    tenant: TenantId,
    name: &DomainName,
    platform: &PlatformDomains,
) -> Result<bool, ServiceError> {
    let key = skeleton(&name.to_unicode());
    let twin = |other: &DomainName| other != name && skeleton(&other.to_unicode()) == key;
    if platform.domains.iter().any(twin) {
        return Ok(true);
    }
    Ok(every_claim(store).await?.iter().any(|d| d.tenant_id != tenant && d.state.holds() && twin(&d.name)))
}

/// Claims a domain for the admin's tenant: `pending` (or `review` for a
/// look-alike of another tenant's domain), with the record to publish.
pub async fn claim(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    input: &str,
    now: Timestamp,
) -> Result<SendingDomain, ServiceError> {
    require_admin(caller, tenant)?;
    let platform = store.get_platform_domains().await?;
    let name = parse_claimable(input, &platform)?;
    let mine = super::ownership::all_domains(store, tenant).await?;
    if mine.iter().any(|d| d.name == name) {
        return Err(ServiceError::Conflict("this tenant has claimed this domain already".into()));
    }
    if let Some((holder, _)) = store.domain_holder(&name).await?
        && holder != tenant
    {
        return Err(ServiceError::domain_claimed());
    }
    let waiting = mine.iter().filter(|d| matches!(d.state, DomainState::Pending | DomainState::Review)).count();
    if waiting >= MAX_PENDING_CLAIMS {
        return Err(ServiceError::Refused {
            kind: "too_many_pending_claims",
            detail: format!("at most {MAX_PENDING_CLAIMS} claims may wait for verification; verify or delete one"),
        });
    }
    let state = if looks_like_another(store, tenant, &name, &platform).await? {
        DomainState::Review
    } else {
        DomainState::Pending
    };
    let domain = new_claim(tenant, name, state, now)?;
    store.create_domain(&domain).await?;
    Ok(domain)
}

/// The tenant's claims (admin or operator), each with whether another tenant holds it.
pub async fn list(store: &dyn Store, caller: &Role, tenant: TenantId) -> Result<Vec<DomainStatus>, ServiceError> {
    require_operator_or_admin(caller, tenant)?;
    let mut out = Vec::new();
    for domain in super::ownership::all_domains(store, tenant).await? {
        out.push(status(store, domain).await?);
    }
    Ok(out)
}

async fn status(store: &dyn Store, domain: SendingDomain) -> Result<DomainStatus, ServiceError> {
    let held_elsewhere = if domain.state.holds() {
        false
    } else {
        store.domain_holder(&domain.name).await?.is_some_and(|(t, _)| t != domain.tenant_id)
    };
    Ok(DomainStatus { domain, held_elsewhere })
}

/// One claim of the tenant.
pub async fn get(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    id: DomainId,
) -> Result<DomainStatus, ServiceError> {
    require_operator_or_admin(caller, tenant)?;
    status(store, store.get_domain(tenant, id).await?).await
}

/// Looks the record up in the DNS now.
pub async fn lookup(dns: &dyn DnsLookup, domain: &SendingDomain, now: Timestamp) -> DomainCheck {
    let name = format!("{}.", domain.record_name());
    let expected = domain.record_value();
    let (result, detail) = match dns.txt(&name).await {
        Ok(values) if values.iter().any(|v| v.trim() == expected) => {
            (CheckResult::Found, format!("{name} TXT \"{expected}\" found"))
        }
        Ok(values) => {
            (CheckResult::WrongValue, format!("{name} has {} TXT record(s), none is \"{expected}\"", values.len()))
        }
        Err(DnsError::NoSuchName) => (CheckResult::NoSuchName, format!("{name} does not exist (NXDOMAIN)")),
        Err(DnsError::NoRecords) => (CheckResult::NoRecord, format!("{name} exists but has no TXT record")),
        Err(e) => (CheckResult::ResolverFailed, format!("{name}: {e}")),
    };
    DomainCheck { at: now, result, detail }
}

/// The claim after a check: the state machine of SPEC §1 (pure).
pub fn after_check(domain: &SendingDomain, check: DomainCheck, rules: &Recheck) -> SendingDomain {
    let mut d = domain.clone();
    let now = check.at;
    let since =
        |t: Option<Timestamp>, d: Duration| t.is_some_and(|t| now.millis() - t.millis() >= d.as_millis() as i64);
    match check.result {
        CheckResult::Found => {
            d.missing_since = None;
            d.failing_since = None;
            d.verified_at = Some(now);
            if matches!(d.state, DomainState::Pending | DomainState::Lapsed) {
                d.state = DomainState::Verified;
                d.lapsed_at = None;
            }
        }
        r if r.is_missing() => {
            d.failing_since = None;
            d.missing_since = d.missing_since.or(Some(now));
            if d.state == DomainState::Verified && since(d.missing_since, rules.lapse_after_missing) {
                d.state = DomainState::Lapsed;
                d.lapsed_at = Some(now);
            }
        }
        _ => {
            d.failing_since = d.failing_since.or(Some(now));
            if d.state == DomainState::Verified && since(d.failing_since, rules.lapse_after_failing) {
                tracing::warn!(domain = %d.name, tenant = %d.tenant_id, "domain lapsed: the resolver failed for 7 days");
                d.state = DomainState::Lapsed;
                d.lapsed_at = Some(now);
            }
        }
    }
    d.last_check = Some(check);
    d.version += 1;
    d
}

/// Checks one claim and writes the outcome. A claim that found its
/// record while another tenant holds the domain stays as it was, with the check noted.
async fn check_and_write(
    store: &dyn Store,
    dns: &dyn DnsLookup,
    domain: &SendingDomain,
    now: Timestamp,
    rules: &Recheck,
) -> Result<SendingDomain, ServiceError> {
    let check = lookup(dns, domain, now).await;
    let after = after_check(domain, check.clone(), rules);
    match store.update_domain(domain, &after).await {
        Ok(()) => Ok(after),
        Err(e) => match ServiceError::from(e) {
            ServiceError::Refused { kind: crate::error::DOMAIN_CLAIMED, .. } => {
                let mut kept = domain.clone();
                kept.last_check = Some(DomainCheck {
                    detail: format!("{}; but another tenant holds this domain", check.detail),
                    ..check
                });
                kept.version += 1;
                store.update_domain(domain, &kept).await?;
                Err(ServiceError::domain_claimed())
            }
            other => Err(other),
        },
    }
}

/// `verify`: looks the record up now (admin or operator). A claim in
/// review or assigned is looked up and noted but does not change state.
pub async fn verify(
    store: &dyn Store,
    dns: &dyn DnsLookup,
    caller: &Role,
    tenant: TenantId,
    id: DomainId,
    now: Timestamp,
) -> Result<DomainStatus, ServiceError> {
    require_operator_or_admin(caller, tenant)?;
    let domain = store.get_domain(tenant, id).await?;
    let rules = Recheck::default();
    let after = match domain.state {
        DomainState::Review | DomainState::Assigned => {
            let mut d = domain.clone();
            d.last_check = Some(lookup(dns, &domain, now).await);
            d.version += 1;
            store.update_domain(&domain, &d).await?;
            d
        }
        _ => check_and_write(store, dns, &domain, now, &rules).await?,
    };
    status(store, after).await
}

/// What one re-check run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecheckReport {
    /// Claims looked up.
    pub checked: usize,
    /// Claims that became `verified`.
    pub verified: usize,
    /// Claims that lapsed.
    pub lapsed: usize,
    /// Claims whose write failed (tried again at the next run).
    pub failed: usize,
}

/// The scheduled re-check: every `verified`, `lapsed` or `pending` claim
/// not looked up within `rules.every` is looked up again (`assigned` and
/// review claims never are). Run by a timer in `sendas serve` and by an
/// EventBridge schedule on AWS; no role: the scheduler is trusted.
pub async fn recheck_due(
    store: &dyn Store,
    dns: &dyn DnsLookup,
    now: Timestamp,
    rules: &Recheck,
) -> Result<RecheckReport, ServiceError> {
    let mut report = RecheckReport::default();
    let mut page = PageRequest::new(PageRequest::MAX_LIMIT, None);
    loop {
        let batch = store.list_all_domains(&page).await?;
        for d in &batch.items {
            let due = matches!(d.state, DomainState::Verified | DomainState::Lapsed | DomainState::Pending)
                && d.last_check.as_ref().is_none_or(|c| now.millis() - c.at.millis() >= rules.every.as_millis() as i64);
            if !due {
                continue;
            }
            report.checked += 1;
            match check_and_write(store, dns, d, now, rules).await {
                Ok(after) if after.state == DomainState::Verified && d.state != DomainState::Verified => {
                    report.verified += 1
                }
                Ok(after) if after.state == DomainState::Lapsed && d.state != DomainState::Lapsed => report.lapsed += 1,
                Ok(_) => {}
                Err(e) => {
                    tracing::info!(domain = %d.name, error = %e, "re-check not written");
                    report.failed += 1;
                }
            }
        }
        match batch.next {
            Some(next) => page = PageRequest::new(PageRequest::MAX_LIMIT, Some(next)),
            None => return Ok(report),
        }
    }
}

/// Deletes a claim: the operator releases any; an admin may drop its own
/// claim unless the operator assigned it. Mailboxes in the domain stop at once.
pub async fn release(store: &dyn Store, caller: &Role, tenant: TenantId, id: DomainId) -> Result<(), ServiceError> {
    require_operator_or_admin(caller, tenant)?;
    let domain = store.get_domain(tenant, id).await?;
    if domain.state == DomainState::Assigned && !matches!(caller, Role::Operator) {
        return Err(ServiceError::Forbidden("the operator assigned this domain; only the operator releases it"));
    }
    Ok(store.delete_domain(&domain).await?)
}

/// The operator assigns a domain to a tenant (`assigned`, not re-checked):
/// the tenant's claim of it becomes assigned, or a new one is made.
/// `409 domain_claimed` when another tenant holds it (release it there first).
pub async fn assign(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    input: &str,
    now: Timestamp,
) -> Result<SendingDomain, ServiceError> {
    require_operator_for(caller, tenant)?;
    store.get_tenant(tenant).await?;
    let platform = store.get_platform_domains().await?;
    let name = parse_claimable(input, &platform)?;
    match super::ownership::all_domains(store, tenant).await?.into_iter().find(|d| d.name == name) {
        Some(existing) => {
            let mut after = existing.clone();
            after.state = DomainState::Assigned;
            after.verified_at = Some(now);
            after.lapsed_at = None;
            after.version += 1;
            store.update_domain(&existing, &after).await?;
            Ok(after)
        }
        None => {
            let domain = assigned(tenant, name, now)?;
            store.create_domain(&domain).await?;
            Ok(domain)
        }
    }
}

/// Every tenant's claims, a page at a time (operator only).
pub async fn list_all(
    store: &dyn Store,
    caller: &Role,
    page: &PageRequest,
) -> Result<crate::ports::Page<DomainStatus>, ServiceError> {
    require_operator(caller)?;
    let p = store.list_all_domains(page).await?;
    let mut items = Vec::new();
    for d in p.items {
        items.push(status(store, d).await?);
    }
    Ok(crate::ports::Page { items, next: p.next })
}

/// Sets the platform domains and the platform's sender (operator only).
pub async fn set_platform(
    store: &dyn Store,
    caller: &Role,
    domains: &[String],
    sender: Option<&str>,
) -> Result<PlatformDomains, ServiceError> {
    require_operator(caller)?;
    let mut parsed = Vec::new();
    for d in domains {
        let name = DomainName::parse(d.trim()).map_err(|e| ServiceError::invalid("domains", e.to_string()))?;
        if psl::domain_str(name.as_str()).is_none() {
            return Err(ServiceError::invalid("domains", format!("{name} is a public suffix")));
        }
        parsed.push(name);
    }
    let platform = PlatformDomains { domains: parsed, sender: None };
    let sender = match sender {
        None => None,
        Some(s) => {
            let a = crate::EmailAddress::parse(s).map_err(|e| ServiceError::invalid("sender", e.to_string()))?;
            if !platform.covers(&a.domain_name()) {
                return Err(ServiceError::invalid("sender", "the platform's sender must be in a platform domain"));
            }
            Some(a)
        }
    };
    let platform = PlatformDomains { sender, ..platform };
    store.put_platform_domains(&platform).await?;
    Ok(platform)
}

/// The platform domains (operator only).
pub async fn platform(store: &dyn Store, caller: &Role) -> Result<PlatformDomains, ServiceError> {
    require_operator(caller)?;
    Ok(store.get_platform_domains().await?)
}

//! The upgrade path to address ownership (issue: moving an existing
//! installation): per tenant, the domains its mailboxes use and whether
//! the tenant owns each, with the domains two or more tenants use flagged,
//! so the operator can assign domains or ask for verification before
//! ownership is enforced. Read-only.

use super::require_operator;
use crate::error::ServiceError;
use crate::model::Role;
use crate::ports::{Store, read_all};
use crate::{DomainName, TenantId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One domain a tenant's mailboxes use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainUse {
    /// The domain.
    pub domain: DomainName,
    /// How many of the tenant's mailboxes are in it.
    pub mailboxes: usize,
    /// How many of those the tenant owns now (rule 0).
    pub owned: usize,
    /// Other tenants' mailboxes use it too.
    pub shared: bool,
}

/// One tenant's part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantDomains {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// The domains its mailboxes use, by name.
    pub domains: Vec<DomainUse>,
}

/// The report (operator only): every tenant, and the domains used by more than one.
pub async fn ownership_report(
    store: &dyn Store,
    caller: &Role,
) -> Result<(Vec<TenantDomains>, Vec<DomainName>), ServiceError> {
    require_operator(caller)?;
    let tenants = read_all(|page| async move { store.list_tenants(&page).await }).await?;
    let mut uses: BTreeMap<TenantId, BTreeMap<DomainName, (usize, usize)>> = BTreeMap::new();
    let mut users_of: BTreeMap<DomainName, BTreeSet<TenantId>> = BTreeMap::new();
    for t in &tenants {
        let book = super::ownership::book(store, t.id).await?;
        for m in super::mailboxes::all_mailboxes(store, t.id).await? {
            let domain = m.address.domain_name();
            let entry = uses.entry(t.id).or_default().entry(domain.clone()).or_default();
            entry.0 += 1;
            if book.of(&m).is_owned() {
                entry.1 += 1;
            }
            users_of.entry(domain).or_default().insert(t.id);
        }
    }
    let shared: Vec<DomainName> = users_of.iter().filter(|(_, t)| t.len() > 1).map(|(d, _)| d.clone()).collect();
    let report = tenants
        .iter()
        .map(|t| TenantDomains {
            tenant_id: t.id,
            name: t.name.to_string(),
            domains: uses
                .remove(&t.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(domain, (mailboxes, owned))| DomainUse {
                    shared: shared.contains(&domain),
                    domain,
                    mailboxes,
                    owned,
                })
                .collect(),
        })
        .collect();
    Ok((report, shared))
}

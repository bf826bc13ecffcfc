//! Loads what rule 0 needs for one tenant ([`OwnershipBook`]): its domain
//! claims, its confirmation records, the platform domains, and which of
//! its confirmed addresses' domains another tenant has proven since.
//!
//! Cost: 3 store requests in parallel (⌈claims / 500⌉ pages, the
//! confirmation records, the platform settings), plus one platform-claim
//! read per distinct domain of a confirmed address.

use crate::error::StoreError;
use crate::model::SendingDomain;
use crate::policy::OwnershipBook;
use crate::ports::{Store, read_all};
use crate::{DomainName, TenantId};
use std::collections::BTreeSet;

/// Every claim of the tenant.
pub async fn all_domains(store: &dyn Store, tenant: TenantId) -> Result<Vec<SendingDomain>, StoreError> {
    read_all(|page| async move { store.list_domains(tenant, &page).await }).await
}

/// The ownership book of a tenant.
pub async fn book(store: &dyn Store, tenant: TenantId) -> Result<OwnershipBook, StoreError> {
    let (domains, confirmations, platform) =
        futures::join!(all_domains(store, tenant), store.list_confirmations(tenant), store.get_platform_domains());
    let (domains, confirmations, platform) = (domains?, confirmations?, platform?);
    let confirmed_domains: BTreeSet<DomainName> =
        confirmations.iter().filter(|c| c.confirmed_at.is_some()).map(|c| c.address.domain_name()).collect();
    let mut held_elsewhere = BTreeSet::new();
    for name in confirmed_domains {
        if let Some((holder, _)) = store.domain_holder(&name).await?
            && holder != tenant
        {
            held_elsewhere.insert(name);
        }
    }
    Ok(OwnershipBook::new(&domains, &confirmations, platform, &held_elsewhere))
}

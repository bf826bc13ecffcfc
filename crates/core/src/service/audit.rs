//! The audit log: the proxy appends, admins read their tenant's records.

use super::require_admin;
use crate::error::ServiceError;
use crate::model::{AuditFilter, AuditRecord, Role};
use crate::ports::{Page, PageRequest, Store};
use crate::{TenantId, Timestamp};

/// Appends a record (the proxy; no role check).
pub async fn append(store: &dyn Store, record: &AuditRecord) -> Result<(), ServiceError> {
    Ok(store.append_audit(record).await?)
}

/// Reads a tenant's records, newest first (admin of the tenant).
pub async fn query(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRecord>, ServiceError> {
    require_admin(caller, tenant)?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(ServiceError::invalid("from", "must not be after `to`"));
    }
    Ok(store.query_audit(tenant, filter, page).await?)
}

/// Enforces retention where the backend has no native expiry.
pub async fn sweep(store: &dyn Store) -> Result<u64, ServiceError> {
    Ok(store.purge_expired_audit(Timestamp::now()).await?)
}

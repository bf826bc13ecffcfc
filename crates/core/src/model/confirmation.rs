//! Confirmed addresses (SPEC §1): a single address whose owner entered
//! the code sendas mailed to it, for a tenant that cannot publish DNS
//! records. The code is kept only as a hash.

use crate::{EmailAddress, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// One address's confirmation: the code in flight and, once entered, the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressConfirmation {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The address, normalised.
    pub address: EmailAddress,
    /// SHA-256 (hex) of the code in flight, if one is.
    pub code_hash: Option<String>,
    /// When the code in flight expires.
    pub code_expires_at: Option<Timestamp>,
    /// Wrong entries of the code in flight.
    pub failed_tries: u32,
    /// When codes were sent (the last 24 h are kept), for the daily limits.
    pub sent: Vec<Timestamp>,
    /// When the right code was entered; `None` while unconfirmed.
    pub confirmed_at: Option<Timestamp>,
    /// Optimistic-concurrency version, one higher on every write.
    pub version: u64,
}

//! Confirmed addresses (SPEC §1): for a tenant that cannot publish DNS
//! records, the admin asks for a code for one mailbox's address; sendas
//! mails it (the API's adapter, through the system relay, from the
//! platform's sender) and entering it confirms that address, as
//! normalised, for that tenant. The code is 8 characters, valid 24 h, at
//! most 5 tries; a new code voids the old one; at most 3 codes per address
//! and 20 per tenant a day. Codes are kept only as hashes and never
//! returned, logged or audited.

use super::require_admin;
use crate::error::ServiceError;
use crate::model::{AddressConfirmation, Role};
use crate::ports::Store;
use crate::secret::{ExposeSecret, SecretHash, SecretString};
use crate::{EmailAddress, MailboxId, TenantId, Timestamp};

/// Characters of a code: no 0/O, 1/I/L (read aloud and typed again).
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789#";
/// Length of a code.
pub const CODE_LEN: usize = 8;
/// How long a code is valid.
pub const CODE_VALID_MS: i64 = 24 * 3_600_000;
/// Wrong entries before a code is void.
pub const MAX_TRIES: u32 = 5;
/// Codes per address within 24 h.
pub const PER_ADDRESS_PER_DAY: usize = 3;
/// Codes per tenant within 24 h.
pub const PER_TENANT_PER_DAY: usize = 20;
const DAY_MS: i64 = 24 * 3_600_000;

/// A code to mail: shown to nobody but the address's owner.
pub struct CodeToSend {
    /// The address it goes to.
    pub to: EmailAddress,
    /// The platform's sender it comes from.
    pub from: EmailAddress,
    /// The code.
    pub code: SecretString,
}

impl std::fmt::Debug for CodeToSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CodeToSend {{ to: {}, from: {}, code: [redacted] }}", self.to, self.from)
    }
}

fn new_code() -> Result<SecretString, ServiceError> {
    let mut bytes = [0u8; CODE_LEN];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
    // 31 symbols (the filler '#' is never drawn); `% 31` leaves a bias below 4 %, 39 bits per code.
    let mut out = String::with_capacity(CODE_LEN);
    for b in bytes {
        out.push(ALPHABET[(b % 31) as usize] as char);
    }
    Ok(SecretString::from(out))
}

/// The hash of a code, bound to its tenant and address.
fn hash(tenant: TenantId, address: &EmailAddress, code: &str) -> String {
    let normal: String = code.trim().chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    SecretHash::of(&format!("{tenant}\n{address}\n{}", normal.to_ascii_uppercase())).to_hex()
}

/// Refuses an address that cannot be confirmed by this tenant.
async fn check_confirmable(store: &dyn Store, tenant: TenantId, address: &EmailAddress) -> Result<(), ServiceError> {
    let platform = store.get_platform_domains().await?;
    let domain = address.domain_name();
    if platform.covers(&domain) {
        return Err(ServiceError::invalid("address", "an address in a platform domain is the operator's"));
    }
    match store.domain_holder(&domain).await? {
        Some((holder, _)) if holder != tenant => Err(ServiceError::domain_claimed()),
        Some(_) => Err(ServiceError::Conflict("this tenant owns the address's domain: nothing to confirm".into())),
        None => Ok(()),
    }
}

/// Makes a new code for the mailbox's address (admin): the record stores
/// its hash; the caller mails the [`CodeToSend`].
pub async fn request(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    mailbox: MailboxId,
    now: Timestamp,
) -> Result<(AddressConfirmation, CodeToSend), ServiceError> {
    require_admin(caller, tenant)?;
    let m = store.get_mailbox(tenant, mailbox).await?;
    check_confirmable(store, tenant, &m.address).await?;
    let from = store
        .get_platform_domains()
        .await?
        .sender
        .ok_or(ServiceError::Conflict("the operator has not set the platform's sender yet".into()))?;
    let all = store.list_confirmations(tenant).await?;
    let recent = |c: &AddressConfirmation| c.sent.iter().filter(|t| now.millis() - t.millis() < DAY_MS).count();
    if all.iter().map(recent).sum::<usize>() >= PER_TENANT_PER_DAY {
        return Err(ServiceError::RateLimited {
            kind: "too_many_codes",
            detail: format!("at most {PER_TENANT_PER_DAY} codes per tenant a day; try again tomorrow"),
        });
    }
    let before = all.into_iter().find(|c| c.address == m.address);
    if before.as_ref().is_some_and(|c| recent(c) >= PER_ADDRESS_PER_DAY) {
        return Err(ServiceError::RateLimited {
            kind: "too_many_codes",
            detail: format!("at most {PER_ADDRESS_PER_DAY} codes per address a day; try again tomorrow"),
        });
    }
    let code = new_code()?;
    let mut after = before.clone().unwrap_or(AddressConfirmation {
        tenant_id: tenant,
        address: m.address.clone(),
        code_hash: None,
        code_expires_at: None,
        failed_tries: 0,
        sent: vec![],
        confirmed_at: None,
        version: 0,
    });
    after.sent.retain(|t| now.millis() - t.millis() < DAY_MS);
    after.sent.push(now);
    after.code_hash = Some(hash(tenant, &m.address, code.expose_secret()));
    after.code_expires_at = Some(Timestamp(now.millis() + CODE_VALID_MS));
    after.failed_tries = 0;
    after.version += 1;
    store.put_confirmation(before.as_ref(), &after).await?;
    Ok((after, CodeToSend { to: m.address, from, code }))
}

/// Enters a code (admin): the right one confirms the mailbox's address.
pub async fn confirm(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    mailbox: MailboxId,
    code: &str,
    now: Timestamp,
) -> Result<AddressConfirmation, ServiceError> {
    require_admin(caller, tenant)?;
    let m = store.get_mailbox(tenant, mailbox).await?;
    check_confirmable(store, tenant, &m.address).await?;
    let before = match store.get_confirmation(tenant, &m.address).await {
        Ok(c) => c,
        Err(crate::StoreError::NotFound) => {
            return Err(ServiceError::invalid("code", "no code was sent to this address"));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(expected) = before.code_hash.clone() else {
        return Err(ServiceError::invalid("code", "no code is waiting for this address; ask for a new one"));
    };
    if before.code_expires_at.is_none_or(|t| now.millis() >= t.millis()) {
        return Err(ServiceError::invalid("code", "the code expired; ask for a new one"));
    }
    if before.failed_tries >= MAX_TRIES {
        return Err(ServiceError::Refused {
            kind: "code_locked",
            detail: format!("{MAX_TRIES} wrong entries: this code is void; ask for a new one"),
        });
    }
    let presented = hash(tenant, &m.address, code);
    let right = bool::from(subtle::ConstantTimeEq::ct_eq(presented.as_bytes(), expected.as_bytes()));
    let mut after = before.clone();
    after.version += 1;
    if right {
        after.code_hash = None;
        after.code_expires_at = None;
        after.failed_tries = 0;
        after.confirmed_at = Some(now);
        store.put_confirmation(Some(&before), &after).await?;
        Ok(after)
    } else {
        after.failed_tries += 1;
        store.put_confirmation(Some(&before), &after).await?;
        Err(ServiceError::invalid("code", format!("wrong code ({} of {MAX_TRIES} tries used)", after.failed_tries)))
    }
}

/// The confirmation of a mailbox's address, if any (admin).
pub async fn of_mailbox(
    store: &dyn Store,
    caller: &Role,
    tenant: TenantId,
    mailbox: MailboxId,
) -> Result<Option<AddressConfirmation>, ServiceError> {
    require_admin(caller, tenant)?;
    let m = store.get_mailbox(tenant, mailbox).await?;
    match store.get_confirmation(tenant, &m.address).await {
        Ok(c) => Ok(Some(c)),
        Err(crate::StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The texts of the code message: German and English, no text a tenant
/// wrote, the code only in the body. Answers (subject, body with CRLF).
pub fn message_text(code: &SecretString) -> (&'static str, String) {
    let c = code.expose_secret();
    let body = format!(
        "Ihr Bestätigungscode für sendas lautet:\r\n\r\n    {c}\r\n\r\n\
         Er gilt 24 Stunden. Geben Sie ihn nur in sendas ein. Wenn Sie keinen Code angefordert haben, \r\n\
         ignorieren Sie diese Nachricht: ohne den Code kann niemand als diese Adresse senden.\r\n\r\n\
         --\r\n\r\n\
         Your sendas confirmation code is:\r\n\r\n    {c}\r\n\r\n\
         It is valid for 24 hours. Enter it only in sendas. If you did not ask for a code, \r\n\
         ignore this message: without the code nobody can send as this address.\r\n"
    );
    ("Bestätigungscode / Confirmation code", body)
}

//! SMTP AUTH against the stored app-password hashes, with a short-lived
//! cache of credentials and permission snapshots, failure delays and
//! lockouts per IP and per login.
//!
//! Cache rules: a credential that verifies against the cached hashes is
//! accepted without a store request for `snapshot_ttl`; so a revoked app
//! password, a disabled user or a removed grant stops working within that
//! TTL. A password that does not verify against the cache is checked once
//! against the store, so a new app password works at once. An open session
//! keeps the id of the app password it authenticated with, and
//! [`Authenticator::still_valid`] checks it (against the same cache) at
//! every MAIL FROM: a revoked password, a disabled user or tenant ends the
//! session within the TTL too.
//!
//! Lockouts that an outsider cannot turn against a user: failures are
//! counted per client IP, per (IP, login) pair and per login in a
//! [`FailureCounter`]. Too many for one login from one IP lock that pair
//! (`454`): the guesser's address may not try that login again within the
//! window, not even with the right password, but the user, from any
//! address that has not failed, still gets in. Too many from one IP lock
//! that IP against *failures* (`421`, closed): a wrong password from it is
//! answered with the lock, but the right password of a login whose pair
//! is not locked is still admitted, so a guesser behind an office NAT
//! never locks out the colleagues who share its address. A login guessed
//! at from many addresses is not locked (that would let anyone who knows a
//! login keep its user from sending); instead every failure for it is
//! answered after a longer delay, and it raises an alert (a warning log
//! line and the `auth_login_alerts` counter). App passwords carry 160
//! random bits, so spreading the guesses over many addresses gains an
//! attacker nothing.
//!
//! Order of an attempt: the counts are read, the password is verified
//! (every hash compared, as always), then the answer is decided. A locked
//! key counts no further failures, so guessing on during a lock never
//! extends it; a failure during a pair lock still counts for the IP (and
//! one during an IP lock for the pair and the login). The answer of a
//! locked pair does not depend on the password: the same reply after the
//! same delay. Failures are never answered before the failure delay.
//!
//! With the AWS store the counter lives in DynamoDB, so a lockout on one
//! replica holds on all of them. Every failure is also counted in memory;
//! when the shared counter cannot be reached, the local counts decide (and
//! the higher of the two always does).

use crate::config::Limits;
use async_trait::async_trait;
use sendas_core::model::{Login, SmtpCredential};
use sendas_core::ports::{FailureCounter, MemoryFailureCounter, Store};
use sendas_core::secret::SecretHash;
use sendas_core::service::permissions::{PermissionSnapshot, snapshot};
use sendas_core::{CredentialId, StoreError, TenantId, UserId};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthedUser {
    /// Its tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// The login it authenticated with.
    pub login: String,
    /// The app password it authenticated with.
    pub credential: CredentialId,
    /// Who issued that app password (the user, an admin), when known.
    pub issued_by: Option<sendas_core::model::Issuer>,
}

impl AuthedUser {
    /// The audit log's name of what authenticated this session.
    pub fn audit_credential(&self) -> sendas_core::model::AuditCredential {
        sendas_core::model::AuditCredential {
            kind: sendas_core::model::CredentialKind::AppPassword,
            id: self.credential.to_string(),
            issued_by: self.issued_by,
        }
    }
}

/// The result of an AUTH attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Authenticated.
    Ok(AuthedUser),
    /// Wrong login or password, disabled user or tenant (one answer for all).
    Invalid,
    /// As `Invalid` (the client sees no difference), and the login is being
    /// guessed at from several addresses: an alert for the metrics.
    InvalidLoginAttacked,
    /// Too many failures from this IP: close the connection.
    LockedIp,
    /// Too many failures for this login: try later.
    LockedLogin,
    /// The store could not be asked.
    Unavailable,
}

/// Authenticates SMTP users and serves their permission snapshots.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Checks a login and app password from `ip`.
    async fn authenticate(&self, ip: IpAddr, login: &str, password: &str) -> AuthOutcome;
    /// The user's current permission snapshot (cached for the snapshot TTL).
    async fn snapshot(&self, user: &AuthedUser) -> Result<Arc<PermissionSnapshot>, StoreError>;
    /// Whether what `user` authenticated with still holds: its app password
    /// exists, the user and its tenant are enabled (cached for the snapshot TTL).
    async fn still_valid(&self, user: &AuthedUser) -> Result<bool, StoreError>;
}

#[derive(Clone)]
struct CachedLogin {
    at: Instant,
    tenant: TenantId,
    user: UserId,
    hashes: Vec<(CredentialId, SecretHash, Option<sendas_core::model::Issuer>)>,
    active: bool,
}

/// Logins longer than this are refused without a store request and
/// counted per IP only (an address is at most 254 bytes).
const MAX_LOGIN_LEN: usize = 320;

/// The `Authenticator` over a `Store`.
pub struct StoreAuthenticator {
    store: Arc<dyn Store>,
    limits: Limits,
    logins: Mutex<HashMap<String, CachedLogin>>,
    snapshots: Mutex<HashMap<UserId, (Instant, Arc<PermissionSnapshot>)>>,
    local_failures: MemoryFailureCounter,
    shared_failures: Option<Arc<dyn FailureCounter>>,
}

/// Failures within the window, per counted key.
struct FailureCounts {
    ip: u32,
    pair: u32,
    login: u32,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl StoreAuthenticator {
    /// An authenticator over `store` with these limits.
    pub fn new(store: Arc<dyn Store>, limits: Limits) -> Self {
        StoreAuthenticator {
            store,
            limits,
            logins: Mutex::new(HashMap::new()),
            snapshots: Mutex::new(HashMap::new()),
            local_failures: MemoryFailureCounter::default(),
            shared_failures: None,
        }
    }

    /// Counts AUTH failures also in `counter`, shared between replicas.
    pub fn with_shared_failures(mut self, counter: Arc<dyn FailureCounter>) -> Self {
        self.shared_failures = Some(counter);
        self
    }

    async fn load(&self, login: &Login) -> Result<Option<CachedLogin>, StoreError> {
        let user = match self.store.find_user_by_login(login).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let credentials: Vec<SmtpCredential> = self.store.list_credentials(user.tenant_id, user.id).await?;
        let tenant = self.store.get_tenant(user.tenant_id).await?;
        Ok(Some(CachedLogin {
            at: Instant::now(),
            tenant: tenant.id,
            user: user.id,
            hashes: credentials.into_iter().map(|c| (c.id, c.hash, c.issued_by)).collect(),
            active: user.enabled && tenant.enabled,
        }))
    }

    /// The IP's counted key.
    fn ip_key(ip: IpAddr) -> String {
        format!("ip:{ip}")
    }

    /// The counted keys: the IP, the (IP, login) pair and the login (the last two
    /// only for logins of a plausible length).
    fn failure_keys(ip: IpAddr, login: &str) -> Vec<String> {
        let mut keys = vec![Self::ip_key(ip)];
        if login.len() <= MAX_LOGIN_LEN {
            keys.push(format!("pair:{ip}/{login}"));
            keys.push(format!("login:{login}"));
        }
        keys
    }

    async fn counts(&self, ip: IpAddr, login: &str) -> FailureCounts {
        let keys = Self::failure_keys(ip, login);
        let w = self.limits.auth_window;
        let mut counts = self.local_failures.counts(&keys, w).await.unwrap_or_default();
        if let Some(shared) = &self.shared_failures {
            match shared.counts(&keys, w).await {
                Ok(remote) => counts.iter_mut().zip(remote).for_each(|(c, r)| *c = (*c).max(r)),
                Err(e) => tracing::warn!(error = %e, "shared AUTH failure counters unavailable; using this replica's"),
            }
        }
        let at = |i: usize| counts.get(i).copied().unwrap_or(0);
        FailureCounts { ip: at(0), pair: at(1), login: at(2) }
    }

    /// The lock these counts call for: the IP's, else the (IP, login) pair's.
    fn lock_of(&self, counts: &FailureCounts) -> Option<AuthOutcome> {
        if counts.ip >= self.limits.auth_failures_per_ip {
            return Some(AuthOutcome::LockedIp);
        }
        if counts.pair >= self.limits.auth_failures_per_login {
            return Some(AuthOutcome::LockedLogin);
        }
        None
    }

    /// Whether the login is being guessed at from several addresses.
    fn spread(&self, counts: &FailureCounts) -> bool {
        counts.login >= self.limits.auth_failures_per_login && counts.login > counts.pair
    }

    /// How long a failure with these counts takes in all: the failure delay,
    /// four times that while the login is guessed at from several addresses.
    fn delay(&self, counts: &FailureCounts) -> Duration {
        if self.spread(counts) { self.limits.auth_failure_delay * 4 } else { self.limits.auth_failure_delay }
    }

    /// Records one failure for `keys` (locally and in the shared counter).
    async fn record(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        let w = self.limits.auth_window;
        let _ = self.local_failures.record(keys, w).await;
        if let Some(shared) = &self.shared_failures
            && let Err(e) = shared.record(keys, w).await
        {
            tracing::warn!(error = %e, "could not record an AUTH failure in the shared counters");
        }
    }

    /// Records a failure of a login whose pair is not locked (for the IP
    /// too unless `ip_locked`: a locked key counts no more) and answers how
    /// it is answered: after how long in all ([`Self::delay`]), and as what
    /// (a lock the counts now call for, else `Invalid`, or
    /// `InvalidLoginAttacked` with that alert).
    async fn fail(&self, ip: IpAddr, login: &str, ip_locked: bool) -> (Duration, AuthOutcome) {
        let ip_key = Self::ip_key(ip);
        let keys: Vec<String> =
            Self::failure_keys(ip, login).into_iter().filter(|k| !ip_locked || *k != ip_key).collect();
        self.record(&keys).await;
        let counts = self.counts(ip, login).await;
        let spread = self.spread(&counts);
        if spread && (counts.login == self.limits.auth_failures_per_login || counts.login.is_multiple_of(100)) {
            tracing::warn!(
                login = %login.chars().take(64).collect::<String>(), failures = counts.login,
                "AUTH failures for one login from several addresses: answered slower, not locked"
            );
        }
        let invalid = if spread { AuthOutcome::InvalidLoginAttacked } else { AuthOutcome::Invalid };
        (self.delay(&counts), self.lock_of(&counts).unwrap_or(invalid))
    }

    /// The user these credentials authenticate (`None`: a wrong login or
    /// password, a disabled user or tenant); from the cache when the
    /// password verifies there, else from the store.
    async fn check(&self, login: &str, folded: &str, password: &str) -> Result<Option<AuthedUser>, StoreError> {
        let entry = match self.cached(folded) {
            Some(c) if Self::verify(&c, password).is_some() => Some(c),
            _ if folded.len() > MAX_LOGIN_LEN => None,
            _ => self.reload(login, folded).await?,
        };
        Ok(entry.and_then(|e| {
            Self::verify(&e, password).map(|(credential, issued_by)| AuthedUser {
                tenant: e.tenant,
                user: e.user,
                login: folded.to_owned(),
                credential,
                issued_by,
            })
        }))
    }

    /// A login's entry read from the store again, and cached under `folded`.
    async fn reload(&self, login: &str, folded: &str) -> Result<Option<CachedLogin>, StoreError> {
        let Ok(l) = Login::parse(login) else { return Ok(None) };
        let fresh = self.load(&l).await?;
        if let Some(fresh) = &fresh {
            lock(&self.logins).insert(folded.to_owned(), fresh.clone());
        }
        Ok(fresh)
    }

    /// The cached entry of a login, while it is younger than the snapshot TTL.
    fn cached(&self, folded: &str) -> Option<CachedLogin> {
        lock(&self.logins).get(folded).filter(|c| c.at.elapsed() < self.limits.snapshot_ttl).cloned()
    }

    /// The app password `password` is (`None`: none of them, or the user or tenant is disabled).
    fn verify(entry: &CachedLogin, password: &str) -> Option<(CredentialId, Option<sendas_core::model::Issuer>)> {
        // Every hash is compared, so the time does not tell which one matched.
        let matched = entry
            .hashes
            .iter()
            .fold(None, |found, (id, h, by)| if h.verify(password) { Some((*id, *by)) } else { found });
        matched.filter(|_| entry.active)
    }
}

#[async_trait]
impl Authenticator for StoreAuthenticator {
    async fn authenticate(&self, ip: IpAddr, login: &str, password: &str) -> AuthOutcome {
        let folded = login.to_ascii_lowercase();
        let started = Instant::now();
        let before = self.counts(ip, &folded).await;
        let ip_locked = before.ip >= self.limits.auth_failures_per_ip;
        if before.pair >= self.limits.auth_failures_per_login {
            // The pair is locked: refused whatever the password, with the same reply after the
            // same delay. The password is still verified when a failure would count for the IP
            // (the pair itself counts no more, so guessing on does not extend its lock).
            if !ip_locked && matches!(self.check(login, &folded, password).await, Ok(None)) {
                self.record(&[Self::ip_key(ip)]).await;
            }
            tokio::time::sleep(self.delay(&before).saturating_sub(started.elapsed())).await;
            return if ip_locked { AuthOutcome::LockedIp } else { AuthOutcome::LockedLogin };
        }
        match self.check(login, &folded, password).await {
            Err(_) => AuthOutcome::Unavailable,
            // Admitted even from a locked IP: that lock refuses failures, not the IP's other users.
            Ok(Some(user)) => AuthOutcome::Ok(user),
            Ok(None) => {
                let (delay, outcome) = self.fail(ip, &folded, ip_locked).await;
                // Failures are never answered faster than the delay.
                tokio::time::sleep(delay.saturating_sub(started.elapsed())).await;
                outcome
            }
        }
    }

    async fn snapshot(&self, user: &AuthedUser) -> Result<Arc<PermissionSnapshot>, StoreError> {
        if let Some((at, snap)) = lock(&self.snapshots).get(&user.user)
            && at.elapsed() < self.limits.snapshot_ttl
        {
            return Ok(snap.clone());
        }
        let snap = Arc::new(snapshot(self.store.as_ref(), user.tenant, user.user).await.map_err(|e| match e {
            sendas_core::ServiceError::NotFound => StoreError::NotFound,
            other => StoreError::Unavailable(other.to_string()),
        })?);
        lock(&self.snapshots).insert(user.user, (Instant::now(), snap.clone()));
        Ok(snap)
    }

    async fn still_valid(&self, user: &AuthedUser) -> Result<bool, StoreError> {
        let holds = |e: &CachedLogin| {
            e.active
                && e.user == user.user
                && e.tenant == user.tenant
                && e.hashes.iter().any(|(id, _, _)| *id == user.credential)
        };
        // Every MAIL FROM asks: answered under the lock from a fresh entry, without a copy.
        let ttl = self.limits.snapshot_ttl;
        if let Some(answer) = lock(&self.logins).get(&user.login).filter(|c| c.at.elapsed() < ttl).map(holds) {
            return Ok(answer);
        }
        Ok(self.reload(&user.login, &user.login).await?.as_ref().is_some_and(holds))
    }
}

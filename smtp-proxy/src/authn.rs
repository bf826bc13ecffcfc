//! SMTP AUTH against the stored app-password hashes, with a short-lived
//! cache of credentials and permission snapshots, failure delays and
//! lockouts per IP and per login.
//!
//! Cache rules: a credential that verifies against the cached hashes is
//! accepted without a store request for `snapshot_ttl`; so a revoked app
//! password, a disabled user or a removed grant stops working within that
//! TTL. A password that does not verify against the cache is checked once
//! against the store, so a new app password works at once.
//!
//! Lockouts that an outsider cannot turn against a user: failures are
//! counted per client IP, per (IP, login) pair and per login in a
//! [`FailureCounter`]. Too many from one IP lock that IP (`421`, closed);
//! too many for one login from one IP lock that pair (`454`): the
//! guesser's address may not try that login again within the window, but
//! the user, from any address that has not failed, still gets in with the
//! right password. A login guessed at from many addresses is not locked
//! (that would let anyone who knows a login keep its user from sending);
//! instead every failure for it is answered after a longer delay, and it
//! raises an alert (a warning log line and the `auth_login_alerts`
//! counter). App passwords carry 160 random bits, so spreading the guesses
//! over many addresses gains an attacker nothing.
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
use sendas_core::{StoreError, TenantId, UserId};
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
}

#[derive(Clone)]
struct CachedLogin {
    at: Instant,
    tenant: TenantId,
    user: UserId,
    hashes: Vec<SecretHash>,
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
            hashes: credentials.into_iter().map(|c| c.hash).collect(),
            active: user.enabled && tenant.enabled,
        }))
    }

    /// The counted keys: the IP, the (IP, login) pair and the login (the last two
    /// only for logins of a plausible length).
    fn failure_keys(ip: IpAddr, login: &str) -> Vec<String> {
        let mut keys = vec![format!("ip:{ip}")];
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

    async fn locked(&self, ip: IpAddr, login: &str) -> Option<AuthOutcome> {
        self.lock_of(&self.counts(ip, login).await)
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

    /// Records a failure and answers how it is answered: after how long in all
    /// (the failure delay, four times that while the login is guessed at from
    /// several addresses), and as what (a lock it now calls for, else
    /// `Invalid`, or `InvalidLoginAttacked` with that alert).
    async fn fail(&self, ip: IpAddr, login: &str) -> (Duration, AuthOutcome) {
        let keys = Self::failure_keys(ip, login);
        let w = self.limits.auth_window;
        let _ = self.local_failures.record(&keys, w).await;
        if let Some(shared) = &self.shared_failures
            && let Err(e) = shared.record(&keys, w).await
        {
            tracing::warn!(error = %e, "could not record an AUTH failure in the shared counters");
        }
        let counts = self.counts(ip, login).await;
        let spread = counts.login >= self.limits.auth_failures_per_login && counts.login > counts.pair;
        if spread && (counts.login == self.limits.auth_failures_per_login || counts.login.is_multiple_of(100)) {
            tracing::warn!(
                login = %login.chars().take(64).collect::<String>(), failures = counts.login,
                "AUTH failures for one login from several addresses: answered slower, not locked"
            );
        }
        let delay = if spread { self.limits.auth_failure_delay * 4 } else { self.limits.auth_failure_delay };
        let invalid = if spread { AuthOutcome::InvalidLoginAttacked } else { AuthOutcome::Invalid };
        (delay, self.lock_of(&counts).unwrap_or(invalid))
    }

    fn verify(entry: &CachedLogin, password: &str) -> bool {
        // Every hash is compared, so the time does not tell which one matched.
        entry.hashes.iter().fold(false, |ok, h| h.verify(password) | ok) && entry.active
    }
}

#[async_trait]
impl Authenticator for StoreAuthenticator {
    async fn authenticate(&self, ip: IpAddr, login: &str, password: &str) -> AuthOutcome {
        let folded = login.to_ascii_lowercase();
        let started = Instant::now();
        if self.locked(ip, &folded).await.is_some() {
            // An attempt while locked still counts, so guessing on does not reset anything.
            let (delay, outcome) = self.fail(ip, &folded).await;
            tokio::time::sleep(delay.saturating_sub(started.elapsed())).await;
            return outcome;
        }
        let cached = lock(&self.logins).get(&folded).filter(|c| c.at.elapsed() < self.limits.snapshot_ttl).cloned();
        let entry = match cached {
            Some(c) if Self::verify(&c, password) => Some(c),
            _ if folded.len() > MAX_LOGIN_LEN => None,
            _ => match Login::parse(login) {
                Err(_) => None,
                Ok(l) => match self.load(&l).await {
                    Ok(Some(fresh)) => {
                        lock(&self.logins).insert(folded.clone(), fresh.clone());
                        Some(fresh)
                    }
                    Ok(None) => None,
                    Err(_) => return AuthOutcome::Unavailable,
                },
            },
        };
        match entry {
            Some(e) if Self::verify(&e, password) => {
                AuthOutcome::Ok(AuthedUser { tenant: e.tenant, user: e.user, login: folded })
            }
            _ => {
                let (delay, outcome) = self.fail(ip, &folded).await;
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
}

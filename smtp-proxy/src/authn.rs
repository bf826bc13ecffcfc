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
//! Lockouts: failures are counted per client IP and per login in a
//! [`FailureCounter`]. With the AWS store that counter lives in DynamoDB,
//! so a login locked on one replica is locked on all of them. Every
//! failure is also counted in memory; when the shared counter cannot be
//! reached, the local counts decide (and the higher of the two always does).

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
use std::time::Instant;

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

    fn failure_keys(ip: IpAddr, login: &str) -> Vec<String> {
        let mut keys = vec![format!("ip:{ip}")];
        if login.len() <= MAX_LOGIN_LEN {
            keys.push(format!("login:{login}"));
        }
        keys
    }

    async fn locked(&self, ip: IpAddr, login: &str) -> Option<AuthOutcome> {
        let keys = Self::failure_keys(ip, login);
        let w = self.limits.auth_window;
        let mut counts = self.local_failures.counts(&keys, w).await.unwrap_or_default();
        if let Some(shared) = &self.shared_failures {
            match shared.counts(&keys, w).await {
                Ok(remote) => counts.iter_mut().zip(remote).for_each(|(c, r)| *c = (*c).max(r)),
                Err(e) => tracing::warn!(error = %e, "shared AUTH failure counters unavailable; using this replica's"),
            }
        }
        if counts.first().is_some_and(|&c| c >= self.limits.auth_failures_per_ip) {
            return Some(AuthOutcome::LockedIp);
        }
        if counts.get(1).is_some_and(|&c| c >= self.limits.auth_failures_per_login) {
            return Some(AuthOutcome::LockedLogin);
        }
        None
    }

    async fn fail(&self, ip: IpAddr, login: &str) {
        let keys = Self::failure_keys(ip, login);
        let w = self.limits.auth_window;
        let _ = self.local_failures.record(&keys, w).await;
        if let Some(shared) = &self.shared_failures
            && let Err(e) = shared.record(&keys, w).await
        {
            tracing::warn!(error = %e, "could not record an AUTH failure in the shared counters");
        }
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
        if let Some(locked) = self.locked(ip, &folded).await {
            // An attempt while locked still counts, so guessing on does not reset anything.
            self.fail(ip, &folded).await;
            tokio::time::sleep(self.limits.auth_failure_delay.saturating_sub(started.elapsed())).await;
            return locked;
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
                self.fail(ip, &folded).await;
                // Failures are never answered faster than the delay.
                tokio::time::sleep(self.limits.auth_failure_delay.saturating_sub(started.elapsed())).await;
                self.locked(ip, &folded).await.unwrap_or(AuthOutcome::Invalid)
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

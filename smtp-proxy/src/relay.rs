//! Relaying an accepted message: through the sending mailbox's own SMTP
//! server with its credentials (pooled connections per mailbox), or
//! through the system relay (an SMTP relay, or the outbox directory).
//! Upstream replies keep lettre's classes: transient → the client gets
//! 451 and retries; permanent → the client gets the upstream's code.

use crate::reply::sanitise;
use async_trait::async_trait;
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::{ClientId, Extension};
use secrecy::{ExposeSecret, SecretString};
use sendas_core::EmailAddress;
use sendas_core::model::{Mailbox, SmtpSettings, SystemRelay};
use sendas_core::ports::{SecretRef, SecretStore, Store};
use sendas_core::secret::SecretHash;
use sendas_smtp_client::LoginError;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Envelope of a relayed message.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// MAIL FROM: the sending mailbox.
    pub from: EmailAddress,
    /// The client's recipients.
    pub to: Vec<String>,
}

impl Envelope {
    /// Whether every address is ASCII (else the upstream must offer SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.from.as_str().is_ascii() && self.to.iter().all(|t| t.is_ascii())
    }
}

/// The upstream accepted.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// The upstream's reply text (with its queue id), sanitised.
    pub upstream_reply: String,
}

/// The upstream did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// Try again later (unreachable, timeout, 4xx, secret store or database down).
    Temporary(String),
    /// The upstream refused for good.
    Permanent {
        /// The upstream's code (5xx).
        code: u16,
        /// The upstream's text, sanitised.
        text: String,
    },
}

/// Why one upstream exchange failed.
enum Failure {
    Login(LoginError),
    Send(lettre::transport::smtp::Error),
    /// The envelope needs SMTPUTF8 and the upstream does not offer it.
    NoSmtpUtf8,
}

/// Sends a message upstream.
#[async_trait]
pub trait Relay: Send + Sync {
    /// Relays `message` for `mailbox`.
    async fn relay(&self, mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError>;
}

/// Idle connections kept per upstream login.
const MAX_IDLE_PER_UPSTREAM: usize = 8;
/// How long a password read from the secret store is reused.
const SECRET_TTL: Duration = Duration::from_secs(30);
/// How long an idle upstream connection is reused.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// The production relay: per-mailbox upstreams and the system relay.
///
/// Connections are pooled per upstream login (host, port, TLS mode,
/// username, password hash). A connection goes back to the pool only after
/// a complete, successful exchange; after any error or timeout it is
/// dropped, so a half-finished exchange can never answer for the next
/// message (lettre's own pool would recycle it).
pub struct UpstreamRelay {
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    timeout: Duration,
    hostname: String,
    pools: Mutex<HashMap<String, Vec<(Instant, AsyncSmtpConnection)>>>,
    system: Mutex<Option<(Instant, SystemRelay)>>,
    passwords: Mutex<HashMap<SecretRef, (Instant, SecretString)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl UpstreamRelay {
    /// A relay reading routes from `store` and passwords from `secrets`.
    pub fn new(store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>, timeout: Duration) -> Self {
        UpstreamRelay {
            store,
            secrets,
            timeout,
            hostname: "sendas.relay".into(),
            pools: Mutex::new(HashMap::new()),
            system: Mutex::new(None),
            passwords: Mutex::new(HashMap::new()),
        }
    }

    fn idle(&self, key: &str) -> Option<AsyncSmtpConnection> {
        let mut pools = lock(&self.pools);
        let list = pools.get_mut(key)?;
        while let Some((at, conn)) = list.pop() {
            if at.elapsed() < MAX_IDLE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, key: String, conn: AsyncSmtpConnection) {
        let mut pools = lock(&self.pools);
        let list = pools.entry(key).or_default();
        if list.len() < MAX_IDLE_PER_UPSTREAM {
            list.push((Instant::now(), conn));
        }
    }

    async fn system_relay(&self) -> Result<SystemRelay, RelayError> {
        if let Some((at, relay)) = lock(&self.system).as_ref()
            && at.elapsed() < Duration::from_secs(30)
        {
            return Ok(relay.clone());
        }
        let relay = self
            .store
            .get_system_relay()
            .await
            .map_err(|e| RelayError::Temporary(format!("reading the system relay: {e}")))?
            .ok_or_else(|| RelayError::Temporary("no system relay is configured".into()))?;
        *lock(&self.system) = Some((Instant::now(), relay.clone()));
        Ok(relay)
    }

    /// A mailbox's (or the system relay's) password, reused for [`SECRET_TTL`]:
    /// a warm message costs no secret-store request. A changed password is
    /// used within that TTL; until then the upstream refuses the old one (4xx/5xx).
    async fn password(&self, name: &SecretRef) -> Result<SecretString, RelayError> {
        if let Some((at, password)) = lock(&self.passwords).get(name)
            && at.elapsed() < SECRET_TTL
        {
            return Ok(password.clone());
        }
        let password = self
            .secrets
            .get_secret(name)
            .await
            .map_err(|_| RelayError::Temporary("the secret store is unavailable".into()))?
            .ok_or_else(|| RelayError::Temporary("no SMTP password is set for the sending mailbox".into()))?;
        lock(&self.passwords).insert(name.clone(), (Instant::now(), password.clone()));
        Ok(password)
    }

    async fn via_smtp(
        &self,
        settings: &SmtpSettings,
        password: Option<SecretString>,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Relayed, RelayError> {
        let key = format!(
            "{}|{}|{:?}|{}|{}",
            settings.host(),
            settings.port(),
            settings.tls(),
            settings.username(),
            password.as_ref().map(|p| SecretHash::of(p.expose_secret()).to_hex()).unwrap_or_default()
        );
        let credentials =
            password.map(|p| Credentials::new(settings.username().to_owned(), p.expose_secret().to_owned()));
        let from = lettre::Address::from_str(envelope.from.as_str()).map_err(|_| RelayError::Permanent {
            code: 553,
            text: "the sending address cannot be used upstream".into(),
        })?;
        let to = envelope
            .to
            .iter()
            .map(|r| lettre::Address::from_str(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| RelayError::Permanent { code: 553, text: "a recipient cannot be used upstream".into() })?;
        let env = LettreEnvelope::new(Some(from), to)
            .map_err(|_| RelayError::Permanent { code: 554, text: "no recipients".into() })?;
        let exchange = async {
            let mut conn = match self.idle(&key) {
                Some(c) => c,
                None => {
                    let hello = ClientId::Domain(self.hostname.clone());
                    sendas_smtp_client::login(settings, credentials.as_ref(), &hello, self.timeout)
                        .await
                        .map_err(Failure::Login)?
                        .conn
                }
            };
            if !envelope.is_ascii() && !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Failure::NoSmtpUtf8);
            }
            // lettre ends the data with CRLF "." CRLF itself: a message's own final CRLF would
            // arrive as an extra empty line (the legitimate-corpus test found it).
            let body = message.strip_suffix(b"\r\n").unwrap_or(message);
            let response = conn.send(&env, body).await.map_err(Failure::Send)?;
            Ok::<_, Failure>((conn, response))
        };
        // One deadline over connect, AUTH and the whole transaction.
        let Ok(result) = tokio::time::timeout(self.timeout, exchange).await else {
            return Err(RelayError::Temporary("the upstream did not answer in time".into()));
        };
        match result {
            Ok((conn, response)) => {
                self.put_back(key, conn);
                let text = response.message().collect::<Vec<_>>().join(" ");
                Ok(Relayed { upstream_reply: sanitise(&format!("{} {text}", response.code())) })
            }
            Err(Failure::Send(e) | Failure::Login(LoginError::Smtp(_, e))) if e.is_permanent() => {
                let code = e.status().map(u16::from).unwrap_or(554);
                Err(RelayError::Permanent { code, text: sanitise(&e.to_string()) })
            }
            Err(Failure::NoSmtpUtf8) => Err(RelayError::Permanent {
                code: 553,
                text: "5.6.7 the mailbox's server does not offer SMTPUTF8, needed for a non-ASCII address".into(),
            }),
            Err(Failure::Send(e)) => Err(RelayError::Temporary(sanitise(&e.to_string()))),
            Err(Failure::Login(e)) => Err(RelayError::Temporary(sanitise(&e.to_string()))),
        }
    }
}

#[async_trait]
impl Relay for UpstreamRelay {
    async fn relay(&self, mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
        if let Some(settings) = &mailbox.smtp {
            let password = self.password(&SecretRef::mailbox(mailbox.tenant_id, mailbox.id)).await?;
            return self.via_smtp(settings, Some(password), envelope, message).await;
        }
        match self.system_relay().await? {
            SystemRelay::Outbox { dir } => write_outbox(Path::new(&dir), envelope, message),
            SystemRelay::Smtp { host, port, tls, username, password_set } => {
                let settings = SmtpSettings::new(&host, port, tls, username.as_deref().unwrap_or("none"))
                    .map_err(|e| RelayError::Temporary(format!("system relay: {}", e.reason)))?;
                let password = match (username.is_some(), password_set) {
                    (true, true) => Some(self.password(&SecretRef::system_relay()).await?),
                    _ => None,
                };
                self.via_smtp(&settings, password, envelope, message).await
            }
        }
    }
}

/// Writes one `.eml` atomically: temporary file, fsync, rename, fsync of the directory.
/// Two headers in front record the envelope: `X-Sendas-Envelope-From`, `X-Sendas-Envelope-To`.
pub fn write_outbox(dir: &Path, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
    let io = |e: std::io::Error| RelayError::Temporary(format!("outbox: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let id = uuid_like();
    let tmp = dir.join(format!(".{id}.tmp"));
    let path = dir.join(format!("{id}.eml"));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    let to = envelope.to.iter().map(|t| format!("<{t}>")).collect::<Vec<_>>().join(", ");
    write!(f, "X-Sendas-Envelope-From: <{}>\r\nX-Sendas-Envelope-To: {to}\r\n", envelope.from).map_err(io)?;
    f.write_all(message).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Relayed { upstream_reply: format!("250 2.0.0 Ok: queued as {id}") })
}

fn uuid_like() -> String {
    let t = sendas_core::Timestamp::now().millis();
    let r: String = sendas_core::secret::random_bytes::<8>().iter().map(|b| format!("{b:02x}")).collect();
    format!("{t}-{r}")
}

//! [`UpstreamRelay`], the production relay: the sending mailbox's own
//! server when it is authenticated, else the system relay (an SMTP server
//! or the outbox directory, read from the store and reused for 30 s).
//! Built once per process by the composition root, with the process's
//! caching secret store.

use crate::health::HealthBook;
use crate::http::TokenHttp;
use crate::login::{Logins, Owner};
use crate::oauth::Grants;
use crate::outbox::OutboxRoute;
use crate::reach::UpstreamPolicy;
use crate::smtp_route::{SmtpRoute, SmtpRouteOptions, Target};
use crate::verify::Verifier;
use crate::{Envelope, Relay, RelayError, Relayed, Route};
use async_trait::async_trait;
use sendas_core::model::{Mailbox, SystemRelay};
use sendas_core::ports::{SecretStore, Store};
use sendas_smtp_client::{Timeouts, Trust, TrustError};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the system relay's settings are reused.
const SYSTEM_RELAY_TTL: Duration = Duration::from_secs(30);

/// How the relay reaches upstreams.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// The name sent with EHLO.
    pub hello: String,
    /// The CAs trusted for TLS to upstream servers and token endpoints
    /// (Web PKI roots, plus a configured CA bundle).
    pub trust: Trust,
    /// One deadline over connect, login and the transaction up to the
    /// message's final dot; also each step's limit.
    pub deadline: Duration,
    /// The wait for the upstream's reply to the final dot, apart from the
    /// deadline: 10 minutes (RFC 5321 §4.5.3.2.6).
    pub final_reply_timeout: Duration,
    /// Each token request's limit.
    pub token_timeout: Duration,
    /// How long an idle upstream connection is reused (zero: never).
    pub max_idle: Duration,
    /// Open connections per mailbox login at most, idle ones included
    /// (servers limit them: Dovecot 10 per user and IP, Exchange Online 3 per mailbox).
    pub max_connections_per_login: usize,
    /// How long a login its server refused is held at first (doubling with each refusal in a
    /// row up to `held_login_max`): 1 minute.
    pub held_login_base: Duration,
    /// The longest hold: 30 minutes.
    pub held_login_max: Duration,
    /// How upstream host names resolve and which special-use networks
    /// they may be in (default: no resolver, public addresses only).
    pub upstreams: UpstreamPolicy,
    /// Recipients per message through the system relay (operator configuration; SES takes 50).
    pub system_relay_max_recipients: usize,
    /// Recipients per message through a mailbox's own server.
    pub mailbox_max_recipients: usize,
}

/// The system relay's recipients per message unless configured (SES's limit).
pub const SYSTEM_RELAY_MAX_RECIPIENTS: usize = 50;

impl RelayOptions {
    /// The Web PKI roots, a 10 s token timeout, idle connections reused for 30 s, 10 connections
    /// per login, public upstream addresses only (IP literals and `localhost` until a resolver is set).
    pub fn new(deadline: Duration) -> RelayOptions {
        RelayOptions {
            hello: "sendas.relay".into(),
            trust: Trust::web_pki(),
            deadline,
            final_reply_timeout: sendas_smtp_client::FINAL_REPLY_TIMEOUT,
            token_timeout: Duration::from_secs(10),
            max_idle: Duration::from_secs(30),
            max_connections_per_login: 10,
            held_login_base: Duration::from_secs(60),
            held_login_max: Duration::from_secs(30 * 60),
            upstreams: UpstreamPolicy::default(),
            system_relay_max_recipients: SYSTEM_RELAY_MAX_RECIPIENTS,
            mailbox_max_recipients: sendas_message::limits::MAX_RECIPIENTS,
        }
    }

    /// The same options letting upstream hosts be in `networks` too (the
    /// resolver stays).
    pub fn with_networks(mut self, networks: sendas_core::policy::UpstreamNetworks) -> RelayOptions {
        self.upstreams = self.upstreams.with_networks(networks);
        self
    }

    /// The same options trusting, besides the Web PKI roots, the CAs of the
    /// PEM bundle at `bundle` (the composition root reads where it is from its
    /// configuration: `SENDAS_UPSTREAM_CA_BUNDLE`, the proxy's file).
    pub fn with_ca_bundle(mut self, bundle: Option<&Path>) -> Result<RelayOptions, TrustError> {
        if let Some(path) = bundle {
            self.trust = Trust::with_pem_file(path)?;
        }
        Ok(self)
    }
}

/// The production relay: per-mailbox upstreams and the system relay.
pub struct UpstreamRelay {
    store: Arc<dyn Store>,
    smtp: Arc<SmtpRoute>,
    outbox: OutboxRoute,
    system: Mutex<Option<(Instant, SystemRelay)>>,
    system_max_recipients: usize,
    mailbox_max_recipients: usize,
}

impl UpstreamRelay {
    /// A relay reading routes from `store` and secrets from `secrets` (the process's one caching layer).
    pub fn new(store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>, options: RelayOptions) -> UpstreamRelay {
        let grants = Grants::new(TokenHttp::new(&options.trust, options.token_timeout, &options.upstreams));
        let logins = Arc::new(Logins::new(secrets, grants));
        let health = Arc::new(HealthBook::new(store.clone()));
        let (system_max_recipients, mailbox_max_recipients) =
            (options.system_relay_max_recipients.max(1), options.mailbox_max_recipients.max(1));
        let route_options = SmtpRouteOptions {
            hello: options.hello,
            trust: options.trust,
            timeouts: Timeouts { final_reply: options.final_reply_timeout, ..Timeouts::uniform(options.deadline) },
            deadline: options.deadline,
            max_idle: options.max_idle,
            max_connections_per_login: options.max_connections_per_login,
            held_login_base: options.held_login_base,
            held_login_max: options.held_login_max,
            upstreams: options.upstreams,
        };
        UpstreamRelay {
            store,
            smtp: Arc::new(SmtpRoute::new(logins, health, route_options)),
            outbox: OutboxRoute,
            system: Mutex::new(None),
            system_max_recipients,
            mailbox_max_recipients,
        }
    }

    /// `verify` over the same logins, token cache and health book.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(self.smtp.clone())
    }

    async fn system_relay(&self) -> Result<SystemRelay, RelayError> {
        if let Some((at, relay)) = self.system.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && at.elapsed() < SYSTEM_RELAY_TTL
        {
            return Ok(relay.clone());
        }
        let relay = self
            .store
            .get_system_relay()
            .await
            .map_err(|e| RelayError::Temporary(format!("reading the system relay: {e}")))?
            .ok_or_else(|| RelayError::Temporary("no system relay is configured".into()))?;
        *self.system.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), relay.clone()));
        Ok(relay)
    }
}

#[async_trait]
impl Relay for UpstreamRelay {
    async fn relay(&self, mailbox: &Mailbox, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
        if let Some(settings) = &mailbox.smtp {
            let owner = Owner::Mailbox { tenant: mailbox.tenant_id, mailbox: mailbox.id };
            let target = Target {
                owner,
                settings: settings.clone(),
                authenticate: true,
                max_recipients: self.mailbox_max_recipients,
            };
            return self.smtp.deliver(&target, envelope, message).await;
        }
        match self.system_relay().await? {
            SystemRelay::Outbox { dir } => self.outbox.deliver(Path::new(&dir), envelope, message).await,
            ref relay @ SystemRelay::Smtp { ref username, password_set, .. } => {
                let settings = relay
                    .settings()
                    .ok_or_else(|| RelayError::Temporary("the system relay's settings are not valid".into()))?;
                let authenticate = username.is_some() && password_set;
                let target = Target {
                    owner: Owner::SystemRelay,
                    settings,
                    authenticate,
                    max_recipients: self.system_max_recipients,
                };
                self.smtp.deliver(&target, envelope, message).await
            }
        }
    }

    async fn max_recipients(&self, mailbox: &Mailbox) -> usize {
        match mailbox.smtp {
            Some(_) => self.mailbox_max_recipients,
            None => self.system_max_recipients,
        }
    }
}

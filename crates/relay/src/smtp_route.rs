//! The SMTP route: a message goes to an SMTP server (the mailbox's own,
//! or the system relay) through the proxy's own client — verified TLS,
//! MAIL/RCPT/DATA pipelined where offered — logged in with the owner's
//! login method.
//!
//! Connections are pooled per login (owner, server, TLS mode, username,
//! login method — never per token or password, which change underneath).
//! A connection goes back to the pool only after a complete, successful
//! exchange; after any error or timeout it is dropped. A pooled connection
//! the server closed while idle is noticed before use, or at MAIL before a
//! byte of the message was sent, and a fresh one takes its place.
//!
//! An OAuth token the server refuses is refreshed once and the login
//! retried once. Every login's outcome goes to the [`HealthBook`]. A login
//! refused for good, or whose token endpoint failed, is held
//! ([`HeldLogins`]): the next messages are answered from memory until the
//! back-off ends, the secret or settings change, or `verify` logs in.

use crate::health::HealthBook;
use crate::held::HeldLogins;
use crate::login::{LoginFailure, Logins, Owner};
use crate::pool::{Checkout, Conn, Pool};
use crate::reach::{Unreachable, UpstreamPolicy};
use crate::{Envelope, RelayError, Relayed, Route};
use async_trait::async_trait;
use sendas_core::model::{HealthStage, SmtpSettings};
use sendas_smtp_client::{Auth, Client, ConnectOptions, ErrorKind, Reply, SmtpError, Step, Timeouts, Trust, sanitise};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Where a message goes on the SMTP route.
#[derive(Debug, Clone)]
pub struct Target {
    /// Whose login (and whose health).
    pub owner: Owner,
    /// The server and the login method.
    pub settings: SmtpSettings,
    /// Whether to log in at all (a system relay without a username does not).
    pub authenticate: bool,
    /// Recipients per upstream transaction at most (a longer envelope is split).
    pub max_recipients: usize,
}

impl Target {
    fn pool_key(&self) -> String {
        let s = &self.settings;
        let method = serde_json::to_string(s.login()).unwrap_or_default();
        format!(
            "{}|{}|{}|{:?}|{}|{}|{method}",
            self.owner.secret_ref(),
            s.host(),
            s.port(),
            s.tls(),
            s.username(),
            self.authenticate
        )
    }
}

/// Why an exchange failed.
pub(crate) enum Failure {
    /// Connect, TLS, AUTH, or the transaction: the client's error.
    Smtp(SmtpError),
    /// No login could be made (secret, token).
    Login(LoginFailure),
    /// The login is held refused: answered from memory.
    Held(String),
    /// The host was not connected to (no address, or one that is not public).
    Unreachable(Unreachable),
}

/// How the SMTP route connects.
#[derive(Debug, Clone)]
pub struct SmtpRouteOptions {
    /// The name sent with EHLO.
    pub hello: String,
    /// The CAs trusted for upstream TLS.
    pub trust: Trust,
    /// Per-step timeouts.
    pub timeouts: Timeouts,
    /// One deadline over connect, login and the whole transaction.
    pub deadline: Duration,
    /// How long an idle connection is reused.
    pub max_idle: Duration,
    /// Open connections per login at most (idle ones included).
    pub max_connections_per_login: usize,
    /// The first hold of a refused login, doubled with each refusal in a row up to `held_login_max`.
    pub held_login_base: Duration,
    /// The longest hold.
    pub held_login_max: Duration,
    /// Where upstream hosts may be (every address checked before connecting).
    pub upstreams: UpstreamPolicy,
}

/// The SMTP route with its pool.
pub struct SmtpRoute {
    logins: Arc<Logins>,
    health: Arc<HealthBook>,
    options: SmtpRouteOptions,
    pool: Pool,
    held: HeldLogins,
}

impl SmtpRoute {
    /// A route logging in through `logins`, noting outcomes in `health`.
    pub fn new(logins: Arc<Logins>, health: Arc<HealthBook>, options: SmtpRouteOptions) -> SmtpRoute {
        let pool = Pool::new(options.max_connections_per_login, options.max_idle);
        let held = HeldLogins::new(options.held_login_base, options.held_login_max);
        SmtpRoute { logins, health, options, pool, held }
    }

    /// The connection options for `settings`.
    pub fn connect_options(&self, settings: &SmtpSettings) -> ConnectOptions {
        let mut opts = ConnectOptions::from_settings(settings);
        opts.hello = self.options.hello.clone();
        opts.trust = self.options.trust.clone();
        opts.timeouts = self.options.timeouts;
        opts
    }

    /// Connects to the checked addresses of the target's host and logs in. What an internal
    /// host (in an allowed special-use network) answered a mailbox's login is kept to its codes.
    pub(crate) async fn login(&self, target: &Target) -> Result<(Client, Option<String>), Failure> {
        let settings = &target.settings;
        let reached =
            self.options.upstreams.resolve(settings.host(), settings.port()).await.map_err(Failure::Unreachable)?;
        let mut opts = self.connect_options(settings);
        opts.addresses = reached.addrs;
        let internal = reached.internal && matches!(target.owner, Owner::Mailbox { .. });
        match self.login_at(target, &opts).await {
            Ok((client, reply)) => {
                let reply = reply.map(|r| if internal { r.codes_only() } else { r });
                Ok((client, reply.map(|r| r.to_string())))
            }
            Err(Failure::Smtp(e)) if internal => Err(Failure::Smtp(e.redacted())),
            Err(other) => Err(other),
        }
    }

    /// Connects (to `opts.addresses`) and logs in: a refused OAuth token is refreshed once and
    /// the login retried once.
    async fn login_at(&self, target: &Target, opts: &ConnectOptions) -> Result<(Client, Option<Reply>), Failure> {
        let mut client = Client::connect(opts).await.map_err(Failure::Smtp)?;
        if !target.authenticate {
            return Ok((client, None));
        }
        let auth = self.logins.auth(&target.owner, &target.settings, None).await.map_err(Failure::Login)?;
        match client.authenticate(&auth).await {
            Ok(reply) => Ok((client, Some(reply))),
            Err(e) if login_refused(&e) => {
                let Auth::Bearer { token: stale, .. } = &auth else {
                    return Err(Failure::Smtp(e));
                };
                tracing::info!(owner = ?target.owner, "the upstream refused the access token: refreshing it once");
                let fresh =
                    self.logins.auth(&target.owner, &target.settings, Some(stale)).await.map_err(Failure::Login)?;
                if client.is_broken() {
                    client = Client::connect(opts).await.map_err(Failure::Smtp)?;
                }
                let reply = client.authenticate(&fresh).await.map_err(Failure::Smtp)?;
                Ok((client, Some(reply)))
            }
            Err(e) => Err(Failure::Smtp(e)),
        }
    }

    /// Notes a login outcome for a mailbox owner; returns the store write, if one started.
    pub(crate) fn note(
        &self,
        owner: &Owner,
        outcome: Result<&str, (HealthStage, &str)>,
        force: bool,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let Owner::Mailbox { tenant, mailbox } = owner else {
            return None;
        };
        match outcome {
            Ok(detail) => self.health.note(*tenant, *mailbox, None, detail, force),
            Err((stage, detail)) => self.health.note(*tenant, *mailbox, Some(stage), detail, force),
        }
    }

    /// The deadline of one exchange.
    pub(crate) fn deadline(&self) -> Duration {
        self.options.deadline
    }

    /// The digest of `target`'s stored secret (a hold ends when it changes).
    async fn secret_digest(&self, target: &Target) -> Option<[u8; 32]> {
        if target.authenticate { self.logins.secret_digest(&target.owner).await } else { None }
    }

    /// A login of `target` worked (`verify` or a message): nothing is held for it.
    pub(crate) fn release_hold(&self, target: &Target) {
        self.held.release(&target.pool_key());
    }

    /// Maps a failure to the relay's answer, noting the mailbox's health; a login refused for
    /// good or a failed token endpoint is held (`digest`: the secret it was tried with).
    fn fail(&self, target: &Target, digest: Option<[u8; 32]>, failure: Failure) -> RelayError {
        let owner = &target.owner;
        match describe(failure) {
            Described::Internal(why) => RelayError::Temporary(why),
            Described::Held(detail) => RelayError::LoginRefused(detail),
            Described::Login { stage, refused, detail } => {
                let held = refused || stage == HealthStage::Token;
                let detail = if held { self.held.hold(&target.pool_key(), digest, &detail) } else { detail };
                self.note(owner, Err((stage, &detail)), false);
                if refused { RelayError::LoginRefused(detail) } else { RelayError::Temporary(detail) }
            }
            Described::Transaction(error) => {
                // The login worked; the transaction failed.
                self.note(owner, Ok("logged in"), false);
                error
            }
        }
    }
}

/// A failure, sorted.
pub(crate) enum Described {
    /// Not the mailbox's fault.
    Internal(String),
    /// A login stage failed.
    Login {
        /// Which.
        stage: HealthStage,
        /// For good (an admin must fix it).
        refused: bool,
        /// What happened, sanitised, starting with the stage ("token: invalid_grant", "auth: 535 ...").
        detail: String,
    },
    /// MAIL, RCPT or DATA failed.
    Transaction(RelayError),
    /// The login is held refused (answered from memory).
    Held(String),
}

pub(crate) fn describe(failure: Failure) -> Described {
    match failure {
        Failure::Held(detail) => Described::Held(detail),
        Failure::Unreachable(Unreachable::Lookup(why)) => {
            Described::Login { stage: HealthStage::Connect, refused: false, detail: format!("connect: {why}") }
        }
        // Not public: an admin must change the host; held like a refused login (no lookup per message).
        Failure::Unreachable(Unreachable::NotPublic(why)) => {
            Described::Login { stage: HealthStage::Connect, refused: true, detail: format!("connect: {why}") }
        }
        Failure::Login(LoginFailure::Internal(why)) => Described::Internal(why),
        Failure::Login(LoginFailure::Stage { stage, refused, detail }) => {
            Described::Login { stage, refused, detail: format!("{}: {detail}", stage.as_str()) }
        }
        Failure::Smtp(e) => {
            // The client's errors name their step ("auth: 535 ..."), as the stages are named.
            let text = sanitise(&e.to_string());
            match stage_of(&e) {
                Some(stage) => {
                    Described::Login { stage, refused: stage == HealthStage::Auth && login_refused(&e), detail: text }
                }
                None => Described::Transaction(transaction_error(&e, text)),
            }
        }
    }
}

/// The health stage of a login step (`None` for MAIL, RCPT, DATA).
fn stage_of(e: &SmtpError) -> Option<HealthStage> {
    match e.step() {
        Step::Connect => Some(HealthStage::Connect),
        Step::Tls => Some(HealthStage::Tls),
        Step::Auth => Some(HealthStage::Auth),
        Step::Mail | Step::Rcpt | Step::Data => None,
    }
}

/// The server refused the login for good (535 and the like), or offers no mechanism for it.
fn login_refused(e: &SmtpError) -> bool {
    e.step() == Step::Auth && (e.is_permanent() || matches!(e.kind(), ErrorKind::NotOffered(_)))
}

fn transaction_error(e: &SmtpError, text: String) -> RelayError {
    if e.is_after_final_dot() {
        return RelayError::Uncertain(text);
    }
    match e.kind() {
        ErrorKind::NeedsSmtpUtf8 => RelayError::Permanent {
            code: 553,
            text: "5.6.7 the mailbox's server does not offer SMTPUTF8, needed for a non-ASCII address".into(),
        },
        ErrorKind::TooBig { .. } => RelayError::Permanent { code: 552, text: format!("5.3.4 {text}") },
        ErrorKind::Invalid(_) => RelayError::Permanent { code: 553, text: format!("5.1.3 {text}") },
        _ if e.is_permanent() => RelayError::Permanent { code: e.code().unwrap_or(554), text },
        _ => RelayError::Temporary(text),
    }
}

/// A pooled connection that failed before the server took anything of the message: closed
/// while idle, or closing now (`421` at MAIL, as a server that ends idle sessions says):
/// the message is tried once more on a fresh connection.
fn nothing_sent(e: &SmtpError) -> bool {
    e.step() == Step::Mail && (matches!(e.kind(), ErrorKind::Io(_) | ErrorKind::TimedOut) || e.code() == Some(421))
}

#[async_trait]
impl Route<Target> for SmtpRoute {
    /// The envelope in transactions of at most the target's recipients, and the recipients
    /// the server deferred (`452`) in another one on the same route, until every recipient
    /// has it. A failure once some recipients have it is `Uncertain` (sending the message
    /// again would give them a second copy).
    async fn deliver(&self, target: &Target, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
        let total = envelope.to.len();
        if total <= target.max_recipients.max(1) {
            // The common case: one transaction, nothing copied unless the server defers some.
            match self.deliver_once(target, envelope, message).await? {
                (relayed, deferred) if deferred.is_empty() => return Ok(relayed),
                (relayed, deferred) => {
                    let rest = Envelope { from: envelope.from.clone(), to: pick(&envelope.to, &deferred) };
                    return match Box::pin(self.deliver(target, &rest, message)).await {
                        Ok(more) => Ok(Relayed {
                            upstream_reply: format!("{}; {}", relayed.upstream_reply, more.upstream_reply),
                        }),
                        Err(e) => Err(cut_short(total - deferred.len(), total, &e)),
                    };
                }
            }
        }
        let mut rounds: std::collections::VecDeque<Vec<String>> =
            envelope.to.chunks(target.max_recipients.max(1)).map(<[String]>::to_vec).collect();
        let (mut delivered, mut replies) = (0, Vec::new());
        while let Some(to) = rounds.pop_front() {
            let part = Envelope { from: envelope.from.clone(), to };
            match self.deliver_once(target, &part, message).await {
                Ok((relayed, deferred)) => {
                    delivered += part.to.len() - deferred.len();
                    replies.push(relayed.upstream_reply);
                    if !deferred.is_empty() {
                        rounds.push_front(pick(&part.to, &deferred));
                    }
                }
                Err(e) if delivered == 0 => return Err(e),
                Err(e) => return Err(cut_short(delivered, total, &e)),
            }
        }
        Ok(Relayed { upstream_reply: replies.join("; ") })
    }
}

/// The recipients at `positions` of `to`.
fn pick(to: &[String], positions: &[usize]) -> Vec<String> {
    positions.iter().map(|&i| to[i].clone()).collect()
}

/// A split message that failed after `delivered` of its `total` recipients had it: uncertain.
fn cut_short(delivered: usize, total: usize, e: &RelayError) -> RelayError {
    RelayError::Uncertain(format!("delivered to {delivered} of {total} recipients, then: {}", relay_error_text(e)))
}

/// A relay error's text, for the record of a split message cut short.
fn relay_error_text(e: &RelayError) -> String {
    match e {
        RelayError::Temporary(t) | RelayError::LoginRefused(t) | RelayError::Uncertain(t) => t.clone(),
        RelayError::Permanent { code, text } => format!("{code} {text}"),
    }
}

impl SmtpRoute {
    /// One upstream transaction. Everything up to the message's final dot runs within the
    /// deadline; the reply to the dot has its own timeout. A failure once the dot is (being)
    /// written is `Uncertain`, never "nothing was sent": a retry could deliver a second copy.
    /// `Ok` holds the positions of the recipients the server deferred (`452`).
    async fn deliver_once(
        &self,
        target: &Target,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(Relayed, Vec<usize>), RelayError> {
        let key = target.pool_key();
        let from = envelope.from.as_str();
        let digest = self.secret_digest(target).await;
        let dot = AtomicBool::new(false);
        let upload = async {
            loop {
                match self.pool.checkout(&key).await {
                    // A pooled connection (already logged in).
                    Checkout::Idle(mut conn) => {
                        if !conn.client.still_open().await {
                            continue;
                        }
                        match conn.client.send_until_dot(from, &envelope.to, message, &dot).await {
                            Ok(deferred) => return Ok((conn, None, deferred)),
                            Err(e) if nothing_sent(&e) => continue,
                            Err(e) => return Err(Failure::Smtp(e)),
                        }
                    }
                    Checkout::New(place) => {
                        if target.authenticate
                            && let Some(held) = self.held.check(&key, digest)
                        {
                            return Err(Failure::Held(held.detail));
                        }
                        let (mut client, auth_reply) = self.login(target).await?;
                        let deferred =
                            client.send_until_dot(from, &envelope.to, message, &dot).await.map_err(Failure::Smtp)?;
                        return Ok((Conn::new(client, place), auth_reply, deferred));
                    }
                }
            }
        };
        let (mut conn, auth_reply, deferred) = match tokio::time::timeout(self.options.deadline, upload).await {
            Ok(Ok(uploaded)) => uploaded,
            Ok(Err(failure)) => return Err(self.fail(target, digest, failure)),
            Err(_) if dot.load(Ordering::SeqCst) => {
                return Err(RelayError::Uncertain("the deadline passed while the message's end was written".into()));
            }
            Err(_) => return Err(RelayError::Temporary("the upstream did not answer in time".into())),
        };
        if let Some(auth) = auth_reply {
            self.held.release(&key);
            self.note(&target.owner, Ok(&sanitise(&auth)), false);
        }
        match conn.client.final_reply().await {
            Ok(reply) => {
                self.pool.put_back(&key, conn);
                Ok((Relayed { upstream_reply: sanitise(&reply.to_string()) }, deferred))
            }
            Err(e) => Err(self.fail(target, digest, Failure::Smtp(e))),
        }
    }
}

//! Limits and switches of the proxy, all with safe defaults.

use std::time::Duration;

/// The drain on a stop unless configured.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(110);

/// Limits of the proxy (SPEC §3).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest message, advertised as SIZE.
    pub max_message_size: usize,
    /// Recipients per message.
    pub max_recipients: usize,
    /// Longest line in DATA, without CRLF (RFC 5322: 998).
    pub max_line_length: usize,
    /// Largest header section.
    pub max_header_size: usize,
    /// Longest command line.
    pub max_command_line: usize,
    /// Connections in total.
    pub max_connections: usize,
    /// Connections per client IP.
    pub max_connections_per_ip: usize,
    /// Waiting for a command.
    pub command_timeout: Duration,
    /// Waiting for DATA bytes.
    pub data_timeout: Duration,
    /// Failed AUTH attempts per IP within `auth_window` before the IP is locked out.
    pub auth_failures_per_ip: u32,
    /// Failed AUTH attempts per login within `auth_window` before the login is locked out.
    pub auth_failures_per_login: u32,
    /// The window of the AUTH failure counters.
    pub auth_window: Duration,
    /// How long a failed AUTH waits before it is answered.
    pub auth_failure_delay: Duration,
    /// Failed AUTH attempts in one session before it is closed.
    pub auth_failures_per_session: u32,
    /// How long a user's permission snapshot is reused.
    pub snapshot_ttl: Duration,
    /// The longest a session lives; then it is closed (`421 4.7.0`) at its next command.
    pub max_session_lifetime: Duration,
    /// Mail transactions (accepted MAIL FROM) per session; one more is answered `421 4.7.0` and closed.
    pub max_transactions_per_session: u32,
    /// From connect to a successful AUTH; NOOPs and other commands do not extend it.
    pub pre_auth_timeout: Duration,
    /// Bytes of messages in flight in this process, each byte counted twice (the received
    /// buffer grows by doubling; `budget`): 512 MiB, half the proxy task's 1 GiB (infra/proxy.yaml).
    pub message_budget_bytes: usize,
    /// The share of that budget one tenant may hold, in percent.
    pub tenant_budget_percent: u8,
    /// Concurrent transactions per user (a MAIL FROM beyond: `451 4.7.0`).
    pub max_transactions_per_user: usize,
    /// The deadline of one upstream relay up to the message's final dot
    /// (connect, login, envelope, the message).
    pub relay_timeout: Duration,
    /// The wait for the upstream's reply to the final dot: 10 minutes (RFC
    /// 5321 §4.5.3.2.6; giving up sooner risks a second copy).
    pub final_reply_timeout: Duration,
    /// How long a stop (SIGTERM) lets transactions in flight finish; then a relay still
    /// waiting for its final reply is recorded `uncertain`. 110 s: Fargate's stop timeout is
    /// at most 120 s (`infra/proxy.yaml`), and the writer needs the rest for the audit.
    pub drain_timeout: Duration,
    /// The sending limits' windows on a scaled clock: tests only (a minute
    /// in a few real seconds, the same in every process given it).
    pub sending_limits_clock_for_tests: Option<sendas_core::limiter::ScaledClock>,
}

impl Limits {
    /// The relay's options of these limits: the deadline and the final reply's timeout.
    pub fn relay_options(&self) -> sendas_relay::RelayOptions {
        let mut options = sendas_relay::RelayOptions::new(self.relay_timeout);
        options.final_reply_timeout = self.final_reply_timeout;
        options
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: sendas_message::limits::MAX_MESSAGE_SIZE,
            max_recipients: sendas_message::limits::MAX_RECIPIENTS,
            max_line_length: sendas_message::limits::MAX_LINE,
            max_header_size: sendas_message::limits::MAX_HEADER_SIZE,
            max_command_line: 2048,
            max_connections: 2000,
            max_connections_per_ip: 100,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            auth_failures_per_ip: 20,
            auth_failures_per_login: 10,
            auth_window: Duration::from_secs(900),
            auth_failure_delay: Duration::from_secs(1),
            auth_failures_per_session: 3,
            snapshot_ttl: Duration::from_secs(30),
            max_session_lifetime: Duration::from_secs(3600),
            max_transactions_per_session: 1000,
            pre_auth_timeout: Duration::from_secs(60),
            message_budget_bytes: 512 << 20,
            tenant_budget_percent: 50,
            max_transactions_per_user: 10,
            relay_timeout: Duration::from_secs(60),
            final_reply_timeout: sendas_smtp_client::FINAL_REPLY_TIMEOUT,
            drain_timeout: DRAIN_TIMEOUT,
            sending_limits_clock_for_tests: None,
        }
    }
}

/// How the proxy presents itself and what it allows.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The name in the greeting and EHLO reply.
    pub hostname: String,
    /// Limits.
    pub limits: Limits,
    /// Accept AUTH without TLS. Only for loopback development; named loudly.
    pub plaintext_auth_insecure: bool,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig { hostname: "sendas.local".into(), limits: Limits::default(), plaintext_auth_insecure: false }
    }
}

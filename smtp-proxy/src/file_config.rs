//! The proxy binary's configuration, read in one place: a TOML file, then
//! environment variables over it ([`FileConfig::load`]; nothing else in
//! the proxy or the relay reads the environment). Every limit has the
//! default of [`Limits`].

use crate::config::{Limits, ProxyConfig};
use sendas_core::policy::UpstreamNetworks;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Name in the greeting and EHLO reply.
    #[serde(default = "default_hostname")]
    pub hostname: String,
    /// Submission listener (STARTTLS), e.g. `0.0.0.0:587`.
    pub submission_addr: Option<SocketAddr>,
    /// Submissions listener (implicit TLS), e.g. `0.0.0.0:465`.
    pub implicit_tls_addr: Option<SocketAddr>,
    /// `/metrics` and `/healthz` over HTTP.
    pub metrics_addr: Option<SocketAddr>,
    /// PEM certificate chain.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    pub tls_key: Option<PathBuf>,
    /// DynamoDB table (env `SENDAS_TABLE` overrides).
    pub table: Option<String>,
    /// Secrets Manager prefix (env `SENDAS_SECRET_PREFIX` overrides).
    #[serde(default = "default_prefix")]
    pub secret_prefix: String,
    /// A PEM bundle of extra CAs trusted for TLS to upstream SMTP servers
    /// and token endpoints, besides the Web PKI roots (env
    /// `SENDAS_UPSTREAM_CA_BUNDLE` overrides).
    pub upstream_ca_bundle: Option<PathBuf>,
    /// Open connections per mailbox login at most, idle ones included
    /// (default 10; Exchange Online allows 3 per mailbox).
    pub upstream_connections_per_login: Option<usize>,
    /// DNS servers (`"ip:port"`) upstream host names are resolved with;
    /// default: the nameservers of /etc/resolv.conf.
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// Special-use networks (`["10.1.0.0/16"]`) an upstream host may be
    /// in; upstream hosts are otherwise public (env
    /// `SENDAS_UPSTREAM_NETWORKS`, comma-separated, overrides).
    #[serde(default)]
    pub upstream_networks: UpstreamNetworks,
    /// Accept AUTH without TLS. Never in production.
    #[serde(default)]
    pub plaintext_auth_insecure: bool,
    /// The audit log's spill file (a disk that outlives the process); without one, a record
    /// the store does not take in time is logged whole as one JSON line.
    pub audit_spill_file: Option<PathBuf>,
    /// How long an audit batch waits for the store before it is spilled (default 20 s).
    pub audit_patience_secs: Option<u64>,
    /// Recipients per message through the system relay (default 50, as SES).
    pub system_relay_max_recipients: Option<usize>,
    /// The server's certificate as PEM text (env `SENDAS_TLS_CERT_PEM`; wins over `tls_cert`).
    #[serde(skip)]
    pub tls_cert_pem: Option<String>,
    /// The key as PEM text (env `SENDAS_TLS_KEY_PEM`).
    #[serde(skip)]
    pub tls_key_pem: Option<String>,
    /// Limits.
    #[serde(default)]
    pub limits: LimitsFile,
}

/// Limits in the file (sizes in bytes, times in seconds or milliseconds).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// Bytes.
    pub max_message_size: Option<usize>,
    /// Count.
    pub max_recipients: Option<usize>,
    /// Bytes without CRLF.
    pub max_line_length: Option<usize>,
    /// Bytes.
    pub max_header_size: Option<usize>,
    /// Count.
    pub max_connections: Option<usize>,
    /// Count.
    pub max_connections_per_ip: Option<usize>,
    /// Seconds.
    pub command_timeout_secs: Option<u64>,
    /// Seconds.
    pub data_timeout_secs: Option<u64>,
    /// Count within the window.
    pub auth_failures_per_ip: Option<u32>,
    /// Count within the window.
    pub auth_failures_per_login: Option<u32>,
    /// Seconds.
    pub auth_window_secs: Option<u64>,
    /// Milliseconds.
    pub auth_failure_delay_ms: Option<u64>,
    /// Seconds.
    pub snapshot_ttl_secs: Option<u64>,
    /// Seconds.
    pub max_session_lifetime_secs: Option<u64>,
    /// Count.
    pub max_transactions_per_session: Option<u32>,
    /// Seconds.
    pub pre_auth_timeout_secs: Option<u64>,
    /// Bytes (each message byte counts twice).
    pub message_budget_bytes: Option<usize>,
    /// Percent.
    pub tenant_budget_percent: Option<u8>,
    /// Count.
    pub max_transactions_per_user: Option<usize>,
    /// Seconds.
    pub relay_timeout_secs: Option<u64>,
    /// Seconds.
    pub final_reply_timeout_secs: Option<u64>,
    /// Seconds.
    pub drain_timeout_secs: Option<u64>,
    /// Tests only: the sending limits' windows on a scaled clock
    /// (`{ real_origin = …, scaled_origin = …, speed = … }`).
    pub sending_limits_clock_for_tests: Option<sendas_core::limiter::ScaledClock>,
}

fn default_hostname() -> String {
    "localhost".into()
}

fn default_prefix() -> String {
    "sendas/".into()
}

impl LimitsFile {
    /// Parses a TOML text of limits only (the keys of `[limits]`, at the top level).
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The limits, defaults filled in.
    pub fn resolve(&self) -> Limits {
        let d = Limits::default();
        let l = self;
        let secs = |v: Option<u64>, d: Duration| v.map(Duration::from_secs).unwrap_or(d);
        Limits {
            max_message_size: l.max_message_size.unwrap_or(d.max_message_size),
            max_recipients: l.max_recipients.unwrap_or(d.max_recipients),
            max_line_length: l.max_line_length.unwrap_or(d.max_line_length),
            max_header_size: l.max_header_size.unwrap_or(d.max_header_size),
            max_connections: l.max_connections.unwrap_or(d.max_connections),
            max_connections_per_ip: l.max_connections_per_ip.unwrap_or(d.max_connections_per_ip),
            command_timeout: secs(l.command_timeout_secs, d.command_timeout),
            data_timeout: secs(l.data_timeout_secs, d.data_timeout),
            auth_failures_per_ip: l.auth_failures_per_ip.unwrap_or(d.auth_failures_per_ip),
            auth_failures_per_login: l.auth_failures_per_login.unwrap_or(d.auth_failures_per_login),
            auth_window: secs(l.auth_window_secs, d.auth_window),
            auth_failure_delay: l.auth_failure_delay_ms.map(Duration::from_millis).unwrap_or(d.auth_failure_delay),
            snapshot_ttl: secs(l.snapshot_ttl_secs, d.snapshot_ttl),
            max_session_lifetime: secs(l.max_session_lifetime_secs, d.max_session_lifetime),
            max_transactions_per_session: l.max_transactions_per_session.unwrap_or(d.max_transactions_per_session),
            pre_auth_timeout: secs(l.pre_auth_timeout_secs, d.pre_auth_timeout),
            message_budget_bytes: l.message_budget_bytes.unwrap_or(d.message_budget_bytes),
            tenant_budget_percent: l.tenant_budget_percent.unwrap_or(d.tenant_budget_percent),
            max_transactions_per_user: l.max_transactions_per_user.unwrap_or(d.max_transactions_per_user),
            relay_timeout: secs(l.relay_timeout_secs, d.relay_timeout),
            final_reply_timeout: secs(l.final_reply_timeout_secs, d.final_reply_timeout),
            drain_timeout: secs(l.drain_timeout_secs, d.drain_timeout),
            sending_limits_clock_for_tests: l.sending_limits_clock_for_tests,
            ..d
        }
    }
}

impl FileConfig {
    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Parses the TOML text, then takes the environment's values over it (`env` looks a
    /// variable up): `SENDAS_TABLE`, `SENDAS_SECRET_PREFIX`, `SENDAS_UPSTREAM_CA_BUNDLE`,
    /// `SENDAS_UPSTREAM_NETWORKS` (comma-separated), `SENDAS_TLS_CERT_PEM`, `SENDAS_TLS_KEY_PEM`.
    pub fn load(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut c = FileConfig::parse(text).map_err(|e| e.to_string())?;
        let set = |name: &str| env(name).filter(|v| !v.is_empty());
        if let Some(table) = set("SENDAS_TABLE") {
            c.table = Some(table);
        }
        if let Some(prefix) = set("SENDAS_SECRET_PREFIX") {
            c.secret_prefix = prefix;
        }
        if let Some(bundle) = set("SENDAS_UPSTREAM_CA_BUNDLE") {
            c.upstream_ca_bundle = Some(PathBuf::from(bundle));
        }
        if let Some(list) = env("SENDAS_UPSTREAM_NETWORKS") {
            c.upstream_networks =
                UpstreamNetworks::parse_list(&list).map_err(|e| format!("SENDAS_UPSTREAM_NETWORKS: {e}"))?;
        }
        c.tls_cert_pem = set("SENDAS_TLS_CERT_PEM");
        c.tls_key_pem = set("SENDAS_TLS_KEY_PEM");
        Ok(c)
    }

    /// Where audit records go that the store does not take in time.
    pub fn audit_options(&self) -> sendas_relay::audit::AuditOptions {
        let d = sendas_relay::audit::AuditOptions::default();
        sendas_relay::audit::AuditOptions {
            spill: self.audit_spill_file.clone(),
            patience: self.audit_patience_secs.map(Duration::from_secs).unwrap_or(d.patience),
        }
    }

    /// The limits, defaults filled in.
    pub fn limits(&self) -> Limits {
        self.limits.resolve()
    }

    /// How the relay reaches upstreams: the limits' relay timeout, the CA bundle, the
    /// recipients per message of the system relay and of a mailbox.
    pub fn relay_options(&self) -> Result<sendas_relay::RelayOptions, sendas_smtp_client::TrustError> {
        let limits = self.limits();
        let mut options = limits.relay_options();
        if let Some(n) = self.upstream_connections_per_login {
            options.max_connections_per_login = n.max(1);
        }
        if let Some(n) = self.system_relay_max_recipients {
            options.system_relay_max_recipients = n.max(1);
        }
        options.mailbox_max_recipients = limits.max_recipients;
        options.with_ca_bundle(self.upstream_ca_bundle.as_deref())
    }

    /// The proxy configuration.
    pub fn proxy(&self) -> ProxyConfig {
        ProxyConfig {
            hostname: self.hostname.clone(),
            limits: self.limits(),
            plaintext_auth_insecure: self.plaintext_auth_insecure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_s_configuration_parses_and_sets_the_budget() {
        let baked = FileConfig::parse(include_str!("../../infra/proxy/proxy.toml")).expect("infra/proxy/proxy.toml");
        assert_eq!(baked.limits().message_budget_bytes, 512 << 20, "half of the ECS task's 1024 MiB");
        assert!(baked.upstream_networks.allowed().is_empty(), "upstream hosts are public in production");
    }

    #[test]
    fn the_readme_s_example_parses_with_its_stated_values() {
        let readme = include_str!("../../README.md");
        let start = readme.find("```toml\nhostname = \"smtp.example.com\"").expect("the README's proxy.toml") + 8;
        let example = &readme[start..start + readme[start..].find("```").expect("its end")];
        let c = FileConfig::parse(example).expect("the README's example parses");
        let l = c.limits();
        assert_eq!(
            (l.max_recipients, l.drain_timeout, l.final_reply_timeout),
            (100, Duration::from_secs(110), Duration::from_secs(600))
        );
        assert_eq!(
            c.relay_options().map(|o| o.system_relay_max_recipients).ok(),
            Some(50),
            "the default the README names"
        );
    }

    #[test]
    fn a_minimal_file_gets_safe_defaults() {
        let c = FileConfig::parse("submission_addr = \"127.0.0.1:2587\"\ntable = \"t\"").expect("parses");
        assert_eq!(c.limits().max_recipients, 100);
        assert!(!c.plaintext_auth_insecure);
        assert_eq!(c.secret_prefix, "sendas/");
        assert_eq!(c.relay_options().map(|o| o.max_connections_per_login).ok(), Some(10));
        let c = FileConfig::parse("upstream_connections_per_login = 3").expect("parses");
        assert_eq!(c.relay_options().map(|o| o.max_connections_per_login).ok(), Some(3));
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let text = "table = \"from-file\"\nsecret_prefix = \"file/\"\nupstream_networks = [\"10.1.0.0/16\"]";
        let env = |name: &str| match name {
            "SENDAS_TABLE" => Some("from-env".to_owned()),
            "SENDAS_UPSTREAM_NETWORKS" => Some("192.168.7.0/24".to_owned()),
            "SENDAS_TLS_CERT_PEM" => Some("PEM".to_owned()),
            _ => None,
        };
        let c = FileConfig::load(text, env).expect("loads");
        assert_eq!((c.table.as_deref(), c.secret_prefix.as_str()), (Some("from-env"), "file/"));
        assert_eq!(c.upstream_networks, UpstreamNetworks::parse_list("192.168.7.0/24").expect("list"));
        assert_eq!((c.tls_cert_pem.as_deref(), c.tls_key_pem.as_deref()), (Some("PEM"), None));
        assert_eq!(c.limits().drain_timeout, crate::config::DRAIN_TIMEOUT);
        assert_eq!(c.relay_options().map(|o| o.system_relay_max_recipients).ok(), Some(50));
        let bad = FileConfig::load("", |n: &str| (n == "SENDAS_UPSTREAM_NETWORKS").then(|| "nonsense".to_owned()));
        assert!(bad.is_err(), "a bad list in the environment is an error, not ignored");
    }

    #[test]
    fn limits_and_unknown_keys() {
        let c = FileConfig::parse("[limits]\nmax_recipients = 5\nauth_failure_delay_ms = 10\nsnapshot_ttl_secs = 2")
            .expect("parses");
        let l = c.limits();
        assert_eq!(
            (l.max_recipients, l.auth_failure_delay, l.snapshot_ttl),
            (5, Duration::from_millis(10), Duration::from_secs(2))
        );
        assert!(FileConfig::parse("max_recipients = 5").is_err(), "a limit outside [limits] is a typo");
        assert!(FileConfig::parse("[limits]\nmax_recipent = 5").is_err());
    }
}

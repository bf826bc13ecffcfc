//! sendas-dns: the DNS adapter of sendas. [`HickoryDns`] implements the
//! core's [`DnsLookup`] port (TXT records, for the ownership proof of a
//! sending domain, and the addresses of an upstream host name, checked
//! before the relay connects) with hickory-resolver.
//!
//! What the resolver does, and what it does not:
//!
//! - It asks only the servers of its [`DnsConfig`]. The library never
//!   reads `/etc/resolv.conf`, the hosts file or any other system
//!   configuration (hickory-resolver is built without `system-config`); a
//!   binary that wants the system's resolvers reads them itself and passes
//!   their addresses in.
//! - Every name is absolute: a trailing dot is added when missing, and no
//!   search list or `ndots` rule ever appends a domain.
//! - Nothing is cached, positive or negative: every lookup asks a server,
//!   so a proof that was just published (or removed) is seen at once.
//! - Queries go over UDP; a truncated answer is asked again over TCP.
//! - Answers are told apart as the port needs them (see [`DnsError`]):
//!   NXDOMAIN is [`DnsError::NoSuchName`], NOERROR without a record of the
//!   type is [`DnsError::NoRecords`], SERVFAIL is
//!   [`DnsError::ServerFailure`], REFUSED and every other error code are
//!   [`DnsError::Refused`] (with the code's mnemonic, e.g. `"REFUSED"`),
//!   no answer in time is [`DnsError::Timeout`], and anything else (a name
//!   that is not a domain name, a socket error) is [`DnsError::Other`].

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};
use serde::{Deserialize, Deserializer};

pub use sendas_core::ports::{DnsError, DnsLookup};

/// The default time one attempt may take: 3 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// The default number of attempts per lookup: 2 (one retry).
pub const DEFAULT_ATTEMPTS: usize = 2;

/// Where and how to ask. In a configuration file: `servers` (required,
/// `"ip:port"` strings), `timeout_ms` (default 3000) and `attempts`
/// (default 2); no other keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// The servers asked, in order (a recursive resolver, or in tests an
    /// authoritative server). At least one; there is no fallback to the
    /// system's resolvers.
    pub servers: Vec<SocketAddr>,
    /// How long one attempt may take (all servers together), in the file
    /// as `timeout_ms`.
    #[serde(rename = "timeout_ms", default = "default_timeout", deserialize_with = "millis")]
    pub timeout: Duration,
    /// How many times a lookup is tried in all (at least 1) before it
    /// fails with a timeout or a network error. Answers (NXDOMAIN, NODATA)
    /// are never retried.
    #[serde(default = "default_attempts")]
    pub attempts: usize,
}

impl DnsConfig {
    /// The defaults (3 s, 2 attempts) for these servers.
    pub fn new(servers: Vec<SocketAddr>) -> DnsConfig {
        DnsConfig { servers, timeout: DEFAULT_TIMEOUT, attempts: DEFAULT_ATTEMPTS }
    }
}

fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

fn default_attempts() -> usize {
    DEFAULT_ATTEMPTS
}

fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

/// A [`DnsConfig`] that cannot make a resolver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsConfigError {
    /// `servers` is empty.
    #[error("no DNS servers configured")]
    NoServers,
    /// `timeout` is zero.
    #[error("the DNS timeout must be more than zero")]
    ZeroTimeout,
    /// `attempts` is zero.
    #[error("the DNS attempts must be at least 1")]
    ZeroAttempts,
    /// hickory-resolver refused the configuration.
    #[error("the DNS resolver could not be built: {0}")]
    Resolver(String),
}

/// The DNS adapter: a hickory-resolver over the configured servers, no
/// cache, absolute names only (module docs). Cheap to clone; clones share
/// the connections.
#[derive(Clone)]
pub struct HickoryDns {
    resolver: TokioResolver,
}

impl std::fmt::Debug for HickoryDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryDns").finish_non_exhaustive()
    }
}

impl HickoryDns {
    /// A resolver that asks `config.servers` (UDP, TCP for truncated
    /// answers). Building needs no runtime; the lookups run on Tokio.
    pub fn new(config: &DnsConfig) -> Result<HickoryDns, DnsConfigError> {
        if config.servers.is_empty() {
            return Err(DnsConfigError::NoServers);
        }
        if config.timeout.is_zero() {
            return Err(DnsConfigError::ZeroTimeout);
        }
        if config.attempts == 0 {
            return Err(DnsConfigError::ZeroAttempts);
        }
        let servers = config
            .servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                // UDP first; the pool asks again over TCP when an answer comes back truncated.
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        // No domain, no search list: names are only ever asked as given (absolute).
        let resolver_config = ResolverConfig::from_parts(None, vec![], servers);
        let mut options = ResolverOpts::default();
        options.ndots = 0;
        options.timeout = config.timeout;
        // hickory counts retries after the first try; the config counts tries.
        options.attempts = config.attempts - 1;
        // No cache: a size of 0 disables it (moka stores nothing), and a maximum TTL of 0 would
        // expire anything that were stored at once.
        options.cache_size = 0;
        options.positive_max_ttl = Some(Duration::ZERO);
        options.negative_max_ttl = Some(Duration::ZERO);
        options.use_hosts_file = ResolveHosts::Never;
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        // hickory's default: two servers asked side by side, the first answer wins (a dead server
        // costs no time while another answers).
        options.num_concurrent_reqs = 2;
        options.preserve_intermediates = false;
        let resolver = TokioResolver::builder_with_config(resolver_config, TokioRuntimeProvider::default())
            .with_options(options)
            .build()
            .map_err(|e| DnsConfigError::Resolver(e.to_string()))?;
        Ok(HickoryDns { resolver })
    }
}

#[async_trait]
impl DnsLookup for HickoryDns {
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let name = absolute(name)?;
        let lookup = self.resolver.txt_lookup(name).await.map_err(map_error)?;
        let records: Vec<String> = lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(txt.txt_data.concat()),
                _ => None,
            })
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect();
        // A NOERROR answer that holds only other types (a CNAME to a name without TXT) is NODATA.
        if records.is_empty() { Err(DnsError::NoRecords) } else { Ok(records) }
    }

    async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Some(ips) = sendas_core::ports::without_query(host) {
            return Ok(ips);
        }
        let name = absolute(host)?;
        let lookup = self.resolver.lookup_ip(name).await.map_err(map_error)?;
        let ips: Vec<IpAddr> = lookup.iter().collect();
        if ips.is_empty() { Err(DnsError::NoRecords) } else { Ok(ips) }
    }
}

/// `name` as an absolute domain name (a trailing dot added when missing).
fn absolute(name: &str) -> Result<Name, DnsError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed == "." {
        return Err(DnsError::Other(format!("not a domain name: {name:?}")));
    }
    let mut parsed =
        Name::from_utf8(trimmed).map_err(|e| DnsError::Other(format!("not a domain name: {name:?}: {e}")))?;
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// hickory's error as the port's.
fn map_error(error: NetError) -> DnsError {
    match error {
        NetError::Dns(HickoryDnsError::NoRecordsFound(NoRecords { response_code, .. })) => match response_code {
            ResponseCode::NXDomain => DnsError::NoSuchName,
            ResponseCode::NoError => DnsError::NoRecords,
            code => response_code_error(code),
        },
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => response_code_error(code),
        NetError::Timeout => DnsError::Timeout,
        NetError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => DnsError::Timeout,
        other => DnsError::Other(other.to_string()),
    }
}

fn response_code_error(code: ResponseCode) -> DnsError {
    match code {
        ResponseCode::ServFail => DnsError::ServerFailure,
        ResponseCode::NXDomain => DnsError::NoSuchName,
        code => DnsError::Refused(mnemonic(code)),
    }
}

/// The IANA mnemonic of an error code (`REFUSED`, `NOTIMP`, ...), or `RCODE n`.
fn mnemonic(code: ResponseCode) -> String {
    let name = match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::YXDomain => "YXDOMAIN",
        ResponseCode::YXRRSet => "YXRRSET",
        ResponseCode::NXRRSet => "NXRRSET",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::NotZone => "NOTZONE",
        ResponseCode::BADVERS => "BADVERS",
        ResponseCode::BADSIG => "BADSIG",
        ResponseCode::BADKEY => "BADKEY",
        ResponseCode::BADTIME => "BADTIME",
        ResponseCode::BADMODE => "BADMODE",
        ResponseCode::BADNAME => "BADNAME",
        ResponseCode::BADALG => "BADALG",
        ResponseCode::BADTRUNC => "BADTRUNC",
        ResponseCode::BADCOOKIE => "BADCOOKIE",
        other => return format!("RCODE {}", u16::from(other)),
    };
    name.to_owned()
}

/// The servers a composition root uses when none are configured: the
/// `nameserver` lines of a resolv.conf text (port 53). The library itself
/// never reads the system's configuration.
pub fn resolv_conf_servers(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// The process's lookup over `servers` (a [`HickoryDns`]), or, with no
/// servers, the port's [`NoResolver`](sendas_core::ports::NoResolver)
/// (every TXT lookup a resolver failure; only IP literals and `localhost`
/// resolve). Every composition root makes its resolver this way.
pub fn lookup_over(servers: &[SocketAddr]) -> Result<std::sync::Arc<dyn DnsLookup>, DnsConfigError> {
    if servers.is_empty() {
        return Ok(std::sync::Arc::new(sendas_core::ports::NoResolver));
    }
    Ok(std::sync::Arc::new(HickoryDns::new(&DnsConfig::new(servers.to_vec()))?))
}

/// Parses a comma-separated list of `ip` or `ip:port` / `[ip6]:port` (port 53 when absent).
pub fn parse_servers(list: &str) -> Result<Vec<SocketAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<SocketAddr>()
                .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| format!("not a DNS server address: {s:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_file_keys() {
        let config: DnsConfig = serde_json::from_str(r#"{"servers": ["127.0.0.1:53"]}"#).expect("config");
        assert_eq!(config, DnsConfig::new(vec![SocketAddr::from(([127, 0, 0, 1], 53))]));
        let config: DnsConfig =
            serde_json::from_str(r#"{"servers": ["[::1]:5353"], "timeout_ms": 250, "attempts": 1}"#).expect("config");
        assert_eq!(config.timeout, Duration::from_millis(250));
        assert_eq!(config.attempts, 1);
        assert!(serde_json::from_str::<DnsConfig>(r#"{"timeout_ms": 250}"#).is_err(), "servers are required");
        assert!(serde_json::from_str::<DnsConfig>(r#"{"servers": [], "ndots": 1}"#).is_err(), "unknown key");
    }

    #[test]
    fn bad_configs_are_refused() {
        let one = vec![SocketAddr::from(([127, 0, 0, 1], 53))];
        assert_eq!(HickoryDns::new(&DnsConfig::new(vec![])).err(), Some(DnsConfigError::NoServers));
        let zero = DnsConfig { timeout: Duration::ZERO, ..DnsConfig::new(one.clone()) };
        assert_eq!(HickoryDns::new(&zero).err(), Some(DnsConfigError::ZeroTimeout));
        let zero = DnsConfig { attempts: 0, ..DnsConfig::new(one.clone()) };
        assert_eq!(HickoryDns::new(&zero).err(), Some(DnsConfigError::ZeroAttempts));
        // A good one builds outside a Tokio runtime.
        assert!(HickoryDns::new(&DnsConfig::new(one)).is_ok());
    }

    #[test]
    fn names_are_absolute() {
        assert_eq!(absolute("example.com").expect("name").to_string(), "example.com.");
        assert_eq!(absolute("_sendas.example.com.").expect("name").to_string(), "_sendas.example.com.");
        assert!(matches!(absolute(""), Err(DnsError::Other(_))));
        assert!(matches!(absolute("."), Err(DnsError::Other(_))));
        assert!(matches!(absolute("a..b"), Err(DnsError::Other(_))));
    }

    #[test]
    fn error_codes_are_mapped() {
        let no_records = |code| NetError::from(NoRecords::new(Box::default(), code));
        assert_eq!(map_error(no_records(ResponseCode::NXDomain)), DnsError::NoSuchName);
        assert_eq!(map_error(no_records(ResponseCode::NoError)), DnsError::NoRecords);
        let code = |c| NetError::Dns(HickoryDnsError::ResponseCode(c));
        assert_eq!(map_error(code(ResponseCode::ServFail)), DnsError::ServerFailure);
        assert_eq!(map_error(code(ResponseCode::Refused)), DnsError::Refused("REFUSED".into()));
        assert_eq!(map_error(code(ResponseCode::NotImp)), DnsError::Refused("NOTIMP".into()));
        assert_eq!(map_error(code(ResponseCode::Unknown(3841))), DnsError::Refused("RCODE 3841".into()));
        assert_eq!(map_error(NetError::Timeout), DnsError::Timeout);
        assert!(matches!(map_error(NetError::NoConnections), DnsError::Other(_)));
    }
}

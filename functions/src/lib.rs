//! sendas-functions: the Lambda composition roots of the HTTP API.
//!
//! One binary per [`Area`] (`sendas-fn-platform`, `sendas-fn-directory`,
//! `sendas-fn-mailboxes`, `sendas-fn-me`, `sendas-fn-send`), each `lambda_http::run` of the
//! same axum router the local command serves, restricted to its area; and
//! `sendas-fn-recheck`, the scheduled re-check of sending domains ([`recheck`]).
//! AWS clients are built once per cold start; configuration comes from the
//! environment:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SENDAS_TABLE` | DynamoDB table | required |
//! | `SENDAS_SECRET_PREFIX` | Secrets Manager name prefix | `sendas/` |
//! | `SENDAS_SECRET_TTL_SECONDS` | secret cache TTL | `30` (`sendas_relay::secrets::DEFAULT_SECRET_TTL`, as every process) |
//! | `SENDAS_UPSTREAM_CA_BUNDLE` | extra CAs trusted for upstream TLS (PEM file) | none |
//! | `SENDAS_UPSTREAM_NETWORKS` | special-use networks upstream hosts may be in (comma-separated) | none: public only |
//! | `SENDAS_SYSTEM_RELAY_MAX_RECIPIENTS` | recipients per message through the system relay | `50` |
//! | `SENDAS_DNS_SERVERS` | resolvers for domain ownership checks (`ip[:port]`, comma-separated) | `/etc/resolv.conf`'s |
//! | `RUST_LOG` | log filter (JSON logs to stdout → CloudWatch) | `info` |

pub mod recheck;

use sendas_api::{AppState, Area};
use sendas_core::limiter::{Limiter, ScaledClock};
use sendas_core::policy::UpstreamNetworks;
use sendas_relay::{CachedSecrets, RelayOptions, UpstreamPolicy};
use sendas_store_aws::AwsBackends;
use std::sync::Arc;
use std::time::Duration;

/// Why a function could not start.
pub type Error = lambda_http::Error;

/// JSON logs for CloudWatch, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).without_time().try_init();
}

/// What a function reads from its environment.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// DynamoDB table.
    pub table: String,
    /// Secrets Manager name prefix.
    pub secret_prefix: String,
    /// Secret cache TTL.
    pub secret_ttl: Duration,
    /// How `verify` reaches upstreams (the CA bundle of `SENDAS_UPSTREAM_CA_BUNDLE`).
    pub relay: RelayOptions,
    /// The sending limits' windows on a scaled clock (tests only; never read from the environment).
    pub limits_clock_for_tests: Option<ScaledClock>,
    /// The resolvers that look ownership records up (empty: no lookups, every check a resolver failure).
    pub dns_servers: Vec<std::net::SocketAddr>,
}

impl FunctionConfig {
    /// The resolver of ownership records at `dns_servers` (`None`: none configured).
    pub fn resolver(&self) -> Result<Option<Arc<sendas_dns::HickoryDns>>, Error> {
        if self.dns_servers.is_empty() {
            return Ok(None);
        }
        let dns = sendas_dns::HickoryDns::new(&sendas_dns::DnsConfig::new(self.dns_servers.clone()))
            .map_err(|e| e.to_string())?;
        Ok(Some(Arc::new(dns)))
    }

    /// Reads `SENDAS_TABLE`, `SENDAS_SECRET_PREFIX`, `SENDAS_SECRET_TTL_SECONDS`, `SENDAS_UPSTREAM_CA_BUNDLE`,
    /// `SENDAS_DNS_SERVERS` (default: /etc/resolv.conf's) and `SENDAS_UPSTREAM_NETWORKS`.
    pub fn from_env() -> Result<Self, Error> {
        let table = std::env::var("SENDAS_TABLE").map_err(|_| "SENDAS_TABLE is not set")?;
        let secret_prefix = std::env::var("SENDAS_SECRET_PREFIX").unwrap_or_else(|_| "sendas/".into());
        let ttl = std::env::var("SENDAS_SECRET_TTL_SECONDS").ok().and_then(|v| v.parse().ok());
        let secret_ttl = ttl.map(Duration::from_secs).unwrap_or(sendas_relay::DEFAULT_SECRET_TTL);
        // verify and send: 10 s for the whole login or delivery; the CA bundle from SENDAS_UPSTREAM_CA_BUNDLE.
        let bundle =
            std::env::var_os("SENDAS_UPSTREAM_CA_BUNDLE").filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
        let mut relay =
            RelayOptions::new(Duration::from_secs(10)).with_ca_bundle(bundle.as_deref()).map_err(|e| e.to_string())?;
        if let Some(n) = std::env::var("SENDAS_SYSTEM_RELAY_MAX_RECIPIENTS").ok().and_then(|v| v.parse::<usize>().ok())
        {
            relay.system_relay_max_recipients = n.max(1);
        }
        // The function ends after 30 s (SendFunction's Timeout, API Gateway's limit): up to the
        // final dot 10 s, its reply 15 s more, so a reply that never comes is answered `uncertain`
        // (and the Idempotency-Key keeps that answer) before the runtime is cut.
        relay.final_reply_timeout = Duration::from_secs(15);
        let dns_servers = match std::env::var("SENDAS_DNS_SERVERS") {
            Ok(list) => sendas_dns::parse_servers(&list)?,
            Err(_) => sendas_dns::resolv_conf_servers(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()),
        };
        // Upstream hosts resolve through the same servers and must be public, but for the
        // networks of SENDAS_UPSTREAM_NETWORKS.
        let networks = UpstreamNetworks::parse_list(&std::env::var("SENDAS_UPSTREAM_NETWORKS").unwrap_or_default())
            .map_err(|e| format!("SENDAS_UPSTREAM_NETWORKS: {e}"))?;
        let dns = sendas_dns::lookup_over(&dns_servers).map_err(|e| e.to_string())?;
        relay.upstreams = UpstreamPolicy::new(dns, networks);
        Ok(FunctionConfig { table, secret_prefix, secret_ttl, relay, limits_clock_for_tests: None, dns_servers })
    }
}

/// The router of `area` over DynamoDB and Secrets Manager (endpoint, region
/// and credentials from the standard AWS configuration).
pub async fn aws_router(area: Area, config: &FunctionConfig) -> axum::Router {
    aws_router_with(area, config, &sendas_store_aws::load_aws_config().await)
}

/// The router of `area` over DynamoDB and Secrets Manager through the clients of `aws`
/// (the tests pass the function's IAM principal here).
pub fn aws_router_with(area: Area, config: &FunctionConfig, aws: &aws_config::SdkConfig) -> axum::Router {
    let aws = AwsBackends::connect(aws, &config.table, &config.secret_prefix);
    // A Lambda instance may end any time: exact counting, no block left stranded.
    let limiter = Limiter::scaled(aws.send_counter.clone(), config.limits_clock_for_tests).exactly();
    let secrets = Arc::new(CachedSecrets::new(aws.secrets.clone(), config.secret_ttl));
    let mut state =
        AppState::standalone(aws.store.clone(), secrets, config.relay.clone()).with_limiter(Arc::new(limiter));
    if let Ok(Some(dns)) = config.resolver() {
        state = state.with_dns(dns);
    }
    sendas_api::router_for(&[area], state)
}

/// The whole life of one function: logging, clients, then the Lambda runtime loop.
pub async fn run(area: Area) -> Result<(), Error> {
    init_logging();
    let router = aws_router(area, &FunctionConfig::from_env()?).await;
    tracing::info!(area = area.name(), "function ready");
    lambda_http::run(router).await
}

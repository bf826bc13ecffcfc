//! `sendas-smtp-proxy`: the production SMTP submission proxy over DynamoDB
//! and Secrets Manager. Usage: `sendas-smtp-proxy [CONFIG.toml]` (default
//! `/etc/sendas/proxy.toml`, or `SENDAS_PROXY_CONFIG`); the environment over it as
//! `FileConfig::load` reads it (`SENDAS_TABLE`, `SENDAS_SECRET_PREFIX`,
//! `SENDAS_UPSTREAM_CA_BUNDLE`, `SENDAS_UPSTREAM_NETWORKS`, `SENDAS_TLS_CERT_PEM` and
//! `SENDAS_TLS_KEY_PEM`); the AWS clients from `AwsBackends`; AWS region, credentials and
//! endpoint come from the standard AWS configuration. AUTH failure counters
//! live in the same table, so every replica enforces the same lockouts. JSON logs to stdout,
//! level from `RUST_LOG` (default `info`). SIGTERM drains gracefully.

use anyhow::Context;
use sendas_relay::CachedSecrets;
use sendas_smtp_proxy::builder::ProxyBuilder;
use sendas_smtp_proxy::file_config::FileConfig;
use sendas_smtp_proxy::metrics::{Metrics, serve_metrics};
use sendas_smtp_proxy::server::{Listeners, run};
use std::sync::Arc;
use tokio::net::TcpListener;

/// What `--help` prints.
const USAGE: &str = "\
sendas-smtp-proxy: the sendas SMTP submission proxy (DynamoDB, Secrets Manager)

Usage: sendas-smtp-proxy [CONFIG.toml]
  CONFIG.toml   listeners, TLS files, limits, table, secret prefix
                (default: $SENDAS_PROXY_CONFIG, else /etc/sendas/proxy.toml)

Environment (overrides the file):
  SENDAS_TABLE, SENDAS_SECRET_PREFIX, SENDAS_UPSTREAM_CA_BUNDLE, SENDAS_UPSTREAM_NETWORKS,
  SENDAS_TLS_CERT_PEM, SENDAS_TLS_KEY_PEM (the certificate as PEM text),
  RUST_LOG (default info); AWS region, credentials and endpoint as the AWS SDK reads them.
SIGTERM lets transactions in flight finish ([limits] drain_timeout_secs, default 110), then exits.
";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).is_some_and(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return Ok(());
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().json().with_env_filter(filter).init();
    let path = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("SENDAS_PROXY_CONFIG").ok())
        .unwrap_or_else(|| "/etc/sendas/proxy.toml".into());
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let file = FileConfig::load(&text, |name| std::env::var(name).ok())
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("loading {path}"))?;
    let table = file.table.clone().context("no DynamoDB table (SENDAS_TABLE)")?;
    let aws =
        sendas_store_aws::AwsBackends::connect(&sendas_store_aws::load_aws_config().await, &table, &file.secret_prefix);
    let secrets = CachedSecrets::with_default_ttl(aws.secrets.clone());
    let mut relay_options = file.relay_options().context("upstream_ca_bundle")?;
    let dns_servers = match &file.dns_servers {
        Some(servers) => servers.clone(),
        None => sendas_dns::resolv_conf_servers(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()),
    };
    relay_options.upstreams =
        sendas_relay::UpstreamPolicy::new(sendas_dns::lookup_over(&dns_servers)?, file.upstream_networks.clone());
    let config = file.proxy();
    // PEM from the environment (e.g. ECS secrets) wins over files.
    let tls = match (&file.tls_cert_pem, &file.tls_key_pem, &file.tls_cert, &file.tls_key) {
        (Some(c), Some(k), _, _) => Some(sendas_smtp_proxy::tls::acceptor_from_pem(c.as_bytes(), k.as_bytes())?),
        (_, _, Some(c), Some(k)) => Some(sendas_smtp_proxy::tls::acceptor_from_files(c, k)?),
        _ => None,
    };
    anyhow::ensure!(
        tls.is_some() || config.plaintext_auth_insecure,
        "tls_cert and tls_key are required (AUTH needs TLS)"
    );
    let bind = |a: Option<std::net::SocketAddr>| async move {
        match a {
            Some(a) => sendas_smtp_proxy::server::bind(a).map(Some).with_context(|| format!("binding {a}")),
            None => Ok(None),
        }
    };
    let listeners =
        Listeners { submission: bind(file.submission_addr).await?, implicit_tls: bind(file.implicit_tls_addr).await? };
    anyhow::ensure!(listeners.implicit_tls.is_none() || tls.is_some(), "implicit_tls_addr needs tls_cert and tls_key");
    let metrics = Arc::new(Metrics::default());
    let limits_clock = config.limits.sending_limits_clock_for_tests;
    let config_drain = config.limits.drain_timeout;
    let proxy = ProxyBuilder::new(aws.store.clone(), secrets, config)
        .relay_options(relay_options)
        .audit_options(file.audit_options())
        .shared_failures(Some(aws.failures.clone()))
        .limiter(Arc::new(sendas_core::limiter::Limiter::scaled(aws.send_counter.clone(), limits_clock)))
        .metrics(metrics.clone())
        .build();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    if let Some(addr) = file.metrics_addr {
        let l = TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        tokio::spawn(serve_metrics(l, metrics, stopped.clone()));
    }
    tokio::spawn(sendas_smtp_proxy::shutdown::on_signal(stop));
    tracing::info!(submission = ?file.submission_addr, implicit_tls = ?file.implicit_tls_addr, "sendas SMTP proxy ready");
    let drain = config_drain;
    run(listeners, proxy.deps, tls, stopped, drain).await;
    // Every session is over: the audit writer writes what is queued and ends.
    let _ = proxy.audit_flush.await;
    Ok(())
}

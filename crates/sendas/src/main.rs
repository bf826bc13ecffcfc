//! `sendas`: run the sendas HTTP API locally on an embedded store (or on
//! AWS), seed a demo, or bootstrap an operator token.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sendas::backend::{self, Backends};
use sendas::serve::{ServeOptions, run, shutdown_signal};
use std::net::SocketAddr;
use std::path::PathBuf;

/// sendas controls who may send as which address.
///
/// Tenants keep mailboxes; admins decide which users may send from or
/// take replies at them; mail clients send through the SMTP proxy, which
/// lets each user send only as the mailboxes it may use.
#[derive(Parser)]
#[command(name = "sendas", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API and the SMTP proxy on loopback over the embedded store in --data-dir.
    ///
    /// On an empty store it creates an operator token and prints it once.
    /// The system relay defaults to DATA_DIR/outbox/. With --demo it seeds
    /// a demo tenant and writes DATA_DIR/demo.json with its tokens and app
    /// passwords. Stop with Ctrl-C.
    Serve(ServeArgs),
    /// Write a new operator token to the store and print it once.
    ///
    /// Use it to get the first operator token of an AWS deployment
    /// (--aws-table), or another one locally when the first is lost.
    BootstrapOperator(BootstrapArgs),
    /// Print the OpenAPI document of the HTTP API (JSON) and exit.
    Openapi,
    /// Print, per tenant, the domains its mailboxes use and whether it owns
    /// each, flagging domains that several tenants use (JSON): the upgrade
    /// path before address ownership is enforced. Read-only.
    OwnershipReport(BackendOnly),
    /// Once, after upgrading an AWS deployment from a release before system
    /// addresses were unique across the platform: claims the address of
    /// every system mailbox (the tenant created first keeps a shared one)
    /// and prints how many claims it wrote. Idempotent.
    ClaimSystemAddresses(TableOnly),
}

#[derive(Args)]
struct TableOnly {
    /// The DynamoDB table (region, credentials and endpoint from the standard AWS configuration).
    #[arg(long, env = "SENDAS_TABLE")]
    aws_table: String,
}

#[derive(Args)]
struct BackendOnly {
    #[command(flatten)]
    backend: BackendArgs,
}

#[derive(Args)]
struct BackendArgs {
    /// Data directory of the embedded store (database, secret key, outbox, demo.json).
    #[arg(long, env = "SENDAS_DATA_DIR", default_value = "./sendas-data")]
    data_dir: PathBuf,
    /// Use this DynamoDB table (and Secrets Manager) instead of the embedded store.
    /// Region, credentials and endpoint come from the standard AWS configuration.
    #[arg(long, env = "SENDAS_TABLE")]
    aws_table: Option<String>,
    /// Secrets Manager name prefix (with --aws-table).
    #[arg(long, env = "SENDAS_SECRET_PREFIX", default_value = "sendas/")]
    aws_secret_prefix: String,
}

impl BackendArgs {
    async fn open(&self) -> anyhow::Result<Backends> {
        match &self.aws_table {
            Some(table) => Ok(backend::aws(table, &self.aws_secret_prefix).await),
            None => backend::embedded(&self.data_dir),
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address of the HTTP API.
    #[arg(long, env = "SENDAS_API_ADDR", default_value = "127.0.0.1:8080")]
    api_addr: SocketAddr,
    /// Seed a demo tenant (companies, users alice and bob, a group, four mailboxes).
    #[arg(long)]
    demo: bool,
    /// Address of the SMTP proxy's submission listener (STARTTLS; plaintext AUTH
    /// is allowed only when this is a loopback address).
    #[arg(long, env = "SENDAS_SMTP_ADDR", default_value = "127.0.0.1:2525")]
    smtp_addr: SocketAddr,
    /// Address of the SMTP proxy's implicit-TLS listener (self-signed certificate in DATA_DIR/tls/).
    #[arg(long, env = "SENDAS_SMTP_TLS_ADDR", default_value = "127.0.0.1:4650")]
    smtp_tls_addr: SocketAddr,
    /// A TOML file of SMTP proxy limits (the keys of the proxy's `[limits]`
    /// table, e.g. `max_connections = 5000`); unset keys keep their defaults.
    #[arg(long, env = "SENDAS_SMTP_LIMITS")]
    smtp_limits: Option<PathBuf>,
    /// DNS servers that look domain ownership records up (`ip[:port]`,
    /// comma-separated); default: the nameservers of /etc/resolv.conf.
    #[arg(long, env = "SENDAS_DNS_SERVERS")]
    dns_servers: Option<String>,
    /// Seconds between two runs of the re-check of sending domains (each
    /// domain is looked up again once it was last checked 24 h ago).
    #[arg(long, env = "SENDAS_RECHECK_EVERY_SECONDS", default_value_t = 3600)]
    recheck_every_seconds: u64,
    /// Special-use networks (`10.1.0.0/16,fd00::/8`) a mailbox's or the
    /// system relay's host may be in; upstream hosts are otherwise public.
    /// Loopback is allowed while every listener is on loopback.
    #[arg(long, env = "SENDAS_UPSTREAM_NETWORKS", default_value = "")]
    upstream_networks: String,
    /// A PEM bundle of extra CAs trusted for TLS to upstream SMTP servers and
    /// token endpoints, besides the Web PKI roots.
    #[arg(long, env = "SENDAS_UPSTREAM_CA_BUNDLE")]
    upstream_ca_bundle: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArgs,
}

#[derive(Args)]
struct BootstrapArgs {
    /// A name for the token.
    #[arg(long, default_value = "bootstrap operator token")]
    name: String,
    /// With --aws-table: create the table first when it does not exist
    /// (local AWS-compatible endpoints; in AWS the SAM stack creates it).
    #[arg(long)]
    create_table: bool,
    #[command(flatten)]
    backend: BackendArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    match Cli::parse().command {
        Command::Serve(args) => {
            let backends = args.backend.open().await?;
            let opts = ServeOptions {
                local_store: args.backend.aws_table.is_none(),
                api_addr: args.api_addr,
                data_dir: args.backend.data_dir,
                demo: args.demo,
                smtp_addr: args.smtp_addr,
                smtp_tls_addr: args.smtp_tls_addr,
                dns_servers: match &args.dns_servers {
                    Some(list) => sendas_dns::parse_servers(list).map_err(anyhow::Error::msg)?,
                    None => sendas_dns::resolv_conf_servers(
                        &std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
                    ),
                },
                recheck_every: std::time::Duration::from_secs(args.recheck_every_seconds.max(1)),
                upstream_networks: sendas_core::policy::UpstreamNetworks::parse_list(&args.upstream_networks)
                    .map_err(anyhow::Error::msg)
                    .context("--upstream-networks")?,
                upstream_ca_bundle: args.upstream_ca_bundle.clone().filter(|p| !p.as_os_str().is_empty()),
                smtp_limits: match &args.smtp_limits {
                    None => sendas_smtp_proxy::config::Limits::default(),
                    Some(path) => {
                        let text =
                            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                        sendas_smtp_proxy::file_config::LimitsFile::parse(&text)
                            .with_context(|| format!("parsing {}", path.display()))?
                            .resolve()
                    }
                },
            };
            run(opts, backends, shutdown_signal()).await
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&sendas_api::openapi())?);
            Ok(())
        }
        Command::OwnershipReport(args) => {
            let backends = args.backend.open().await?;
            let (tenants, shared) = sendas_core::service::upgrade::ownership_report(
                backends.store.as_ref(),
                &sendas_core::model::Role::Operator,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"tenants": tenants, "shared_domains": shared}))?
            );
            Ok(())
        }
        Command::ClaimSystemAddresses(args) => {
            let claimed = backend::claim_system_addresses(&args.aws_table).await?;
            println!("{claimed}");
            Ok(())
        }
        Command::BootstrapOperator(args) => {
            if let (true, Some(table)) = (args.create_table, &args.backend.aws_table) {
                backend::create_aws_table(table).await?;
            }
            let backends = args.backend.open().await?;
            let token = backend::new_operator_token(backends.store.as_ref(), &args.name).await?;
            println!("{token}");
            Ok(())
        }
    }
}

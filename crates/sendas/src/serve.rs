//! `sendas serve`: the HTTP API on loopback over the chosen backends,
//! with a first operator token on an empty store, the outbox directory as
//! the default system relay, and the demo on request.

use crate::backend::{Backends, first_operator_token};
use crate::demo;
use anyhow::Context;
use sendas_api::AppState;
use sendas_core::model::SystemRelay;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where the API listens.
    pub api_addr: SocketAddr,
    /// The data directory (embedded store, outbox, demo.json).
    pub data_dir: PathBuf,
    /// Seed the demo tenant.
    pub demo: bool,
    /// SMTP submission (STARTTLS) address.
    pub smtp_addr: SocketAddr,
    /// SMTP implicit-TLS address.
    pub smtp_tls_addr: SocketAddr,
    /// Whether the store is the local embedded one: only then does an
    /// unset system relay default to the local outbox directory (a shared
    /// AWS table must never point every proxy at one machine's directory).
    pub local_store: bool,
    /// Limits of the SMTP proxy.
    pub smtp_limits: sendas_smtp_proxy::config::Limits,
    /// The resolvers of domain ownership checks and upstream host names
    /// (empty: every ownership check a resolver failure, upstream hosts IP
    /// literals or `localhost` only).
    pub dns_servers: Vec<SocketAddr>,
    /// How often the re-check of sending domains runs.
    pub recheck_every: std::time::Duration,
    /// Special-use networks upstream hosts may be in, besides loopback,
    /// which is allowed while every listener is on loopback.
    pub upstream_networks: sendas_core::policy::UpstreamNetworks,
    /// Extra CAs trusted for TLS to upstreams (a PEM file).
    pub upstream_ca_bundle: Option<PathBuf>,
}

impl ServeOptions {
    /// The networks upstream hosts may be in: the configured ones, and
    /// loopback while the API and both SMTP listeners are on loopback (the
    /// machine's own services are then the developer's, not a platform's).
    pub fn allowed_upstream_networks(&self) -> sendas_core::policy::UpstreamNetworks {
        let mut allowed = self.upstream_networks.allowed().to_vec();
        let listeners = [self.api_addr, self.smtp_addr, self.smtp_tls_addr];
        if listeners.iter().all(|a| a.ip().is_loopback()) {
            allowed.extend_from_slice(sendas_core::policy::UpstreamNetworks::loopback().allowed());
        }
        sendas_core::policy::UpstreamNetworks::new(allowed)
    }
}

/// Prepares the store (operator token, system relay, demo) and serves the
/// API until `shutdown` completes. Everything the user must see is printed
/// to stdout.
pub async fn run(
    opts: ServeOptions,
    backends: Backends,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.data_dir).with_context(|| format!("creating {}", opts.data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind(opts.api_addr)
        .await
        .with_context(|| format!("binding the API to {}", opts.api_addr))?;
    let api_url = format!("http://{}", listener.local_addr()?);
    let dns = sendas_dns::lookup_over(&opts.dns_servers)?;
    let upstreams = sendas_relay::UpstreamPolicy::new(dns.clone(), opts.allowed_upstream_networks());
    let proxy = crate::smtp::SmtpProxy::bind(
        opts.smtp_addr,
        opts.smtp_tls_addr,
        &opts.data_dir,
        &backends,
        opts.smtp_limits.clone(),
        upstreams,
        opts.upstream_ca_bundle.as_deref(),
    )
    .await?;
    let store = backends.store.as_ref();
    let first = first_operator_token(store).await?;
    if let Some(token) = &first {
        println!("operator token (shown once, keep it): {token}");
    }
    if opts.local_store && store.get_system_relay().await?.is_none() {
        let dir = opts.data_dir.join("outbox");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        store.put_system_relay(&SystemRelay::Outbox { dir: dir.display().to_string() }).await?;
    }
    if opts.demo {
        let info = match demo::load(&opts.data_dir)? {
            Some(mut info) => {
                info.api = api_url.clone();
                info
            }
            None => {
                let operator = match &first {
                    Some(t) => t.clone(),
                    None => crate::backend::new_operator_token(store, "demo operator token").await?,
                };
                demo::seed(store, backends.secrets.as_ref(), &api_url, &operator).await?
            }
        };
        let mut info = info;
        info.smtp = demo::SmtpInfo {
            host: Some(proxy.addr.ip().to_string()),
            port: Some(proxy.addr.port()),
            tls_port: Some(proxy.tls_addr.port()),
        };
        demo::save(&opts.data_dir, &info)?;
        print_demo(&opts, &info);
    }
    tokio::spawn(recheck_domains(backends.store.clone(), dns.clone(), opts.recheck_every));
    let router = crate::web::with_web(
        sendas_api::router(
            AppState::new(
                backends.store.clone(),
                backends.secrets.clone(),
                proxy.relay.clone(),
                proxy.verifier.clone(),
                proxy.limiter.clone(),
            )
            .with_audit(proxy.audit.clone())
            .with_dns(dns),
        ),
        crate::web::smtp_client_config(proxy.addr, proxy.tls_addr),
    );
    println!(
        "sendas SMTP proxy on {} (STARTTLS) and {} (implicit TLS); system relay: {}",
        proxy.addr,
        proxy.tls_addr,
        opts.data_dir.join("outbox").display()
    );
    println!("sendas web app on {api_url}/");
    println!("sendas API listening on {api_url}/v1 (OpenAPI: {api_url}/v1/openapi.json)");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let smtp = tokio::spawn(proxy.serve(stopped));
    let sweep = tokio::spawn(sweep_audit(backends.store.clone()));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
        .context("serving the API")?;
    let _ = smtp.await;
    sweep.abort();
    Ok(())
}

/// Enforces audit retention in the embedded store: a sweep every hour.
async fn sweep_audit(store: std::sync::Arc<dyn sendas_core::ports::Store>) {
    loop {
        if let Err(e) = sendas_core::service::audit::sweep(store.as_ref()).await {
            tracing::warn!(error = %e, "audit retention sweep failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

/// The in-process timer of the re-check of sending domains (on AWS an EventBridge schedule).
async fn recheck_domains(
    store: std::sync::Arc<dyn sendas_core::ports::Store>,
    dns: std::sync::Arc<dyn sendas_core::ports::DnsLookup>,
    every: std::time::Duration,
) {
    let rules = sendas_core::service::domains::Recheck::default();
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = sendas_core::Timestamp::now();
        match sendas_core::service::domains::recheck_due(store.as_ref(), dns.as_ref(), now, &rules).await {
            Ok(r) if r.checked > 0 => tracing::info!(
                checked = r.checked,
                verified = r.verified,
                lapsed = r.lapsed,
                failed = r.failed,
                "sending domains re-checked"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "re-check of sending domains failed"),
        }
    }
}

fn print_demo(opts: &ServeOptions, info: &demo::DemoInfo) {
    let file = opts.data_dir.join(demo::DEMO_FILE);
    println!("demo tenant {} seeded; tokens and app passwords are in {}", info.tenant_id, file.display());
    for u in &info.users {
        println!("  {}: may send as {:?}, not as {:?}", u.login, u.may_send_as, u.may_not_send_as);
    }
    if let Some(alice) = info.users.first() {
        println!("try: curl -s -H 'Authorization: Bearer {}' {}/v1/me/mailboxes", alice.token, info.api);
        let (host, port) = (info.smtp.host.clone().unwrap_or_default(), info.smtp.port.unwrap_or_default());
        let base = format!(
            "swaks --server {host}:{port} --auth PLAIN --auth-user {} --auth-password {} --from info@demo.example --to someone@example.net",
            alice.login, alice.password
        );
        println!("send (accepted, lands in {}):", opts.data_dir.join("outbox").display());
        println!("  {base} --header 'From: Demo Info <info@demo.example>'");
        println!("send (refused with 550 5.7.1, From is not alice's):");
        println!("  {base} --header 'From: CEO <ceo@victim.example>'");
    }
    crate::web::print_demo_links(info);
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    sendas_smtp_proxy::shutdown::signal().await
}

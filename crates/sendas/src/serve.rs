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
    let store = backends.store.as_ref();
    let first = first_operator_token(store).await?;
    if let Some(token) = &first {
        println!("operator token (shown once, keep it): {token}");
    }
    if store.get_system_relay().await?.is_none() {
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
        demo::save(&opts.data_dir, &info)?;
        print_demo(&opts, &info);
    }
    let router = sendas_api::router(AppState::new(backends.store.clone(), backends.secrets.clone()));
    println!("sendas API listening on {api_url}/v1 (OpenAPI: {api_url}/v1/openapi.json)");
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await.context("serving the API")?;
    Ok(())
}

fn print_demo(opts: &ServeOptions, info: &demo::DemoInfo) {
    let file = opts.data_dir.join(demo::DEMO_FILE);
    println!("demo tenant {} seeded; tokens and app passwords are in {}", info.tenant_id, file.display());
    for u in &info.users {
        println!("  {}: may send as {:?}, not as {:?}", u.login, u.may_send_as, u.may_not_send_as);
    }
    if let Some(alice) = info.users.first() {
        println!("try: curl -s -H 'Authorization: Bearer {}' {}/v1/me/mailboxes", alice.token, info.api);
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

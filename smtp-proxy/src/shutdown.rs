//! Shutdown helpers shared by every composition root: waiting for Ctrl-C
//! or SIGTERM, and waiting for a shutdown flag (a `watch` channel that
//! turns `true`; sessions finish their transaction, listeners stop).

use tokio::sync::watch;

/// Completes on Ctrl-C or SIGTERM.
pub async fn signal() {
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

/// Completes when `shutdown` turns true; never, if its sender is gone.
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Sets the flag on Ctrl-C or SIGTERM (spawned by a binary).
pub async fn on_signal(stop: watch::Sender<bool>) {
    signal().await;
    tracing::info!("shutting down: finishing transactions in flight");
    let _ = stop.send(true);
}

//! The accept loops: connection limits (total and per IP), implicit TLS
//! and STARTTLS, and a graceful shutdown that lets transactions in flight
//! finish (idle sessions are told 421 and closed).

use crate::session::{Deps, Session, SessionEnd};
use sendas_message::reply::Reply;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// The listening sockets.
pub struct Listeners {
    /// Submission: plain, STARTTLS offered when TLS is configured.
    pub submission: Option<TcpListener>,
    /// Submissions: implicit TLS (needs TLS configured).
    pub implicit_tls: Option<TcpListener>,
}

#[derive(Default)]
struct Connections {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Holds one connection's place in the limits; frees it on drop.
struct Slot {
    conns: Arc<Mutex<Connections>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Backlog of the SMTP listeners (the kernel caps it at `net.core.somaxconn`).
/// A burst of connections beyond the backlog is not refused but stalls: the
/// kernel drops the handshake's last ACK, the client believes it is
/// connected and waits for a greeting that comes after SYN-ACK retries, or
/// never. The load test found this with 1,000 clients connecting at once.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds an SMTP listener on `addr` with [`LISTEN_BACKLOG`].
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// What a session gets after the drain ran out to write its audit record and answer.
const AFTER_DRAIN: Duration = Duration::from_secs(5);

/// Serves until `shutdown` turns true, then drains sessions: transactions in flight finish for
/// up to `drain`; then relays still waiting for their final reply end `uncertain` (audited,
/// answered `451 4.4.2`), and what is left after a few more seconds is cut.
pub async fn run(
    listeners: Listeners,
    deps: Deps,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
    drain: Duration,
) {
    let conns = Arc::new(Mutex::new(Connections::default()));
    let mut sessions = JoinSet::new();
    loop {
        let (stream, peer, implicit) = tokio::select! {
            r = accept(listeners.submission.as_ref()) => match r { Ok((s, p)) => (s, p, false), Err(_) => continue },
            r = accept(listeners.implicit_tls.as_ref()) => match r { Ok((s, p)) => (s, p, true), Err(_) => continue },
            _ = crate::shutdown::stopped(&mut shutdown) => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
        };
        let Some(slot) = admit(&conns, &deps, peer.ip()) else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let (deps, tls, stop) = (deps.clone(), tls.clone(), shutdown.clone());
        sessions.spawn(async move {
            let _slot = slot;
            deps.metrics.sessions.fetch_add(1, Ordering::Relaxed);
            deps.metrics.sessions_active.fetch_add(1, Ordering::Relaxed);
            serve_connection(stream, peer, implicit, deps.clone(), tls, stop).await;
            deps.metrics.sessions_active.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listeners);
    let mut finish =
        async |within| tokio::time::timeout(within, async { while sessions.join_next().await.is_some() {} }).await;
    if finish(drain).await.is_err() {
        tracing::warn!("the drain ran out: relays still in flight are recorded uncertain");
        deps.submitter.abandon();
        let _ = finish(AFTER_DRAIN).await;
    }
    sessions.abort_all();
}

async fn accept(l: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

fn admit(conns: &Arc<Mutex<Connections>>, deps: &Deps, ip: IpAddr) -> Option<Slot> {
    let limits = &deps.config.limits;
    let mut c = conns.lock().unwrap_or_else(|p| p.into_inner());
    let here = c.per_ip.get(&ip).copied().unwrap_or(0);
    if c.total >= limits.max_connections || here >= limits.max_connections_per_ip {
        return None;
    }
    c.total += 1;
    *c.per_ip.entry(ip).or_default() += 1;
    Some(Slot { conns: conns.clone(), ip })
}

async fn refuse(mut stream: TcpStream) {
    let reply = Reply::new(421, "4.7.0", "Too many connections, try again later");
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(&reply.to_wire())).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    implicit: bool,
    deps: Deps,
    tls: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let handshake = deps.config.limits.command_timeout.min(Duration::from_secs(60));
    if implicit {
        let Some(acceptor) = tls else { return };
        let Ok(Ok(stream)) = tokio::time::timeout(handshake, acceptor.accept(stream)).await else { return };
        let mut session = Session::new(deps, peer.ip(), true, false, stop);
        session.run(stream, true).await;
        return;
    }
    let mut session = Session::new(deps, peer.ip(), false, tls.is_some(), stop);
    let (stream, end) = session.run(stream, true).await;
    if end == SessionEnd::StartTls {
        let Some(acceptor) = tls else { return };
        // The plain stream's read buffer was dropped with the first `run`:
        // nothing the client sent before the handshake is ever read.
        let Ok(Ok(stream)) = tokio::time::timeout(handshake, acceptor.accept(stream)).await else { return };
        session.upgraded();
        session.run(stream, false).await;
    }
}

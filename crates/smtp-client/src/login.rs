//! The lettre path: logging in to an upstream SMTP server — TCP with
//! `TCP_NODELAY`, implicit TLS or STARTTLS (certificates checked against
//! the Web PKI roots), EHLO and AUTH PLAIN/LOGIN — and handing the
//! connection to lettre's SMTP client. Used by the API's `verify` (which
//! reports the stage a login failed at) and, until it moves to
//! [`crate::Client`], by the proxy's relay.
//!
//! The socket is ours so that Nagle's algorithm is off: with it on, the
//! final `.` CRLF of a message waited for the upstream's delayed ACK, and
//! every relayed message took 40 ms longer (the benchmark found it).

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use rustls_pki_types::ServerName;
use sendas_core::model::{SmtpSettings, TlsMode};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The step of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// TCP connect, implicit TLS handshake, greeting and EHLO.
    Connect,
    /// STARTTLS.
    Tls,
    /// AUTH.
    Auth,
}

/// Why a login failed, and at which stage.
#[derive(Debug)]
pub enum LoginError {
    /// The connection or the implicit TLS handshake failed (before SMTP).
    Connect(String),
    /// The server or lettre refused (lettre's error keeps transient vs. permanent).
    Smtp(Stage, lettre::transport::smtp::Error),
    /// A step took longer than the step timeout.
    TimedOut(Stage),
}

impl LoginError {
    /// The stage it failed at.
    pub fn stage(&self) -> Stage {
        match self {
            LoginError::Connect(_) => Stage::Connect,
            LoginError::Smtp(stage, _) | LoginError::TimedOut(stage) => *stage,
        }
    }
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginError::Connect(why) => f.write_str(why),
            LoginError::Smtp(_, e) => write!(f, "{e}"),
            LoginError::TimedOut(_) => f.write_str("timed out"),
        }
    }
}

/// A logged-in connection and the server's answer to AUTH (if credentials were given).
pub struct LoggedIn {
    /// The connection, ready for MAIL FROM.
    pub conn: AsyncSmtpConnection,
    /// The reply to AUTH.
    pub auth_reply: Option<Response>,
}

async fn step<T>(
    stage: Stage,
    limit: Duration,
    f: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, LoginError> {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(LoginError::Smtp(stage, e)),
        Err(_) => Err(LoginError::TimedOut(stage)),
    }
}

/// Connects to `settings` and logs in with `credentials` (if any); every
/// step may take up to `step_timeout`.
pub async fn login(
    settings: &SmtpSettings,
    credentials: Option<&Credentials>,
    hello: &ClientId,
    step_timeout: Duration,
) -> Result<LoggedIn, LoginError> {
    let host = settings.host();
    let tcp = match tokio::time::timeout(step_timeout, TcpStream::connect((host, settings.port()))).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Err(LoginError::Connect(format!("connecting to {host}:{}: {e}", settings.port()))),
        Err(_) => return Err(LoginError::TimedOut(Stage::Connect)),
    };
    tcp.set_nodelay(true).map_err(|e| LoginError::Connect(e.to_string()))?;
    let mut conn = if settings.tls() == TlsMode::Tls {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| LoginError::Connect(e.to_string()))?;
        let tls = match tokio::time::timeout(step_timeout, connector().connect(name, tcp)).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => return Err(LoginError::Connect(format!("TLS with {host}: {e}"))),
            Err(_) => return Err(LoginError::TimedOut(Stage::Connect)),
        };
        let stream: Box<dyn AsyncTokioStream> = Box::new(ImplicitTls(tls));
        step(Stage::Connect, step_timeout, AsyncSmtpConnection::connect_with_transport(stream, hello)).await?
    } else {
        step(Stage::Connect, step_timeout, AsyncSmtpConnection::connect_with_transport(Box::new(tcp), hello)).await?
    };
    if settings.tls() == TlsMode::Starttls {
        let params = TlsParameters::new(host.to_owned()).map_err(|e| LoginError::Smtp(Stage::Tls, e))?;
        step(Stage::Tls, step_timeout, conn.starttls(params, hello)).await?;
    }
    let auth_reply = match credentials {
        Some(c) => Some(step(Stage::Auth, step_timeout, conn.auth(&[Mechanism::Plain, Mechanism::Login], c)).await?),
        None => None,
    };
    Ok(LoggedIn { conn, auth_reply })
}

fn connector() -> TlsConnector {
    crate::tls::Trust::web_pki().connector()
}

/// An implicit-TLS stream handed to lettre.
#[derive(Debug)]
struct ImplicitTls(TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

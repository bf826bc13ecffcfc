//! Logging in to an upstream SMTP server: TCP with `TCP_NODELAY`, implicit
//! TLS or STARTTLS (certificates checked against the Web PKI roots), EHLO
//! and AUTH, then handed to lettre's SMTP client.
//!
//! The socket is ours so that Nagle's algorithm is off: with it on, the
//! final `.` CRLF of a message waited for the upstream's delayed ACK, and
//! every relayed message took 40 ms longer (the benchmark found it).

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use rustls_pki_types::ServerName;
use sendas_core::model::{SmtpSettings, TlsMode};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Why a login failed: before SMTP (connect, TLS), or an SMTP error.
#[derive(Debug)]
pub enum UpstreamError {
    /// The connection or the implicit TLS handshake failed.
    Connect(String),
    /// The SMTP exchange failed (lettre's error keeps transient vs. permanent).
    Smtp(lettre::transport::smtp::Error),
}

impl From<lettre::transport::smtp::Error> for UpstreamError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        UpstreamError::Smtp(e)
    }
}

/// Connects to `settings` and logs in with `credentials` (if any).
pub async fn login(
    settings: &SmtpSettings,
    credentials: Option<&Credentials>,
    hello: &ClientId,
) -> Result<AsyncSmtpConnection, UpstreamError> {
    let host = settings.host();
    let tcp = TcpStream::connect((host, settings.port()))
        .await
        .map_err(|e| UpstreamError::Connect(format!("connecting to {host}:{}: {e}", settings.port())))?;
    tcp.set_nodelay(true).map_err(|e| UpstreamError::Connect(e.to_string()))?;
    let mut conn = if settings.tls() == TlsMode::Tls {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| UpstreamError::Connect(e.to_string()))?;
        let tls = connector()
            .connect(name, tcp)
            .await
            .map_err(|e| UpstreamError::Connect(format!("TLS with {host}: {e}")))?;
        AsyncSmtpConnection::connect_with_transport(Box::new(ImplicitTls(tls)), hello).await?
    } else {
        AsyncSmtpConnection::connect_with_transport(Box::new(tcp), hello).await?
    };
    if settings.tls() == TlsMode::Starttls {
        conn.starttls(TlsParameters::new(host.to_owned())?, hello).await?;
    }
    if let Some(c) = credentials {
        conn.auth(&[Mechanism::Plain, Mechanism::Login], c).await?;
    }
    Ok(conn)
}

fn connector() -> TlsConnector {
    static CONNECTOR: OnceLock<TlsConnector> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let roots = tokio_rustls::rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config =
                tokio_rustls::rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
            TlsConnector::from(Arc::new(config))
        })
        .clone()
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

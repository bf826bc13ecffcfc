//! A small SMTP client for load: line replies, nothing pipelined,
//! dot-stuffing, STARTTLS verified against a given CA certificate.

use data_encoding::BASE64;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A TLS connector that trusts only the certificates in `ca_pem`.
pub fn tls_connector(ca_pem: &[u8]) -> io::Result<TlsConnector> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.map_err(io::Error::other)?).map_err(io::Error::other)?;
    }
    let config = tokio_rustls::rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Closed,
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Closed => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

/// How long a reply may take (longer is reported as a `TimedOut` error).
const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// One client connection.
pub struct SmtpClient {
    stream: BufReader<Stream>,
    line: String,
}

/// Connects to `addr`, from `source` when given (any 127.0.0.0/8 address works on loopback).
pub async fn connect_from(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<SmtpClient> {
    let stream = match source {
        None => TcpStream::connect(addr).await?,
        Some(ip) => {
            let socket = if ip.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
            socket.bind(SocketAddr::new(ip, 0))?;
            socket.connect(addr).await?
        }
    };
    stream.set_nodelay(true)?;
    Ok(SmtpClient { stream: BufReader::new(Stream::Plain(stream)), line: String::new() })
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed")
}

impl SmtpClient {
    /// Reads one (possibly multi-line) reply: its code and last line's text.
    pub async fn reply(&mut self) -> io::Result<(u16, String)> {
        loop {
            self.line.clear();
            let read = tokio::time::timeout(REPLY_TIMEOUT, self.stream.read_line(&mut self.line)).await;
            if read.map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply"))?? == 0 {
                return Err(eof());
            }
            let l = self.line.trim_end();
            let code = l.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| io::Error::other("not a reply"))?;
            if l.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, l.get(4..).unwrap_or_default().to_owned()));
            }
        }
    }

    /// Sends one command line and reads the reply.
    pub async fn command(&mut self, line: &str) -> io::Result<(u16, String)> {
        self.stream.get_mut().write_all(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    async fn expect(&mut self, line: &str, code: u16) -> io::Result<()> {
        match self.command(line).await? {
            (c, _) if c == code => Ok(()),
            (c, text) => Err(io::Error::other(format!("{c} {text}"))),
        }
    }

    /// STARTTLS (after EHLO), the handshake for `localhost`, and EHLO again.
    pub async fn starttls(&mut self, connector: &TlsConnector) -> io::Result<()> {
        self.expect("EHLO sendas-bench", 250).await?;
        self.expect("STARTTLS", 220).await?;
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, BufReader::new(Stream::Closed)).into_inner()
        else {
            return Err(io::Error::other("STARTTLS twice"));
        };
        let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
        let tls = connector.connect(name, tcp).await?;
        self.stream = BufReader::new(Stream::Tls(Box::new(tls)));
        Ok(())
    }

    /// EHLO, then AUTH PLAIN when `auth` is given.
    pub async fn hello_and_auth(&mut self, auth: Option<&(String, String)>) -> io::Result<()> {
        self.expect("EHLO sendas-bench", 250).await?;
        if let Some((login, password)) = auth {
            let token = BASE64.encode(format!("\0{login}\0{password}").as_bytes());
            self.expect(&format!("AUTH PLAIN {token}"), 235).await?;
        }
        Ok(())
    }

    /// After DATA's 354: `message` (dot-stuffed here) and its final reply.
    pub async fn data(&mut self, message: &[u8]) -> io::Result<(u16, String)> {
        self.stream.get_mut().write_all(&sendas_testkit::dot_stuffed(message)).await?;
        self.reply().await
    }

    /// MAIL, RCPT, DATA with `message` (dot-stuffed here); the final reply.
    /// With `pipelining`, MAIL, RCPT and DATA go out in one write (RFC 2920).
    pub async fn transaction(&mut self, from: &str, to: &str, message: &[u8]) -> io::Result<(u16, String)> {
        self.transaction_with(from, to, message, false, false).await
    }

    /// As [`Self::transaction`], choosing whether to pipeline the envelope
    /// and whether to declare the size (`SIZE=`).
    pub async fn transaction_with(
        &mut self,
        from: &str,
        to: &str,
        message: &[u8],
        pipelining: bool,
        declare_size: bool,
    ) -> io::Result<(u16, String)> {
        let size = if declare_size { format!(" SIZE={}", message.len()) } else { String::new() };
        let commands =
            [(format!("MAIL FROM:<{from}>{size}"), 250), (format!("RCPT TO:<{to}>"), 250), ("DATA".into(), 354)];
        if pipelining {
            let group: String = commands.iter().map(|(c, _)| format!("{c}\r\n")).collect();
            self.stream.get_mut().write_all(group.as_bytes()).await?;
            let mut first_bad = None;
            for (_, code) in &commands {
                let r = self.reply().await?;
                if r.0 != *code && first_bad.is_none() {
                    first_bad = Some(r);
                }
            }
            if let Some(bad) = first_bad {
                return Ok(bad);
            }
        } else {
            for (line, code) in commands {
                let r = self.command(&line).await?;
                if r.0 != code {
                    let _ = self.command("RSET").await;
                    return Ok(r);
                }
            }
        }
        self.stream.get_mut().write_all(&sendas_testkit::dot_stuffed(message)).await?;
        self.reply().await
    }
}

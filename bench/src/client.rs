//! A small SMTP client for load: line replies, pipelined nothing, dot-stuffing.

use data_encoding::BASE64;
use std::io;
use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// How long a reply may take (longer is reported as a `TimedOut` error).
const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// One client connection.
pub struct SmtpClient {
    stream: BufReader<TcpStream>,
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
    Ok(SmtpClient { stream: BufReader::new(stream), line: String::new() })
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

    /// EHLO, then AUTH PLAIN when `auth` is given.
    pub async fn hello_and_auth(&mut self, auth: Option<&(String, String)>) -> io::Result<()> {
        self.expect("EHLO sendas-bench", 250).await?;
        if let Some((login, password)) = auth {
            let token = BASE64.encode(format!("\0{login}\0{password}").as_bytes());
            self.expect(&format!("AUTH PLAIN {token}"), 235).await?;
        }
        Ok(())
    }

    /// MAIL, RCPT, DATA with `message` (dot-stuffed here); the final reply.
    pub async fn transaction(&mut self, from: &str, to: &str, message: &[u8]) -> io::Result<(u16, String)> {
        for (line, code) in
            [(format!("MAIL FROM:<{from}>"), 250), (format!("RCPT TO:<{to}>"), 250), ("DATA".into(), 354)]
        {
            let r = self.command(&line).await?;
            if r.0 != code {
                if code == 354 || code == 250 {
                    let _ = self.command("RSET").await;
                }
                return Ok(r);
            }
        }
        let mut wire = Vec::with_capacity(message.len() + 64);
        for l in message.split_inclusive(|&b| b == b'\n') {
            if l.starts_with(b".") {
                wire.push(b'.');
            }
            wire.extend_from_slice(l);
        }
        if !wire.ends_with(b"\r\n") {
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b".\r\n");
        self.stream.get_mut().write_all(&wire).await?;
        self.reply().await
    }
}

//! The client's connection: connect (TCP with `TCP_NODELAY`), implicit TLS
//! or STARTTLS (never a downgrade: STARTTLS required but not offered, or
//! offered and failing, is an error at [`Step::Tls`]), greeting, EHLO (HELO
//! when EHLO gets a 5xx), EHLO again after STARTTLS with the pre-TLS
//! capabilities forgotten; RSET, NOOP, QUIT; the per-step timeouts; and
//! the "broken" flag that tells a pool not to reuse the connection. AUTH
//! is in `auth.rs`, the mail transaction in `send.rs`.

use crate::caps::Capabilities;
use crate::error::{ErrorKind, SmtpError, Step};
use crate::options::{ConnectOptions, Security, Timeouts};
use crate::reply::Reply;
use crate::wire::{Io, Wire, WireError};
use std::fmt;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpStream;

/// A connection to an SMTP server, greeted, ready for AUTH or a message.
pub struct Client {
    pub(crate) wire: Wire,
    pub(crate) caps: Capabilities,
    pub(crate) timeouts: Timeouts,
    pub(crate) broken: bool,
    host: String,
    tls: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.host)
            .field("tls", &self.tls)
            .field("broken", &self.broken)
            .field("capabilities", &self.caps)
            .finish()
    }
}

/// Runs `f` within `limit`; a timeout is an error at `step`.
pub(crate) async fn within<T>(
    step: Step,
    limit: Duration,
    f: impl Future<Output = Result<T, SmtpError>>,
) -> Result<T, SmtpError> {
    tokio::time::timeout(limit, f).await.unwrap_or_else(|_| Err(SmtpError::new(step, ErrorKind::TimedOut)))
}

fn wire_error(step: Step, e: WireError) -> SmtpError {
    let kind = match e {
        WireError::Io(e) => ErrorKind::Io(e.to_string()),
        WireError::Closed => ErrorKind::Io("the server closed the connection".into()),
        WireError::Protocol(why) => ErrorKind::Protocol(why),
    };
    SmtpError::new(step, kind)
}

impl Client {
    /// Connects to `opts.host:opts.port` and greets the server (TLS as `opts.security` says).
    pub async fn connect(opts: &ConnectOptions) -> Result<Client, SmtpError> {
        let failed =
            |e| SmtpError::new(Step::Connect, ErrorKind::Io(format!("connecting to {}:{}: {e}", opts.host, opts.port)));
        let tcp = within(Step::Connect, opts.timeouts.connect, async {
            if opts.addresses.is_empty() {
                return TcpStream::connect((opts.host.as_str(), opts.port)).await.map_err(failed);
            }
            // The caller's addresses (checked by it), in order; never a lookup of the name.
            let mut last = None;
            for address in &opts.addresses {
                match TcpStream::connect(address).await {
                    Ok(tcp) => return Ok(tcp),
                    Err(e) => last = Some(e),
                }
            }
            Err(failed(last.unwrap_or_else(|| std::io::Error::other("no address"))))
        })
        .await?;
        let io_error = |e: std::io::Error| SmtpError::new(Step::Connect, ErrorKind::Io(e.to_string()));
        tcp.set_nodelay(true).map_err(io_error)?;
        if opts.security == Security::None && !tcp.peer_addr().map_err(io_error)?.ip().is_loopback() {
            return Err(SmtpError::new(
                Step::Connect,
                ErrorKind::Invalid("a connection without TLS is for loopback only"),
            ));
        }
        Client::handshake(tcp, opts).await
    }

    /// Greets the server over an open transport (implicit TLS first when
    /// `opts.security` is `Tls`; STARTTLS after EHLO when it is `StartTls`).
    /// The loopback rule of `Security::None` is checked by [`Client::connect`]
    /// only: here the caller owns the transport.
    pub async fn handshake(io: impl Io + 'static, opts: &ConnectOptions) -> Result<Client, SmtpError> {
        let mut io: Box<dyn Io> = Box::new(io);
        if opts.security == Security::Tls {
            io = within(Step::Tls, opts.timeouts.connect, async {
                opts.trust.handshake(&opts.host, io).await.map_err(|e| SmtpError::new(Step::Tls, ErrorKind::Tls(e)))
            })
            .await?;
        }
        let mut client = Client {
            wire: Wire::new(io),
            caps: Capabilities::default(),
            timeouts: opts.timeouts,
            broken: false,
            host: opts.host.clone(),
            tls: opts.security == Security::Tls,
        };
        let greeting = client.read(Step::Connect, opts.timeouts.command).await?;
        client.expect(Step::Connect, greeting, |c| c == 220)?;
        client.hello(Step::Connect, &opts.hello).await?;
        if opts.security == Security::StartTls {
            client.starttls(opts).await?;
        }
        Ok(client)
    }

    /// EHLO, or HELO when EHLO gets a 5xx.
    async fn hello(&mut self, step: Step, name: &str) -> Result<(), SmtpError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SmtpError::new(step, ErrorKind::Invalid("the EHLO name")));
        }
        let reply = self.round(step, format!("EHLO {name}\r\n").as_bytes()).await?;
        if reply.is_positive() {
            self.caps = Capabilities::from_ehlo(&reply);
            return Ok(());
        }
        if !reply.is_permanent() {
            return self.expect(step, reply, |_| false).map(drop);
        }
        let reply = self.round(step, format!("HELO {name}\r\n").as_bytes()).await?;
        self.caps = Capabilities::default();
        self.expect(step, reply, |c| c == 250).map(drop)
    }

    async fn starttls(&mut self, opts: &ConnectOptions) -> Result<(), SmtpError> {
        if !self.caps.starttls {
            self.broken = true;
            return Err(SmtpError::new(Step::Tls, ErrorKind::NotOffered("STARTTLS")));
        }
        let reply = self.round(Step::Tls, b"STARTTLS\r\n").await?;
        if let Err(e) = self.expect(Step::Tls, reply, |c| c == 220) {
            // Never go on in plaintext.
            self.broken = true;
            return Err(e);
        }
        self.broken = true;
        let placeholder: Box<dyn Io> = Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink()));
        let wire = std::mem::replace(&mut self.wire, Wire::new(placeholder));
        let io = wire.into_io().map_err(|e| wire_error(Step::Tls, e))?;
        let io = within(Step::Tls, opts.timeouts.connect, async {
            opts.trust.handshake(&opts.host, io).await.map_err(|e| SmtpError::new(Step::Tls, ErrorKind::Tls(e)))
        })
        .await?;
        self.wire = Wire::new(io);
        self.broken = false;
        self.tls = true;
        // RFC 3207 §4.2: forget everything learnt before TLS, ask again.
        self.caps = Capabilities::default();
        self.hello(Step::Tls, &opts.hello).await
    }

    /// Writes `bytes` within the command timeout.
    pub(crate) async fn write(&mut self, step: Step, limit: Duration, bytes: &[u8]) -> Result<(), SmtpError> {
        self.usable(step)?;
        tracing::trace!(host = %self.host, %step, octets = bytes.len(), "smtp write");
        let result =
            within(step, limit, async { self.wire.write_all(bytes).await.map_err(|e| wire_error(step, e)) }).await;
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Reads one reply within `limit`. A 421 (the server is closing) breaks the connection.
    pub(crate) async fn read(&mut self, step: Step, limit: Duration) -> Result<Reply, SmtpError> {
        let result = within(step, limit, async { self.wire.read_reply().await.map_err(|e| wire_error(step, e)) }).await;
        match &result {
            Ok(reply) => {
                tracing::trace!(host = %self.host, %step, code = reply.code(), "smtp reply");
                if reply.code() == 421 {
                    self.broken = true;
                }
            }
            Err(_) => self.broken = true,
        }
        result
    }

    /// Writes a command and reads its reply, within the command timeout.
    pub(crate) async fn round(&mut self, step: Step, bytes: &[u8]) -> Result<Reply, SmtpError> {
        self.write(step, self.timeouts.command, bytes).await?;
        self.read(step, self.timeouts.command).await
    }

    /// `Ok` when `ok(code)`; a 4xx/5xx is `Refused`; anything else a protocol error (and broken).
    pub(crate) fn expect(&mut self, step: Step, reply: Reply, ok: impl Fn(u16) -> bool) -> Result<Reply, SmtpError> {
        if ok(reply.code()) {
            Ok(reply)
        } else if reply.is_transient() || reply.is_permanent() {
            Err(SmtpError::new(step, ErrorKind::Refused(reply)))
        } else {
            self.broken = true;
            Err(SmtpError::new(step, ErrorKind::Protocol(format!("unexpected reply {reply}"))))
        }
    }

    pub(crate) fn usable(&self, step: Step) -> Result<(), SmtpError> {
        if self.broken { Err(SmtpError::new(step, ErrorKind::Io("the connection is broken".into()))) } else { Ok(()) }
    }

    /// What the server offers (after STARTTLS: what it offers over TLS).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether the connection is TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host connected to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the connection must not be used again (an I/O error, a
    /// timeout, a protocol error, a 421, an aborted DATA, a failed RSET).
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// For a pooled connection before reuse: `true` when it is idle and
    /// open; `false` (and broken from then on) when the server closed it
    /// or said something unasked, like a 421 on its idle timeout. Does not block.
    pub async fn still_open(&mut self) -> bool {
        if self.broken || self.wire.has_buffered() || !self.wire.idle_and_open().await {
            self.broken = true;
            return false;
        }
        true
    }

    /// RSET: ends any transaction.
    pub async fn reset(&mut self) -> Result<Reply, SmtpError> {
        let reply = self.round(Step::Mail, b"RSET\r\n").await?;
        let result = self.expect(Step::Mail, reply, |c| c == 250);
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// NOOP: checks the server still answers.
    pub async fn noop(&mut self) -> Result<Reply, SmtpError> {
        let reply = self.round(Step::Connect, b"NOOP\r\n").await?;
        self.expect(Step::Connect, reply, |c| c == 250)
    }

    /// QUIT, then closes (errors are ignored: the connection ends either way).
    pub async fn quit(mut self) {
        if !self.broken {
            let limit = self.timeouts.command.min(Duration::from_secs(5));
            if self.write(Step::Connect, limit, b"QUIT\r\n").await.is_ok() {
                let _ = self.read(Step::Connect, limit).await;
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.wire.shutdown()).await;
    }
}

#[cfg(test)]
mod tests {
    /// The relay keeps clients in a pool and moves them between tasks.
    #[test]
    fn a_client_can_move_between_tasks() {
        fn send<T: Send + 'static>() {}
        send::<super::Client>();
    }
}

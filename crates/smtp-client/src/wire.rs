//! The byte stream under the client: any async transport (TCP, TLS over
//! TCP, a test's in-memory pipe) behind one boxed [`Io`], a read buffer,
//! reading one reply (bounded line length and line count), writing with
//! flush. Every failure is reported once and leaves the wire broken.

use crate::reply::{Reply, parse_line};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A transport the client can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The longest reply line accepted (RFC 5321 asks for 512; servers' EHLO lines are short too).
const MAX_LINE: usize = 8192;
/// The most lines one reply may have.
const MAX_LINES: usize = 200;

/// Why reading or writing failed.
#[derive(Debug)]
pub(crate) enum WireError {
    /// The transport failed.
    Io(std::io::Error),
    /// The server closed the connection.
    Closed,
    /// The server sent something that is not a reply.
    Protocol(String),
}

pub(crate) struct Wire {
    io: Box<dyn Io>,
    buf: Vec<u8>,
}

impl Wire {
    pub(crate) fn new(io: Box<dyn Io>) -> Wire {
        Wire { io, buf: Vec::with_capacity(1024) }
    }

    /// Hands out the transport (for the TLS handshake); fails if the
    /// server sent bytes nobody asked for (they would be read as if
    /// they came over TLS: the STARTTLS injection).
    pub(crate) fn into_io(self) -> Result<Box<dyn Io>, WireError> {
        if self.buf.is_empty() {
            Ok(self.io)
        } else {
            Err(WireError::Protocol("the server sent data after its STARTTLS reply".into()))
        }
    }

    /// Whether unread bytes are waiting in the buffer.
    pub(crate) fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.io.write_all(bytes).await.map_err(WireError::Io)?;
        self.io.flush().await.map_err(WireError::Io)
    }

    /// Reads one complete reply.
    pub(crate) async fn read_reply(&mut self) -> Result<Reply, WireError> {
        let mut lines = Vec::new();
        let mut code = None;
        loop {
            let line = self.read_line().await?;
            let parsed = parse_line(&line)
                .ok_or_else(|| WireError::Protocol(format!("not an SMTP reply: {}", String::from_utf8_lossy(&line))))?;
            if *code.get_or_insert(parsed.code) != parsed.code {
                return Err(WireError::Protocol("the lines of a reply carry different codes".into()));
            }
            lines.push(parsed.text);
            if !parsed.more {
                return Ok(Reply::new(parsed.code, lines));
            }
            if lines.len() >= MAX_LINES {
                return Err(WireError::Protocol("a reply of too many lines".into()));
            }
        }
    }

    /// One line without its CRLF (a bare LF is taken as the end too).
    async fn read_line(&mut self) -> Result<Vec<u8>, WireError> {
        let mut searched = 0;
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[searched..]) {
                let end = searched + at;
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            searched = self.buf.len();
            if searched > MAX_LINE {
                return Err(WireError::Protocol("a reply line is too long".into()));
            }
            self.buf.reserve(2048);
            if self.io.read_buf(&mut self.buf).await.map_err(WireError::Io)? == 0 {
                return Err(WireError::Closed);
            }
        }
    }

    /// Reads whatever is waiting without blocking: `Ok(true)` when the
    /// connection is idle and open; `Ok(false)` when it is closed or the
    /// server said something unasked (a 421 on idle timeout).
    pub(crate) async fn idle_and_open(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut probe = [0u8; 512];
        // Poll the read exactly once: data or EOF ready now → seen; pending → idle and open.
        // (A zero timeout would wait for the timer's next millisecond tick: +1 ms per reused connection.)
        let mut read = tokio::io::ReadBuf::new(&mut probe);
        let io = &mut self.io;
        let ready = std::future::poll_fn(|cx| match std::pin::Pin::new(&mut *io).poll_read(cx, &mut read) {
            std::task::Poll::Pending => std::task::Poll::Ready(None),
            std::task::Poll::Ready(r) => std::task::Poll::Ready(Some(r)),
        })
        .await;
        match ready {
            None => true,
            Some(Err(_)) => false,
            // EOF (nothing filled), or something the server said unasked (kept for the caller to see).
            Some(Ok(())) => {
                self.buf.extend_from_slice(read.filled());
                false
            }
        }
    }

    pub(crate) async fn shutdown(&mut self) {
        let _ = self.io.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replies_are_read_whole() {
        let (mut server, client) = tokio::io::duplex(64);
        let mut wire = Wire::new(Box::new(client));
        tokio::spawn(async move {
            let _ = server.write_all(b"250-first\r\n250-second\n250 last\r\n220 next\r\n").await;
            let _ = server.write_all(b"250-a\r\n354 b\r\nnot a reply\r\n").await;
        });
        let r = wire.read_reply().await.map_err(|e| format!("{e:?}"));
        assert_eq!(r, Ok(Reply::new(250, vec!["first".into(), "second".into(), "last".into()])));
        assert_eq!(wire.read_reply().await.map(|r| r.code()).map_err(|e| format!("{e:?}")), Ok(220));
        assert!(matches!(wire.read_reply().await, Err(WireError::Protocol(_))));
        assert!(matches!(wire.read_reply().await, Err(WireError::Protocol(_))));
        assert!(matches!(wire.read_reply().await, Err(WireError::Closed)));
    }

    #[tokio::test]
    async fn long_lines_are_refused() {
        let (mut server, client) = tokio::io::duplex(1 << 16);
        let mut wire = Wire::new(Box::new(client));
        tokio::spawn(async move {
            let _ = server.write_all(&vec![b'2'; 20_000]).await;
        });
        assert!(matches!(wire.read_reply().await, Err(WireError::Protocol(_))));
    }
}

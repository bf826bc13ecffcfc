//! Buffered line and DATA reading over any byte stream, with timeouts.

use sendas_message::data::{DataReader, Received};
use sendas_message::reply::Reply;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What reading a line produced.
pub enum Line {
    /// A line, with its line ending.
    Line(Vec<u8>),
    /// The line was longer than allowed; it was discarded up to its end.
    TooLong,
    /// The client closed the connection.
    Closed,
    /// Nothing arrived in time.
    TimedOut,
    /// A LF without CR before it: only CRLF ends a line (RFC 5321 §2.3.8).
    BareLf,
}

/// Room made for one read of commands.
const COMMAND_READ: usize = 1024;
/// Room made for one read inside DATA.
const DATA_READ: usize = 64 * 1024;

/// A stream with a read buffer. Dropping it drops whatever was buffered
/// (after STARTTLS that is required: nothing sent before the handshake counts).
pub struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
    /// Replies not yet written (while pipelined commands wait in `buf`).
    out: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Wraps a stream.
    pub fn new(stream: S) -> Self {
        Conn { stream, buf: Vec::new(), out: Vec::new() }
    }

    /// Writes what waits, then gives the stream back, dropping the read buffer.
    pub async fn into_inner(mut self) -> S {
        let _ = self.write_out().await;
        self.stream
    }

    /// Whether unread client bytes are buffered (pipelining).
    pub fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Reads what the client sent into the buffer, with room for `want` more
    /// bytes. No buffer lives in the future while it waits: an idle session
    /// holds only its (small) command buffer.
    async fn fill(&mut self, timeout: Duration, want: usize) -> Result<bool, ()> {
        // Never wait for the client while it waits for our replies.
        if self.write_out().await.is_err() {
            return Ok(false);
        }
        self.buf.reserve(want);
        match tokio::time::timeout(timeout, self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => Ok(false),
            Ok(Ok(_)) => Ok(true),
            Err(_) => Err(()),
        }
    }

    /// Reads one line (up to CRLF) of at most `max` bytes. A LF without a
    /// CR before it ends nothing: the line is answered as `BareLf` and the
    /// session closes, so no byte after it is ever taken for a command.
    pub async fn read_line(&mut self, max: usize, timeout: Duration) -> Line {
        let mut discarding = false;
        let mut last_discarded = 0u8;
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf) {
                let before = if pos > 0 { self.buf[pos - 1] } else { last_discarded };
                if before != b'\r' {
                    self.buf.clear();
                    return Line::BareLf;
                }
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                if discarding || line.len() > max {
                    return Line::TooLong;
                }
                return Line::Line(line);
            }
            if self.buf.len() > max {
                last_discarded = self.buf.last().copied().unwrap_or(0);
                self.buf.clear();
                discarding = true;
            }
            match self.fill(timeout, COMMAND_READ).await {
                Ok(true) => {}
                Ok(false) => return Line::Closed,
                Err(()) => return Line::TimedOut,
            }
        }
    }

    /// Reads one DATA section to its real end; `None` when the client went away or timed out.
    /// `grow` is asked to cover each size the message reaches (the message budget); after it
    /// says no, the rest is read and dropped, and the answer says it did not fit (`false`).
    pub async fn read_data(
        &mut self,
        mut reader: DataReader,
        timeout: Duration,
        mut grow: impl FnMut(usize) -> bool,
    ) -> Option<(Received, bool)> {
        let mut fits = true;
        loop {
            if !self.buf.is_empty() {
                let (used, done) = reader.feed(&self.buf);
                self.buf.drain(..used);
                if fits && !grow(reader.size()) {
                    // Over the budget: read on to the end of data, keeping nothing.
                    fits = false;
                    reader.drop_message();
                }
                if let Some(received) = done {
                    // Give the DATA-sized buffer back; the session may idle for long.
                    self.buf.shrink_to(COMMAND_READ);
                    return Some((received, fits));
                }
            }
            match self.fill(timeout, DATA_READ).await {
                Ok(true) => {}
                _ => return None,
            }
        }
    }

    /// Sends a reply. While the client's next pipelined command is already
    /// buffered, the reply waits and goes out with the next one (RFC 2920
    /// reply grouping: one write for a pipelined group); it is written at
    /// the latest before the session waits for input or ends.
    pub async fn send(&mut self, reply: &Reply) -> std::io::Result<()> {
        self.out.extend_from_slice(&reply.to_wire());
        if memchr::memchr(b'\n', &self.buf).is_some() {
            return Ok(());
        }
        self.write_out().await
    }

    /// Writes the replies that wait.
    pub async fn write_out(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let result = self.stream.write_all(&self.out).await;
        self.out.clear();
        result?;
        self.stream.flush().await
    }
}

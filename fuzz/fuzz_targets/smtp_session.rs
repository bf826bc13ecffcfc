//! A whole SMTP session on a byte stream: any input, in any segmentation,
//! never panics, every reply is a well-formed SMTP reply line, and every
//! message handed to the relay is re-checked (see `sendas_fuzz::recheck`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendas_smtp_proxy::session::{Session, SessionEnd};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Reads the input in chunks of `chunk` bytes; keeps what the session writes.
struct Script {
    input: Vec<u8>,
    at: usize,
    chunk: usize,
    output: Vec<u8>,
}

impl AsyncRead for Script {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = self.chunk.min(buf.remaining()).min(self.input.len() - self.at);
        let at = self.at;
        buf.put_slice(&self.input[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Script {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.output.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn well_formed(output: &[u8]) {
    assert!(output.is_empty() || output.ends_with(b"\r\n"), "a reply ends with CRLF");
    for line in output.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let line = line.strip_suffix(b"\r").expect("only CRLF line ends");
        assert!(line.len() >= 3 && line[..3].iter().all(u8::is_ascii_digit), "a reply code: {line:?}");
        assert!(line.len() == 3 || line[3] == b' ' || line[3] == b'-', "code then space or dash");
        assert!(line.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)), "printable ASCII only");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    runtime.block_on(async {
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let mut session = Session::new(sendas_fuzz::deps(), [127, 0, 0, 1].into(), false, true, shutdown);
        let script = Script { input: input.to_vec(), at: 0, chunk: usize::from(first % 64) + 1, output: Vec::new() };
        let (mut script, mut end) = session.run(script, true).await;
        // STARTTLS: the fuzzer's bytes go on as if encrypted.
        while end == SessionEnd::StartTls {
            session.upgraded();
            (script, end) = session.run(script, false).await;
        }
        well_formed(&script.output);
    });
});

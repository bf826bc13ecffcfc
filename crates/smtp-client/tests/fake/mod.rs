//! A scripted SMTP server over an in-memory pipe, and a transport wrapper
//! that records every write of the client: the double for the tests of
//! wire behaviour (round trips, what is sent when). The real-server tests
//! are the proof that the client works; this checks how it talks.

use sendas_smtp_client::{Client, ConnectOptions, Security, SmtpError, Timeouts};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream, ReadBuf,
};

/// How the fake answers AUTH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// 235 after the (inline or continued) response; LOGIN after two prompts.
    Accept,
    /// The OAuth failure: `334 <base64 JSON>`, then 535 after the client's answer.
    OAuthRefuse,
    /// Keeps answering 334.
    Endless,
    /// Answers every AUTH line with `250 2.0.0 Ok`, as Postfix's smtp-sink does.
    Sink,
}

/// The fake's behaviour.
#[derive(Clone, Debug)]
pub struct Script {
    /// The EHLO keywords (after the greeting line); `None`: EHLO gets 502.
    pub ehlo: Option<Vec<&'static str>>,
    /// The answer to STARTTLS (the fake cannot do TLS: only refusals make sense).
    pub starttls_reply: &'static str,
    /// AUTH behaviour.
    pub auth: AuthMode,
    /// The answer to MAIL.
    pub mail_reply: &'static str,
    /// Never answer at all (not even the greeting).
    pub silent: bool,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            ehlo: Some(vec![
                "PIPELINING",
                "SIZE 1000000",
                "8BITMIME",
                "ENHANCEDSTATUSCODES",
                "AUTH PLAIN LOGIN XOAUTH2",
            ]),
            starttls_reply: "454 4.7.0 TLS not available",
            auth: AuthMode::Accept,
            mail_reply: "250 2.1.0 Ok",
            silent: false,
        }
    }
}

/// What the fake saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Every command line (without CRLF), in order; message data is not here.
    pub commands: Vec<String>,
    /// The raw message data of each accepted DATA (dot-stuffed, with the terminator).
    pub messages: Vec<Vec<u8>>,
    /// Whether the client closed in the middle of DATA.
    pub aborted_data: bool,
}

/// The client side's writes, one entry per `poll_write`.
pub type Writes = Arc<Mutex<Vec<Vec<u8>>>>;

/// Records each write of the client.
pub struct Recorder {
    inner: DuplexStream,
    writes: Writes,
}

impl AsyncRead for Recorder {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            self.writes.lock().unwrap_or_else(|p| p.into_inner()).push(buf[..*n].to_vec());
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A running fake: the client's transport, its writes, and the server task.
pub struct Fake {
    /// The client's end (pass to `Client::handshake`).
    pub io: Option<Recorder>,
    /// What the client wrote, per write.
    pub writes: Writes,
    /// The server task; it ends when the client closes or QUITs.
    pub server: tokio::task::JoinHandle<Seen>,
}

impl Fake {
    /// Starts a fake following `script`.
    pub fn start(script: Script) -> Fake {
        let (client, server) = tokio::io::duplex(1 << 20);
        let writes = Writes::default();
        let server = tokio::spawn(serve(server, script));
        Fake { io: Some(Recorder { inner: client, writes: writes.clone() }), writes, server }
    }

    /// Greets through the fake with `security`.
    pub async fn client(&mut self, security: Security) -> Result<Client, SmtpError> {
        let mut opts = ConnectOptions::new("fake.test", 25, security);
        opts.timeouts = Timeouts::uniform(Duration::from_secs(2));
        let io = self.io.take().expect("a fake serves one client");
        Client::handshake(io, &opts).await
    }

    /// The writes so far, as text.
    pub fn writes(&self) -> Vec<String> {
        self.writes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|w| String::from_utf8_lossy(w).into())
            .collect()
    }

    /// How many writes so far.
    pub fn write_count(&self) -> usize {
        self.writes.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Waits for the server to finish (the client must close or QUIT first).
    pub async fn seen(self) -> Seen {
        match tokio::time::timeout(Duration::from_secs(5), self.server).await {
            Ok(Ok(seen)) => seen,
            other => panic!("the fake server did not finish: {other:?}"),
        }
    }
}

async fn say(w: &mut tokio::io::WriteHalf<DuplexStream>, text: impl AsRef<str>) {
    let _ = w.write_all(text.as_ref().as_bytes()).await;
}

async fn serve(io: DuplexStream, script: Script) -> Seen {
    let mut seen = Seen::default();
    if script.silent {
        let mut sink = Vec::new();
        let _ = BufReader::new(io).read_to_end(&mut sink).await;
        return seen;
    }
    let (read, mut write) = tokio::io::split(io);
    let mut read = BufReader::new(read);
    say(&mut write, "220 fake.test ESMTP\r\n").await;
    let mut accepted = 0;
    let mut auth_pending: Option<(String, usize)> = None;
    loop {
        let mut line = Vec::new();
        if read.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
            return seen;
        }
        let line = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_owned();
        seen.commands.push(line.clone());
        if let Some((mechanism, step)) = auth_pending.take() {
            let answer = match (script.auth, mechanism.as_str(), step) {
                (AuthMode::Endless, _, _) if line != "*" => {
                    auth_pending = Some((mechanism, step + 1));
                    "334 \r\n".to_owned()
                }
                (_, _, _) if line == "*" => "501 5.7.0 cancelled\r\n".to_owned(),
                (AuthMode::OAuthRefuse, _, 0) => {
                    auth_pending = Some((mechanism, 1));
                    // {"status":"401","schemes":"bearer","scope":"mail"}
                    "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=\r\n".to_owned()
                }
                (AuthMode::OAuthRefuse, _, _) => "535 5.7.8 Authentication failed.\r\n".to_owned(),
                (AuthMode::Accept, "LOGIN", 0) => {
                    auth_pending = Some((mechanism, 1));
                    "334 UGFzc3dvcmQ6\r\n".to_owned()
                }
                _ => "235 2.7.0 Authenticated\r\n".to_owned(),
            };
            say(&mut write, answer).await;
            continue;
        }
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => match &script.ehlo {
                Some(keywords) => {
                    let mut r = String::from("250-fake.test\r\n");
                    for (i, k) in keywords.iter().enumerate() {
                        r.push_str(&format!("250{}{k}\r\n", if i + 1 == keywords.len() { ' ' } else { '-' }));
                    }
                    if keywords.is_empty() {
                        r = "250 fake.test\r\n".into();
                    }
                    r
                }
                None => "502 5.5.2 no EHLO here\r\n".into(),
            },
            "HELO" => "250 fake.test\r\n".into(),
            "STARTTLS" => format!("{}\r\n", script.starttls_reply),
            "AUTH" => {
                let mut words = line.split(' ').skip(1);
                let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
                let inline = words.next().is_some();
                match (script.auth, inline, mechanism.as_str()) {
                    (AuthMode::Sink, _, _) => "250 2.0.0 Ok\r\n".into(),
                    (AuthMode::Accept, true, _) => "235 2.7.0 Authenticated\r\n".into(),
                    (AuthMode::OAuthRefuse, true, _) => {
                        auth_pending = Some((mechanism, 1));
                        "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=\r\n".into()
                    }
                    (_, _, "LOGIN") => {
                        auth_pending = Some((mechanism, 0));
                        "334 VXNlcm5hbWU6\r\n".into()
                    }
                    _ => {
                        auth_pending = Some((mechanism, 0));
                        "334 \r\n".into()
                    }
                }
            }
            "MAIL" => {
                accepted = 0;
                format!("{}\r\n", script.mail_reply)
            }
            "RCPT" if line.contains("refuse") => "550 5.1.1 <refuse>: Recipient address rejected\r\n".into(),
            "RCPT" if line.contains("later") => "450 4.2.0 <later>: try later\r\n".into(),
            "RCPT" if line.contains("closing") => {
                say(&mut write, "421 4.3.2 shutting down\r\n").await;
                return seen;
            }
            "RCPT" => {
                accepted += 1;
                "250 2.1.5 Ok\r\n".into()
            }
            "DATA" if accepted == 0 => "554 5.5.1 No valid recipients\r\n".into(),
            "DATA" => {
                say(&mut write, "354 End data with <CR><LF>.<CR><LF>\r\n").await;
                let mut data = Vec::new();
                loop {
                    let mut l = Vec::new();
                    if read.read_until(b'\n', &mut l).await.unwrap_or(0) == 0 {
                        seen.aborted_data = true;
                        return seen;
                    }
                    data.extend_from_slice(&l);
                    if l == b".\r\n" && (data.len() == 3 || data[..data.len() - 3].ends_with(b"\r\n")) {
                        break;
                    }
                }
                seen.messages.push(data);
                accepted = 0;
                format!("250 2.0.0 Ok: queued as Q{}\r\n", seen.messages.len())
            }
            "RSET" => {
                accepted = 0;
                "250 2.0.0 Ok\r\n".into()
            }
            "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => {
                say(&mut write, "221 2.0.0 Bye\r\n").await;
                return seen;
            }
            _ => "502 5.5.2 Error: command not recognized\r\n".into(),
        };
        say(&mut write, reply).await;
    }
}

//! An SMTP upstream on 127.0.0.1 (no TLS: for mailboxes with `tls =
//! none` on loopback) whose answer to a message's final dot is scripted:
//! `250` after a delay, `451`, `550`, or the connection closed without a reply — the
//! cases of RFC 5321 §4.5.3.2.6 a real server shows only under load or a
//! crash. It takes any AUTH PLAIN, answers every envelope command
//! `250`/`354` (but a RCPT beyond its recipients per transaction: `452
//! 4.5.3`, as SES and Postfix answer), counts the messages whose final dot
//! it read (the copies that arrived, whatever it answered) and keeps each
//! such transaction's recipients.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the upstream does once it has read a message's final dot.
#[derive(Debug, Clone, Copy)]
pub enum AfterDot {
    /// Answers `250 2.0.0 Ok: queued as S<n>` after this long.
    AcceptAfter(Duration),
    /// Closes the connection without a reply.
    Close,
    /// Answers `451 4.3.0` (the server took nothing).
    Defer,
    /// Answers `550 5.7.1` (refused for good).
    Refuse,
}

/// A running scripted upstream (stops with the runtime that started it).
#[derive(Debug, Clone)]
pub struct ScriptedUpstream {
    /// Its port on 127.0.0.1.
    pub port: u16,
    received: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    transactions: Arc<Mutex<Vec<Vec<String>>>>,
}

/// How a connection ends on its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Script {
    /// The answer to each final dot.
    pub after_dot: Option<AfterDot>,
    /// After this many messages on a connection, the next MAIL is answered
    /// `421 4.4.2` and the connection closed (a server ending a kept session).
    pub messages_per_connection: Option<usize>,
    /// Recipients taken per transaction; each further RCPT is answered `452 4.5.3`.
    pub recipients_per_transaction: Option<usize>,
}

impl ScriptedUpstream {
    /// Starts on a free port of 127.0.0.1 (within a Tokio runtime).
    pub async fn start(after_dot: AfterDot) -> ScriptedUpstream {
        ScriptedUpstream::with(Script { after_dot: Some(after_dot), ..Script::default() }).await
    }

    /// Starts with `script` (an unset answer to the dot is `250` at once).
    pub async fn with(script: Script) -> ScriptedUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (received, connections) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let transactions = Arc::new(Mutex::new(Vec::new()));
        let (count, opened, kept) = (received.clone(), connections.clone(), transactions.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                opened.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(socket, script, count.clone(), kept.clone()));
            }
        });
        ScriptedUpstream { port, received, connections, transactions }
    }

    /// The recipients of each message whose final dot arrived, in order.
    pub fn transactions(&self) -> Vec<Vec<String>> {
        self.transactions.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The messages whose final dot arrived.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }

    /// The connections opened to it.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve(
    socket: tokio::net::TcpStream,
    script: Script,
    received: Arc<AtomicUsize>,
    transactions: Arc<Mutex<Vec<Vec<String>>>>,
) {
    let after_dot = script.after_dot.unwrap_or(AfterDot::AcceptAfter(Duration::ZERO));
    let mut on_this_connection = 0;
    let mut rcpts: Vec<String> = Vec::new();
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 scripted ESMTP\r\n").await;
    let mut line = String::new();
    let mut in_data = false;
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        if in_data {
            if line == ".\r\n" {
                in_data = false;
                transactions.lock().unwrap_or_else(|p| p.into_inner()).push(std::mem::take(&mut rcpts));
                let n = received.fetch_add(1, Ordering::SeqCst) + 1;
                on_this_connection += 1;
                match after_dot {
                    AfterDot::AcceptAfter(delay) => {
                        tokio::time::sleep(delay).await;
                        let _ = write.write_all(format!("250 2.0.0 Ok: queued as S{n}\r\n").as_bytes()).await;
                    }
                    AfterDot::Close => return,
                    AfterDot::Defer => {
                        let _ = write.write_all(b"451 4.3.0 try again later\r\n").await;
                    }
                    AfterDot::Refuse => {
                        let _ = write.write_all(b"550 5.7.1 refused by policy\r\n").await;
                    }
                }
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-scripted\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n",
            "AUTH" if line.split_whitespace().count() > 2 => b"235 2.7.0 ok\r\n",
            "AUTH" => b"334 \r\n",
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            "MAIL" if script.messages_per_connection.is_some_and(|max| on_this_connection >= max) => {
                let _ = write.write_all(b"421 4.4.2 idle session ended\r\n").await;
                return;
            }
            "MAIL" | "RSET" => {
                rcpts.clear();
                b"250 2.0.0 ok\r\n"
            }
            "RCPT" if script.recipients_per_transaction.is_some_and(|max| rcpts.len() >= max) => {
                b"452 4.5.3 Error: too many recipients\r\n"
            }
            "RCPT" => {
                let address = line.split(['<', '>']).nth(1).unwrap_or_default().to_owned();
                rcpts.push(address);
                b"250 2.1.5 ok\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ if line.trim().is_empty() => b"",
            // MAIL, RCPT, RSET, NOOP, and the AUTH LOGIN continuation lines.
            _ if line.contains(':') || verb == "RSET" || verb == "NOOP" => b"250 2.0.0 ok\r\n",
            _ => b"235 2.7.0 ok\r\n",
        };
        let _ = write.write_all(reply).await;
    }
}

//! sendas-testkit: helpers for tests, fuzz targets and benchmarks (never a
//! dependency of a shipped crate).
//!
//! [`Upstream`] runs a real SMTP server that enforces AUTH (aiosmtpd,
//! `scripts/upstream_smtp.py`, from the project's `.venv`) and records what
//! it accepted; [`Moto`] a private AWS-compatible server with IAM enforced
//! (its principals: [`aws`], feature `aws`); the real upstreams of
//! `scripts/upstreams/` (Dovecot, Postfix, a token endpoint: [`upstreams`], feature `upstreams`); an
//! authoritative DNS server (Knot DNS) whose records a test sets ([`dns`], feature `dns`); [`Forwarder`] an endpoint that
//! can be cut and restored; [`scripted`] an SMTP upstream whose answer to the final dot is scripted; [`netns`] runs a test where only loopback exists; [`free_port`] finds a loopback port; [`repo_root`] the checkout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "dns")]
pub mod dns;
mod forwarder;
pub mod netns;
pub mod scripted;
#[cfg(feature = "upstreams")]
pub mod upstreams;
#[cfg(feature = "windows")]
pub mod windows;
pub use forwarder::Forwarder;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running aiosmtpd upstream; stopped on drop.
pub struct Upstream {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where it writes what it accepted (`NNNNN.eml` + `NNNNN.login`).
    pub maildir: PathBuf,
}

/// One message an upstream accepted.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The message bytes as received.
    pub message: Vec<u8>,
    /// The AUTH login used.
    pub login: String,
    /// MAIL FROM.
    pub mail_from: String,
    /// RCPT TO.
    pub rcpts: Vec<String>,
}

impl Upstream {
    /// Starts an upstream that accepts only `user` / `password`.
    ///
    /// Recipients steer faults: `tempfail@…` gets 451, `permfail@…` 554,
    /// `slow@…` an answer after 5 s, `drop@…` a closed connection instead
    /// of an answer to DATA.
    pub fn start(user: &str, password: &str) -> Upstream {
        Self::start_on(free_port(), user, password, tempfile::tempdir().unwrap().keep())
    }

    /// Starts on a given port and maildir (to restart a killed upstream).
    pub fn start_on(port: u16, user: &str, password: &str, maildir: PathBuf) -> Upstream {
        let root = repo_root();
        let python = root.join(".venv/bin/python");
        assert!(python.exists(), "{} missing: run scripts/test.sh, which installs aiosmtpd", python.display());
        let mut child = Command::new(python)
            .arg(root.join("scripts/upstream_smtp.py"))
            .args(["--port", &port.to_string(), "--user", user, "--maildir"])
            .arg(&maildir)
            .env("UPSTREAM_PASSWORD", password)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.starts_with("ready"), "upstream did not start: {line:?}");
        Upstream { child, port, maildir }
    }

    /// Everything it accepted so far, in order.
    pub fn delivered(&self) -> Vec<Delivered> {
        read_maildir(&self.maildir)
    }

    /// Every AUTH attempt it answered so far: `(login, accepted)`, in order.
    pub fn auth_attempts(&self) -> Vec<(String, bool)> {
        let log = std::fs::read_to_string(self.maildir.join("auth.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| {
                let mut words = l.split(' ').skip(1);
                Some((words.next()?.to_owned(), words.next()? == "ok"))
            })
            .collect()
    }

    /// Stops it now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads an upstream's maildir.
pub fn read_maildir(dir: &Path) -> Vec<Delivered> {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    names.sort();
    names
        .into_iter()
        .map(|eml| {
            let meta = std::fs::read_to_string(eml.with_extension("login")).unwrap_or_default();
            let mut lines = meta.lines();
            Delivered {
                message: std::fs::read(&eml).unwrap(),
                login: lines.next().unwrap_or_default().to_owned(),
                mail_from: lines.next().unwrap_or_default().to_owned(),
                rcpts: lines.map(str::to_owned).collect(),
            }
        })
        .collect()
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A private moto server (AWS-compatible) on 127.0.0.1, for tests that stop
/// and restart the store endpoint; stopped on drop. IAM is enforced as on the
/// shared moto: its principals and their keys are in [`Moto::principals_file`].
pub struct Moto {
    child: Child,
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Moto {
    /// Starts `scripts/moto_serialized.py --iam` from the project's `.venv` and waits until it answers.
    pub fn start() -> Moto {
        Self::start_on(free_port())
    }

    /// Starts on a given port.
    // The child is kept in the returned value and waited for in `stop` / `drop`.
    #[allow(clippy::zombie_processes)]
    pub fn start_on(port: u16) -> Moto {
        let root = repo_root();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(root.join(".venv/bin/python"))
            .arg(root.join("scripts/moto_serialized.py"))
            .args(["127.0.0.1", &port.to_string(), "--iam"])
            .arg(dir.path().join("principals.json"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto (run scripts/test.sh, which installs it)");
        for _ in 0..150 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Moto { child, port, dir };
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("moto did not start on port {port}");
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The principals file it wrote (keys and naming; see `scripts/moto_serialized.py`).
    pub fn principals_file(&self) -> PathBuf {
        self.dir.path().join("principals.json")
    }

    /// Its endpoint with the keys of its principals.
    #[cfg(feature = "aws")]
    pub fn aws(&self) -> aws::AwsEndpoint {
        aws::AwsEndpoint::from_file(&self.url(), &self.principals_file())
    }

    /// Stops it now (its state is gone).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

pub use sendas_message::data::dot_stuffed;

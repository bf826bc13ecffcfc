//! A real SMTP upstream that enforces AUTH (aiosmtpd, scripts/upstream_smtp.py),
//! started per test from the project's .venv and stopped on drop.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running upstream.
pub struct Upstream {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Upstream {
    /// Starts aiosmtpd accepting only `user` / `password`.
    pub fn start(user: &str, password: &str) -> Upstream {
        let root = repo_root();
        let python = root.join(".venv/bin/python");
        assert!(python.exists(), "{} missing: run scripts/test.sh, which installs aiosmtpd", python.display());
        let port = free_port();
        let maildir = tempfile::tempdir().unwrap().keep();
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
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

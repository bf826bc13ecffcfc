//! `sendas serve --demo` as a child process: the proxy under load, on the
//! embedded store, with its system relay writing to DATA_DIR/outbox.

use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `sendas serve --demo`.
pub struct ServeProcess {
    child: Child,
    /// The SMTP submission address (STARTTLS offered, plaintext AUTH on loopback).
    pub smtp: SocketAddr,
    /// The implicit-TLS address.
    pub smtp_tls: SocketAddr,
    /// `demo.json`: tokens, users and their app passwords.
    pub demo: serde_json::Value,
    /// The data directory.
    pub data_dir: PathBuf,
}

impl ServeProcess {
    /// Starts `bin serve --demo` in `data_dir`, with `limits` (TOML) as its SMTP limits.
    pub fn start(bin: &Path, data_dir: &Path, limits: Option<&str>) -> anyhow::Result<ServeProcess> {
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--demo", "--api-addr", "127.0.0.1:0", "--smtp-addr", "127.0.0.1:0"])
            .args(["--smtp-tls-addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped());
        if let Some(limits) = limits {
            let path = data_dir.join("smtp-limits.toml");
            std::fs::create_dir_all(data_dir)?;
            std::fs::write(&path, limits)?;
            cmd.arg("--smtp-limits").arg(path);
        }
        let mut child = cmd.spawn().with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut addrs = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("sendas serve ended before it listened");
            }
            if let Some(rest) = line.strip_prefix("sendas SMTP proxy on ") {
                let mut words = rest.split_whitespace();
                let smtp = words.next().context("no SMTP address")?.parse()?;
                let tls = words.nth(2).context("no TLS address")?.parse()?;
                addrs = Some((smtp, tls));
            }
            if line.starts_with("sendas API listening on") {
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in reader.lines() {});
        let (smtp, smtp_tls) = addrs.context("no SMTP addresses printed")?;
        let demo = serde_json::from_slice(&std::fs::read(data_dir.join("demo.json"))?)?;
        Ok(ServeProcess { child, smtp, smtp_tls, demo, data_dir: data_dir.to_owned() })
    }

    /// The process id (for RSS and CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (as ECS does at a deploy) and waits up to `within` for the process to end;
    /// answers whether it ended on its own by then.
    pub fn terminate(&mut self, within: std::time::Duration) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let until = std::time::Instant::now() + within;
        while std::time::Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    }

    /// The login and app password of demo user `login`.
    pub fn user(&self, login: &str) -> Option<(String, String)> {
        let u = self.demo["users"].as_array()?.iter().find(|u| u["login"] == login)?;
        Some((login.to_owned(), u["password"].as_str()?.to_owned()))
    }

    /// The messages in the outbox (the system relay's directory).
    pub fn outbox(&self) -> Vec<Vec<u8>> {
        let Ok(dir) = std::fs::read_dir(self.data_dir.join("outbox")) else { return Vec::new() };
        dir.filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .collect()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

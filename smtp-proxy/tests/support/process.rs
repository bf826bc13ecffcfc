//! The production binary `sendas-smtp-proxy` as a child process on moto,
//! signing as the proxy's task role (binary_on_aws, sending limits).
#![allow(dead_code, clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::net::TcpStream;

/// One `sendas-smtp-proxy` process on moto, with debug logs in a file.
pub struct ProxyProcess {
    pub child: std::process::Child,
    pub smtp: u16,
    pub metrics: u16,
    pub log: std::path::PathBuf,
}

impl ProxyProcess {
    #[allow(clippy::zombie_processes, reason = "Drop kills and waits for the child")]
    /// Runs as the proxy's ECS task role: its keys from moto's principals (policies of infra/proxy.yaml).
    pub async fn spawn(
        dir: &std::path::Path,
        aws: &sendas_testkit::aws::AwsEndpoint,
        table: &str,
        prefix: &str,
        limits: &str,
    ) -> ProxyProcess {
        let (smtp, metrics) = (sendas_testkit::free_port(), sendas_testkit::free_port());
        let config = dir.join(format!("proxy-{smtp}.toml"));
        std::fs::write(
            &config,
            format!(
                "hostname = \"proxy.test\"\nsubmission_addr = \"127.0.0.1:{smtp}\"\nmetrics_addr = \"127.0.0.1:{metrics}\"\n\
                 table = \"{table}\"\nsecret_prefix = \"{prefix}\"\nplaintext_auth_insecure = true\n\
                 upstream_networks = [\"127.0.0.0/8\", \"::1/128\"]\ndns_servers = []\n\
                 [limits]\nsnapshot_ttl_secs = 1\nauth_failure_delay_ms = 50\nrelay_timeout_secs = 5\n{limits}"
            ),
        )
        .unwrap();
        let log = dir.join(format!("proxy-{smtp}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_sendas-smtp-proxy"))
            .arg(&config)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .envs(aws.env(sendas_testkit::aws::Principal::ProxyTask))
            .env("RUST_LOG", "trace")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", smtp)).await.is_ok() {
                return ProxyProcess { child, smtp, metrics, log };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the binary did not listen: {}", std::fs::read_to_string(&log).unwrap_or_default());
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on 127.0.0.1:`port` (a process's /metrics or /healthz); the whole answer.
pub async fn http_get(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

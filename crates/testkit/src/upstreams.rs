//! The real upstream servers of `scripts/upstreams/start.py` (Dovecot
//! submission with an OAuth 2.0 passdb, the token endpoint, Postfix with
//! Cyrus SASL, the capture server, the test CA), started once per test
//! binary and stopped when it exits (start.py stops when its stdin
//! closes); a tiny HTTP/1.0 client for the token endpoint; and reading
//! what arrived at the capture server.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The running servers: `info` is start.py's JSON line.
pub struct Upstreams {
    /// start.py's JSON line (ports, CA bundle, credentials, capture maildir).
    pub info: Value,
    _child: Mutex<Child>,
}

/// The servers, started on first use.
pub fn upstreams() -> &'static Upstreams {
    static UPSTREAMS: OnceLock<Upstreams> = OnceLock::new();
    UPSTREAMS.get_or_init(start)
}

fn start() -> Upstreams {
    let root = crate::repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} missing: create .venv and `pip install -r scripts/upstreams/requirements.txt` (scripts/upstreams/README.md)",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(root.join("scripts/upstreams/start.py"))
        .args(["--dovecot", "--dovecot-bearer-only", "--postfix"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawning scripts/upstreams/start.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("reading start.py's line");
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
        panic!(
            "start.py said {line:?} ({e}); it needs root, the Debian packages dovecot-core dovecot-submissiond \
             postfix sasl2-bin libsasl2-modules, and scripts/upstreams/requirements.txt in .venv"
        )
    });
    assert!(info.get("error").is_none(), "the upstreams did not start: {info}");
    // The child (and its stdin) lives as long as this process: when the test binary exits, the pipe
    // closes and start.py stops every server and removes its directory.
    Upstreams { info, _child: Mutex::new(child) }
}

impl Upstreams {
    /// A port number from the JSON, e.g. `port(&["postfix", "starttls_port"])`.
    pub fn port(&self, path: &[&str]) -> u16 {
        let v = path.iter().fold(&self.info, |v, k| &v[*k]);
        v.as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or_else(|| panic!("no port at {path:?}"))
    }

    /// A string from the JSON.
    pub fn str(&self, path: &[&str]) -> String {
        let v = path.iter().fold(&self.info, |v, k| &v[*k]);
        v.as_str().unwrap_or_else(|| panic!("no string at {path:?}")).to_owned()
    }

    /// The test CA bundle.
    pub fn ca_bundle(&self) -> PathBuf {
        PathBuf::from(self.str(&["ca_bundle"]))
    }

    /// A client-credentials access token for `client_id` (one token server, shared by the tests:
    /// hold [`Upstreams::token_lock`] while switches are flipped).
    pub fn client_credentials_token(&self, client_id: &str, client_secret: &str) -> String {
        let url = self.str(&["token", "token_url"]);
        let basic = data_encoding::BASE64.encode(format!("{client_id}:{client_secret}").as_bytes());
        let body = "grant_type=client_credentials&scope=https%3A%2F%2Foutlook.office365.com%2F.default";
        let (status, answer) = http(
            &url,
            &[("Authorization", &format!("Basic {basic}")), ("Content-Type", "application/x-www-form-urlencoded")],
            body,
        );
        assert_eq!(status, 200, "token endpoint: {answer}");
        let json: Value = serde_json::from_str(&answer).expect("token JSON");
        json["access_token"].as_str().expect("access_token").to_owned()
    }

    /// `POST /control` with a JSON object.
    pub fn control(&self, switches: &Value) {
        let (status, answer) =
            http(&self.str(&["token", "control_url"]), &[("Content-Type", "application/json")], &switches.to_string());
        assert_eq!(status, 200, "control: {answer}");
    }

    /// `GET /stats`: the token endpoint's counters (`by_client`, `by_grant_type`, ...).
    pub fn stats(&self) -> Value {
        let (status, answer) = get(&self.str(&["token", "stats_url"]));
        assert_eq!(status, 200, "stats: {answer}");
        serde_json::from_str(&answer).expect("stats JSON")
    }

    /// How many token requests `client_id` made so far.
    pub fn token_requests_of(&self, client_id: &str) -> u64 {
        self.stats()["by_client"][client_id].as_u64().unwrap_or(0)
    }

    /// `GET /refresh_tokens`: every refresh token with `family`, `active`, `rotated`, `revoked`.
    pub fn refresh_tokens(&self) -> Value {
        let (status, answer) = get(&self.str(&["token", "refresh_tokens_url"]));
        assert_eq!(status, 200, "refresh_tokens: {answer}");
        serde_json::from_str(&answer).expect("refresh_tokens JSON")
    }

    /// Serialises the tests that flip token-server switches.
    pub fn token_lock(&self) -> MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The messages the capture server stored for `recipient` so far: (its JSON, the bytes).
    pub fn captured(&self, recipient: &str) -> Vec<(Value, Vec<u8>)> {
        read_capture(Path::new(&self.str(&["capture", "maildir"])), recipient)
    }

    /// Waits (up to 10 s) until `count` messages for `recipient` arrived, and returns them.
    pub fn wait_captured(&self, recipient: &str, count: usize) -> Vec<(Value, Vec<u8>)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.captured(recipient);
            if got.len() >= count || Instant::now() > deadline {
                assert_eq!(got.len(), count, "messages for {recipient} at the capture server");
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn read_capture(dir: &Path, recipient: &str) -> Vec<(Value, Vec<u8>)> {
    let mut jsons: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    jsons.retain(|p| p.extension().is_some_and(|e| e == "json"));
    jsons.sort();
    jsons
        .into_iter()
        .filter_map(|p| {
            let meta: Value = serde_json::from_slice(&std::fs::read(&p).ok()?).ok()?;
            let to_us = meta["rcpt_tos"].as_array()?.iter().any(|r| r.as_str() == Some(recipient));
            let eml = std::fs::read(meta["eml"].as_str()?).ok()?;
            to_us.then_some((meta, eml))
        })
        .collect()
}

/// A GET over HTTP/1.0: (status, body).
pub fn get(url: &str) -> (u16, String) {
    request("GET", url, &[], "")
}

/// A POST over HTTP/1.0 (the server closes after answering): (status, body).
pub fn http(url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    request("POST", url, headers, body)
}

fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(authority).expect("connecting to the token server");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("writing the request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("reading the answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_owned())
}

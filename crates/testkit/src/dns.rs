//! A real authoritative DNS server for tests: Knot DNS (`knotd`, Debian's
//! package `knot`, which scripts/test.sh installs) on 127.0.0.1, with its
//! own configuration, zone files, database, run directory and control
//! socket in a temporary directory: no root, no system service (a system
//! knotd, if one runs, has its own socket and port 53 and is never
//! touched), nothing written outside the directory. Stopped on drop.
//!
//! [`AuthDns`] serves the zones it was started with, each from a minimal
//! zone file (SOA, NS and the name server's address), and changes their
//! records the way Knot's operators do: a `knotc zone-begin` /
//! `zone-set` / `zone-unset` / `zone-commit` transaction over the control
//! socket; once `zone-commit` returns, the server answers with the change.
//!
//! The failures a resolver meets, all from the real server:
//! - a name in no zone it serves: Knot answers REFUSED;
//! - a name in a zone it serves that does not exist: NXDOMAIN; a name that
//!   exists without TXT (the apex, `ns.<zone>`): NOERROR with no answer;
//! - SERVFAIL: a zone that is configured but could not be loaded (its zone
//!   file is missing: [`AuthDnsBuilder::failing_zone`]), or a loaded zone
//!   whose contents were expired (`knotc zone-purge +expire`:
//!   [`AuthDns::fail_zone`]). Knot answers SERVFAIL for every name in it,
//!   as any authoritative server does for a zone it cannot serve;
//! - no answer at all: [`SilentDns`], a UDP socket (and a TCP listener on
//!   the same port) that never replies, for timeouts. No second DNS
//!   responder is needed.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The TTL of the records [`AuthDns`] sets: an hour, so that a resolver
/// that cached would be caught.
pub const TTL: u32 = 3600;

/// What [`AuthDns`] serves: zones loaded from a minimal zone file, and
/// zones configured without a file (SERVFAIL).
#[derive(Debug, Default, Clone)]
pub struct AuthDnsBuilder {
    zones: Vec<String>,
    failing: Vec<String>,
}

impl AuthDnsBuilder {
    /// Serves `zone` (e.g. `example.`; the trailing dot is optional).
    pub fn zone(mut self, zone: &str) -> Self {
        self.zones.push(absolute(zone));
        self
    }

    /// Configures `zone` without a zone file: Knot cannot load it and
    /// answers SERVFAIL for every name in it.
    pub fn failing_zone(mut self, zone: &str) -> Self {
        self.failing.push(absolute(zone));
        self
    }

    /// Starts knotd and waits until every zone answers as it should
    /// (SOA for a loaded zone, SERVFAIL for a failing one).
    pub fn start(self) -> AuthDns {
        assert!(!self.zones.is_empty() || !self.failing.is_empty(), "AuthDns needs at least one zone");
        let mut last = String::new();
        // A port found free can be taken by another process before knotd binds it: try again then.
        for _ in 0..3 {
            match AuthDns::try_start(&self.zones, &self.failing) {
                Ok(dns) => return dns,
                Err(e) => last = e,
            }
        }
        panic!("knotd did not start: {last}");
    }
}

/// A running knotd (module docs); stopped on drop.
pub struct AuthDns {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    zones: Vec<String>,
    // One transaction per zone at a time (Knot refuses a second one): the tests of a binary share it.
    control: Mutex<()>,
}

impl std::fmt::Debug for AuthDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthDns").field("addr", &self.addr).field("zones", &self.zones).finish_non_exhaustive()
    }
}

impl AuthDns {
    /// What to serve.
    pub fn builder() -> AuthDnsBuilder {
        AuthDnsBuilder::default()
    }

    /// Serves these zones (each with SOA, NS and `ns.<zone>` A 127.0.0.1).
    pub fn start(zones: &[&str]) -> AuthDns {
        zones.iter().fold(AuthDns::builder(), |b, z| b.zone(z)).start()
    }

    fn try_start(zones: &[String], failing: &[String]) -> Result<AuthDns, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = dir.path();
        for sub in ["zones", "db", "run"] {
            std::fs::create_dir(root.join(sub)).map_err(|e| e.to_string())?;
        }
        for zone in zones {
            std::fs::write(root.join("zones").join(format!("{zone}zone")), zone_file(zone))
                .map_err(|e| e.to_string())?;
        }
        let port = free_udp_tcp_port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        std::fs::write(root.join("knot.conf"), config(root, port, zones.iter().chain(failing)))
            .map_err(|e| e.to_string())?;
        let log = root.join("knotd.log");
        let child = Command::new(tool("knotd"))
            .arg("-c")
            .arg(root.join("knot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("knotd.stderr")).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("knotd ({e}): install Debian's package knot (scripts/test.sh does)"))?;
        let mut dns = AuthDns {
            child,
            addr,
            dir,
            zones: zones.iter().chain(failing).cloned().collect(),
            control: Mutex::new(()),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut waiting: Vec<(&String, u8)> =
            zones.iter().map(|z| (z, RCODE_NOERROR)).chain(failing.iter().map(|z| (z, RCODE_SERVFAIL))).collect();
        loop {
            if let Ok(Some(status)) = dns.child.try_wait() {
                return Err(format!("knotd exited ({status}): {}", dns.logs(&log)));
            }
            waiting.retain(|(zone, rcode)| query(addr, zone, TYPE_SOA, Duration::from_millis(100)) != Some(*rcode));
            if waiting.is_empty() && dns.knotc(&["status"]).is_ok() {
                return Ok(dns);
            }
            if Instant::now() > deadline {
                return Err(format!("knotd on {addr} not ready after 10 s: {}", dns.logs(&log)));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn logs(&self, log: &Path) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        format!("{}{}", read(log), read(&self.dir.path().join("knotd.stderr")))
    }

    /// Where it answers, UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The zones it was started with (absolute names).
    pub fn zones(&self) -> &[String] {
        &self.zones
    }

    /// Makes `name` hold exactly one TXT record whose value is `value`
    /// (split into character strings of at most 255 bytes, as a TXT
    /// record must be), replacing every TXT record it had.
    pub fn set_txt(&self, name: &str, value: &str) {
        let strings: Vec<&[u8]> = if value.is_empty() { vec![&[][..]] } else { value.as_bytes().chunks(255).collect() };
        self.replace(name, "TXT", &[txt_rdata(&strings)]);
    }

    /// Makes `name` hold exactly one TXT record of these character strings
    /// (each at most 255 bytes), replacing every TXT record it had.
    pub fn set_txt_strings(&self, name: &str, strings: &[&str]) {
        let bytes: Vec<&[u8]> = strings.iter().map(|s| s.as_bytes()).collect();
        self.replace(name, "TXT", &[txt_rdata(&bytes)]);
    }

    /// Adds one more TXT record with `value` at `name` (keeping the others).
    pub fn add_txt(&self, name: &str, value: &str) {
        let strings: Vec<&[u8]> = if value.is_empty() { vec![&[][..]] } else { value.as_bytes().chunks(255).collect() };
        let (zone, owner) = self.zone_of(name);
        self.transaction(
            &zone,
            &[vec!["zone-set".into(), zone.clone(), owner, TTL.to_string(), "TXT".into(), txt_rdata(&strings)]],
        );
    }

    /// Removes every TXT record at `name` (nothing to do if it has none).
    pub fn remove_txt(&self, name: &str) {
        self.replace(name, "TXT", &[]);
    }

    /// Makes `name` hold exactly these records of type `rtype` (rdata in
    /// zone-file syntax, e.g. `set_records("mail.example.", "A", &["127.0.0.2"])`);
    /// an empty list removes them all.
    pub fn set_records(&self, name: &str, rtype: &str, rdata: &[&str]) {
        let rdata: Vec<String> = rdata.iter().map(|r| (*r).to_owned()).collect();
        self.replace(name, rtype, &rdata);
    }

    /// Expires `zone`'s contents (`knotc zone-purge +expire`): from now on
    /// Knot answers SERVFAIL for every name in it. There is no way back for
    /// this server (start another).
    pub fn fail_zone(&self, zone: &str) {
        let zone = absolute(zone);
        assert!(self.zones.contains(&zone), "{zone} is not served here ({:?})", self.zones);
        let _guard = self.control.lock().unwrap_or_else(|p| p.into_inner());
        self.knotc(&["-b", "-f", "zone-purge", "+expire", &zone]).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while query(self.addr, &zone, TYPE_SOA, Duration::from_millis(100)) != Some(RCODE_SERVFAIL) {
            assert!(Instant::now() < deadline, "{zone} still answers after zone-purge +expire");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The records Knot serves at `name` now (`knotc zone-read`, one line
    /// per record: `owner ttl type rdata`), of `rtype` only if given.
    pub fn records(&self, name: &str, rtype: Option<&str>) -> Vec<String> {
        let (zone, owner) = self.zone_of(name);
        let mut args = vec!["zone-read", &zone, &owner];
        if let Some(t) = rtype {
            args.push(t);
        }
        match self.knotc(&args) {
            // Each line is "[zone] owner ttl type rdata".
            Ok(out) => out
                .lines()
                .filter_map(|l| l.split_once("] ").map(|(_, r)| r.to_owned()))
                .filter(|r| !r.is_empty())
                .collect(),
            // "no such node in zone found" / "no such record in zone found"
            Err(e) if e.contains("no such") => vec![],
            Err(e) => panic!("{e}"),
        }
    }

    /// Runs `knotc` against this server's control socket; its output, or
    /// the error it printed.
    pub fn knotc(&self, args: &[&str]) -> Result<String, String> {
        let root = self.dir.path();
        let out = Command::new(tool("knotc"))
            .arg("-c")
            .arg(root.join("knot.conf"))
            .arg("-s")
            .arg(root.join("knot.sock"))
            .args(["-t", "10"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("knotc: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() && !stdout.starts_with("error") {
            Ok(stdout)
        } else {
            Err(format!("knotc {args:?}: {}{stderr}", stdout.trim_end()))
        }
    }

    /// Replaces every record of `rtype` at `name` with these (in one transaction).
    fn replace(&self, name: &str, rtype: &str, rdata: &[String]) {
        let (zone, owner) = self.zone_of(name);
        let _guard = self.control.lock().unwrap_or_else(|p| p.into_inner());
        let mut commands = Vec::new();
        // zone-unset of something missing fails, and a failed command aborts Knot's transaction.
        if !self.records_unlocked(&zone, &owner, rtype).is_empty() {
            commands.push(vec!["zone-unset".into(), zone.clone(), owner.clone(), rtype.into()]);
        }
        for r in rdata {
            commands.push(vec![
                "zone-set".into(),
                zone.clone(),
                owner.clone(),
                TTL.to_string(),
                rtype.into(),
                r.clone(),
            ]);
        }
        if !commands.is_empty() {
            self.transaction_unlocked(&zone, &commands);
        }
    }

    fn records_unlocked(&self, zone: &str, owner: &str, rtype: &str) -> Vec<String> {
        match self.knotc(&["zone-read", zone, owner, rtype]) {
            Ok(out) => out.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect(),
            Err(e) if e.contains("no such") => vec![],
            Err(e) => panic!("{e}"),
        }
    }

    fn transaction(&self, zone: &str, commands: &[Vec<String>]) {
        let _guard = self.control.lock().unwrap_or_else(|p| p.into_inner());
        self.transaction_unlocked(zone, commands);
    }

    /// `zone-begin`, the commands, `zone-commit`; on any error `zone-abort` and a panic.
    fn transaction_unlocked(&self, zone: &str, commands: &[Vec<String>]) {
        self.knotc(&["zone-begin", zone]).unwrap_or_else(|e| panic!("{e}"));
        for command in commands {
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            if let Err(e) = self.knotc(&args) {
                let _ = self.knotc(&["zone-abort", zone]);
                panic!("{e}");
            }
        }
        if let Err(e) = self.knotc(&["zone-commit", zone]) {
            let _ = self.knotc(&["zone-abort", zone]);
            panic!("{e}");
        }
    }

    /// The served zone `name` is in (the longest match) and `name` as an absolute owner.
    fn zone_of(&self, name: &str) -> (String, String) {
        let owner = absolute(name);
        let zone = self
            .zones
            .iter()
            .filter(|z| owner == **z || owner.ends_with(&format!(".{z}")))
            .max_by_key(|z| z.len())
            .unwrap_or_else(|| panic!("{owner} is in no zone served here ({:?})", self.zones));
        (zone.clone(), owner)
    }

    /// Stops it now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AuthDns {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An address that never answers DNS: a bound UDP socket that reads
/// nothing and a TCP listener on the same port that accepts nothing (the
/// kernel completes the handshake; no byte ever comes back). For timeouts.
#[derive(Debug)]
pub struct SilentDns {
    _udp: UdpSocket,
    _tcp: TcpListener,
    addr: SocketAddr,
}

impl SilentDns {
    /// Binds both on a free port of 127.0.0.1.
    pub fn bind() -> SilentDns {
        for _ in 0..50 {
            let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            let addr = tcp.local_addr().unwrap();
            if let Ok(udp) = UdpSocket::bind(addr) {
                return SilentDns { _udp: udp, _tcp: tcp, addr };
            }
        }
        panic!("no port free for both UDP and TCP");
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

const TYPE_SOA: u16 = 6;
const RCODE_NOERROR: u8 = 0;
const RCODE_SERVFAIL: u8 = 2;

/// One query over UDP: the answer's RCODE, or None without an answer in time.
fn query(server: SocketAddr, name: &str, qtype: u16, timeout: Duration) -> Option<u8> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
    socket.set_read_timeout(Some(timeout)).ok()?;
    static NEXT_ID: AtomicU16 = AtomicU16::new(0x5a5a);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut message = Vec::with_capacity(64);
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // no RD, one question
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        message.push(label.len() as u8);
        message.extend_from_slice(label.as_bytes());
    }
    message.push(0);
    message.extend_from_slice(&qtype.to_be_bytes());
    message.extend_from_slice(&1u16.to_be_bytes()); // IN
    socket.send_to(&message, server).ok()?;
    let mut answer = [0u8; 4096];
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let (n, from) = socket.recv_from(&mut answer).ok()?;
        if from == server && n >= 12 && answer[..2] == id.to_be_bytes() {
            return Some(answer[3] & 0x0f);
        }
    }
    None
}

/// A TCP port of 127.0.0.1 whose UDP port is free too (knotd listens on both).
fn free_udp_tcp_port() -> u16 {
    SilentDns::bind().addr().port()
}

/// `name` lowercased with a trailing dot.
fn absolute(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    if name.ends_with('.') { name } else { format!("{name}.") }
}

/// One TXT record's rdata in zone-file syntax: each character string
/// quoted, `"` and `\` escaped, bytes outside printable ASCII as `\DDD`.
fn txt_rdata(strings: &[&[u8]]) -> String {
    strings
        .iter()
        .map(|s| {
            assert!(s.len() <= 255, "a TXT character string holds at most 255 bytes");
            let mut quoted = String::from("\"");
            for &b in *s {
                match b {
                    b'"' | b'\\' => {
                        quoted.push('\\');
                        quoted.push(b as char);
                    }
                    0x20..=0x7e => quoted.push(b as char),
                    _ => quoted.push_str(&format!("\\{b:03}")),
                }
            }
            quoted.push('"');
            quoted
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn zone_file(zone: &str) -> String {
    format!(
        "$ORIGIN {zone}\n$TTL {TTL}\n@ SOA ns.{zone} hostmaster.{zone} 1 3600 600 86400 60\n@ NS ns.{zone}\nns A 127.0.0.1\n"
    )
}

fn config<'a>(root: &Path, port: u16, zones: impl Iterator<Item = &'a String>) -> String {
    let d = root.display();
    let mut conf = format!(
        "server:\n    rundir: \"{d}/run\"\n    listen: 127.0.0.1@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    \
         background-workers: 1\n\
         log:\n  - target: \"{d}/knotd.log\"\n    any: info\n\
         database:\n    storage: \"{d}/db\"\n\
         control:\n    listen: \"{d}/knot.sock\"\n\
         template:\n  - id: default\n    storage: \"{d}/zones\"\n    file: \"%s.zone\"\n    \
         zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n\
         zone:\n"
    );
    for zone in zones {
        conf.push_str(&format!("  - domain: {zone}\n"));
    }
    conf
}

/// A Knot binary: /usr/sbin holds them, which a non-root PATH may lack.
fn tool(name: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(name);
    if sbin.exists() { sbin } else { PathBuf::from(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_rdata_quotes_and_escapes() {
        assert_eq!(txt_rdata(&[b"v=1 abc"]), r#""v=1 abc""#);
        assert_eq!(txt_rdata(&[b"a\"b\\c", "é\t".as_bytes()]), r#""a\"b\\c" "\195\169\009""#);
        assert_eq!(txt_rdata(&[b""]), r#""""#);
    }

    #[test]
    fn names_are_absolute_and_lowercase() {
        assert_eq!(absolute("Example"), "example.");
        assert_eq!(absolute("bigbank.example."), "bigbank.example.");
    }
}

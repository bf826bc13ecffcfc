//! Which addresses an upstream host may have (SPEC §3: upstream hosts are
//! public). A mailbox's host and token URL are chosen by a tenant's admin,
//! who is not trusted with the platform's network: every address a host
//! resolves to is checked before the relay connects, and an address of a
//! special-use range (loopback, private, link-local, shared/CGNAT,
//! multicast, unspecified, reserved, and the IPv6 forms that embed such an
//! IPv4 address) is refused unless the operator's configuration lists a
//! network that holds it.
//!
//! The ranges are those of the IANA special-purpose registries (RFC 6890
//! and its updates) that are not globally reachable, plus multicast.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What the check says about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A public address.
    Public,
    /// A special-use address in a network the operator allowed (an
    /// internal host: its answers are not echoed beyond their codes).
    Allowed,
    /// A special-use address no allowed network holds; the range's kind
    /// ("loopback", "private", ...).
    Refused(&'static str),
}

/// The special-use networks the operator lets upstream hosts be in
/// (default: none, every upstream is public).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UpstreamNetworks {
    allowed: Vec<IpNet>,
}

impl UpstreamNetworks {
    /// Public addresses only.
    pub fn public_only() -> UpstreamNetworks {
        UpstreamNetworks::default()
    }

    /// Public addresses and those in `allowed`.
    pub fn new(allowed: Vec<IpNet>) -> UpstreamNetworks {
        UpstreamNetworks { allowed }
    }

    /// Public addresses and loopback (127.0.0.0/8, ::1): the local mode on loopback, tests.
    pub fn loopback() -> UpstreamNetworks {
        let v4 = IpNet::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8).unwrap_or_default();
        let v6 = IpNet::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128).unwrap_or_default();
        UpstreamNetworks { allowed: vec![v4, v6] }
    }

    /// A comma-separated list of networks (`10.1.0.0/16, fd00::/8`; a bare
    /// address is a network of one); empty text allows none.
    pub fn parse_list(text: &str) -> Result<UpstreamNetworks, String> {
        let allowed = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("not a network (address/prefix): {s:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UpstreamNetworks { allowed })
    }

    /// The allowed networks.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allowed
    }

    /// Whether the relay may connect to `ip`.
    pub fn admit(&self, ip: IpAddr) -> Admission {
        let Some(kind) = special_use(ip) else {
            return Admission::Public;
        };
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let listed = |addr: IpAddr| self.allowed.iter().any(|net| net.contains(&addr));
        if listed(ip) || embedded.is_some_and(listed) { Admission::Allowed } else { Admission::Refused(kind) }
    }
}

/// The kind of special-use range `ip` is in, or `None` for a public address.
pub fn special_use(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => Some("unspecified"),
        (10, _, _) => Some("private"),
        (100, 64..=127, _) => Some("shared (CGNAT)"),
        (127, _, _) => Some("loopback"),
        (169, 254, _) => Some("link-local"),
        (172, 16..=31, _) => Some("private"),
        (192, 168, _) => Some("private"),
        // IETF protocol assignments, documentation, benchmarking.
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => Some("reserved"),
        (224..=239, _, _) => Some("multicast"),
        // 240.0.0.0/4 and the broadcast address.
        (240..=255, _, _) => Some("reserved"),
        _ => None,
    }
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = embedded_v4(ip) {
        // A mapped, compatible, NAT64 or 6to4 form reaches the IPv4 address inside it.
        return special_v4(v4);
    }
    let s = ip.segments();
    match s[0] {
        0x0000 => Some("reserved"),
        // 64:ff9b:1::/48, local-use NAT64 (RFC 8215).
        0x0064 if s[1] == 0xff9b && s[2] == 0x0001 => Some("private"),
        // 100::/64, discard-only.
        0x0100 if s[1..4] == [0, 0, 0] => Some("reserved"),
        // 2001::/23 (IETF protocol assignments, Teredo among them), 2001:db8::/32 (documentation).
        0x2001 if s[1] < 0x0200 || s[1] == 0x0db8 => Some("reserved"),
        0xfc00..=0xfdff => Some("private"),
        // fe80::/10 link-local; fec0::/10, the old site-local, counted as private.
        0xfe80..=0xfebf => Some("link-local"),
        0xfec0..=0xfeff => Some("private"),
        0xff00..=0xffff => Some("multicast"),
        _ => None,
    }
}

/// The IPv4 address an IPv6 address carries and reaches: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), the NAT64
/// well-known prefix (`64:ff9b::/96`) and 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low(hi, lo)),
        // ::/96 less :: and ::1 (handled before).
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(low(hi, lo)),
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(networks: &UpstreamNetworks, ip: &str) -> Admission {
        networks.admit(ip.parse().expect("an address"))
    }

    #[test]
    fn special_ranges_are_refused_by_default() {
        let strict = UpstreamNetworks::public_only();
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("::1", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("fd12:3456::1", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("224.0.0.1", "multicast"),
            ("ff02::1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("255.255.255.255", "reserved"),
            ("240.0.0.1", "reserved"),
            ("192.0.2.10", "reserved"),
            ("2001:db8::1", "reserved"),
            // The IPv6 forms of a special IPv4 address are that address.
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.1.2.3", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("2002:7f00:1::1", "loopback"),
            ("2002:c0a8:101::1", "private"),
        ] {
            assert_eq!(admit(&strict, ip), Admission::Refused(kind), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        let strict = UpstreamNetworks::public_only();
        for ip in [
            "52.96.0.1",
            "142.250.27.108",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "2603:1036::1",
            "2a00:1450:4013::6d",
            "::ffff:52.96.0.1",
            "64:ff9b::3460:1",
        ] {
            assert_eq!(admit(&strict, ip), Admission::Public, "{ip}");
        }
    }

    #[test]
    fn listed_networks_are_allowed_and_only_those() {
        let loopback = UpstreamNetworks::loopback();
        assert_eq!(admit(&loopback, "127.0.0.1"), Admission::Allowed);
        assert_eq!(admit(&loopback, "::1"), Admission::Allowed);
        assert_eq!(admit(&loopback, "::ffff:127.0.0.1"), Admission::Allowed);
        assert_eq!(admit(&loopback, "10.0.0.1"), Admission::Refused("private"));
        assert_eq!(admit(&loopback, "169.254.169.254"), Admission::Refused("link-local"));
        assert_eq!(admit(&loopback, "52.96.0.1"), Admission::Public);

        let office = UpstreamNetworks::parse_list(" 10.20.0.0/16, fd00::/8 ,192.168.7.7").expect("networks");
        assert_eq!(office.allowed().len(), 3);
        assert_eq!(admit(&office, "10.20.3.4"), Admission::Allowed);
        assert_eq!(admit(&office, "10.21.3.4"), Admission::Refused("private"));
        assert_eq!(admit(&office, "192.168.7.7"), Admission::Allowed);
        assert_eq!(admit(&office, "192.168.7.8"), Admission::Refused("private"));
        assert_eq!(admit(&office, "127.0.0.1"), Admission::Refused("loopback"));
    }

    #[test]
    fn lists_parse_strictly() {
        assert_eq!(UpstreamNetworks::parse_list("").map(|n| n.allowed().len()), Ok(0));
        assert!(UpstreamNetworks::parse_list("10.0.0.0/33").is_err());
        assert!(UpstreamNetworks::parse_list("intranet").is_err());
        let json: UpstreamNetworks = serde_json::from_str(r#"["127.0.0.0/8"]"#).expect("json");
        assert_eq!(json, UpstreamNetworks::parse_list("127.0.0.0/8").expect("list"));
    }
}

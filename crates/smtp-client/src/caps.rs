//! What the server offers, from its EHLO reply (RFC 5321 §4.1.1.1): the
//! keywords the client acts on — PIPELINING (RFC 2920), SIZE (RFC 1870),
//! 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), STARTTLS (RFC 3207), AUTH
//! (RFC 4954, also the old `AUTH=` form), ENHANCEDSTATUSCODES (RFC 2034).

use crate::reply::Reply;

/// The server's EHLO keywords the client uses. After STARTTLS they are
/// replaced by the answer to the second EHLO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// EHLO was answered (false: the server only took HELO, and offers nothing).
    pub esmtp: bool,
    /// PIPELINING.
    pub pipelining: bool,
    /// SIZE, with its limit (0 = no limit announced).
    pub size: Option<u64>,
    /// 8BITMIME.
    pub eight_bit_mime: bool,
    /// SMTPUTF8.
    pub smtp_utf8: bool,
    /// STARTTLS.
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES.
    pub enhanced_status_codes: bool,
    /// The AUTH mechanisms, upper case.
    pub auth: Vec<String>,
}

impl Capabilities {
    /// Reads the keywords of a positive EHLO reply (the first line is the server's name).
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities { esmtp: true, ..Capabilities::default() };
        for line in reply.lines().iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else { continue };
            let keyword = keyword.to_ascii_uppercase();
            match keyword.as_str() {
                "PIPELINING" => caps.pipelining = true,
                "SIZE" => caps.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtp_utf8 = true,
                "STARTTLS" => caps.starttls = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                _ => {}
            }
            let mechanisms = match keyword.as_str() {
                "AUTH" => Some(words),
                k if k.starts_with("AUTH=") => {
                    caps.add_mechanism(&k["AUTH=".len()..]);
                    Some(words)
                }
                _ => None,
            };
            for m in mechanisms.into_iter().flatten() {
                caps.add_mechanism(m);
            }
        }
        caps
    }

    fn add_mechanism(&mut self, m: &str) {
        let m = m.to_ascii_uppercase();
        if !m.is_empty() && !self.auth.contains(&m) {
            self.auth.push(m);
        }
    }

    /// Whether AUTH `mechanism` is offered (case-insensitive).
    pub fn offers_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }

    /// The SIZE limit, when one is announced.
    pub fn size_limit(&self) -> Option<u64> {
        self.size.filter(|&n| n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords() {
        let lines = [
            "mail.example greets you",
            "PIPELINING",
            "SIZE 10240000",
            "8bitmime",
            "AUTH PLAIN LOGIN XOAUTH2",
            "AUTH=LOGIN OAUTHBEARER",
            "ENHANCEDSTATUSCODES",
            "SMTPUTF8",
            "STARTTLS",
            "CHUNKING",
        ];
        let caps = Capabilities::from_ehlo(&Reply::new(250, lines.iter().map(|s| s.to_string()).collect()));
        assert!(caps.esmtp && caps.pipelining && caps.eight_bit_mime && caps.smtp_utf8 && caps.starttls);
        assert!(caps.enhanced_status_codes);
        assert_eq!(caps.size_limit(), Some(10_240_000));
        assert_eq!(caps.auth, ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"]);
        assert!(caps.offers_auth("xoauth2"));
        let bare = Capabilities::from_ehlo(&Reply::new(250, vec!["x".into(), "SIZE".into()]));
        assert_eq!((bare.size, bare.size_limit(), bare.pipelining), (Some(0), None, false));
        // The greeting line's words are not keywords.
        let caps = Capabilities::from_ehlo(&Reply::new(250, vec!["PIPELINING".into()]));
        assert!(!caps.pipelining);
    }
}

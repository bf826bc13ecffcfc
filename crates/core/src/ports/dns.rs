//! The DNS port: TXT lookups for the ownership proof of sending domains,
//! and the addresses an upstream host name resolves to (checked against
//! `policy::UpstreamNetworks` before the relay connects to them). The
//! policy and the use-cases never touch the network: the adapter
//! (`sendas-dns`, hickory-resolver) lives outside the core.

use async_trait::async_trait;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use thiserror::Error;

/// Why a lookup found nothing, told apart because they mean different
/// things for a domain's proof: NXDOMAIN and NODATA are an answer ("the
/// record is missing"); the others are a resolver that could not answer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// The name does not exist (NXDOMAIN).
    #[error("the name does not exist (NXDOMAIN)")]
    NoSuchName,
    /// The name exists but has no record of this type (NODATA).
    #[error("the name has no TXT record")]
    NoRecords,
    /// The server answered SERVFAIL (a broken delegation, a DNSSEC failure).
    #[error("the DNS server failed to answer (SERVFAIL)")]
    ServerFailure,
    /// The server refused the query (REFUSED), or another error code.
    #[error("the DNS server refused to answer: {0}")]
    Refused(String),
    /// No answer within the configured timeout.
    #[error("the DNS server did not answer in time")]
    Timeout,
    /// The query could not be sent or the answer not read.
    #[error("DNS lookup failed: {0}")]
    Other(String),
}

impl DnsError {
    /// Whether this is an authoritative answer that the record is not
    /// there (as opposed to a resolver that could not answer).
    pub fn is_missing(&self) -> bool {
        matches!(self, DnsError::NoSuchName | DnsError::NoRecords)
    }
}

/// Looks names up in the DNS.
#[async_trait]
pub trait DnsLookup: Send + Sync {
    /// The TXT records at `name`, an absolute name (no search list is
    /// applied; a trailing dot is optional). Each record's character
    /// strings are concatenated, as RFC 7208 §3.3 reads them; a record
    /// that is not UTF-8 is read lossily.
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError>;

    /// The addresses (A and AAAA) `host` resolves to, asked as an
    /// absolute name. An IP literal is itself; `localhost` and its
    /// subdomains are 127.0.0.1 and ::1 without a query (RFC 6761). The
    /// default answers only those two kinds (a process without a resolver).
    async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        without_query(host).ok_or_else(|| DnsError::Other("no DNS resolver is configured".into()))
    }
}

/// The addresses of a host name that needs no query: an IP literal (also
/// in brackets), or `localhost` and its subdomains.
pub fn without_query(host: &str) -> Option<Vec<IpAddr>> {
    let host = host.trim().trim_end_matches('.');
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Some(vec![ip]);
    }
    let lower = host.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return Some(vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]);
    }
    None
}

/// The lookup of a process with no resolver configured: every lookup
/// fails as a resolver failure (never as "missing", so nothing lapses).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResolver;

#[async_trait]
impl DnsLookup for NoResolver {
    async fn txt(&self, _name: &str) -> Result<Vec<String>, DnsError> {
        Err(DnsError::Other("no DNS resolver is configured".into()))
    }
}

//! Where the relay may connect (SPEC §3: upstream hosts are public). A
//! mailbox's host and token URL are a tenant admin's input; the admin is
//! not trusted with the platform's network. So every upstream host name —
//! an SMTP server, the system relay, a token endpoint — is resolved
//! through the process's [`DnsLookup`] port, *every* address it resolves
//! to is checked against the operator's [`UpstreamNetworks`], and the
//! connection goes to exactly the addresses that were checked: there is
//! no second lookup a changed DNS answer could redirect.
//!
//! A host with any address outside the public internet and the allowed
//! networks is refused as a whole (a name that also points inside is a
//! rebinding attempt, not a fallback). The refusal names the kind of
//! range, never the address. A host inside an allowed network is
//! *internal*: what it answers is not echoed into a mailbox's health or a
//! `verify` report beyond its codes.

use hyper_util::client::legacy::connect::dns::Name;
use sendas_core::policy::{Admission, UpstreamNetworks};
use sendas_core::ports::{DnsLookup, NoResolver};
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The resolver and the allowed networks of one process.
#[derive(Clone)]
pub struct UpstreamPolicy {
    dns: Arc<dyn DnsLookup>,
    networks: UpstreamNetworks,
}

impl fmt::Debug for UpstreamPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamPolicy").field("networks", &self.networks).finish_non_exhaustive()
    }
}

impl Default for UpstreamPolicy {
    /// No resolver (IP literals and `localhost` only), public addresses only.
    fn default() -> Self {
        UpstreamPolicy { dns: Arc::new(NoResolver), networks: UpstreamNetworks::public_only() }
    }
}

/// The addresses a host may be reached at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// Every address the host resolved to, all checked, in the resolver's order.
    pub addrs: Vec<SocketAddr>,
    /// Some address is in an allowed special-use network (an internal host).
    pub internal: bool,
}

/// Why a host is not connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// The name could not be resolved (try again later).
    Lookup(String),
    /// The host resolves to an address that is not public and not allowed: an admin must fix it.
    NotPublic(String),
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreachable::Lookup(why) | Unreachable::NotPublic(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Unreachable {}

impl UpstreamPolicy {
    /// Resolves through `dns`, admits public addresses and those in `networks`.
    pub fn new(dns: Arc<dyn DnsLookup>, networks: UpstreamNetworks) -> UpstreamPolicy {
        UpstreamPolicy { dns, networks }
    }

    /// The same resolver with other allowed networks.
    pub fn with_networks(mut self, networks: UpstreamNetworks) -> UpstreamPolicy {
        self.networks = networks;
        self
    }

    /// The allowed networks.
    pub fn networks(&self) -> &UpstreamNetworks {
        &self.networks
    }

    /// The checked addresses of `host` (a name or an IP literal) at `port`.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Reached, Unreachable> {
        let ips = self
            .dns
            .ips(host)
            .await
            .map_err(|e| Unreachable::Lookup(format!("looking up {} failed: {e}", shown(host))))?;
        if ips.is_empty() {
            // Never an empty list: the SMTP client would resolve the name itself, unchecked.
            return Err(Unreachable::Lookup(format!("{} has no address", shown(host))));
        }
        let internal = self.check(host, &ips)?;
        Ok(Reached { addrs: ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect(), internal })
    }

    /// Whether every one of `ips` may be connected to (true: some is internal).
    fn check(&self, host: &str, ips: &[IpAddr]) -> Result<bool, Unreachable> {
        let mut internal = false;
        for ip in ips {
            match self.networks.admit(*ip) {
                Admission::Public => {}
                Admission::Allowed => internal = true,
                Admission::Refused(kind) => {
                    tracing::warn!(host = %shown(host), %ip, kind, "refused an upstream host that is not public");
                    return Err(Unreachable::NotPublic(format!(
                        "{} resolves to a {kind} address; upstream hosts must be public",
                        shown(host)
                    )));
                }
            }
        }
        Ok(internal)
    }

    /// A resolver for hyper's connector: names through [`UpstreamPolicy::resolve`].
    pub(crate) fn hyper_resolver(&self) -> CheckedResolver {
        CheckedResolver(Arc::new(self.clone()))
    }

    /// Checks an IP literal (hyper connects to literals without asking its resolver).
    pub(crate) fn check_literal(&self, host: &str) -> Result<(), Unreachable> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => self.check(host, &[ip]).map(drop),
            Err(_) => Ok(()),
        }
    }
}

/// A host name as shown in texts: printable ASCII, at most 100 characters.
fn shown(host: &str) -> String {
    host.chars().filter(|c| c.is_ascii_graphic()).take(100).collect()
}

/// hyper's resolver over an [`UpstreamPolicy`] (a `tower::Service<Name>`):
/// the token endpoints' connector connects to the checked addresses only.
#[derive(Clone)]
pub(crate) struct CheckedResolver(Arc<UpstreamPolicy>);

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Unreachable;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Unreachable>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Unreachable>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.0.clone();
        // Port 0: hyper puts the URL's port in.
        Box::pin(async move { policy.resolve(name.as_str(), 0).await.map(|r| r.addrs.into_iter()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use sendas_core::ports::DnsError;

    /// Answers every name with the same addresses.
    struct Answers(Vec<IpAddr>);

    #[async_trait]
    impl DnsLookup for Answers {
        async fn txt(&self, _name: &str) -> Result<Vec<String>, DnsError> {
            Err(DnsError::NoRecords)
        }
        async fn ips(&self, _host: &str) -> Result<Vec<IpAddr>, DnsError> {
            Ok(self.0.clone())
        }
    }

    fn policy(answers: &[&str], networks: UpstreamNetworks) -> UpstreamPolicy {
        let ips = answers.iter().map(|a| a.parse().expect("ip")).collect();
        UpstreamPolicy::new(Arc::new(Answers(ips)), networks)
    }

    #[tokio::test]
    async fn one_inside_address_refuses_the_host() {
        let p = policy(&["52.96.0.1", "10.0.0.7"], UpstreamNetworks::public_only());
        let refused = p.resolve("smtp.attacker.example", 587).await.expect_err("refused");
        assert!(matches!(&refused, Unreachable::NotPublic(t) if t.contains("private") && !t.contains("10.0.0.7")));
    }

    #[tokio::test]
    async fn public_and_allowed_hosts_are_reached_at_the_checked_addresses() {
        let public = policy(&["52.96.0.1"], UpstreamNetworks::public_only());
        let reached = public.resolve("smtp.office365.com", 587).await.expect("public");
        assert_eq!(reached, Reached { addrs: vec!["52.96.0.1:587".parse().expect("addr")], internal: false });
        let allowed = policy(&["127.0.0.1"], UpstreamNetworks::loopback());
        assert!(allowed.resolve("mail.test", 25).await.expect("allowed").internal);
    }

    #[tokio::test]
    async fn a_lookup_without_addresses_is_not_a_host_to_connect_to() {
        let empty = policy(&[], UpstreamNetworks::loopback());
        assert!(matches!(empty.resolve("mail.test", 25).await, Err(Unreachable::Lookup(_))));
    }

    #[tokio::test]
    async fn no_resolver_knows_literals_and_localhost_only() {
        let strict = UpstreamPolicy::default();
        assert!(matches!(strict.resolve("127.0.0.1", 25).await, Err(Unreachable::NotPublic(_))));
        assert!(matches!(strict.resolve("[::1]", 25).await, Err(Unreachable::NotPublic(_))));
        assert!(matches!(strict.resolve("localhost", 25).await, Err(Unreachable::NotPublic(_))));
        assert!(matches!(strict.resolve("smtp.example.com", 25).await, Err(Unreachable::Lookup(_))));
        let loopback = UpstreamPolicy::default().with_networks(UpstreamNetworks::loopback());
        assert_eq!(loopback.resolve("localhost", 25).await.map(|r| r.addrs.len()), Ok(2));
        assert!(loopback.check_literal("[::ffff:10.0.0.1]").is_err());
        assert!(loopback.check_literal("127.0.0.1").is_ok());
        assert!(loopback.check_literal("idp.example.com").is_ok());
    }
}

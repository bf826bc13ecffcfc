//! HickoryDns against a real authoritative server: Knot DNS started by
//! sendas-testkit (`dns` feature), records changed with knotc
//! transactions as Knot's operators do, and a socket that never answers.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sendas_dns::{DnsConfig, DnsError, DnsLookup, HickoryDns};
use sendas_testkit::dns::{AuthDns, SilentDns};

fn resolver(servers: &[SocketAddr]) -> HickoryDns {
    HickoryDns::new(&DnsConfig::new(servers.to_vec())).expect("resolver")
}

fn knot() -> AuthDns {
    AuthDns::builder().zone("example.").zone("bigbank.example.").failing_zone("broken.example.").start()
}

#[tokio::test]
async fn a_published_record_is_found_with_its_exact_value() {
    let dns = knot();
    let value = "sendas-verify=3f1c9a7e-0b2d-4c5e-8f6a-1d2e3f4a5b6c \"quoted\" \\ and ünïcode";
    dns.set_txt("_sendas.bigbank.example.", value);
    let resolver = resolver(&[dns.addr()]);
    assert_eq!(resolver.txt("_sendas.bigbank.example.").await, Ok(vec![value.to_owned()]));
    // The trailing dot is optional, and case does not matter to the server.
    assert_eq!(resolver.txt("_SENDAS.BigBank.example").await, Ok(vec![value.to_owned()]));
    // The record is in the bigbank zone, not in its parent.
    assert_eq!(dns.records("_sendas.bigbank.example.", Some("TXT")).len(), 1);
}

#[tokio::test]
async fn several_records_at_a_name_are_all_returned() {
    let dns = knot();
    dns.set_txt("example.", "v=spf1 -all");
    dns.add_txt("example.", "sendas-verify=abc");
    let mut got = resolver(&[dns.addr()]).txt("example").await.expect("records");
    got.sort();
    assert_eq!(got, ["sendas-verify=abc", "v=spf1 -all"]);
}

#[tokio::test]
async fn a_record_of_several_character_strings_is_concatenated() {
    let dns = knot();
    dns.set_txt_strings("split.example.", &["v=sendas1; ", "token=", "abc", "", "def"]);
    let resolver = resolver(&[dns.addr()]);
    assert_eq!(resolver.txt("split.example.").await, Ok(vec!["v=sendas1; token=abcdef".to_owned()]));
    // A value longer than one character string (255 bytes) is published as several.
    let long: String = (0..700).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    dns.set_txt("long.example.", &long);
    assert!(dns.records("long.example.", Some("TXT"))[0].matches("\" \"").count() == 2, "three strings");
    assert_eq!(resolver.txt("long.example.").await, Ok(vec![long]));
}

#[tokio::test]
async fn an_answer_too_big_for_udp_is_asked_again_over_tcp() {
    let dns = knot();
    // Eight records of 1,000 bytes: more than any UDP payload hickory offers (EDNS 1,232 bytes),
    // so Knot sets TC and the whole answer comes over TCP.
    let values: Vec<String> = (0..8).map(|i| format!("{i}{}", "x".repeat(999))).collect();
    dns.set_txt("big.example.", &values[0]);
    for v in &values[1..] {
        dns.add_txt("big.example.", v);
    }
    let mut got = resolver(&[dns.addr()]).txt("big.example.").await.expect("records over TCP");
    got.sort();
    assert_eq!(got, values);
}

#[tokio::test]
async fn a_removed_record_is_missing() {
    let dns = knot();
    let resolver = resolver(&[dns.addr()]);
    dns.set_txt("_sendas.example.", "sendas-verify=abc");
    assert!(resolver.txt("_sendas.example.").await.is_ok());
    dns.remove_txt("_sendas.example.");
    // The name held only that record: it is gone (NXDOMAIN).
    assert_eq!(resolver.txt("_sendas.example.").await, Err(DnsError::NoSuchName));

    // A name that keeps another record answers NOERROR without TXT.
    dns.set_records("mail.example.", "A", &["192.0.2.10"]);
    dns.set_txt("mail.example.", "v=spf1 -all");
    assert!(resolver.txt("mail.example.").await.is_ok());
    dns.remove_txt("mail.example.");
    let missing = resolver.txt("mail.example.").await;
    assert_eq!(missing, Err(DnsError::NoRecords));
    assert!(missing.expect_err("missing").is_missing());
}

#[tokio::test]
async fn nxdomain_and_nodata_are_told_apart() {
    let dns = knot();
    let resolver = resolver(&[dns.addr()]);
    // Never existed.
    assert_eq!(resolver.txt("_sendas.nowhere.example.").await, Err(DnsError::NoSuchName));
    // The apex and the name server's name exist (SOA, NS, A) but hold no TXT.
    assert_eq!(resolver.txt("example.").await, Err(DnsError::NoRecords));
    assert_eq!(resolver.txt("ns.bigbank.example.").await, Err(DnsError::NoRecords));
    // An empty non-terminal: a.b.example. exists, so b.example. does too, without records.
    dns.set_txt("a.b.example.", "x");
    assert_eq!(resolver.txt("b.example.").await, Err(DnsError::NoRecords));
}

#[tokio::test]
async fn a_name_in_no_zone_served_is_refused() {
    let dns = knot();
    let got = resolver(&[dns.addr()]).txt("_sendas.elsewhere.test.").await;
    assert_eq!(got, Err(DnsError::Refused("REFUSED".into())));
    assert!(!got.expect_err("an error").is_missing(), "a refusal is not an answer that the record is missing");
}

#[tokio::test]
async fn a_zone_the_server_cannot_serve_is_servfail() {
    let dns = knot();
    let resolver = resolver(&[dns.addr()]);
    // Configured, but its zone file is missing: Knot never loaded it.
    assert_eq!(resolver.txt("_sendas.broken.example.").await, Err(DnsError::ServerFailure));
    // A loaded zone whose contents expire.
    dns.set_txt("_sendas.bigbank.example.", "sendas-verify=abc");
    assert!(resolver.txt("_sendas.bigbank.example.").await.is_ok());
    dns.fail_zone("bigbank.example.");
    let got = resolver.txt("_sendas.bigbank.example.").await;
    assert_eq!(got, Err(DnsError::ServerFailure));
    assert!(!got.expect_err("an error").is_missing());
    // The parent zone still answers.
    assert_eq!(resolver.txt("example.").await, Err(DnsError::NoRecords));
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let silent = SilentDns::bind();
    for attempts in [1, 2] {
        let config = DnsConfig { timeout: Duration::from_millis(300), attempts, ..DnsConfig::new(vec![silent.addr()]) };
        let resolver = HickoryDns::new(&config).expect("resolver");
        let start = Instant::now();
        assert_eq!(resolver.txt("_sendas.example.").await, Err(DnsError::Timeout));
        let took = start.elapsed();
        let expected = Duration::from_millis(300) * attempts as u32;
        assert!(took >= expected - Duration::from_millis(50), "{attempts} attempts took only {took:?}");
        assert!(took < expected + Duration::from_millis(700), "{attempts} attempts took {took:?}");
    }
}

#[tokio::test]
async fn a_dead_server_is_passed_over_for_one_that_answers() {
    let dns = knot();
    let silent = SilentDns::bind();
    dns.set_txt("_sendas.example.", "sendas-verify=abc");
    let config = DnsConfig {
        timeout: Duration::from_millis(500),
        attempts: 1,
        ..DnsConfig::new(vec![silent.addr(), dns.addr()])
    };
    let resolver = HickoryDns::new(&config).expect("resolver");
    for _ in 0..3 {
        assert_eq!(resolver.txt("_sendas.example.").await, Ok(vec!["sendas-verify=abc".to_owned()]));
    }
}

#[tokio::test]
async fn every_change_is_seen_at_once_nothing_is_cached() {
    let dns = knot();
    let resolver = resolver(&[dns.addr()]);
    let name = "_sendas.example.";
    // Missing first (a negative answer a cache would keep for the SOA minimum).
    assert_eq!(resolver.txt(name).await, Err(DnsError::NoSuchName));
    // The records have a TTL of an hour: a cache would keep each value.
    for round in 0..3 {
        let value = format!("sendas-verify=round-{round}");
        dns.set_txt(name, &value);
        assert_eq!(resolver.txt(name).await, Ok(vec![value]), "round {round}");
    }
    dns.remove_txt(name);
    assert_eq!(resolver.txt(name).await, Err(DnsError::NoSuchName));
    dns.set_txt(name, "sendas-verify=back");
    assert_eq!(resolver.clone().txt(name).await, Ok(vec!["sendas-verify=back".to_owned()]));
}

#[tokio::test]
async fn addresses_are_resolved_with_the_same_error_mapping() {
    let dns = knot();
    let resolver = resolver(&[dns.addr()]);
    dns.set_records("smtp.example.", "A", &["192.0.2.25"]);
    dns.set_records("smtp.example.", "AAAA", &["2001:db8::25"]);
    let mut got = resolver.ips("smtp.example").await.expect("addresses");
    got.sort();
    assert_eq!(got, ["192.0.2.25".parse::<IpAddr>().expect("ip"), "2001:db8::25".parse().expect("ip")]);
    assert_eq!(resolver.ips("ns.example.").await, Ok(vec!["127.0.0.1".parse().expect("ip")]));
    // Changes are seen at once here too.
    dns.set_records("smtp.example.", "A", &["192.0.2.26"]);
    dns.set_records("smtp.example.", "AAAA", &[]);
    assert_eq!(resolver.ips("smtp.example.").await, Ok(vec!["192.0.2.26".parse().expect("ip")]));
    // Errors as for TXT.
    assert_eq!(resolver.ips("nowhere.example.").await, Err(DnsError::NoSuchName));
    assert_eq!(resolver.ips("example.").await, Err(DnsError::NoRecords));
    assert_eq!(resolver.ips("mx.broken.example.").await, Err(DnsError::ServerFailure));
    assert_eq!(resolver.ips("host.elsewhere.test.").await, Err(DnsError::Refused("REFUSED".into())));
    // An IP literal is itself; localhost is loopback without a query.
    assert_eq!(resolver.ips("10.1.2.3").await, Ok(vec!["10.1.2.3".parse().expect("ip")]));
    let local = resolver.ips("localhost").await.expect("localhost");
    assert!(local.iter().all(IpAddr::is_loopback) && !local.is_empty(), "{local:?}");
}

#[tokio::test]
async fn a_name_that_is_not_a_domain_name_is_an_error_without_a_query() {
    let silent = SilentDns::bind();
    let resolver = resolver(&[silent.addr()]);
    let start = Instant::now();
    assert!(matches!(resolver.txt("a..b").await, Err(DnsError::Other(_))));
    assert!(matches!(resolver.txt("").await, Err(DnsError::Other(_))));
    assert!(matches!(resolver.ips(&"a".repeat(64)).await, Err(DnsError::Other(_))));
    assert!(start.elapsed() < Duration::from_millis(500), "no server was asked");
}

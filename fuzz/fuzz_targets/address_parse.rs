//! Address parsing and normalisation: never a panic; a parsed address has
//! an ASCII domain (A-labels), no ASCII upper case (UTF-8 local parts are
//! allowed and kept), exactly one `@` between a non-empty local part and
//! domain, no control or space characters, and parses again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendas_core::EmailAddress;
use sendas_core::model::Login;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(a) = EmailAddress::parse(text) {
        let s = a.as_str();
        assert!(a.domain().is_ascii(), "the domain in A-labels: {s}");
        assert!(!s.chars().any(|c| c.is_control() || c.is_whitespace()), "no control or space characters: {s:?}");
        assert_eq!(s, s.to_ascii_lowercase(), "folded to lower case");
        assert_eq!(s.matches('@').count(), 1);
        assert!(!a.local_part().is_empty() && !a.domain().is_empty());
        assert_eq!(format!("{}@{}", a.local_part(), a.domain()), s);
        assert_eq!(EmailAddress::parse(s).ok(), Some(a.clone()), "idempotent");
    }
    if let Ok(l) = Login::parse(text) {
        assert_eq!(Login::parse(l.as_str()).ok(), Some(l.clone()), "a login parses to itself");
    }
});

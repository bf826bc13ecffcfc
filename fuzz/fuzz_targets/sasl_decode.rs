//! SASL decoding: never a panic; what PLAIN accepts has no NUL in login or
//! password and encodes back to a response that decodes the same.
#![no_main]

use data_encoding::BASE64;
use libfuzzer_sys::fuzz_target;
use sendas_smtp_proxy::sasl::{decode_base64, decode_login, decode_plain};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(raw) = decode_base64(text)
    {
        assert!(text == "=" || BASE64.encode(&raw) == text, "only canonical base64 is accepted");
        let _ = decode_plain(&raw);
    }
    if let Some(c) = decode_plain(data) {
        assert!(!c.login.is_empty() && !c.login.contains('\0') && !c.password.contains('\0'));
        let again = decode_plain(format!("\0{}\0{}", c.login, c.password).as_bytes());
        assert_eq!(again.as_ref(), Some(&c));
    }
    let mid = data.len() / 2;
    if let Some(c) = decode_login(data[..mid].to_vec(), data[mid..].to_vec()) {
        assert!(!c.login.is_empty() && !c.login.contains('\0'));
    }
});

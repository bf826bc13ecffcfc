//! SASL PLAIN and LOGIN decoding (RFC 4616, draft-murchison-sasl-login),
//! pure: base64 text in, login and password out, or nothing.

/// A decoded login and password.
#[derive(PartialEq, Eq)]
pub struct SaslCredentials {
    /// The authentication identity (the login).
    pub login: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslCredentials").field("login", &self.login).field("password", &"<redacted>").finish()
    }
}

/// Strict, canonical base64 (padding required and only at the end, no
/// whitespace); `=` is the empty response.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    if text == "=" {
        return Some(Vec::new());
    }
    canonical_base64(text)
}

pub use sendas_message::encoding::canonical_base64;

/// `authzid NUL authcid NUL passwd`; an authzid other than the login, an
/// empty login or anything but UTF-8 is refused.
pub fn decode_plain(raw: &[u8]) -> Option<SaslCredentials> {
    let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
    let [authz, authc, password] = parts.as_slice() else { return None };
    let (authz, authc, password) =
        (std::str::from_utf8(authz).ok()?, std::str::from_utf8(authc).ok()?, std::str::from_utf8(password).ok()?);
    if authc.is_empty() || (!authz.is_empty() && !authz.eq_ignore_ascii_case(authc)) {
        return None;
    }
    Some(SaslCredentials { login: authc.to_owned(), password: password.to_owned() })
}

/// The two answers of AUTH LOGIN; the login must not be empty, both UTF-8.
pub fn decode_login(user: Vec<u8>, password: Vec<u8>) -> Option<SaslCredentials> {
    match (String::from_utf8(user), String::from_utf8(password)) {
        (Ok(login), Ok(password)) if !login.is_empty() && !login.contains('\0') => {
            Some(SaslCredentials { login, password })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_needs_three_parts_and_a_matching_authzid() {
        let ok = decode_plain(b"\0alice\0pw").expect("valid");
        assert_eq!((ok.login.as_str(), ok.password.as_str()), ("alice", "pw"));
        assert!(decode_plain(b"ALICE\0alice\0pw").is_some(), "authzid equal up to case");
        assert!(decode_plain(b"bob\0alice\0pw").is_none(), "another authorization identity");
        assert!(decode_plain(b"\0\0pw").is_none());
        assert!(decode_plain(b"\0alice\0pw\0x").is_none());
        assert!(decode_plain(b"\0al\xffice\0pw").is_none());
        assert!(!format!("{ok:?}").contains("pw"), "Debug hides the password");
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(decode_base64("="), Some(Vec::new()));
        assert_eq!(decode_base64("YWxpY2U="), Some(b"alice".to_vec()));
        assert_eq!(decode_base64("YWxpY2U"), None, "padding is required");
        assert_eq!(decode_base64("YWxp Y2U="), None);
        assert_eq!(decode_base64("YxU=YxU="), None, "found by the fuzzer: padding inside the text");
        assert!(decode_login(b"\0x".to_vec(), b"pw".to_vec()).is_none());
    }
}

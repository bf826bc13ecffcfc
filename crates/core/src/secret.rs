//! Generated secrets (API tokens, SMTP app passwords) and their hashes.
//!
//! Secrets are random with at least 128 bits of entropy (we use 160), shown
//! once and stored only as a SHA-256 hash; with that much entropy a fast
//! hash is the right tool (argon2 protects low-entropy human passwords,
//! which sendas never stores). Comparison is constant-time. Nothing in
//! here prints a secret: `SecretString` redacts itself in `Debug`.

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

pub use secrecy::{ExposeSecret, SecretString};

/// Bytes of randomness in every generated secret (160 bits).
pub const SECRET_BYTES: usize = 20;

/// The prefix that makes an API token recognisable (e.g. for secret scanners).
pub const API_TOKEN_PREFIX: &str = "sendas_";

/// The SHA-256 of a secret; the only form in which secrets are stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Hashes a presented secret.
    pub fn of(secret: &str) -> Self {
        SecretHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// Constant-time check of a presented secret against this hash.
    pub fn verify(&self, presented: &str) -> bool {
        let candidate = Self::of(presented);
        bool::from(self.0.ct_eq(&candidate.0))
    }

    /// Lower-case hex form (how backends store it).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses the hex form.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk).ok()?;
            out[i] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(SecretHash(out))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

impl TryFrom<String> for SecretHash {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SecretHash::from_hex(&s).ok_or("not a 64-digit hex hash")
    }
}

impl From<SecretHash> for String {
    fn from(h: SecretHash) -> String {
        h.to_hex()
    }
}

/// Random bytes from the operating system.
///
/// # Panics
/// Only if the OS random source is unavailable, which leaves no safe way
/// to generate credentials.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A fresh secret: 160 random bits as 32 lower-case base32 characters
/// (easy to paste into a mail client, no symbols to escape).
pub fn generate_secret() -> SecretString {
    let encoded = BASE32_NOPAD.encode(&random_bytes::<SECRET_BYTES>()).to_ascii_lowercase();
    SecretString::from(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_random_and_verify_against_their_hash() {
        let a = generate_secret();
        let b = generate_secret();
        assert_eq!(a.expose_secret().len(), 32);
        assert_ne!(a.expose_secret(), b.expose_secret());
        let h = SecretHash::of(a.expose_secret());
        assert!(h.verify(a.expose_secret()));
        assert!(!h.verify(b.expose_secret()));
        assert!(!h.verify(""));
        assert_eq!(SecretHash::from_hex(&h.to_hex()), Some(h));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = generate_secret();
        let h = SecretHash::of(s.expose_secret());
        let shown = format!("{s:?} {h:?}");
        assert!(!shown.contains(s.expose_secret()));
        assert!(!shown.contains(&h.to_hex()));
    }

    #[test]
    fn bad_hex_is_rejected() {
        assert_eq!(SecretHash::from_hex("zz"), None);
        assert_eq!(SecretHash::from_hex(&"g".repeat(64)), None);
        assert_eq!(SecretHash::from_hex(&"é".repeat(32)), None);
    }
}

//! Canonical base64, for SASL and for RFC 2047 `B` encoded words.

use data_encoding::BASE64;

/// Base64 in its one canonical form only: data-encoding alone also reads
/// concatenated padded blocks (`YQ==YQ==`).
pub fn canonical_base64(text: &str) -> Option<Vec<u8>> {
    let raw = BASE64.decode(text.as_bytes()).ok()?;
    (BASE64.encode(&raw) == text).then_some(raw)
}

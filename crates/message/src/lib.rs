//! sendas-message: the pure message path, shared by both doors — the SMTP
//! proxy (DATA) and HTTP send (a message built by the API). Bytes in,
//! decisions out; no I/O.
//!
//! - [`data`]: the DATA reader (dot-unstuffing, size, line endings, line length).
//! - [`headers`]: originator extraction (From, Sender, Reply-To, Resent-*).
//! - [`verdict`]: relay the message as which mailbox, or which reply refuses it.
//! - [`reply`]: an SMTP reply (code, enhanced status, text); the HTTP door maps it.

pub mod data;
pub mod encoding;
pub mod headers;
pub mod reply;
pub mod verdict;

/// The default limits of one message, the proxy's and HTTP send's alike.
pub mod limits {
    /// Largest message, in bytes.
    pub const MAX_MESSAGE_SIZE: usize = 25 * 1024 * 1024;
    /// Most recipients of one message.
    pub const MAX_RECIPIENTS: usize = 100;
    /// Longest line, without its CRLF (RFC 5322's 998).
    pub const MAX_LINE: usize = 998;
    /// Largest header section, in bytes.
    pub const MAX_HEADER_SIZE: usize = 64 * 1024;
}

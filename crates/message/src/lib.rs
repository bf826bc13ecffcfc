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

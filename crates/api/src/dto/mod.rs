//! The JSON shapes of the API (requests and responses), with their
//! OpenAPI schemas. Responses are built from the model and never carry a
//! hash or a password; secrets appear only in the one-time `*Issued`
//! answers.

mod directory;
mod mailbox;
mod platform;

pub use directory::*;
pub use mailbox::*;
pub use platform::*;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> List<T> {
    /// Maps a store page.
    pub fn from_page<U>(page: sendas_core::ports::Page<U>, f: impl Fn(U) -> T) -> Self {
        List { items: page.items.into_iter().map(f).collect(), next: page.next }
    }
}

/// Paging parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page size, 1..=500 (default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

impl Paging {
    /// As a store page request.
    pub fn request(&self) -> sendas_core::ports::PageRequest {
        sendas_core::ports::PageRequest::new(
            self.limit.unwrap_or(sendas_core::ports::PageRequest::DEFAULT_LIMIT),
            self.after.clone(),
        )
    }
}

/// RFC 3339 form of a timestamp.
pub fn time(t: sendas_core::Timestamp) -> String {
    t.to_rfc3339()
}

/// Serialises a secret that is shown once (the only place secrets leave the API).
pub fn expose<S: serde::Serializer>(secret: &secrecy::SecretString, ser: S) -> Result<S::Ok, S::Error> {
    use secrecy::ExposeSecret;
    ser.serialize_str(secret.expose_secret())
}

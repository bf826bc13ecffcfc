//! The JSON shapes of the API (requests and responses), with their
//! OpenAPI schemas. Responses are built from the model and never carry a
//! hash or a password; secrets appear only in the one-time `*Issued`
//! answers.

mod directory;
mod domain;
mod limits;
mod mailbox;
mod platform;
mod template;

pub use directory::*;
pub use domain::*;
pub use limits::*;
pub use mailbox::*;
pub use platform::*;
pub use template::*;

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
    /// Maps a store page; the store's cursor is wrapped URL-safe.
    pub fn from_page<U>(page: sendas_core::ports::Page<U>, f: impl Fn(U) -> T) -> Self {
        let next = page.next.map(|c| data_encoding::BASE64URL_NOPAD.encode(c.as_bytes()));
        List { items: page.items.into_iter().map(f).collect(), next }
    }
}

/// A page request from `limit` and a URL-safe `after` cursor.
pub fn page_request(
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<sendas_core::ports::PageRequest, crate::problem::ApiError> {
    let after = match after {
        None => None,
        Some(a) => {
            let bytes = data_encoding::BASE64URL_NOPAD
                .decode(a.as_bytes())
                .map_err(|_| crate::problem::ApiError::invalid("after", "not a cursor from a previous page"))?;
            Some(
                String::from_utf8(bytes)
                    .map_err(|_| crate::problem::ApiError::invalid("after", "not a cursor from a previous page"))?,
            )
        }
    };
    Ok(sendas_core::ports::PageRequest::new(limit.unwrap_or(sendas_core::ports::PageRequest::DEFAULT_LIMIT), after))
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
    /// As a store page request; a cursor that is not ours is `validation_failed`.
    pub fn request(&self) -> Result<sendas_core::ports::PageRequest, crate::problem::ApiError> {
        page_request(self.limit, self.after.as_deref())
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

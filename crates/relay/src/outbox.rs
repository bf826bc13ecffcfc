//! The outbox route: the system relay of a local installation writes each
//! message as one `.eml` file into a directory (atomically: temporary
//! file, fsync, rename, fsync of the directory), with the envelope in two
//! headers in front: `X-Sendas-Envelope-From`, `X-Sendas-Envelope-To`.

use crate::{Envelope, RelayError, Relayed, Route};
use async_trait::async_trait;
use std::io::Write;
use std::path::Path;

/// Writes messages into the directory it is given.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutboxRoute;

#[async_trait]
impl Route<Path> for OutboxRoute {
    async fn deliver(&self, dir: &Path, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
        let (dir, envelope, message) = (dir.to_owned(), envelope.clone(), message.to_vec());
        tokio::task::spawn_blocking(move || write_outbox(&dir, &envelope, &message))
            .await
            .unwrap_or_else(|_| Err(RelayError::Temporary("outbox: the writer stopped".into())))
    }
}

/// Writes one `.eml` atomically into `dir`.
pub fn write_outbox(dir: &Path, envelope: &Envelope, message: &[u8]) -> Result<Relayed, RelayError> {
    let io = |e: std::io::Error| RelayError::Temporary(format!("outbox: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let id = unique_name();
    let tmp = dir.join(format!(".{id}.tmp"));
    let path = dir.join(format!("{id}.eml"));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    let to = envelope.to.iter().map(|t| format!("<{t}>")).collect::<Vec<_>>().join(", ");
    write!(f, "X-Sendas-Envelope-From: <{}>\r\nX-Sendas-Envelope-To: {to}\r\n", envelope.from).map_err(io)?;
    f.write_all(message).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Relayed { upstream_reply: format!("250 2.0.0 Ok: queued as {id}") })
}

/// Milliseconds and 64 random bits: sortable by time, unique.
fn unique_name() -> String {
    let t = sendas_core::Timestamp::now().millis();
    let r: String = sendas_core::secret::random_bytes::<8>().iter().map(|b| format!("{b:02x}")).collect();
    format!("{t}-{r}")
}

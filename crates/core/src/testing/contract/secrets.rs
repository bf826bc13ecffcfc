//! Contract case: secrets round-trip, are replaced, and are gone when deleted.

use super::{Backend, ok};
use crate::ports::SecretRef;
use crate::secret::{ExposeSecret, SecretString};
use crate::{MailboxId, TenantId};

/// A password read back equals the one written; a deleted secret is gone.
pub async fn secrets_round_trip(b: Backend) {
    let s = &*b.secrets;
    let name = SecretRef::mailbox(TenantId::generate(), MailboxId::generate());
    let other = SecretRef::mailbox(TenantId::generate(), MailboxId::generate());
    assert!(ok(s.get_secret(&name).await, "missing").is_none());
    let pw = "pä$$ wörd \"with\" symbols 🙂";
    ok(s.put_secret(&name, &SecretString::from(pw)).await, "put");
    let back = ok(s.get_secret(&name).await, "get").map(|v| v.expose_secret().to_owned());
    assert_eq!(back.as_deref(), Some(pw));
    ok(s.put_secret(&name, &SecretString::from("second")).await, "replace");
    let back = ok(s.get_secret(&name).await, "get").map(|v| v.expose_secret().to_owned());
    assert_eq!(back.as_deref(), Some("second"));
    assert!(ok(s.get_secret(&other).await, "other").is_none());
    ok(s.delete_secret(&name).await, "delete");
    assert!(ok(s.get_secret(&name).await, "deleted").is_none());
    ok(s.delete_secret(&name).await, "delete again is fine");
    ok(s.put_secret(&name, &SecretString::from("third")).await, "put after delete");
    let back = ok(s.get_secret(&name).await, "get").map(|v| v.expose_secret().to_owned());
    assert_eq!(back.as_deref(), Some("third"));
    let system = SecretRef::system_relay();
    ok(s.put_secret(&system, &SecretString::from("relay")).await, "system relay");
    assert!(ok(s.get_secret(&system).await, "system").is_some());
}

//! The embedded secret store: sealed at rest, key file rules, no leaks in Debug.

use sendas_core::ports::{SecretRef, SecretStore};
use sendas_core::secret::{ExposeSecret, SecretString};
use sendas_core::{MailboxId, TenantId};
use sendas_store_embedded::{DB_FILE, EmbeddedError, KEY_FILE, open_data_dir};
use std::os::unix::fs::PermissionsExt;

const PASSWORD: &str = "correct-horse-battery-staple-42";

async fn store_one(dir: &std::path::Path) -> SecretRef {
    let (_, secrets) = open_data_dir(dir).expect("open");
    let name = SecretRef::mailbox(TenantId::generate(), MailboxId::generate());
    secrets.put_secret(&name, &SecretString::from(PASSWORD)).await.expect("put");
    name
}

#[tokio::test]
async fn key_file_is_created_private_and_secrets_are_not_plaintext_on_disk() {
    let dir = tempfile::tempdir().expect("dir");
    let name = store_one(dir.path()).await;
    let mode = std::fs::metadata(dir.path().join(KEY_FILE)).expect("key").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Checkpoint by reopening; then no file in the directory holds the password.
    let (_, secrets) = open_data_dir(dir.path()).expect("reopen");
    let back = secrets.get_secret(&name).await.expect("get").expect("present");
    assert_eq!(back.expose_secret(), PASSWORD);
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(!bytes.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()), "plaintext found on disk");
    }
    assert!(dir.path().join(DB_FILE).exists());
}

#[tokio::test]
async fn a_missing_key_with_existing_secrets_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    store_one(dir.path()).await;
    std::fs::remove_file(dir.path().join(KEY_FILE)).expect("rm key");
    let err = open_data_dir(dir.path()).err().expect("must refuse");
    assert!(matches!(err, EmbeddedError::Key(ref m) if m.contains("missing")), "{err}");
    assert!(!dir.path().join(KEY_FILE).exists(), "no new key may be created over existing secrets");
}

#[tokio::test]
async fn a_wrong_key_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    store_one(dir.path()).await;
    let key = dir.path().join(KEY_FILE);
    std::fs::write(&key, [7u8; 32]).expect("overwrite key");
    let err = open_data_dir(dir.path()).err().expect("must refuse");
    assert!(matches!(err, EmbeddedError::Key(ref m) if m.contains("does not match")), "{err}");
    std::fs::write(&key, [7u8; 5]).expect("short key");
    assert!(matches!(open_data_dir(dir.path()), Err(EmbeddedError::Key(_))));
}

#[tokio::test]
async fn a_key_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    store_one(dir.path()).await;
    let key = dir.path().join(KEY_FILE);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = open_data_dir(dir.path()).err().expect("must refuse");
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[tokio::test]
async fn debug_output_never_holds_the_secret_or_key() {
    let dir = tempfile::tempdir().expect("dir");
    let (_, secrets) = open_data_dir(dir.path()).expect("open");
    let name = SecretRef::mailbox(TenantId::generate(), MailboxId::generate());
    let value = SecretString::from(PASSWORD);
    secrets.put_secret(&name, &value).await.expect("put");
    let read = secrets.get_secret(&name).await.expect("get");
    let key = std::fs::read(dir.path().join(KEY_FILE)).expect("key");
    let shown = format!("{secrets:?} {value:?} {read:?} {name:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let key_hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!shown.contains(&key_hex));
}

//! `EncryptedSecretStore`: secrets sealed with XChaCha20-Poly1305 in the
//! SQLite file, under a 256-bit key kept in a separate key file.
//!
//! Each secret has its own random 192-bit nonce, and its name is the
//! associated data, so a sealed value moved to another name does not open.
//! On first use a known marker is sealed into `meta`; every later open
//! checks that the key file opens it. So a missing key file with existing
//! secrets, or a different key, is refused at start with a clear message
//! instead of answering "no password" later or overwriting anything.

use crate::db::{Db, EmbeddedError, meta_get, meta_put, sql_err};
use crate::store::SqliteStore;
use async_trait::async_trait;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rusqlite::{OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};
use sendas_core::StoreError;
use sendas_core::ports::{SecretRef, SecretStore};
use sendas_core::secret::random_bytes;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

const KEY_CHECK: &str = "secret_key_check";
const KEY_CHECK_PLAIN: &[u8] = b"sendas secret key check v1";

/// The embedded `SecretStore`.
#[derive(Clone)]
pub struct EncryptedSecretStore {
    db: Db,
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for EncryptedSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptedSecretStore { key: <redacted> }")
    }
}

impl EncryptedSecretStore {
    /// Opens the secret store of `store`'s database with the key in
    /// `key_path`, creating the key (mode 0600) when the database holds no
    /// secrets yet. Refuses a missing key when secrets exist, and a key
    /// that does not match them.
    pub fn open(store: &SqliteStore, key_path: &Path) -> Result<Self, EmbeddedError> {
        let db = store.db.clone();
        let check = db.call_blocking(|c| meta_get(c, KEY_CHECK)).map_err(|e| EmbeddedError::Database(e.to_string()))?;
        let key = match (read_key(key_path)?, &check) {
            (Some(key), _) => key,
            (None, None) => create_key(key_path)?,
            (None, Some(_)) => {
                return Err(EmbeddedError::Key(format!(
                    "{} is missing, but the database holds secrets sealed with it; restore the key file \
                     (a new key would make every stored password unreadable)",
                    key_path.display()
                )));
            }
        };
        let cipher = Arc::new(XChaCha20Poly1305::new(Key::from_slice(&key)));
        let this = EncryptedSecretStore { db, cipher };
        match check {
            Some(sealed) => {
                let opened = this.open_sealed(KEY_CHECK, &sealed[..24], &sealed[24..]).ok();
                if opened.as_deref() != Some(KEY_CHECK_PLAIN) {
                    return Err(EmbeddedError::Key(format!(
                        "{} does not match the key the stored secrets were sealed with",
                        key_path.display()
                    )));
                }
            }
            None => {
                let (nonce, sealed) =
                    this.seal(KEY_CHECK, KEY_CHECK_PLAIN).map_err(|e| EmbeddedError::Key(e.to_string()))?;
                let value = [nonce.as_slice(), sealed.as_slice()].concat();
                this.db
                    .call_blocking(|c| meta_put(c, KEY_CHECK, &value))
                    .map_err(|e| EmbeddedError::Database(e.to_string()))?;
            }
        }
        Ok(this)
    }

    fn seal(&self, name: &str, plain: &[u8]) -> Result<([u8; 24], Vec<u8>), StoreError> {
        let nonce = random_bytes::<24>();
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: name.as_bytes() })
            .map_err(|_| StoreError::Corrupt("sealing failed".into()))?;
        Ok((nonce, sealed))
    }

    fn open_sealed(&self, name: &str, nonce: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if nonce.len() != 24 {
            return Err(StoreError::Corrupt(format!("secret {name}: bad nonce")));
        }
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: name.as_bytes() })
            .map_err(|_| StoreError::Corrupt(format!("secret {name} does not open with this key")))
    }
}

fn read_key(path: &Path) -> Result<Option<[u8; 32]>, EmbeddedError> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(EmbeddedError::Key(format!("reading {}: {e}", path.display()))),
    };
    let mode = file.metadata().map(|m| m.permissions().mode()).unwrap_or(0);
    if mode & 0o077 != 0 {
        return Err(EmbeddedError::Key(format!(
            "{} is readable by others (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        )));
    }
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).map_err(|e| EmbeddedError::Key(format!("reading {}: {e}", path.display())))?;
    let key: [u8; 32] =
        buf.try_into().map_err(|_| EmbeddedError::Key(format!("{} is not a 32-byte key", path.display())))?;
    Ok(Some(key))
}

fn create_key(path: &Path) -> Result<[u8; 32], EmbeddedError> {
    let key = random_bytes::<32>();
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| EmbeddedError::Key(format!("creating {}: {e}", path.display())))?;
    file.write_all(&key)
        .and_then(|_| file.sync_all())
        .map_err(|e| EmbeddedError::Key(format!("writing {}: {e}", path.display())))?;
    Ok(key)
}

#[async_trait]
impl SecretStore for EncryptedSecretStore {
    async fn get_secret(&self, name: &SecretRef) -> Result<Option<SecretString>, StoreError> {
        let key = name.as_str().to_owned();
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .db
            .call(move |c| {
                c.query_row("SELECT nonce, sealed FROM secrets WHERE name = ?1", params![key], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(sql_err)
            })
            .await?;
        let Some((nonce, sealed)) = row else { return Ok(None) };
        let plain = self.open_sealed(name.as_str(), &nonce, &sealed)?;
        let text = String::from_utf8(plain).map_err(|_| StoreError::Corrupt(format!("secret {name} is not UTF-8")))?;
        Ok(Some(SecretString::from(text)))
    }

    async fn put_secret(&self, name: &SecretRef, value: &SecretString) -> Result<(), StoreError> {
        let (nonce, sealed) = self.seal(name.as_str(), value.expose_secret().as_bytes())?;
        let key = name.as_str().to_owned();
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO secrets (name, nonce, sealed) VALUES (?1, ?2, ?3)",
                    params![key, nonce.as_slice(), sealed],
                )
                .map(|_| ())
                .map_err(sql_err)
            })
            .await
    }

    async fn delete_secret(&self, name: &SecretRef) -> Result<(), StoreError> {
        let key = name.as_str().to_owned();
        self.db
            .call(move |c| c.execute("DELETE FROM secrets WHERE name = ?1", params![key]).map(|_| ()).map_err(sql_err))
            .await
    }
}

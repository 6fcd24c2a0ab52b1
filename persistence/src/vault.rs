//! Encryption of personal data at rest.
//!
//! Every personal field is sealed with AES-256-GCM under its data subject's
//! own data key, with `table|column|row id` as associated data so a
//! ciphertext cannot be moved to another row or column. Data keys are stored
//! wrapped by a master key (which has an id, for rotation) that comes from
//! configuration, never from the database. Look-ups by e-mail use a blind
//! index: an HMAC of the normalised address under a key of its own.

use aes_gcm::aead::{Aead, Generate, Key, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::sealed::SealedColumn;

/// Version byte of the sealed format: `1 | nonce (12) | ciphertext+tag`.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why key material or a ciphertext was refused. Never carries secrets.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A configured key is malformed.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A ciphertext did not authenticate (tampered, moved, or wrong key).
    #[error("ciphertext does not authenticate")]
    Corrupt,
    /// A wrapped data key names a master key that is not configured.
    #[error("master key {0} is not configured")]
    UnknownMasterKey(String),
}

/// A 256-bit AES-GCM key with an id.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    key: Key<Aes256Gcm>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

fn key_from_b64(b64: &str) -> Result<Key<Aes256Gcm>, VaultError> {
    let bytes = STANDARD
        .decode(b64.trim())
        .map_err(|_| VaultError::InvalidKey("not base64"))?;
    Key::<Aes256Gcm>::try_from(bytes.as_slice())
        .map_err(|_| VaultError::InvalidKey("must be 32 bytes"))
}

impl MasterKey {
    /// Parses `id:base64-of-32-bytes`.
    ///
    /// # Errors
    /// [`VaultError::InvalidKey`].
    pub fn parse(s: &str) -> Result<Self, VaultError> {
        let (id, b64) = s
            .split_once(':')
            .ok_or(VaultError::InvalidKey("expected id:base64"))?;
        if id.is_empty()
            || id.len() > 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(VaultError::InvalidKey(
                "id must be 1 to 32 letters, digits, - or _",
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            key: key_from_b64(b64)?,
        })
    }

    /// A fresh random master key.
    #[must_use]
    pub fn generate(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            key: Key::<Aes256Gcm>::generate(),
        }
    }

    /// The key id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `id:base64`, for writing a generated development key.
    #[must_use]
    pub fn export(&self) -> String {
        format!("{}:{}", self.id, STANDARD.encode(self.key.as_slice()))
    }
}

/// The keys from configuration.
#[derive(Clone)]
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
    blind: Vec<u8>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring(current = {})", self.current.id)
    }
}

/// A subject's data key, unwrapped. Lives only in memory.
#[derive(Clone)]
pub struct DataKey(Key<Aes256Gcm>);

fn aad(table: &str, column: &str, row: Uuid) -> String {
    format!("boutique/v1|{table}|{column}|{row}")
}

impl DataKey {
    /// A fresh random data key.
    #[must_use]
    pub fn generate() -> Self {
        Self(Key::<Aes256Gcm>::generate())
    }

    /// Encrypts `plaintext` for a registered column of row `row`.
    #[must_use]
    pub fn seal(&self, column: &SealedColumn, row: Uuid, plaintext: &[u8]) -> Vec<u8> {
        seal_with(&self.0, &aad(column.table, column.column, row), plaintext)
    }

    /// Decrypts what [`DataKey::seal`] made for the same place.
    ///
    /// # Errors
    /// [`VaultError::Corrupt`] when tampered, moved or under another key.
    pub fn open(
        &self,
        column: &SealedColumn,
        row: Uuid,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        open_with(&self.0, &aad(column.table, column.column, row), sealed)
    }

    /// [`DataKey::seal`] for text.
    #[must_use]
    pub fn seal_str(&self, column: &SealedColumn, row: Uuid, plaintext: &str) -> Vec<u8> {
        self.seal(column, row, plaintext.as_bytes())
    }

    /// [`DataKey::open`] for text.
    ///
    /// # Errors
    /// [`VaultError::Corrupt`].
    pub fn open_str(
        &self,
        column: &SealedColumn,
        row: Uuid,
        sealed: &[u8],
    ) -> Result<String, VaultError> {
        String::from_utf8(self.open(column, row, sealed)?).map_err(|_| VaultError::Corrupt)
    }
}

fn seal_with(key: &Key<Aes256Gcm>, aad: &str, plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key);
    let nonce = Nonce::generate();
    // Encryption with a valid key and nonce cannot fail for in-memory buffers.
    let ct = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(nonce.as_slice());
    out.extend_from_slice(&ct);
    out
}

fn open_with(key: &Key<Aes256Gcm>, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != FORMAT_V1 {
        return Err(VaultError::Corrupt);
    }
    let nonce = Nonce::try_from(&sealed[1..=NONCE_LEN]).map_err(|_| VaultError::Corrupt)?;
    Aes256Gcm::new(key)
        .decrypt(
            &nonce,
            Payload {
                msg: &sealed[1 + NONCE_LEN..],
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| VaultError::Corrupt)
}

impl Keyring {
    /// Builds the keyring from configuration: the current master key
    /// (`id:base64`), older ones still needed to unwrap, and the blind-index key.
    ///
    /// # Errors
    /// [`VaultError::InvalidKey`].
    pub fn new(
        current: &str,
        previous: &[String],
        blind_index_key: &str,
    ) -> Result<Self, VaultError> {
        let blind = STANDARD
            .decode(blind_index_key.trim())
            .map_err(|_| VaultError::InvalidKey("blind index key is not base64"))?;
        if blind.len() < 32 {
            return Err(VaultError::InvalidKey(
                "blind index key must be at least 32 bytes",
            ));
        }
        Ok(Self {
            current: MasterKey::parse(current)?,
            previous: previous
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| MasterKey::parse(s))
                .collect::<Result<_, _>>()?,
            blind,
        })
    }

    /// A random keyring, for tests and first development runs.
    #[must_use]
    pub fn generate() -> Self {
        let mut blind = vec![0u8; 32];
        blind.copy_from_slice(Key::<Aes256Gcm>::generate().as_slice());
        Self {
            current: MasterKey::generate("dev1"),
            previous: vec![],
            blind,
        }
    }

    /// The current master key, for exporting generated development keys.
    #[must_use]
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The blind-index key, base64, for exporting generated development keys.
    #[must_use]
    pub fn export_blind_key(&self) -> String {
        STANDARD.encode(&self.blind)
    }

    fn master(&self, id: &str) -> Result<&MasterKey, VaultError> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownMasterKey(id.to_owned()))
    }

    /// Wraps a data key under the current master key, bound to its subject.
    #[must_use]
    pub fn wrap(&self, subject: Uuid, key: &DataKey) -> (String, Vec<u8>) {
        let aad = format!("boutique/v1|data-key|{subject}");
        (
            self.current.id.clone(),
            seal_with(&self.current.key, &aad, key.0.as_slice()),
        )
    }

    /// Unwraps a data key.
    ///
    /// # Errors
    /// [`VaultError::UnknownMasterKey`] or [`VaultError::Corrupt`].
    pub fn unwrap_key(
        &self,
        master_id: &str,
        subject: Uuid,
        wrapped: &[u8],
    ) -> Result<DataKey, VaultError> {
        let aad = format!("boutique/v1|data-key|{subject}");
        let raw = open_with(&self.master(master_id)?.key, &aad, wrapped)?;
        Key::<Aes256Gcm>::try_from(raw.as_slice())
            .map(DataKey)
            .map_err(|_| VaultError::Corrupt)
    }

    /// Whether a key wrapped under `master_id` should be re-wrapped.
    #[must_use]
    pub fn is_current(&self, master_id: &str) -> bool {
        self.current.id == master_id
    }

    /// The blind index of a value in a namespace (`email`, `source`...).
    #[must_use]
    pub fn blind_index(&self, namespace: &str, value: &str) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.blind) else {
            return Vec::new();
        };
        mac.update(namespace.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acc_6_sealed_values_open_only_in_their_place() {
        use crate::sealed::{CUSTOMER_EMAIL, CUSTOMER_NAME};
        let key = DataKey::generate();
        let row = Uuid::now_v7();
        let sealed = key.seal_str(&CUSTOMER_NAME, row, "Jeanne Dupont");
        assert!(!sealed.windows(6).any(|w| w == b"Jeanne"));
        assert_eq!(
            key.open_str(&CUSTOMER_NAME, row, &sealed).unwrap(),
            "Jeanne Dupont"
        );
        // Another row, column or key cannot open it.
        assert!(key.open(&CUSTOMER_NAME, Uuid::now_v7(), &sealed).is_err());
        assert!(key.open(&CUSTOMER_EMAIL, row, &sealed).is_err());
        assert!(
            DataKey::generate()
                .open(&CUSTOMER_NAME, row, &sealed)
                .is_err()
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(key.open(&CUSTOMER_NAME, row, &tampered).is_err());
    }

    #[test]
    fn data_keys_unwrap_with_the_master_key_that_wrapped_them() {
        let ring = Keyring::generate();
        let subject = Uuid::now_v7();
        let dk = DataKey::generate();
        let (id, wrapped) = ring.wrap(subject, &dk);
        let back = ring.unwrap_key(&id, subject, &wrapped).unwrap();
        let row = Uuid::now_v7();
        let col = &crate::sealed::CUSTOMER_NAME;
        assert_eq!(
            back.open_str(col, row, &dk.seal_str(col, row, "x"))
                .unwrap(),
            "x"
        );
        assert!(
            ring.unwrap_key(&id, Uuid::now_v7(), &wrapped).is_err(),
            "bound to its subject"
        );
        assert!(
            Keyring::generate()
                .unwrap_key(&id, subject, &wrapped)
                .is_err(),
            "another master key"
        );
    }

    #[test]
    fn rotation_keeps_old_master_keys_for_unwrapping() {
        let old = MasterKey::generate("k1");
        let blind = STANDARD.encode([7u8; 32]);
        let before = Keyring::new(&old.export(), &[], &blind).unwrap();
        let subject = Uuid::now_v7();
        let (id, wrapped) = before.wrap(subject, &DataKey::generate());
        let after =
            Keyring::new(&MasterKey::generate("k2").export(), &[old.export()], &blind).unwrap();
        assert!(!after.is_current(&id));
        let dk = after.unwrap_key(&id, subject, &wrapped).unwrap();
        let (new_id, rewrapped) = after.wrap(subject, &dk);
        assert_eq!(new_id, "k2");
        assert!(after.unwrap_key(&new_id, subject, &rewrapped).is_ok());
    }

    #[test]
    fn blind_indexes_are_keyed_and_namespaced() {
        let a = Keyring::generate();
        let b = Keyring::generate();
        assert_eq!(
            a.blind_index("email", "x@y.fr"),
            a.blind_index("email", "x@y.fr")
        );
        assert_ne!(
            a.blind_index("email", "x@y.fr"),
            b.blind_index("email", "x@y.fr")
        );
        assert_ne!(
            a.blind_index("email", "x@y.fr"),
            a.blind_index("source", "x@y.fr")
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["nocolon", ":AAAA", "id:not-base64!", "id:AAAA"] {
            assert!(MasterKey::parse(bad).is_err(), "{bad}");
        }
    }
}

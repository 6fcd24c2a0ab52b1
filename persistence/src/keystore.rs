//! The key store: each data subject's data key, wrapped by the master key,
//! in a database of its own (`BOUTIQUE_KEYSTORE_URL`), apart from the data
//! it protects and left out of data backups.
//!
//! Destroying a subject's key makes every copy of its personal data
//! unreadable, including copies in data backups taken before. The key
//! store's own small backup file is rewritten after every destruction, so no
//! backup keeps a destroyed key, and a tombstone stops a restore from
//! bringing one back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::StorageError;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Db;
use crate::entities::{destroyed_subject, subject_key};
use crate::vault::{DataKey, Keyring};

/// Writes `bytes` to `path`, readable by this user only: every wrapped key
/// is one master key away from every subject's data.
async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    // A file left by an interrupted write keeps its mode when reopened.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await?;
    }
    file.write_all(bytes).await?;
    file.flush().await
}

/// One line of the key store backup: a wrapped key, useless without the master key.
#[derive(Debug, Serialize, Deserialize)]
struct BackupEntry {
    subject_id: Uuid,
    master_key_id: String,
    wrapped_key: String,
    created_at: DateTime<Utc>,
}

/// The key store.
#[derive(Debug, Clone)]
pub struct KeyStore {
    db: Db,
    keyring: Arc<Keyring>,
    backup_path: Option<PathBuf>,
}

fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

impl KeyStore {
    /// A key store on `db` (already migrated with the key store migrator).
    #[must_use]
    pub fn new(db: Db, keyring: Arc<Keyring>, backup_path: Option<PathBuf>) -> Self {
        Self {
            db,
            keyring,
            backup_path,
        }
    }

    /// Whether the key store answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> Result<(), crate::DbError> {
        self.db.ping().await
    }

    /// The keyring, for blind indexes.
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Creates and stores a data key for a new subject.
    ///
    /// # Errors
    /// Storage failure, or a subject whose key was destroyed.
    pub async fn create(&self, subject: Uuid, now: DateTime<Utc>) -> Result<DataKey, StorageError> {
        let key = DataKey::generate();
        let (master_key_id, wrapped) = self.keyring.wrap(subject, &key);
        subject_key::Entity::insert(subject_key::ActiveModel {
            subject_id: Set(subject),
            master_key_id: Set(master_key_id),
            wrapped_key: Set(wrapped),
            created_at: Set(now),
        })
        .exec(self.db.conn())
        .await
        .map_err(err("failed to store a data key"))?;
        Ok(key)
    }

    /// The subject's data key, created when it has none (the legal
    /// archive's, on first use). Of concurrent calls, one stores its key
    /// and every one answers that key; a new key is written to the backup
    /// at once, as losing it would lose every document it seals.
    ///
    /// # Errors
    /// Storage failure, or a subject whose key was destroyed (never made
    /// again).
    pub async fn ensure(&self, subject: Uuid, now: DateTime<Utc>) -> Result<DataKey, StorageError> {
        if let Some(key) = self.get(subject).await? {
            return Ok(key);
        }
        if destroyed_subject::Entity::find_by_id(subject)
            .one(self.db.conn())
            .await
            .map_err(err("failed to read destroyed keys"))?
            .is_some()
        {
            return Err(StorageError::msg("the subject's data key was destroyed"));
        }
        let key = DataKey::generate();
        let (master_key_id, wrapped) = self.keyring.wrap(subject, &key);
        let inserted = subject_key::Entity::insert(subject_key::ActiveModel {
            subject_id: Set(subject),
            master_key_id: Set(master_key_id),
            wrapped_key: Set(wrapped),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([subject_key::Column::SubjectId])
        .exec_without_returning(self.db.conn())
        .await
        .map_err(err("failed to store a data key"))?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
            self.write_backup().await?;
        }
        self.get(subject)
            .await?
            .ok_or_else(|| StorageError::msg("a data key vanished as it was stored"))
    }

    /// The subject's data key, or `None` once destroyed.
    ///
    /// # Errors
    /// Storage failure or a key that does not unwrap.
    pub async fn get(&self, subject: Uuid) -> Result<Option<DataKey>, StorageError> {
        let Some(row) = subject_key::Entity::find_by_id(subject)
            .one(self.db.conn())
            .await
            .map_err(err("failed to load a data key"))?
        else {
            return Ok(None);
        };
        self.keyring
            .unwrap_key(&row.master_key_id, subject, &row.wrapped_key)
            .map(Some)
            .map_err(|e| StorageError::new("failed to unwrap a data key", e))
    }

    /// The data keys of many subjects in one query (destroyed ones are absent).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn get_many(&self, subjects: &[Uuid]) -> Result<Vec<(Uuid, DataKey)>, StorageError> {
        let mut out = Vec::with_capacity(subjects.len());
        for chunk in subjects.chunks(500) {
            let rows = subject_key::Entity::find()
                .filter(subject_key::Column::SubjectId.is_in(chunk.iter().copied()))
                .all(self.db.conn())
                .await
                .map_err(err("failed to load data keys"))?;
            for row in rows {
                let key = self
                    .keyring
                    .unwrap_key(&row.master_key_id, row.subject_id, &row.wrapped_key)
                    .map_err(|e| StorageError::new("failed to unwrap a data key", e))?;
                out.push((row.subject_id, key));
            }
        }
        Ok(out)
    }

    /// Destroys the subject's data key for good, then rewrites the backup.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn destroy(&self, subject: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        let txn = self
            .db
            .conn()
            .begin()
            .await
            .map_err(err("failed to destroy a data key"))?;
        subject_key::Entity::delete_by_id(subject)
            .exec(&txn)
            .await
            .map_err(err("failed to destroy a data key"))?;
        if destroyed_subject::Entity::find_by_id(subject)
            .one(&txn)
            .await
            .map_err(err("failed to record a destroyed key"))?
            .is_none()
        {
            destroyed_subject::Entity::insert(destroyed_subject::ActiveModel {
                subject_id: Set(subject),
                destroyed_at: Set(now),
            })
            .exec(&txn)
            .await
            .map_err(err("failed to record a destroyed key"))?;
        }
        txn.commit()
            .await
            .map_err(err("failed to destroy a data key"))?;
        self.write_backup().await
    }

    /// Writes every wrapped key to the backup file, atomically (temp + rename).
    ///
    /// # Errors
    /// Storage or file-system failure.
    pub async fn write_backup(&self) -> Result<(), StorageError> {
        let Some(path) = &self.backup_path else {
            return Ok(());
        };
        use base64::Engine as _;
        let rows = subject_key::Entity::find()
            .all(self.db.conn())
            .await
            .map_err(err("failed to read data keys"))?;
        let mut out = String::new();
        for r in rows {
            let line = serde_json::to_string(&BackupEntry {
                subject_id: r.subject_id,
                master_key_id: r.master_key_id,
                wrapped_key: base64::engine::general_purpose::STANDARD.encode(&r.wrapped_key),
                created_at: r.created_at,
            })
            .map_err(|e| StorageError::new("failed to encode a key backup", e))?;
            out.push_str(&line);
            out.push('\n');
        }
        let tmp = path.with_extension("tmp");
        write_private(&tmp, out.as_bytes())
            .await
            .map_err(|e| StorageError::new("failed to write the key backup", e))?;
        tokio::fs::rename(&tmp, path)
            .await
            .map_err(|e| StorageError::new("failed to write the key backup", e))
    }

    /// Restores wrapped keys from a backup file, skipping keys that exist and
    /// keys that were destroyed. Returns how many were restored.
    ///
    /// # Errors
    /// Storage or file-system failure, or a malformed backup.
    pub async fn restore_backup(&self, path: &std::path::Path) -> Result<usize, StorageError> {
        use base64::Engine as _;
        let text = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| StorageError::new("failed to read the key backup", e))?;
        let destroyed: Vec<Uuid> = destroyed_subject::Entity::find()
            .all(self.db.conn())
            .await
            .map_err(err("failed to read destroyed keys"))?
            .into_iter()
            .map(|d| d.subject_id)
            .collect();
        let mut restored = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let e: BackupEntry = serde_json::from_str(line)
                .map_err(|e| StorageError::new("malformed key backup", e))?;
            if destroyed.contains(&e.subject_id) {
                continue;
            }
            let exists = subject_key::Entity::find()
                .filter(subject_key::Column::SubjectId.eq(e.subject_id))
                .one(self.db.conn())
                .await
                .map_err(err("failed to read data keys"))?
                .is_some();
            if exists {
                continue;
            }
            let wrapped = base64::engine::general_purpose::STANDARD
                .decode(&e.wrapped_key)
                .map_err(|e| StorageError::new("malformed key backup", e))?;
            subject_key::Entity::insert(subject_key::ActiveModel {
                subject_id: Set(e.subject_id),
                master_key_id: Set(e.master_key_id),
                wrapped_key: Set(wrapped),
                created_at: Set(e.created_at),
            })
            .exec(self.db.conn())
            .await
            .map_err(err("failed to restore a data key"))?;
            restored += 1;
        }
        Ok(restored)
    }

    /// Re-wraps every data key under the current master key (rotation).
    /// Returns how many were re-wrapped.
    ///
    /// # Errors
    /// Storage failure or a key that does not unwrap.
    pub async fn rewrap_all(&self) -> Result<usize, StorageError> {
        let rows = subject_key::Entity::find()
            .all(self.db.conn())
            .await
            .map_err(err("failed to read data keys"))?;
        let mut n = 0;
        for r in rows
            .into_iter()
            .filter(|r| !self.keyring.is_current(&r.master_key_id))
        {
            let key = self
                .keyring
                .unwrap_key(&r.master_key_id, r.subject_id, &r.wrapped_key)
                .map_err(|e| StorageError::new("failed to unwrap a data key", e))?;
            let (id, wrapped) = self.keyring.wrap(r.subject_id, &key);
            subject_key::Entity::update(subject_key::ActiveModel {
                subject_id: Set(r.subject_id),
                master_key_id: Set(id),
                wrapped_key: Set(wrapped),
                created_at: Set(r.created_at),
            })
            .exec(self.db.conn())
            .await
            .map_err(err("failed to re-wrap a data key"))?;
            n += 1;
        }
        self.write_backup().await?;
        Ok(n)
    }
}

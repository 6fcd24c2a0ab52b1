//! Subjects' data keys, through the key store (another database).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::subject::{SubjectId, SubjectKeys};

use super::{Conn, SqlRepos};

#[async_trait]
impl<C: Conn> SubjectKeys for SqlRepos<C> {
    async fn create(&self, subject: SubjectId, now: DateTime<Utc>) -> Result<(), StorageError> {
        let key = self.keystore().create(subject.as_uuid(), now).await?;
        self.remember_key(subject, key);
        Ok(())
    }

    async fn ensure(&self, subject: SubjectId, now: DateTime<Utc>) -> Result<(), StorageError> {
        if self.key(subject).await?.is_some() {
            return Ok(());
        }
        let key = self.keystore().ensure(subject.as_uuid(), now).await?;
        self.remember_key(subject, key);
        Ok(())
    }
}

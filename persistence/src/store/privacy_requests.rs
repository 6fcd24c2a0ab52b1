//! Requests of people without an account (DSR-4). Tokens are kept only
//! as hashes; each is used once, by one conditional update.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::Email;
use domain::rights::requests::{PrivacyRequestRepo, RequestKind, StoredRequest};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::privacy_request as pr;
use crate::sealed::PRIVACY_REQUEST_EMAIL;

impl<C: Conn> SqlRepos<C> {
    async fn opened(&self, m: pr::Model) -> Result<StoredRequest, StorageError> {
        let subject = SubjectId::from_uuid(m.subject_id);
        let key = self.required_key(subject).await?;
        let email = key
            .open_str(&PRIVACY_REQUEST_EMAIL, m.id, &m.email_enc)
            .map_err(|_| corrupt("privacy request address"))?;
        Ok(StoredRequest {
            id: m.id,
            subject,
            kind: RequestKind::parse(&m.kind).ok_or_else(|| corrupt("privacy request kind"))?,
            language: m.language.parse().map_err(|_| corrupt("language"))?,
            email: Email::parse(&email).map_err(|_| corrupt("privacy request address"))?,
        })
    }

    /// Moves the request of a live token from `from` to `to`, once.
    async fn take(
        &self,
        column: pr::Column,
        expires: pr::Column,
        token_hash: &[u8],
        (from, to): (&str, &str),
        stamp: pr::Column,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredRequest>, StorageError> {
        let Some(m) = pr::Entity::find()
            .filter(column.eq(token_hash.to_vec()))
            .filter(pr::Column::Status.eq(from))
            .filter(expires.gt(now))
            .one(self.conn())
            .await
            .map_err(err("failed to find a privacy request"))?
        else {
            return Ok(None);
        };
        let done = pr::Entity::update_many()
            .col_expr(pr::Column::Status, Expr::value(to))
            .col_expr(stamp, Expr::value(now))
            .filter(pr::Column::Id.eq(m.id))
            .filter(pr::Column::Status.eq(from))
            .exec(self.conn())
            .await
            .map_err(err("failed to use a privacy request's token"))?;
        if done.rows_affected != 1 {
            return Ok(None);
        }
        self.opened(m).await.map(Some)
    }
}

#[async_trait]
impl<C: Conn> PrivacyRequestRepo for SqlRepos<C> {
    async fn insert(
        &self,
        r: &StoredRequest,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.required_key(r.subject).await?;
        pr::Entity::insert(pr::ActiveModel {
            id: Set(r.id),
            subject_id: Set(r.subject.as_uuid()),
            kind: Set(r.kind.as_str().to_owned()),
            language: Set(r.language.as_str().to_owned()),
            email_enc: Set(key.seal_str(&PRIVACY_REQUEST_EMAIL, r.id, r.email.as_str())),
            token_hash: Set(token_hash.to_vec()),
            expires_at: Set(expires_at),
            download_hash: Set(None),
            download_expires_at: Set(None),
            status: Set("pending".to_owned()),
            created_at: Set(now),
            confirmed_at: Set(None),
            done_at: Set(None),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a privacy request"))?;
        Ok(())
    }

    async fn confirm(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<StoredRequest>, StorageError> {
        self.take(
            pr::Column::TokenHash,
            pr::Column::ExpiresAt,
            token_hash,
            ("pending", "confirmed"),
            pr::Column::ConfirmedAt,
            now,
        )
        .await
    }

    async fn set_download(
        &self,
        id: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        pr::Entity::update_many()
            .col_expr(pr::Column::DownloadHash, Expr::value(token_hash.to_vec()))
            .col_expr(pr::Column::DownloadExpiresAt, Expr::value(expires_at))
            .filter(pr::Column::Id.eq(id))
            .exec(self.conn())
            .await
            .map_err(err("failed to store a download token"))?;
        Ok(())
    }

    async fn take_download(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<StoredRequest>, StorageError> {
        self.take(
            pr::Column::DownloadHash,
            pr::Column::DownloadExpiresAt,
            token_hash,
            ("confirmed", "downloaded"),
            pr::Column::DoneAt,
            now,
        )
        .await
    }

    async fn done(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        pr::Entity::update_many()
            .col_expr(pr::Column::DoneAt, Expr::value(now))
            .filter(pr::Column::Id.eq(id))
            .exec(self.conn())
            .await
            .map_err(err("failed to close a privacy request"))?;
        Ok(())
    }
}

//! Formats' files (their description: the bytes are in the file store),
//! download counts, and the download log, whose source address and
//! browser are sealed under the order's subject.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::ids::{FormatId, OrderId, ProductId};
use domain::shop::download::{DownloadRecord, DownloadRepo, FileType, FormatFile};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{download_count, download_log, format_file, product_format};
use crate::sealed::{DOWNLOAD_IP, DOWNLOAD_USER_AGENT};

fn format_file(r: format_file::Model) -> Result<FormatFile, StorageError> {
    Ok(FormatFile {
        format_id: FormatId::from_uuid(r.format_id),
        product_id: ProductId::from_uuid(r.product_id),
        file_id: r.file_id,
        file_type: FileType::parse(&r.content_type).ok_or_else(|| corrupt("file type"))?,
        extension: r.extension,
        size: u64::try_from(r.size).map_err(|_| corrupt("file size"))?,
        sha256: r.sha256,
        uploaded_at: r.uploaded_at,
    })
}

#[async_trait]
impl<C: Conn> DownloadRepo for SqlRepos<C> {
    async fn file_of(&self, format: FormatId) -> Result<Option<FormatFile>, StorageError> {
        format_file::Entity::find_by_id(format.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a format's file"))?
            .map(format_file)
            .transpose()
    }

    async fn files_of(&self, formats: &[FormatId]) -> Result<Vec<FormatFile>, StorageError> {
        if formats.is_empty() {
            return Ok(Vec::new());
        }
        format_file::Entity::find()
            .filter(format_file::Column::FormatId.is_in(formats.iter().map(FormatId::as_uuid)))
            .all(self.conn())
            .await
            .map_err(err("failed to load formats' files"))?
            .into_iter()
            .map(format_file)
            .collect()
    }

    async fn put_file(&self, file: &FormatFile) -> Result<Option<String>, StorageError> {
        // Concurrent uploads for one format take turns on its row, so each
        // learns which file it replaces (SQLite's unit of work holds the
        // write lock already).
        if self.conn().get_database_backend() == DbBackend::Postgres {
            product_format::Entity::find_by_id(file.format_id.as_uuid())
                .select_only()
                .column(product_format::Column::Id)
                .lock_exclusive()
                .into_tuple::<Uuid>()
                .one(self.conn())
                .await
                .map_err(err("failed to lock a format"))?;
        }
        let previous = format_file::Entity::find_by_id(file.format_id.as_uuid())
            .select_only()
            .column(format_file::Column::FileId)
            .into_tuple::<String>()
            .one(self.conn())
            .await
            .map_err(err("failed to load a format's file"))?;
        format_file::Entity::insert(format_file::ActiveModel {
            format_id: Set(file.format_id.as_uuid()),
            product_id: Set(file.product_id.as_uuid()),
            file_id: Set(file.file_id.clone()),
            content_type: Set(file.file_type.as_str().to_owned()),
            extension: Set(file.extension.clone()),
            size: Set(i64::try_from(file.size).unwrap_or(i64::MAX)),
            sha256: Set(file.sha256.clone()),
            uploaded_at: Set(file.uploaded_at),
        })
        .on_conflict(
            OnConflict::column(format_file::Column::FormatId)
                .update_columns([
                    format_file::Column::ProductId,
                    format_file::Column::FileId,
                    format_file::Column::ContentType,
                    format_file::Column::Extension,
                    format_file::Column::Size,
                    format_file::Column::Sha256,
                    format_file::Column::UploadedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a format's file"))?;
        Ok(previous)
    }

    async fn remove_file(&self, format: FormatId) -> Result<Option<FormatFile>, StorageError> {
        let Some(file) = self.file_of(format).await? else {
            return Ok(None);
        };
        format_file::Entity::delete_by_id(format.as_uuid())
            .exec(self.conn())
            .await
            .map_err(err("failed to remove a format's file"))?;
        Ok(Some(file))
    }

    async fn counts(&self, order: OrderId) -> Result<Vec<(FormatId, u32)>, StorageError> {
        download_count::Entity::find()
            .filter(download_count::Column::OrderId.eq(order.as_uuid()))
            .all(self.conn())
            .await
            .map_err(err("failed to load download counts"))?
            .into_iter()
            .map(|r| {
                Ok((
                    FormatId::from_uuid(r.format_id),
                    u32::try_from(r.count).map_err(|_| corrupt("download count"))?,
                ))
            })
            .collect()
    }

    async fn take(
        &self,
        order: OrderId,
        format: FormatId,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        download_count::Entity::insert(download_count::ActiveModel {
            order_id: Set(order.as_uuid()),
            format_id: Set(format.as_uuid()),
            count: Set(0),
            first_at: Set(now),
            last_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                download_count::Column::OrderId,
                download_count::Column::FormatId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to count a download"))?;
        // One conditional statement: concurrent downloads wait for each
        // other's row lock and see the count it left.
        let r = download_count::Entity::update_many()
            .col_expr(
                download_count::Column::Count,
                Expr::col(download_count::Column::Count).add(1),
            )
            .col_expr(download_count::Column::LastAt, Expr::value(now))
            .filter(download_count::Column::OrderId.eq(order.as_uuid()))
            .filter(download_count::Column::FormatId.eq(format.as_uuid()))
            .filter(download_count::Column::Count.lt(i32::try_from(limit).unwrap_or(i32::MAX)))
            .exec(self.conn())
            .await
            .map_err(err("failed to count a download"))?;
        Ok(r.rows_affected == 1)
    }

    async fn log(&self, record: &DownloadRecord) -> Result<(), StorageError> {
        let id = Uuid::now_v7();
        let needs_key = record.ip.is_some() || record.user_agent.is_some();
        let key = if needs_key {
            Some(self.required_key(record.subject).await?)
        } else {
            None
        };
        let seal = |column, value: &Option<String>| {
            key.as_ref()
                .zip(value.as_deref())
                .map(|(k, v)| k.seal_str(column, id, v))
        };
        download_log::Entity::insert(download_log::ActiveModel {
            id: Set(id),
            order_id: Set(record.order_id.as_uuid()),
            format_id: Set(record.format_id.as_uuid()),
            subject_id: Set(record.subject.as_uuid()),
            at: Set(record.at),
            ip_enc: Set(seal(&DOWNLOAD_IP, &record.ip)),
            user_agent_enc: Set(seal(&DOWNLOAD_USER_AGENT, &record.user_agent)),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to log a download"))?;
        Ok(())
    }
}

//! Versioned legal documents: rows are only ever inserted.

use async_trait::async_trait;
use domain::StorageError;
use domain::ids::CustomerId;
use domain::legal::{DocumentKind, LegalDocument, LegalRepo, VersionInfo};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::legal_document as ld;

fn doc(r: ld::Model) -> Result<LegalDocument, StorageError> {
    Ok(LegalDocument {
        id: r.id,
        kind: r.kind.parse().map_err(|()| corrupt("document kind"))?,
        version: r.version,
        published_at: r.published_at,
        text_fr: r.text_fr,
        text_en: r.text_en,
        hash: r.text_hash,
        summary: r.summary,
    })
}

#[async_trait]
impl<C: Conn> LegalRepo for SqlRepos<C> {
    async fn current(&self, kind: DocumentKind) -> Result<Option<LegalDocument>, StorageError> {
        ld::Entity::find()
            .filter(ld::Column::Kind.eq(kind.as_str()))
            .order_by_desc(ld::Column::Version)
            .one(self.conn())
            .await
            .map_err(err("failed to load a legal document"))?
            .map(doc)
            .transpose()
    }

    async fn version(
        &self,
        kind: DocumentKind,
        version: i32,
    ) -> Result<Option<LegalDocument>, StorageError> {
        ld::Entity::find()
            .filter(ld::Column::Kind.eq(kind.as_str()))
            .filter(ld::Column::Version.eq(version))
            .one(self.conn())
            .await
            .map_err(err("failed to load a legal document"))?
            .map(doc)
            .transpose()
    }

    async fn history(&self, kind: DocumentKind) -> Result<Vec<VersionInfo>, StorageError> {
        let rows: Vec<(i32, chrono::DateTime<chrono::Utc>, String, Option<String>)> =
            ld::Entity::find()
                .select_only()
                .column(ld::Column::Version)
                .column(ld::Column::PublishedAt)
                .column(ld::Column::TextHash)
                .column(ld::Column::Summary)
                .filter(ld::Column::Kind.eq(kind.as_str()))
                .order_by_desc(ld::Column::Version)
                .into_tuple()
                .all(self.conn())
                .await
                .map_err(err("failed to list legal documents"))?;
        Ok(rows
            .into_iter()
            .map(|(version, published_at, hash, summary)| VersionInfo {
                version,
                published_at,
                hash,
                summary,
            })
            .collect())
    }

    async fn insert(
        &self,
        d: &LegalDocument,
        by: Option<CustomerId>,
    ) -> Result<bool, StorageError> {
        let n = ld::Entity::insert(ld::ActiveModel {
            id: Set(d.id),
            kind: Set(d.kind.as_str().to_owned()),
            version: Set(d.version),
            published_at: Set(d.published_at),
            text_fr: Set(d.text_fr.clone()),
            text_en: Set(d.text_en.clone()),
            text_hash: Set(d.hash.clone()),
            summary: Set(d.summary.clone()),
            published_by: Set(by.map(|b| b.as_uuid())),
        })
        .on_conflict(
            OnConflict::columns([ld::Column::Kind, ld::Column::Version])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to publish a legal document"))?;
        Ok(n == 1)
    }
}

//! Articles (impersonal) and their comments (sealed under the author's
//! subject key), and the revision the public caches follow.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::blog::{
    Article, ArticleDraft, ArticleStatus, BlogRepo, CommentStatus, ModeratedComment, NewComment,
    PublicComment,
};
use domain::catalogue::Slug;
use domain::identity::{CustomerId, Origin};
use domain::ids::{ArticleId, CommentId};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{article as ar, article_comment as ac, content_revision as rv};
use crate::sealed::{
    COMMENT_BODY, COMMENT_EMAIL, COMMENT_IP, COMMENT_NAME, COMMENT_USER_AGENT, COMMENT_WEBSITE,
};

const REVISION: &str = "articles";

fn article(r: ar::Model, comments: i64) -> Result<Article, StorageError> {
    Ok(Article {
        id: ArticleId::from_uuid(r.id),
        draft: ArticleDraft {
            slug: Slug::parse(&r.slug).map_err(|_| corrupt("slug"))?,
            title_fr: r.title_fr,
            title_en: r.title_en,
            summary_fr: r.summary_fr,
            summary_en: r.summary_en,
            body_fr: r.body_fr,
            body_en: r.body_en,
            status: ArticleStatus::parse(&r.status).ok_or_else(|| corrupt("article status"))?,
            published_at: r.published_at,
            comments_open: r.comments_open,
        },
        comment_count: comments,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn taken(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn decrypt(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::new("failed to decrypt a comment", e)
}

struct Opened {
    name: String,
    email: String,
    website: Option<String>,
    text: String,
}

impl<C: Conn> SqlRepos<C> {
    async fn approved_counts(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, i64>, StorageError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(Uuid, i64)> = ac::Entity::find()
            .select_only()
            .column(ac::Column::ArticleId)
            .column_as(ac::Column::Id.count(), "n")
            .filter(ac::Column::ArticleId.is_in(ids.iter().copied()))
            .filter(ac::Column::Status.eq(CommentStatus::Approved.as_str()))
            .group_by(ac::Column::ArticleId)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to count comments"))?;
        Ok(rows.into_iter().collect())
    }

    async fn with_counts(&self, rows: Vec<ar::Model>) -> Result<Vec<Article>, StorageError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let counts = self.approved_counts(&ids).await?;
        rows.into_iter()
            .map(|r| {
                let n = counts.get(&r.id).copied().unwrap_or(0);
                article(r, n)
            })
            .collect()
    }

    async fn open_comment(&self, r: &ac::Model) -> Result<Option<Opened>, StorageError> {
        let Some(key) = self.key(SubjectId::from_uuid(r.subject_id)).await? else {
            return Ok(None);
        };
        Ok(Some(Opened {
            name: key
                .open_str(&COMMENT_NAME, r.id, &r.name_enc)
                .map_err(decrypt)?,
            email: key
                .open_str(&COMMENT_EMAIL, r.id, &r.email_enc)
                .map_err(decrypt)?,
            website: r
                .website_enc
                .as_deref()
                .map(|w| key.open_str(&COMMENT_WEBSITE, r.id, w))
                .transpose()
                .map_err(decrypt)?,
            text: key
                .open_str(&COMMENT_BODY, r.id, &r.body_enc)
                .map_err(decrypt)?,
        }))
    }
}

#[async_trait]
impl<C: Conn> BlogRepo for SqlRepos<C> {
    async fn insert_article(&self, a: &Article) -> Result<bool, StorageError> {
        let d = &a.draft;
        let res = ar::Entity::insert(ar::ActiveModel {
            id: Set(a.id.as_uuid()),
            slug: Set(d.slug.as_str().to_owned()),
            title_fr: Set(d.title_fr.clone()),
            title_en: Set(d.title_en.clone()),
            summary_fr: Set(d.summary_fr.clone()),
            summary_en: Set(d.summary_en.clone()),
            body_fr: Set(d.body_fr.clone()),
            body_en: Set(d.body_en.clone()),
            status: Set(d.status.as_str().to_owned()),
            published_at: Set(d.published_at),
            comments_open: Set(d.comments_open),
            author_id: Set(None),
            created_at: Set(a.created_at),
            updated_at: Set(a.updated_at),
        })
        .exec_without_returning(self.conn())
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if taken(&e) => Ok(false),
            Err(e) => Err(StorageError::new("failed to store an article", e)),
        }
    }

    async fn update_article(
        &self,
        id: ArticleId,
        d: &ArticleDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, StorageError> {
        let clash = ar::Entity::find()
            .filter(ar::Column::Slug.eq(d.slug.as_str()))
            .filter(ar::Column::Id.ne(id.as_uuid()))
            .count(self.conn())
            .await
            .map_err(err("failed to check a slug"))?;
        if clash > 0 {
            return Ok(Some(false));
        }
        let res = ar::Entity::update_many()
            .col_expr(ar::Column::Slug, Expr::value(d.slug.as_str()))
            .col_expr(ar::Column::TitleFr, Expr::value(d.title_fr.clone()))
            .col_expr(ar::Column::TitleEn, Expr::value(d.title_en.clone()))
            .col_expr(ar::Column::SummaryFr, Expr::value(d.summary_fr.clone()))
            .col_expr(ar::Column::SummaryEn, Expr::value(d.summary_en.clone()))
            .col_expr(ar::Column::BodyFr, Expr::value(d.body_fr.clone()))
            .col_expr(ar::Column::BodyEn, Expr::value(d.body_en.clone()))
            .col_expr(ar::Column::Status, Expr::value(d.status.as_str()))
            .col_expr(ar::Column::PublishedAt, Expr::value(d.published_at))
            .col_expr(ar::Column::CommentsOpen, Expr::value(d.comments_open))
            .col_expr(ar::Column::UpdatedAt, Expr::value(now))
            .filter(ar::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await;
        match res {
            Ok(r) if r.rows_affected == 1 => Ok(Some(true)),
            Ok(_) => Ok(None),
            Err(e) if taken(&e) => Ok(Some(false)),
            Err(e) => Err(StorageError::new("failed to change an article", e)),
        }
    }

    async fn delete_article(&self, id: ArticleId) -> Result<bool, StorageError> {
        ac::Entity::delete_many()
            .filter(ac::Column::ArticleId.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to delete comments"))?;
        let r = ar::Entity::delete_by_id(id.as_uuid())
            .exec(self.conn())
            .await
            .map_err(err("failed to delete an article"))?;
        Ok(r.rows_affected == 1)
    }

    async fn article(&self, id: ArticleId) -> Result<Option<Article>, StorageError> {
        let Some(r) = ar::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load an article"))?
        else {
            return Ok(None);
        };
        Ok(self.with_counts(vec![r]).await?.pop())
    }

    async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>, StorageError> {
        let Some(r) = ar::Entity::find()
            .filter(ar::Column::Slug.eq(slug))
            .one(self.conn())
            .await
            .map_err(err("failed to load an article"))?
        else {
            return Ok(None);
        };
        Ok(self.with_counts(vec![r]).await?.pop())
    }

    async fn articles(
        &self,
        visible_at: Option<DateTime<Utc>>,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<Article>, u64), StorageError> {
        let mut q = ar::Entity::find();
        if let Some(now) = visible_at {
            q = q
                .filter(ar::Column::Status.eq(ArticleStatus::Published.as_str()))
                .filter(ar::Column::PublishedAt.lte(now));
        }
        let total = q
            .clone()
            .count(self.conn())
            .await
            .map_err(err("failed to count articles"))?;
        let rows = q
            .order_by_desc(ar::Column::PublishedAt)
            .order_by_desc(ar::Column::CreatedAt)
            .order_by_desc(ar::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await
            .map_err(err("failed to list articles"))?;
        Ok((self.with_counts(rows).await?, total))
    }

    async fn insert_comment(
        &self,
        id: CommentId,
        article: ArticleId,
        subject: SubjectId,
        customer: Option<CustomerId>,
        c: &NewComment,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.required_key(subject).await?;
        let row = id.as_uuid();
        ac::Entity::insert(ac::ActiveModel {
            id: Set(row),
            article_id: Set(article.as_uuid()),
            subject_id: Set(subject.as_uuid()),
            customer_id: Set(customer.map(|c| c.as_uuid())),
            status: Set(CommentStatus::Pending.as_str().to_owned()),
            name_enc: Set(key.seal_str(&COMMENT_NAME, row, c.name.as_str())),
            email_enc: Set(key.seal_str(&COMMENT_EMAIL, row, c.email.as_str())),
            website_enc: Set(c
                .website
                .as_deref()
                .map(|w| key.seal_str(&COMMENT_WEBSITE, row, w))),
            body_enc: Set(key.seal_str(&COMMENT_BODY, row, &c.text)),
            ip_enc: Set(origin
                .ip
                .map(|ip| key.seal_str(&COMMENT_IP, row, &ip.to_string()))),
            user_agent_enc: Set(origin
                .user_agent
                .as_deref()
                .map(|ua| key.seal_str(&COMMENT_USER_AGENT, row, ua))),
            created_at: Set(now),
            moderated_at: Set(None),
            moderated_by: Set(None),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a comment"))?;
        Ok(())
    }

    async fn approved_comments(
        &self,
        article: ArticleId,
    ) -> Result<Vec<PublicComment>, StorageError> {
        let rows = ac::Entity::find()
            .filter(ac::Column::ArticleId.eq(article.as_uuid()))
            .filter(ac::Column::Status.eq(CommentStatus::Approved.as_str()))
            .order_by_asc(ac::Column::CreatedAt)
            .order_by_asc(ac::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load comments"))?;
        let subjects: Vec<SubjectId> = rows
            .iter()
            .map(|r| SubjectId::from_uuid(r.subject_id))
            .collect();
        self.prefetch_keys(&subjects).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(o) = self.open_comment(&r).await? {
                out.push(PublicComment {
                    id: CommentId::from_uuid(r.id),
                    name: o.name,
                    website: o.website,
                    text: o.text,
                    created_at: r.created_at,
                });
            }
        }
        Ok(out)
    }

    async fn comments(
        &self,
        status: Option<CommentStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<ModeratedComment>, StorageError> {
        let mut q = ac::Entity::find();
        if let Some(s) = status {
            q = q.filter(ac::Column::Status.eq(s.as_str()));
        }
        let rows = q
            .order_by_desc(ac::Column::CreatedAt)
            .order_by_desc(ac::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await
            .map_err(err("failed to list comments"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(o) = self.open_comment(&r).await? {
                out.push(ModeratedComment {
                    id: CommentId::from_uuid(r.id),
                    article_id: ArticleId::from_uuid(r.article_id),
                    status: CommentStatus::parse(&r.status)
                        .ok_or_else(|| corrupt("comment status"))?,
                    customer_id: r.customer_id.map(CustomerId::from_uuid),
                    name: o.name,
                    email: o.email,
                    website: o.website,
                    text: o.text,
                    created_at: r.created_at,
                });
            }
        }
        Ok(out)
    }

    async fn set_comment_status(
        &self,
        id: CommentId,
        status: CommentStatus,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Option<ArticleId>, StorageError> {
        let article: Option<Uuid> = ac::Entity::find_by_id(id.as_uuid())
            .select_only()
            .column(ac::Column::ArticleId)
            .into_tuple()
            .one(self.conn())
            .await
            .map_err(err("failed to load a comment"))?;
        let Some(article) = article else {
            return Ok(None);
        };
        ac::Entity::update_many()
            .col_expr(ac::Column::Status, Expr::value(status.as_str()))
            .col_expr(ac::Column::ModeratedAt, Expr::value(now))
            .col_expr(ac::Column::ModeratedBy, Expr::value(by.as_uuid()))
            .filter(ac::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to moderate a comment"))?;
        Ok(Some(ArticleId::from_uuid(article)))
    }

    async fn delete_comment(&self, id: CommentId) -> Result<bool, StorageError> {
        let r = ac::Entity::delete_by_id(id.as_uuid())
            .exec(self.conn())
            .await
            .map_err(err("failed to delete a comment"))?;
        Ok(r.rows_affected == 1)
    }

    async fn revision(&self) -> Result<i64, StorageError> {
        let v: Option<i64> = rv::Entity::find_by_id(REVISION.to_owned())
            .select_only()
            .column(rv::Column::Revision)
            .into_tuple()
            .one(self.conn())
            .await
            .map_err(err("failed to read the articles' revision"))?;
        Ok(v.unwrap_or(0))
    }

    async fn bump_revision(&self) -> Result<(), StorageError> {
        rv::Entity::update_many()
            .col_expr(
                rv::Column::Revision,
                Expr::col(rv::Column::Revision).add(1i64),
            )
            .filter(rv::Column::Name.eq(REVISION))
            .exec(self.conn())
            .await
            .map_err(err("failed to move the articles' revision"))?;
        Ok(())
    }
}

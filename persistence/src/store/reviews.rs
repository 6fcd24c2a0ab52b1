//! Reviews of plans, sealed under their author's subject key, and the
//! per-plan ratings they make (clear: a count and a sum per plan).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::catalogue::Rating;
use domain::identity::CustomerId;
use domain::ids::{ProductId, ReviewId};
use domain::review::{
    PublicReview, Review, ReviewDraft, ReviewHead, ReviewPage, ReviewRepo, ReviewStatus,
};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{product_rating as pr, review as rv};
use crate::sealed::{REVIEW_AUTHOR, REVIEW_BODY, REVIEW_TITLE};

fn head(r: &rv::Model) -> Result<ReviewHead, StorageError> {
    Ok(ReviewHead {
        id: ReviewId::from_uuid(r.id),
        product_id: ProductId::from_uuid(r.product_id),
        customer_id: CustomerId::from_uuid(r.customer_id),
        status: ReviewStatus::parse(&r.status).ok_or_else(|| corrupt("review status"))?,
        rating: u8::try_from(r.rating).map_err(|_| corrupt("review rating"))?,
    })
}

impl<C: Conn> SqlRepos<C> {
    /// Opens a review; `None` when its author's key is destroyed or the
    /// row no longer opens (it is then left out of every list).
    async fn open_review(&self, r: &rv::Model) -> Result<Option<Review>, StorageError> {
        let Some(key) = self
            .key(SubjectId::customer(CustomerId::from_uuid(r.customer_id)))
            .await?
        else {
            return Ok(None);
        };
        let opened = (|| {
            Ok::<_, crate::vault::VaultError>((
                key.open_str(&REVIEW_TITLE, r.id, &r.title_enc)?,
                key.open_str(&REVIEW_BODY, r.id, &r.body_enc)?,
                key.open_str(&REVIEW_AUTHOR, r.id, &r.author_enc)?,
            ))
        })();
        let Ok((title, text, author)) = opened else {
            tracing::warn!(review = %r.id, "a review does not open; left out");
            return Ok(None);
        };
        Ok(Some(Review {
            head: head(r)?,
            title,
            text,
            author,
            created_at: r.created_at,
            moderated_at: r.moderated_at,
        }))
    }

    async fn open_all(&self, rows: &[rv::Model]) -> Result<Vec<Review>, StorageError> {
        let subjects: Vec<SubjectId> = rows
            .iter()
            .map(|r| SubjectId::customer(CustomerId::from_uuid(r.customer_id)))
            .collect();
        self.prefetch_keys(&subjects).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(review) = self.open_review(r).await? {
                out.push(review);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl<C: Conn> ReviewRepo for SqlRepos<C> {
    async fn insert(&self, d: &ReviewDraft) -> Result<bool, StorageError> {
        let key = self
            .required_key(SubjectId::customer(d.customer_id))
            .await?;
        let row = d.id.as_uuid();
        let res = rv::Entity::insert(rv::ActiveModel {
            id: Set(row),
            product_id: Set(d.product_id.as_uuid()),
            customer_id: Set(d.customer_id.as_uuid()),
            status: Set(ReviewStatus::Pending.as_str().to_owned()),
            rating: Set(i16::from(d.review.rating)),
            title_enc: Set(key.seal_str(&REVIEW_TITLE, row, &d.review.title)),
            body_enc: Set(key.seal_str(&REVIEW_BODY, row, &d.review.text)),
            author_enc: Set(key.seal_str(&REVIEW_AUTHOR, row, &d.author)),
            created_at: Set(d.created_at),
            updated_at: Set(d.created_at),
            moderated_at: Set(None),
            moderated_by: Set(None),
        })
        .exec_without_returning(self.conn())
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(false)
            }
            Err(e) => Err(StorageError::new("failed to store a review", e)),
        }
    }

    async fn head(&self, id: ReviewId) -> Result<Option<ReviewHead>, StorageError> {
        rv::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a review"))?
            .as_ref()
            .map(head)
            .transpose()
    }

    async fn of_customer(&self, customer: CustomerId) -> Result<Vec<Review>, StorageError> {
        let rows = rv::Entity::find()
            .filter(rv::Column::CustomerId.eq(customer.as_uuid()))
            .order_by_desc(rv::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to list a customer's reviews"))?;
        self.open_all(&rows).await
    }

    async fn approved(
        &self,
        product: ProductId,
        before: Option<ReviewId>,
        limit: u64,
    ) -> Result<ReviewPage, StorageError> {
        let mut q = rv::Entity::find()
            .filter(rv::Column::ProductId.eq(product.as_uuid()))
            .filter(rv::Column::Status.eq(ReviewStatus::Approved.as_str()));
        if let Some(b) = before {
            q = q.filter(rv::Column::Id.lt(b.as_uuid()));
        }
        let mut rows = q
            .order_by_desc(rv::Column::Id)
            .limit(limit.saturating_add(1))
            .all(self.conn())
            .await
            .map_err(err("failed to list reviews"))?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more {
            rows.last().map(|r| ReviewId::from_uuid(r.id))
        } else {
            None
        };
        let items = self
            .open_all(&rows)
            .await?
            .into_iter()
            .map(|r| PublicReview {
                id: r.head.id,
                rating: r.head.rating,
                title: r.title,
                text: r.text,
                author: r.author,
                created_at: r.created_at,
            })
            .collect();
        Ok(ReviewPage { items, next })
    }

    async fn for_moderation(
        &self,
        status: Option<ReviewStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Review>, StorageError> {
        let mut q = rv::Entity::find();
        if let Some(s) = status {
            q = q.filter(rv::Column::Status.eq(s.as_str()));
        }
        let rows = q
            .order_by_desc(rv::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await
            .map_err(err("failed to list reviews"))?;
        self.open_all(&rows).await
    }

    async fn set_status(
        &self,
        id: ReviewId,
        from: ReviewStatus,
        to: ReviewStatus,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = rv::Entity::update_many()
            .col_expr(rv::Column::Status, Expr::value(to.as_str()))
            .col_expr(rv::Column::ModeratedAt, Expr::value(now))
            .col_expr(rv::Column::ModeratedBy, Expr::value(by.as_uuid()))
            .col_expr(rv::Column::UpdatedAt, Expr::value(now))
            .filter(rv::Column::Id.eq(id.as_uuid()))
            .filter(rv::Column::Status.eq(from.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to moderate a review"))?;
        Ok(r.rows_affected == 1)
    }

    async fn delete(&self, id: ReviewId, status: ReviewStatus) -> Result<bool, StorageError> {
        let r = rv::Entity::delete_many()
            .filter(rv::Column::Id.eq(id.as_uuid()))
            .filter(rv::Column::Status.eq(status.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to delete a review"))?;
        Ok(r.rows_affected == 1)
    }

    async fn adjust_rating(
        &self,
        product: ProductId,
        count: i64,
        sum: i64,
    ) -> Result<(), StorageError> {
        // One statement whatever the rows: concurrent moderations of one
        // plan's reviews add up.
        pr::Entity::insert(pr::ActiveModel {
            product_id: Set(product.as_uuid()),
            count: Set(Ord::max(count, 0)),
            sum: Set(Ord::max(sum, 0)),
        })
        .on_conflict(
            OnConflict::column(pr::Column::ProductId)
                .value(
                    pr::Column::Count,
                    Expr::col((pr::Entity, pr::Column::Count)).add(count),
                )
                .value(
                    pr::Column::Sum,
                    Expr::col((pr::Entity, pr::Column::Sum)).add(sum),
                )
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to change a plan's rating"))?;
        crate::catalogue::bump_revision(self.conn(), product)
            .await
            .map_err(err("failed to mark a plan changed"))?;
        Ok(())
    }

    async fn rating(&self, product: ProductId) -> Result<Option<Rating>, StorageError> {
        let row = pr::Entity::find_by_id(product.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a plan's rating"))?;
        Ok(row.and_then(|r| Rating::of(r.count, r.sum)))
    }
}

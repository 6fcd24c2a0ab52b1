//! Newsletter subscriptions (the address sealed under the subscriber's
//! subject key, found by its blind index) and campaigns.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{Email, Language};
use domain::ids::{CampaignId, SubscriberId};
use domain::newsletter::{
    Audience, Campaign, CampaignContent, CampaignStatus, NewsletterRepo, Recipient, Subscriber,
    SubscriberStatus,
};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{newsletter_campaign as nc, newsletter_subscriber as ns};
use crate::sealed::SUBSCRIBER_EMAIL;

fn campaign(r: nc::Model) -> Result<Campaign, StorageError> {
    Ok(Campaign {
        id: CampaignId::from_uuid(r.id),
        content: CampaignContent {
            audience: Audience::parse(&r.audience).ok_or_else(|| corrupt("audience"))?,
            subject_fr: r.subject_fr,
            subject_en: r.subject_en,
            body_fr: r.body_fr,
            body_en: r.body_en,
            scheduled_at: r.scheduled_at,
        },
        status: CampaignStatus::parse(&r.status).ok_or_else(|| corrupt("campaign status"))?,
        created_at: r.created_at,
        updated_at: r.updated_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        audience_size: r.audience_size.map(i64::from),
        enqueued: i64::from(r.enqueued),
        cursor: r.cursor_id,
    })
}

impl<C: Conn> SqlRepos<C> {
    /// Ends the subscriptions matching `which` that have not ended; how many.
    async fn end_where(
        &self,
        which: sea_orm::sea_query::SimpleExpr,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let r = ns::Entity::update_many()
            .col_expr(
                ns::Column::Status,
                Expr::value(SubscriberStatus::Unsubscribed.as_str()),
            )
            .col_expr(ns::Column::UnsubscribedAt, Expr::value(now))
            .col_expr(ns::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                ns::Column::ConfirmTokenHash,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .filter(which)
            .filter(ns::Column::Status.ne(SubscriberStatus::Unsubscribed.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to end subscriptions"))?;
        Ok(r.rows_affected)
    }

    async fn open_subscriber(&self, r: ns::Model) -> Result<Option<Subscriber>, StorageError> {
        let subject = SubjectId::from_uuid(r.subject_id);
        let Some(key) = self.key(subject).await? else {
            return Ok(None);
        };
        let email = key
            .open_str(&SUBSCRIBER_EMAIL, r.id, &r.email_enc)
            .map_err(|e| StorageError::new("failed to decrypt a subscriber", e))?;
        Ok(Some(Subscriber {
            id: SubscriberId::from_uuid(r.id),
            subject,
            email: Email::parse(&email).map_err(|_| corrupt("subscriber e-mail"))?,
            language: r.language.parse().map_err(|_| corrupt("language"))?,
            status: SubscriberStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
        }))
    }

    async fn seal_email(
        &self,
        subject: SubjectId,
        id: SubscriberId,
        email: &Email,
    ) -> Result<Vec<u8>, StorageError> {
        Ok(self.required_key(subject).await?.seal_str(
            &SUBSCRIBER_EMAIL,
            id.as_uuid(),
            email.as_str(),
        ))
    }
}

#[async_trait]
impl<C: Conn> NewsletterRepo for SqlRepos<C> {
    async fn by_email(&self, email_bidx: &[u8]) -> Result<Option<Subscriber>, StorageError> {
        let Some(r) = ns::Entity::find()
            .filter(ns::Column::EmailBidx.eq(email_bidx.to_vec()))
            .one(self.conn())
            .await
            .map_err(err("failed to find a subscriber"))?
        else {
            return Ok(None);
        };
        self.open_subscriber(r).await
    }

    async fn status(&self, id: SubscriberId) -> Result<Option<SubscriberStatus>, StorageError> {
        let s: Option<String> = ns::Entity::find_by_id(id.as_uuid())
            .select_only()
            .column(ns::Column::Status)
            .into_tuple()
            .one(self.conn())
            .await
            .map_err(err("failed to read a subscription"))?;
        Ok(s.as_deref().and_then(SubscriberStatus::parse))
    }

    async fn get(&self, id: SubscriberId) -> Result<Option<Subscriber>, StorageError> {
        let Some(r) = ns::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to read a subscription"))?
        else {
            return Ok(None);
        };
        self.open_subscriber(r).await
    }

    async fn upsert_pending(
        &self,
        id: SubscriberId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
        language: Language,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        policy_version: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let sealed = self.seal_email(subject, id, email).await?;
        ns::Entity::insert(ns::ActiveModel {
            id: Set(id.as_uuid()),
            subject_id: Set(subject.as_uuid()),
            email_bidx: Set(email_bidx.to_vec()),
            email_enc: Set(sealed),
            language: Set(language.as_str().to_owned()),
            status: Set(SubscriberStatus::Pending.as_str().to_owned()),
            confirm_token_hash: Set(Some(token_hash.to_vec())),
            confirm_expires_at: Set(Some(expires_at)),
            policy_version: Set(policy_version),
            created_at: Set(now),
            confirmed_at: Set(None),
            unsubscribed_at: Set(None),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(ns::Column::Id)
                .update_columns([
                    ns::Column::Language,
                    ns::Column::Status,
                    ns::Column::ConfirmTokenHash,
                    ns::Column::ConfirmExpiresAt,
                    ns::Column::PolicyVersion,
                    ns::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a subscription"))?;
        Ok(())
    }

    async fn upsert_confirmed(
        &self,
        id: SubscriberId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let sealed = self.seal_email(subject, id, email).await?;
        ns::Entity::insert(ns::ActiveModel {
            id: Set(id.as_uuid()),
            subject_id: Set(subject.as_uuid()),
            email_bidx: Set(email_bidx.to_vec()),
            email_enc: Set(sealed),
            language: Set(language.as_str().to_owned()),
            status: Set(SubscriberStatus::Confirmed.as_str().to_owned()),
            confirm_token_hash: Set(None),
            confirm_expires_at: Set(None),
            policy_version: Set(None),
            created_at: Set(now),
            confirmed_at: Set(Some(now)),
            unsubscribed_at: Set(None),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(ns::Column::Id)
                .update_columns([
                    ns::Column::Status,
                    ns::Column::ConfirmedAt,
                    ns::Column::UnsubscribedAt,
                    ns::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a subscription"))?;
        Ok(())
    }

    async fn by_token(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(SubscriberId, SubjectId, SubscriberStatus)>, StorageError> {
        let row: Option<(Uuid, Uuid, String)> = ns::Entity::find()
            .select_only()
            .column(ns::Column::Id)
            .column(ns::Column::SubjectId)
            .column(ns::Column::Status)
            .filter(ns::Column::ConfirmTokenHash.eq(hash.to_vec()))
            .filter(ns::Column::ConfirmExpiresAt.gt(now))
            .into_tuple()
            .one(self.conn())
            .await
            .map_err(err("failed to find a confirmation token"))?;
        row.map(|(id, subject, status)| {
            Ok((
                SubscriberId::from_uuid(id),
                SubjectId::from_uuid(subject),
                SubscriberStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
            ))
        })
        .transpose()
    }

    async fn confirm(&self, id: SubscriberId, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let r = ns::Entity::update_many()
            .col_expr(
                ns::Column::Status,
                Expr::value(SubscriberStatus::Confirmed.as_str()),
            )
            .col_expr(ns::Column::ConfirmedAt, Expr::value(now))
            .col_expr(ns::Column::UpdatedAt, Expr::value(now))
            .filter(ns::Column::Id.eq(id.as_uuid()))
            .filter(ns::Column::Status.eq(SubscriberStatus::Pending.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to confirm a subscription"))?;
        Ok(r.rows_affected == 1)
    }

    async fn unsubscribe(
        &self,
        id: SubscriberId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        Ok(self.end_where(ns::Column::Id.eq(id.as_uuid()), now).await? == 1)
    }

    async fn unsubscribe_subject(
        &self,
        subject: SubjectId,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        self.end_where(ns::Column::SubjectId.eq(subject.as_uuid()), now)
            .await
    }

    async fn expire_pending(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StorageError> {
        let ids: Vec<Uuid> = ns::Entity::find()
            .select_only()
            .column(ns::Column::Id)
            .filter(ns::Column::Status.eq(SubscriberStatus::Pending.as_str()))
            .filter(ns::Column::ConfirmExpiresAt.lte(now))
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to find expired subscriptions"))?;
        if ids.is_empty() {
            return Ok(0);
        }
        let r = ns::Entity::delete_many()
            .filter(ns::Column::Id.is_in(ids))
            .filter(ns::Column::Status.eq(SubscriberStatus::Pending.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to delete expired subscriptions"))?;
        Ok(r.rows_affected)
    }

    async fn confirmed_after(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Recipient>, StorageError> {
        let mut q =
            ns::Entity::find().filter(ns::Column::Status.eq(SubscriberStatus::Confirmed.as_str()));
        if let Some(a) = after {
            q = q.filter(ns::Column::Id.gt(a));
        }
        let rows = q
            .order_by_asc(ns::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to read subscribers"))?;
        let subjects: Vec<SubjectId> = rows
            .iter()
            .map(|r| SubjectId::from_uuid(r.subject_id))
            .collect();
        self.prefetch_keys(&subjects).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id = r.id;
            if let Some(s) = self.open_subscriber(r).await? {
                out.push(Recipient {
                    id,
                    subject: s.subject,
                    email: s.email,
                    name: None,
                    language: s.language,
                });
            }
        }
        Ok(out)
    }

    async fn count_confirmed(&self) -> Result<u64, StorageError> {
        ns::Entity::find()
            .filter(ns::Column::Status.eq(SubscriberStatus::Confirmed.as_str()))
            .count(self.conn())
            .await
            .map_err(err("failed to count subscribers"))
    }

    async fn insert_campaign(&self, c: &Campaign) -> Result<(), StorageError> {
        nc::Entity::insert(nc::ActiveModel {
            id: Set(c.id.as_uuid()),
            audience: Set(c.content.audience.as_str().to_owned()),
            subject_fr: Set(c.content.subject_fr.clone()),
            subject_en: Set(c.content.subject_en.clone()),
            body_fr: Set(c.content.body_fr.clone()),
            body_en: Set(c.content.body_en.clone()),
            status: Set(c.status.as_str().to_owned()),
            scheduled_at: Set(c.content.scheduled_at),
            created_by: Set(None),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
            started_at: Set(None),
            finished_at: Set(None),
            cursor_id: Set(None),
            audience_size: Set(None),
            enqueued: Set(0),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a campaign"))?;
        Ok(())
    }

    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>, StorageError> {
        nc::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a campaign"))?
            .map(campaign)
            .transpose()
    }

    async fn campaigns(&self, limit: u64, offset: u64) -> Result<Vec<Campaign>, StorageError> {
        nc::Entity::find()
            .order_by_desc(nc::Column::CreatedAt)
            .order_by_desc(nc::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await
            .map_err(err("failed to list campaigns"))?
            .into_iter()
            .map(campaign)
            .collect()
    }

    async fn update_content(
        &self,
        id: CampaignId,
        c: &CampaignContent,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = nc::Entity::update_many()
            .col_expr(nc::Column::Audience, Expr::value(c.audience.as_str()))
            .col_expr(nc::Column::SubjectFr, Expr::value(c.subject_fr.clone()))
            .col_expr(nc::Column::SubjectEn, Expr::value(c.subject_en.clone()))
            .col_expr(nc::Column::BodyFr, Expr::value(c.body_fr.clone()))
            .col_expr(nc::Column::BodyEn, Expr::value(c.body_en.clone()))
            .col_expr(nc::Column::ScheduledAt, Expr::value(c.scheduled_at))
            .col_expr(nc::Column::UpdatedAt, Expr::value(now))
            .filter(nc::Column::Id.eq(id.as_uuid()))
            .filter(nc::Column::Status.is_in([
                CampaignStatus::Draft.as_str(),
                CampaignStatus::Scheduled.as_str(),
            ]))
            .exec(self.conn())
            .await
            .map_err(err("failed to change a campaign"))?;
        Ok(r.rows_affected == 1)
    }

    async fn set_status(
        &self,
        id: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut q = nc::Entity::update_many()
            .col_expr(nc::Column::Status, Expr::value(to.as_str()))
            .col_expr(nc::Column::UpdatedAt, Expr::value(now));
        if matches!(to, CampaignStatus::Sent | CampaignStatus::Cancelled) {
            q = q.col_expr(nc::Column::FinishedAt, Expr::value(now));
        }
        let r = q
            .filter(nc::Column::Id.eq(id.as_uuid()))
            .filter(nc::Column::Status.is_in(from.iter().map(|s| s.as_str())))
            .exec(self.conn())
            .await
            .map_err(err("failed to change a campaign's status"))?;
        Ok(r.rows_affected == 1)
    }

    async fn start(
        &self,
        id: CampaignId,
        audience_size: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        nc::Entity::update_many()
            .col_expr(nc::Column::StartedAt, Expr::value(now))
            .col_expr(
                nc::Column::AudienceSize,
                Expr::value(i32::try_from(audience_size).unwrap_or(i32::MAX)),
            )
            .filter(nc::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to start a campaign"))?;
        Ok(())
    }

    async fn progress(
        &self,
        id: CampaignId,
        cursor: Uuid,
        added: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        nc::Entity::update_many()
            .col_expr(nc::Column::CursorId, Expr::value(cursor))
            .col_expr(
                nc::Column::Enqueued,
                Expr::col(nc::Column::Enqueued).add(i32::try_from(added).unwrap_or(0)),
            )
            .col_expr(nc::Column::UpdatedAt, Expr::value(now))
            .filter(nc::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to record a campaign's progress"))?;
        Ok(())
    }

    async fn delete_draft(&self, id: CampaignId) -> Result<bool, StorageError> {
        let r = nc::Entity::delete_many()
            .filter(nc::Column::Id.eq(id.as_uuid()))
            .filter(nc::Column::Status.eq(CampaignStatus::Draft.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to delete a campaign"))?;
        Ok(r.rows_affected == 1)
    }

    async fn due(&self, now: DateTime<Utc>) -> Result<Vec<CampaignId>, StorageError> {
        let ids: Vec<Uuid> = nc::Entity::find()
            .select_only()
            .column(nc::Column::Id)
            .filter(
                nc::Column::Status
                    .eq(CampaignStatus::Sending.as_str())
                    .or(nc::Column::Status
                        .eq(CampaignStatus::Scheduled.as_str())
                        .and(
                            nc::Column::ScheduledAt
                                .lte(now)
                                .or(nc::Column::ScheduledAt.is_null()),
                        )),
            )
            .order_by_asc(nc::Column::CreatedAt)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to find due campaigns"))?;
        Ok(ids.into_iter().map(CampaignId::from_uuid).collect())
    }
}

//! The consent ledger: events appended, the current state upserted beside
//! them in the same unit of work; the source address sealed under the
//! subject's key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::consent::{
    ConsentEvent, ConsentRepo, ConsentStatus, NewConsentEvent, Purpose, PurposeKey,
};
use domain::ids::CustomerId;
use domain::legal::DocumentRef;
use domain::subject::{GuestRepo, SubjectId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{
    consent_event as ce, consent_purpose as cp, consent_state as cs, guest_subject as gs,
};
use crate::sealed::CONSENT_SOURCE;

fn purpose(r: cp::Model) -> Result<Purpose, StorageError> {
    Ok(Purpose {
        key: PurposeKey::parse(&r.key).map_err(|_| corrupt("purpose key"))?,
        legal_basis: r.legal_basis.parse().map_err(|()| corrupt("legal basis"))?,
        description_fr: r.description_fr,
        description_en: r.description_en,
        builtin: r.builtin,
        created_at: r.created_at,
    })
}

fn status(r: cs::Model) -> ConsentStatus {
    ConsentStatus {
        purpose: r.purpose,
        given: r.given,
        policy_version: r.policy_version,
        terms_version: r.terms_version,
        updated_at: r.updated_at,
    }
}

fn reference(version: Option<i32>, hash: Option<String>) -> Option<DocumentRef> {
    Some(DocumentRef {
        version: version?,
        hash: hash?,
    })
}

#[async_trait]
impl<C: Conn> ConsentRepo for SqlRepos<C> {
    async fn purposes(&self) -> Result<Vec<Purpose>, StorageError> {
        cp::Entity::find()
            .order_by_desc(cp::Column::Builtin)
            .order_by_asc(cp::Column::Key)
            .all(self.conn())
            .await
            .map_err(err("failed to list consent purposes"))?
            .into_iter()
            .map(purpose)
            .collect()
    }

    async fn purpose(&self, key: &str) -> Result<Option<Purpose>, StorageError> {
        cp::Entity::find_by_id(key.to_owned())
            .one(self.conn())
            .await
            .map_err(err("failed to load a consent purpose"))?
            .map(purpose)
            .transpose()
    }

    async fn define_purpose(&self, p: &Purpose) -> Result<bool, StorageError> {
        let n = cp::Entity::insert(cp::ActiveModel {
            key: Set(p.key.to_string()),
            legal_basis: Set(p.legal_basis.as_str().to_owned()),
            description_fr: Set(p.description_fr.clone()),
            description_en: Set(p.description_en.clone()),
            builtin: Set(p.builtin),
            created_at: Set(p.created_at),
        })
        .on_conflict(OnConflict::column(cp::Column::Key).do_nothing().to_owned())
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to define a consent purpose"))?;
        Ok(n == 1)
    }

    async fn record(&self, e: &NewConsentEvent, now: DateTime<Utc>) -> Result<(), StorageError> {
        let id = Uuid::now_v7();
        let source = match &e.source {
            Some(ip) => self
                .key(e.subject)
                .await?
                .map(|k| k.seal_str(&CONSENT_SOURCE, id, ip)),
            None => None,
        };
        let policy = e.documents.privacy.as_ref();
        let terms = e.documents.terms.as_ref();
        ce::Entity::insert(ce::ActiveModel {
            id: Set(id),
            subject_id: Set(e.subject.as_uuid()),
            purpose: Set(e.purpose.to_string()),
            given: Set(e.given),
            channel: Set(e.channel.as_str().to_owned()),
            policy_version: Set(policy.map(|d| d.version)),
            policy_hash: Set(policy.map(|d| d.hash.clone())),
            terms_version: Set(terms.map(|d| d.version)),
            terms_hash: Set(terms.map(|d| d.hash.clone())),
            at: Set(now),
            source_enc: Set(source),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a consent event"))?;
        cs::Entity::insert(cs::ActiveModel {
            subject_id: Set(e.subject.as_uuid()),
            purpose: Set(e.purpose.to_string()),
            given: Set(e.given),
            policy_version: Set(policy.map(|d| d.version)),
            terms_version: Set(terms.map(|d| d.version)),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([cs::Column::SubjectId, cs::Column::Purpose])
                .update_columns([
                    cs::Column::Given,
                    cs::Column::PolicyVersion,
                    cs::Column::TermsVersion,
                    cs::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a consent state"))?;
        Ok(())
    }

    async fn state(&self, subject: SubjectId) -> Result<Vec<ConsentStatus>, StorageError> {
        Ok(cs::Entity::find()
            .filter(cs::Column::SubjectId.eq(subject.as_uuid()))
            .order_by_asc(cs::Column::Purpose)
            .all(self.conn())
            .await
            .map_err(err("failed to load consents"))?
            .into_iter()
            .map(status)
            .collect())
    }

    async fn state_of(
        &self,
        subject: SubjectId,
        purpose: &str,
    ) -> Result<Option<ConsentStatus>, StorageError> {
        Ok(
            cs::Entity::find_by_id((subject.as_uuid(), purpose.to_owned()))
                .one(self.conn())
                .await
                .map_err(err("failed to load a consent"))?
                .map(status),
        )
    }

    async fn history(
        &self,
        subject: SubjectId,
        limit: u64,
    ) -> Result<Vec<ConsentEvent>, StorageError> {
        ce::Entity::find()
            .filter(ce::Column::SubjectId.eq(subject.as_uuid()))
            .order_by_desc(ce::Column::At)
            .order_by_desc(ce::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to load consent history"))?
            .into_iter()
            .map(|r| {
                Ok(ConsentEvent {
                    id: r.id,
                    purpose: r.purpose,
                    given: r.given,
                    channel: r.channel.parse().map_err(|()| corrupt("consent channel"))?,
                    policy: reference(r.policy_version, r.policy_hash),
                    terms: reference(r.terms_version, r.terms_hash),
                    at: r.at,
                })
            })
            .collect()
    }

    async fn audience(
        &self,
        purpose: &str,
        after: Option<SubjectId>,
        limit: u64,
    ) -> Result<Vec<SubjectId>, StorageError> {
        let mut q = cs::Entity::find()
            .select_only()
            .column(cs::Column::SubjectId)
            .filter(cs::Column::Purpose.eq(purpose))
            .filter(cs::Column::Given.eq(true));
        if let Some(a) = after {
            q = q.filter(cs::Column::SubjectId.gt(a.as_uuid()));
        }
        let ids: Vec<Uuid> = q
            .order_by_asc(cs::Column::SubjectId)
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to read an audience"))?;
        Ok(ids.into_iter().map(SubjectId::from_uuid).collect())
    }

    async fn count_given(&self, purpose: &str) -> Result<u64, StorageError> {
        cs::Entity::find()
            .filter(cs::Column::Purpose.eq(purpose))
            .filter(cs::Column::Given.eq(true))
            .count(self.conn())
            .await
            .map_err(err("failed to count an audience"))
    }
}

#[async_trait]
impl<C: Conn> GuestRepo for SqlRepos<C> {
    async fn find(&self, email_bidx: &[u8]) -> Result<Option<SubjectId>, StorageError> {
        let id: Option<Uuid> = gs::Entity::find()
            .select_only()
            .column(gs::Column::Id)
            .filter(gs::Column::EmailBidx.eq(email_bidx.to_vec()))
            .into_tuple()
            .one(self.conn())
            .await
            .map_err(err("failed to find a guest subject"))?;
        Ok(id.map(SubjectId::from_uuid))
    }

    async fn insert(
        &self,
        id: SubjectId,
        email_bidx: &[u8],
        now: DateTime<Utc>,
    ) -> Result<SubjectId, StorageError> {
        gs::Entity::insert(gs::ActiveModel {
            id: Set(id.as_uuid()),
            email_bidx: Set(email_bidx.to_vec()),
            created_at: Set(now),
            last_used_at: Set(now),
            customer_id: Set(None),
            attached_at: Set(None),
        })
        .on_conflict(
            OnConflict::column(gs::Column::EmailBidx)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a guest subject"))?;
        self.find(email_bidx)
            .await?
            .ok_or_else(|| StorageError::msg("guest subject missing after insert"))
    }

    async fn touch(&self, id: SubjectId, now: DateTime<Utc>) -> Result<(), StorageError> {
        gs::Entity::update_many()
            .col_expr(gs::Column::LastUsedAt, Expr::value(now))
            .filter(gs::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to touch a guest subject"))?;
        Ok(())
    }

    async fn attach(
        &self,
        id: SubjectId,
        customer: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let done = gs::Entity::update_many()
            .col_expr(gs::Column::CustomerId, Expr::value(customer.as_uuid()))
            .col_expr(gs::Column::AttachedAt, Expr::value(now))
            .col_expr(gs::Column::LastUsedAt, Expr::value(now))
            .filter(gs::Column::Id.eq(id.as_uuid()))
            .filter(
                sea_orm::Condition::any()
                    .add(gs::Column::CustomerId.is_null())
                    .add(gs::Column::CustomerId.eq(customer.as_uuid())),
            )
            .exec(self.conn())
            .await
            .map_err(err("failed to attach a guest subject"))?;
        Ok(done.rows_affected == 1)
    }
}

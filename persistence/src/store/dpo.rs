//! Requests received by the DPO, and restrictions (DSR-3).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::CustomerId;
use domain::rights::dpo::{DpoChannel, DpoKind, DpoNotes, DpoRepo, DpoRequest, DpoStatus};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{customer, dpo_request as dr};
use crate::sealed::DPO_NOTES;

impl<C: Conn> SqlRepos<C> {
    async fn seal_notes(&self, r: &DpoRequest) -> Result<Option<Vec<u8>>, StorageError> {
        let Some(notes) = &r.notes else {
            return Ok(None);
        };
        let key = self.required_key(SubjectId::customer(r.customer)).await?;
        let json = serde_json::to_vec(notes).map_err(|_| corrupt("DPO notes"))?;
        Ok(Some(key.seal(&DPO_NOTES, r.id, &json)))
    }

    async fn to_request(&self, m: dr::Model) -> Result<DpoRequest, StorageError> {
        let customer = CustomerId::from_uuid(m.customer_id);
        // The notes die with the person's key.
        let notes = match self.key(SubjectId::customer(customer)).await? {
            Some(k) => k
                .open(&DPO_NOTES, m.id, &m.notes_enc)
                .ok()
                .and_then(|b| serde_json::from_slice::<DpoNotes>(&b).ok()),
            None => None,
        };
        Ok(DpoRequest {
            id: m.id,
            customer,
            kind: DpoKind::parse(&m.kind).ok_or_else(|| corrupt("DPO request kind"))?,
            channel: DpoChannel::parse(&m.channel).ok_or_else(|| corrupt("DPO request channel"))?,
            received_at: m.received_at,
            due_at: m.due_at,
            extended: m.extended,
            verified_at: m.verified_at,
            status: if m.status == DpoStatus::Fulfilled.as_str() {
                DpoStatus::Fulfilled
            } else {
                DpoStatus::Open
            },
            fulfilled_at: m.fulfilled_at,
            notes,
            contact_message: m.contact_message_id,
            recorded_by: CustomerId::from_uuid(m.recorded_by),
        })
    }
}

#[async_trait]
impl<C: Conn> DpoRepo for SqlRepos<C> {
    async fn insert(&self, r: &DpoRequest) -> Result<(), StorageError> {
        let notes = self.seal_notes(r).await?.unwrap_or_default();
        dr::Entity::insert(dr::ActiveModel {
            id: Set(r.id),
            customer_id: Set(r.customer.as_uuid()),
            kind: Set(r.kind.as_str().to_owned()),
            channel: Set(r.channel.as_str().to_owned()),
            received_at: Set(r.received_at),
            due_at: Set(r.due_at),
            extended: Set(r.extended),
            verified_at: Set(r.verified_at),
            status: Set(r.status.as_str().to_owned()),
            fulfilled_at: Set(r.fulfilled_at),
            notes_enc: Set(notes),
            contact_message_id: Set(r.contact_message),
            recorded_by: Set(r.recorded_by.as_uuid()),
            created_at: Set(r.received_at),
            updated_at: Set(r.received_at),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a DPO request"))?;
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<DpoRequest>, StorageError> {
        let Some(m) = dr::Entity::find_by_id(id)
            .one(self.conn())
            .await
            .map_err(err("failed to read a DPO request"))?
        else {
            return Ok(None);
        };
        self.to_request(m).await.map(Some)
    }

    async fn list(&self) -> Result<Vec<DpoRequest>, StorageError> {
        let rows = dr::Entity::find()
            .order_by_desc(dr::Column::Status.eq(DpoStatus::Open.as_str()))
            .order_by_asc(dr::Column::DueAt)
            .limit(1000)
            .all(self.conn())
            .await
            .map_err(err("failed to list DPO requests"))?;
        let mut out = Vec::with_capacity(rows.len());
        for m in rows {
            out.push(self.to_request(m).await?);
        }
        Ok(out)
    }

    async fn update(&self, r: &DpoRequest, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut u = dr::Entity::update_many()
            .col_expr(dr::Column::DueAt, Expr::value(r.due_at))
            .col_expr(dr::Column::Extended, Expr::value(r.extended))
            .col_expr(dr::Column::VerifiedAt, Expr::value(r.verified_at))
            .col_expr(dr::Column::Status, Expr::value(r.status.as_str()))
            .col_expr(dr::Column::FulfilledAt, Expr::value(r.fulfilled_at))
            .col_expr(dr::Column::UpdatedAt, Expr::value(now));
        if let Some(notes) = self.seal_notes(r).await? {
            u = u.col_expr(dr::Column::NotesEnc, Expr::value(notes));
        }
        u.filter(dr::Column::Id.eq(r.id))
            .exec(self.conn())
            .await
            .map_err(err("failed to update a DPO request"))?;
        Ok(())
    }

    async fn restrict(
        &self,
        c: CustomerId,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StorageError> {
        let done = customer::Entity::update_many()
            .col_expr(customer::Column::RestrictedAt, Expr::value(at))
            .filter(customer::Column::Id.eq(c.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to restrict an account"))?;
        Ok(done.rows_affected == 1)
    }

    async fn restricted_among(&self, subjects: &[Uuid]) -> Result<Vec<Uuid>, StorageError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Id.is_in(subjects.iter().copied()))
            .filter(customer::Column::RestrictedAt.is_not_null())
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to read restrictions"))
    }

    async fn restricted(&self, c: CustomerId) -> Result<bool, StorageError> {
        let at: Option<Option<DateTime<Utc>>> = customer::Entity::find_by_id(c.as_uuid())
            .select_only()
            .column(customer::Column::RestrictedAt)
            .into_tuple()
            .one(self.conn())
            .await
            .map_err(err("failed to read a restriction"))?;
        Ok(at.flatten().is_some())
    }
}

//! Refunds of orders: amounts, status and references, all in clear (they
//! name no one; the credit note itself is in the legal archive).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::CustomerId;
use domain::ids::{OrderId, RefundId};
use domain::money::Currency;
use domain::shop::order::PaymentMethod;
use domain::shop::refund::{RefundRecord, RefundRepo, RefundStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{order, refund};

fn record(r: refund::Model) -> Result<RefundRecord, StorageError> {
    Ok(RefundRecord {
        id: RefundId::from_uuid(r.id),
        order_id: OrderId::from_uuid(r.order_id),
        amount: r.amount,
        currency: Currency::parse(&r.currency).map_err(|_| corrupt("refund currency"))?,
        method: PaymentMethod::parse(&r.method).ok_or_else(|| corrupt("refund method"))?,
        status: RefundStatus::parse(&r.status).ok_or_else(|| corrupt("refund status"))?,
        reason: r.reason,
        provider_refund_id: r.provider_refund_id,
        credit_note: r.credit_note_number,
        staff_id: CustomerId::from_uuid(r.staff_id),
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

#[async_trait]
impl<C: Conn> RefundRepo for SqlRepos<C> {
    async fn lock_order(&self, id: OrderId) -> Result<(), StorageError> {
        // SQLite's unit of work took the database's write lock at BEGIN.
        if self.conn().get_database_backend() == DbBackend::Postgres {
            order::Entity::find_by_id(id.as_uuid())
                .select_only()
                .column(order::Column::Id)
                .lock_exclusive()
                .into_tuple::<Uuid>()
                .one(self.conn())
                .await
                .map_err(err("failed to lock an order"))?;
        }
        Ok(())
    }

    async fn insert(&self, r: &RefundRecord) -> Result<(), StorageError> {
        refund::Entity::insert(refund::ActiveModel {
            id: Set(r.id.as_uuid()),
            order_id: Set(r.order_id.as_uuid()),
            amount: Set(r.amount),
            currency: Set(r.currency.as_str().to_owned()),
            method: Set(r.method.as_str().to_owned()),
            status: Set(r.status.as_str().to_owned()),
            reason: Set(r.reason.clone()),
            provider_refund_id: Set(r.provider_refund_id.clone()),
            credit_note_number: Set(r.credit_note.clone()),
            staff_id: Set(r.staff_id.as_uuid()),
            created_at: Set(r.created_at),
            updated_at: Set(r.updated_at),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a refund"))?;
        Ok(())
    }

    async fn of_order(&self, order: OrderId) -> Result<Vec<RefundRecord>, StorageError> {
        refund::Entity::find()
            .filter(refund::Column::OrderId.eq(order.as_uuid()))
            .order_by_asc(refund::Column::CreatedAt)
            .order_by_asc(refund::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load refunds"))?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn settle(
        &self,
        id: RefundId,
        status: RefundStatus,
        provider_refund_id: Option<&str>,
        credit_note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = refund::Entity::update_many()
            .col_expr(refund::Column::Status, Expr::value(status.as_str()))
            .col_expr(
                refund::Column::ProviderRefundId,
                Expr::value(provider_refund_id.map(str::to_owned)),
            )
            .col_expr(
                refund::Column::CreditNoteNumber,
                Expr::value(credit_note.map(str::to_owned)),
            )
            .col_expr(refund::Column::UpdatedAt, Expr::value(now))
            .filter(refund::Column::Id.eq(id.as_uuid()))
            .filter(refund::Column::Status.eq(RefundStatus::Pending.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to settle a refund"))?;
        Ok(r.rows_affected == 1)
    }
}

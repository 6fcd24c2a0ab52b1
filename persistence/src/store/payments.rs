//! Provider payments and the provider's events, each recorded once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::ids::OrderId;
use domain::shop::payment::{PaymentRecord, PaymentRepo};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Conn, SqlRepos, err};
use crate::entities::{payment, payment_event};

fn record(r: payment::Model) -> PaymentRecord {
    PaymentRecord {
        order_id: OrderId::from_uuid(r.order_id),
        provider: r.provider,
        intent_id: r.intent_id,
        amount: r.amount,
        currency: r.currency,
        status: r.status,
        created_at: r.created_at,
    }
}

#[async_trait]
impl<C: Conn> PaymentRepo for SqlRepos<C> {
    async fn insert(&self, p: &PaymentRecord) -> Result<bool, StorageError> {
        let r = payment::Entity::insert(payment::ActiveModel {
            order_id: Set(p.order_id.as_uuid()),
            provider: Set(p.provider.clone()),
            intent_id: Set(p.intent_id.clone()),
            amount: Set(p.amount),
            currency: Set(p.currency.clone()),
            status: Set(p.status.clone()),
            created_at: Set(p.created_at),
            updated_at: Set(p.created_at),
        })
        .on_conflict(
            OnConflict::column(payment::Column::OrderId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a payment"))?;
        Ok(r == 1)
    }

    async fn of_order(&self, order: OrderId) -> Result<Option<PaymentRecord>, StorageError> {
        Ok(payment::Entity::find_by_id(order.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a payment"))?
            .map(record))
    }

    async fn by_intent(&self, intent: &str) -> Result<Option<PaymentRecord>, StorageError> {
        Ok(payment::Entity::find()
            .filter(payment::Column::IntentId.eq(intent))
            .one(self.conn())
            .await
            .map_err(err("failed to load a payment"))?
            .map(record))
    }

    async fn set_status(
        &self,
        intent: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        payment::Entity::update_many()
            .col_expr(payment::Column::Status, Expr::value(status))
            .col_expr(payment::Column::UpdatedAt, Expr::value(now))
            .filter(payment::Column::IntentId.eq(intent))
            .exec(self.conn())
            .await
            .map_err(err("failed to record a payment's status"))?;
        Ok(())
    }

    async fn record_event(
        &self,
        event_id: &str,
        kind: &str,
        order: Option<OrderId>,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = payment_event::Entity::insert(payment_event::ActiveModel {
            event_id: Set(event_id.to_owned()),
            kind: Set(kind.chars().take(100).collect()),
            order_id: Set(order.map(|o| o.as_uuid())),
            outcome: Set(outcome.to_owned()),
            received_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(payment_event::Column::EventId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a payment event"))?;
        Ok(r == 1)
    }
}

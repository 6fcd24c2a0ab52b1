//! Security counters (SEC-1, SEC-2): failed logins per account and source,
//! failures and private-area probes per source, and the locks and bans they
//! lead to. In the database, so every instance sees the same counts.
//! Sources are keyed hashes of their address; a truncated form is kept for
//! admins to read.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::StorageError;
use domain::identity::{Block, CounterKey, CounterRepo, CustomerId, SourceId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Conn, SqlRepos, err};
use crate::entities::security_counter as sc;

#[async_trait]
impl<C: Conn> CounterRepo for SqlRepos<C> {
    async fn bump(
        &self,
        key: &CounterKey,
        window: Duration,
        now: DateTime<Utc>,
        source: &SourceId,
        customer: Option<CustomerId>,
    ) -> Result<(i32, DateTime<Utc>), StorageError> {
        let conn = self.conn();
        let updated = sc::Entity::update_many()
            .col_expr(sc::Column::Count, Expr::col(sc::Column::Count).add(1))
            .col_expr(sc::Column::UpdatedAt, Expr::value(now))
            .filter(sc::Column::Key.eq(key.as_str()))
            .filter(sc::Column::WindowStart.gt(now - window))
            .exec(conn)
            .await
            .map_err(err("failed to count a security event"))?;
        if updated.rows_affected == 0 {
            sc::Entity::insert(sc::ActiveModel {
                key: Set(key.as_str().to_owned()),
                kind: Set(key.kind().as_str().to_owned()),
                count: Set(1),
                window_start: Set(now),
                blocked_until: Set(None),
                updated_at: Set(now),
                source_display: Set(source.display.clone()),
                customer_id: Set(customer.map(|c| c.as_uuid())),
            })
            .on_conflict(
                OnConflict::column(sc::Column::Key)
                    .update_columns([
                        sc::Column::Count,
                        sc::Column::WindowStart,
                        sc::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(conn)
            .await
            .map_err(err("failed to count a security event"))?;
        }
        let row = sc::Entity::find_by_id(key.as_str().to_owned())
            .one(conn)
            .await
            .map_err(err("failed to read a security counter"))?
            .ok_or_else(|| StorageError::msg("security counter vanished"))?;
        Ok((row.count, row.window_start))
    }

    async fn block(
        &self,
        key: &CounterKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        source: &SourceId,
        customer: Option<CustomerId>,
        count: i32,
    ) -> Result<(), StorageError> {
        sc::Entity::insert(sc::ActiveModel {
            key: Set(key.as_str().to_owned()),
            kind: Set(key.kind().as_str().to_owned()),
            count: Set(count),
            window_start: Set(now),
            blocked_until: Set(Some(until)),
            updated_at: Set(now),
            source_display: Set(source.display.clone()),
            customer_id: Set(customer.map(|c| c.as_uuid())),
        })
        .on_conflict(
            OnConflict::column(sc::Column::Key)
                .update_columns([
                    sc::Column::BlockedUntil,
                    sc::Column::UpdatedAt,
                    sc::Column::Count,
                ])
                .to_owned(),
        )
        .exec(self.conn())
        .await
        .map_err(err("failed to block"))?;
        Ok(())
    }

    async fn blocked_until(
        &self,
        keys: &[CounterKey],
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let rows = sc::Entity::find()
            .filter(sc::Column::Key.is_in(keys.iter().map(|k| k.as_str().to_owned())))
            .filter(sc::Column::BlockedUntil.gt(now))
            .all(self.conn())
            .await
            .map_err(err("failed to check blocks"))?;
        Ok(rows.into_iter().filter_map(|r| r.blocked_until).max())
    }

    async fn clear(&self, key: &CounterKey) -> Result<(), StorageError> {
        sc::Entity::delete_by_id(key.as_str().to_owned())
            .exec(self.conn())
            .await
            .map_err(err("failed to clear a counter"))?;
        Ok(())
    }

    async fn clear_account(&self, customer: CustomerId) -> Result<(), StorageError> {
        sc::Entity::delete_many()
            .filter(sc::Column::CustomerId.eq(customer.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to clear account locks"))?;
        Ok(())
    }

    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<Block>, StorageError> {
        Ok(sc::Entity::find()
            .filter(sc::Column::BlockedUntil.gt(now))
            .order_by_desc(sc::Column::BlockedUntil)
            .all(self.conn())
            .await
            .map_err(err("failed to list blocks"))?
            .into_iter()
            .filter_map(|r| {
                Some(Block {
                    blocked_until: r.blocked_until?,
                    key: r.key,
                    kind: r.kind,
                    source: r.source_display,
                    customer_id: r.customer_id.map(CustomerId::from_uuid),
                    count: r.count,
                })
            })
            .collect())
    }

    async fn lift(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let res = sc::Entity::delete_many()
            .filter(sc::Column::Key.eq(key))
            .filter(sc::Column::BlockedUntil.gt(now))
            .exec(self.conn())
            .await
            .map_err(err("failed to lift a block"))?;
        Ok(res.rows_affected > 0)
    }
}

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
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Statement};

use super::{Conn, SqlRepos, err};
use crate::entities::security_counter as sc;

/// Adds one to a counter, or starts it at one when it is new or its window
/// (starting after `$6`) is over. `$` becomes `?` on SQLite (numbered).
const BUMP: &str = "INSERT INTO security_counters \
(key, kind, count, window_start, blocked_until, updated_at, source_display, customer_id) \
VALUES ($1, $2, 1, $3, NULL, $3, $4, $5) \
ON CONFLICT (key) DO UPDATE SET \
count = CASE WHEN security_counters.window_start > $6 THEN security_counters.count + 1 ELSE 1 END, \
window_start = CASE WHEN security_counters.window_start > $6 THEN security_counters.window_start ELSE $3 END, \
updated_at = $3, \
customer_id = COALESCE(security_counters.customer_id, $5) \
RETURNING count, window_start";

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
        // One statement, so concurrent attempts each get their own count:
        // an update-then-insert lets two first attempts both start at 1.
        let backend = self.conn().get_database_backend();
        let sql = super::sql_for(backend, BUMP);
        let row = self
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    key.as_str().into(),
                    key.kind().as_str().into(),
                    now.into(),
                    source.display.clone().into(),
                    customer.map(|c| c.as_uuid()).into(),
                    (now - window).into(),
                ],
            ))
            .await
            .map_err(err("failed to count a security event"))?
            .ok_or_else(|| StorageError::msg("security counter vanished"))?;
        let count: i32 = row
            .try_get("", "count")
            .map_err(err("failed to read a security counter"))?;
        let start: DateTime<Utc> = row
            .try_get("", "window_start")
            .map_err(err("failed to read a security counter"))?;
        Ok((count, start))
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

//! Security counters (SEC-1, SEC-2): failed logins per account and source,
//! failures and private-area probes per source, and the locks and bans they
//! lead to. Kept in the database so every instance sees the same counts.
//! Sources are identified by a keyed hash of their address, never the
//! address itself; a truncated form is kept for admins to read.

use chrono::{DateTime, Duration, Utc};
use domain::StorageError;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::Db;
use crate::entities::security_counter as sc;

/// A lock or ban in force.
#[derive(Debug, Clone)]
pub struct Block {
    /// Its key (opaque; used to lift it).
    pub key: String,
    /// `account_source_lock` or `source_ban`.
    pub kind: String,
    /// The truncated source address.
    pub source: Option<String>,
    /// The account, for account locks of known accounts.
    pub customer_id: Option<Uuid>,
    /// Failures or probes counted.
    pub count: i32,
    /// Until when.
    pub blocked_until: DateTime<Utc>,
}

/// The counters repository.
#[derive(Debug, Clone)]
pub struct SecurityCounters {
    db: Db,
}

fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

impl SecurityCounters {
    /// The repository on `db`.
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Adds one to a counter, restarting it when its window is over. Returns
    /// the new count and when the window started.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn bump(
        &self,
        key: &str,
        kind: &str,
        window: Duration,
        now: DateTime<Utc>,
        source_display: Option<&str>,
        customer_id: Option<Uuid>,
    ) -> Result<(i32, DateTime<Utc>), StorageError> {
        let conn = self.db.conn();
        let updated = sc::Entity::update_many()
            .col_expr(sc::Column::Count, Expr::col(sc::Column::Count).add(1))
            .col_expr(sc::Column::UpdatedAt, Expr::value(now))
            .filter(sc::Column::Key.eq(key))
            .filter(sc::Column::WindowStart.gt(now - window))
            .exec(conn)
            .await
            .map_err(err("failed to count a security event"))?;
        if updated.rows_affected == 0 {
            sc::Entity::insert(sc::ActiveModel {
                key: Set(key.to_owned()),
                kind: Set(kind.to_owned()),
                count: Set(1),
                window_start: Set(now),
                blocked_until: Set(None),
                updated_at: Set(now),
                source_display: Set(source_display.map(str::to_owned)),
                customer_id: Set(customer_id),
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
        let row = sc::Entity::find_by_id(key.to_owned())
            .one(conn)
            .await
            .map_err(err("failed to read a security counter"))?
            .ok_or_else(|| StorageError::msg("security counter vanished"))?;
        Ok((row.count, row.window_start))
    }

    /// Blocks a key until `until` (creating it when needed).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn block(
        &self,
        key: &str,
        kind: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        source_display: Option<&str>,
        customer_id: Option<Uuid>,
        count: i32,
    ) -> Result<(), StorageError> {
        sc::Entity::insert(sc::ActiveModel {
            key: Set(key.to_owned()),
            kind: Set(kind.to_owned()),
            count: Set(count),
            window_start: Set(now),
            blocked_until: Set(Some(until)),
            updated_at: Set(now),
            source_display: Set(source_display.map(str::to_owned)),
            customer_id: Set(customer_id),
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
        .exec(self.db.conn())
        .await
        .map_err(err("failed to block"))?;
        Ok(())
    }

    /// The latest end of any block in force among `keys`.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn blocked_until(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let rows = sc::Entity::find()
            .filter(sc::Column::Key.is_in(keys.iter().cloned()))
            .filter(sc::Column::BlockedUntil.gt(now))
            .all(self.db.conn())
            .await
            .map_err(err("failed to check blocks"))?;
        Ok(rows.into_iter().filter_map(|r| r.blocked_until).max())
    }

    /// Forgets a counter (after a successful login).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn clear(&self, key: &str) -> Result<(), StorageError> {
        sc::Entity::delete_by_id(key.to_owned())
            .exec(self.db.conn())
            .await
            .map_err(err("failed to clear a counter"))?;
        Ok(())
    }

    /// Clears every counter and lock of an account (after a password reset).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn clear_account(&self, customer_id: Uuid) -> Result<(), StorageError> {
        sc::Entity::delete_many()
            .filter(sc::Column::CustomerId.eq(customer_id))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to clear account locks"))?;
        Ok(())
    }

    /// Locks and bans in force.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<Block>, StorageError> {
        Ok(sc::Entity::find()
            .filter(sc::Column::BlockedUntil.gt(now))
            .order_by_desc(sc::Column::BlockedUntil)
            .all(self.db.conn())
            .await
            .map_err(err("failed to list blocks"))?
            .into_iter()
            .filter_map(|r| {
                Some(Block {
                    blocked_until: r.blocked_until?,
                    key: r.key,
                    kind: r.kind,
                    source: r.source_display,
                    customer_id: r.customer_id,
                    count: r.count,
                })
            })
            .collect())
    }

    /// Lifts a lock or ban. Returns whether one was in force.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn lift(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let res = sc::Entity::delete_many()
            .filter(sc::Column::Key.eq(key))
            .filter(sc::Column::BlockedUntil.gt(now))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to lift a block"))?;
        Ok(res.rows_affected > 0)
    }
}

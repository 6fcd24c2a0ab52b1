//! Job leases: with several instances on one database, each background job
//! runs on the one instance holding its lease.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::StorageError;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::Db;
use crate::entities::job_lease;

/// The leases repository.
#[derive(Debug, Clone)]
pub struct SqlJobLeases {
    db: Db,
}

fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

impl SqlJobLeases {
    /// Leases on `db`.
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl domain::jobs::JobLeases for SqlJobLeases {
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let conn = self.db.conn();
        job_lease::Entity::insert(job_lease::ActiveModel {
            name: Set(job.to_owned()),
            holder: Set(None),
            lease_until: Set(None),
        })
        .on_conflict(
            OnConflict::column(job_lease::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .map_err(err("failed to create a lease"))?;
        let res = job_lease::Entity::update_many()
            .col_expr(job_lease::Column::Holder, Expr::value(holder))
            .col_expr(job_lease::Column::LeaseUntil, Expr::value(now + ttl))
            .filter(job_lease::Column::Name.eq(job))
            .filter(
                job_lease::Column::LeaseUntil
                    .is_null()
                    .or(job_lease::Column::LeaseUntil.lt(now))
                    .or(job_lease::Column::Holder.eq(holder)),
            )
            .exec(conn)
            .await
            .map_err(err("failed to take a lease"))?;
        Ok(res.rows_affected == 1)
    }

    async fn release(&self, job: &str, holder: &str) -> Result<(), StorageError> {
        job_lease::Entity::update_many()
            .col_expr(
                job_lease::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(job_lease::Column::Name.eq(job))
            .filter(job_lease::Column::Holder.eq(holder))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to release a lease"))?;
        Ok(())
    }
}

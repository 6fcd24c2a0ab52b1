//! Catalogue writes inside a unit of work: a plan, its formats and the
//! catalogue revision change together with the audit entry that records it.

use async_trait::async_trait;
use domain::StorageError;
use domain::catalogue::{Plan, PlanWriteError, PlanWrites};
use domain::ids::ProductId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionSession};

use super::{Conn, SqlRepos};
use crate::catalogue::{bump_revision, format_rows, to_row, write_error};
use crate::entities::{product, product_format};

#[async_trait]
impl<C: Conn> PlanWrites for SqlRepos<C> {
    #[tracing::instrument(skip_all, fields(product_id = %plan.id))]
    async fn insert(&self, plan: &Plan) -> Result<(), PlanWriteError> {
        let row = to_row(plan)?;
        let formats = format_rows(plan);
        // A savepoint inside a unit of work, a transaction on the pool.
        let txn = self.conn().begin().await.map_err(write_error)?;
        product::Entity::insert(row)
            .exec(&txn)
            .await
            .map_err(write_error)?;
        product_format::Entity::insert_many(formats)
            .exec(&txn)
            .await
            .map_err(write_error)?;
        bump_revision(&txn, plan.id).await.map_err(write_error)?;
        txn.commit().await.map_err(write_error)
    }

    #[tracing::instrument(skip_all, fields(product_id = %plan.id))]
    async fn update(&self, plan: &Plan) -> Result<(), PlanWriteError> {
        let row = to_row(plan)?;
        let formats = format_rows(plan);
        let txn = self.conn().begin().await.map_err(write_error)?;
        product::Entity::update(row)
            .exec(&txn)
            .await
            .map_err(write_error)?;
        product_format::Entity::delete_many()
            .filter(product_format::Column::ProductId.eq(plan.id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(write_error)?;
        product_format::Entity::insert_many(formats)
            .exec(&txn)
            .await
            .map_err(write_error)?;
        bump_revision(&txn, plan.id).await.map_err(write_error)?;
        txn.commit().await.map_err(write_error)
    }

    async fn delete(&self, id: ProductId) -> Result<bool, StorageError> {
        let wrap = |e| StorageError::new("failed to delete a plan", e);
        let txn = self.conn().begin().await.map_err(wrap)?;
        product_format::Entity::delete_many()
            .filter(product_format::Column::ProductId.eq(id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(wrap)?;
        let res = product::Entity::delete_by_id(id.as_uuid())
            .exec(&txn)
            .await
            .map_err(wrap)?;
        bump_revision(&txn, id).await.map_err(wrap)?;
        txn.commit().await.map_err(wrap)?;
        Ok(res.rows_affected == 1)
    }
}

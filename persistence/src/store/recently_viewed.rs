//! Recently viewed plans: ids and times only, at most 15 per owner (an
//! account or a guest cart).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::ids::ProductId;
use domain::recently_viewed::{KEPT, RecentlyViewedRepo, Viewer};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, err};
use crate::entities::recently_viewed as rvw;

fn owner(viewer: Viewer) -> Condition {
    match viewer {
        Viewer::Customer(c) => Condition::all().add(rvw::Column::CustomerId.eq(c.as_uuid())),
        Viewer::Cart(c) => Condition::all().add(rvw::Column::CartId.eq(c.as_uuid())),
    }
}

#[async_trait]
impl<C: Conn> RecentlyViewedRepo for SqlRepos<C> {
    async fn record(
        &self,
        viewer: Viewer,
        product: ProductId,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let (customer, cart, conflict) = match viewer {
            Viewer::Customer(c) => (Some(c.as_uuid()), None, rvw::Column::CustomerId),
            Viewer::Cart(c) => (None, Some(c.as_uuid()), rvw::Column::CartId),
        };
        rvw::Entity::insert(rvw::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(customer),
            cart_id: Set(cart),
            product_id: Set(product.as_uuid()),
            viewed_at: Set(at),
        })
        .on_conflict(
            OnConflict::columns([conflict, rvw::Column::ProductId])
                .update_column(rvw::Column::ViewedAt)
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a view"))?;
        // Past the 15 most recent, and older than the rule keeps: forgotten.
        let stale: Vec<Uuid> = rvw::Entity::find()
            .select_only()
            .column(rvw::Column::Id)
            .filter(owner(viewer))
            .order_by_desc(rvw::Column::ViewedAt)
            .order_by_desc(rvw::Column::Id)
            // An owner has at most one row more than it keeps.
            .limit(1000)
            .offset(KEPT)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to list views"))?;
        rvw::Entity::delete_many()
            .filter(owner(viewer))
            .filter(
                Condition::any()
                    .add(rvw::Column::Id.is_in(stale))
                    .add(rvw::Column::ViewedAt.lt(forget_before)),
            )
            .exec(self.conn())
            .await
            .map_err(err("failed to forget views"))?;
        Ok(())
    }

    async fn list(
        &self,
        viewer: Viewer,
        since: DateTime<Utc>,
    ) -> Result<Vec<(ProductId, DateTime<Utc>)>, StorageError> {
        let rows: Vec<(Uuid, DateTime<Utc>)> = rvw::Entity::find()
            .select_only()
            .column(rvw::Column::ProductId)
            .column(rvw::Column::ViewedAt)
            .filter(owner(viewer))
            .filter(rvw::Column::ViewedAt.gte(since))
            .order_by_desc(rvw::Column::ViewedAt)
            .order_by_desc(rvw::Column::Id)
            .limit(KEPT)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to list views"))?;
        Ok(rows
            .into_iter()
            .map(|(p, at)| (ProductId::from_uuid(p), at))
            .collect())
    }
}

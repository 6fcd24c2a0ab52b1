//! The breach register (BR-1).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::breach::{Breach, BreachRepo, BreachReport};
use domain::identity::CustomerId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{breach, customer};

fn to_breach(m: breach::Model) -> Result<Breach, StorageError> {
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).map_err(|_| corrupt("breach"));
    Ok(Breach {
        id: m.id,
        report: BreachReport {
            nature: m.nature,
            data_categories: list(&m.data_categories)?,
            people_categories: list(&m.people_categories)?,
            approx_people: u64::try_from(m.approx_people).unwrap_or(0),
            approx_records: u64::try_from(m.approx_records).unwrap_or(0),
            consequences: m.consequences,
            measures: m.measures,
            discovered_at: m.discovered_at,
        },
        recorded_at: m.recorded_at,
        recorded_by: CustomerId::from_uuid(m.recorded_by),
        authority_notified_at: m.authority_notified_at,
        authority_reference: m.authority_reference,
        people_notified_at: m.people_notified_at,
        people_notified: u64::try_from(m.people_notified).unwrap_or(0),
    })
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl<C: Conn> BreachRepo for SqlRepos<C> {
    async fn insert(&self, b: &Breach) -> Result<(), StorageError> {
        let r = &b.report;
        let json = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
        breach::Entity::insert(breach::ActiveModel {
            id: Set(b.id),
            nature: Set(r.nature.clone()),
            data_categories: Set(json(&r.data_categories)),
            people_categories: Set(json(&r.people_categories)),
            approx_people: Set(count(r.approx_people)),
            approx_records: Set(count(r.approx_records)),
            consequences: Set(r.consequences.clone()),
            measures: Set(r.measures.clone()),
            discovered_at: Set(r.discovered_at),
            recorded_at: Set(b.recorded_at),
            recorded_by: Set(b.recorded_by.as_uuid()),
            authority_notified_at: Set(b.authority_notified_at),
            authority_reference: Set(b.authority_reference.clone()),
            people_notified_at: Set(b.people_notified_at),
            people_notified: Set(count(b.people_notified)),
            all_notified_at: Set(None),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a breach"))?;
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<Breach>, StorageError> {
        breach::Entity::find_by_id(id)
            .one(self.conn())
            .await
            .map_err(err("failed to read a breach"))?
            .map(to_breach)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<Breach>, StorageError> {
        breach::Entity::find()
            .order_by_desc(breach::Column::DiscoveredAt)
            .all(self.conn())
            .await
            .map_err(err("failed to list breaches"))?
            .into_iter()
            .map(to_breach)
            .collect()
    }

    async fn authority_notified(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        reference: Option<&str>,
    ) -> Result<(), StorageError> {
        breach::Entity::update_many()
            .col_expr(breach::Column::AuthorityNotifiedAt, Expr::value(at))
            .col_expr(
                breach::Column::AuthorityReference,
                Expr::value(reference.map(str::to_owned)),
            )
            .filter(breach::Column::Id.eq(id))
            .exec(self.conn())
            .await
            .map_err(err("failed to record a notification"))?;
        Ok(())
    }

    async fn claim_all(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StorageError> {
        let done = breach::Entity::update_many()
            .col_expr(breach::Column::AllNotifiedAt, Expr::value(at))
            .filter(breach::Column::Id.eq(id))
            .filter(breach::Column::AllNotifiedAt.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to claim a notice"))?;
        Ok(done.rows_affected == 1)
    }

    async fn people_notified(
        &self,
        id: Uuid,
        n: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        breach::Entity::update_many()
            .col_expr(
                breach::Column::PeopleNotified,
                Expr::col(breach::Column::PeopleNotified).add(count(n)),
            )
            .col_expr(breach::Column::PeopleNotifiedAt, Expr::value(at))
            .filter(breach::Column::Id.eq(id))
            .exec(self.conn())
            .await
            .map_err(err("failed to count notified people"))?;
        Ok(())
    }

    async fn customers_after(
        &self,
        after: Option<CustomerId>,
        limit: u64,
    ) -> Result<Vec<CustomerId>, StorageError> {
        let mut q = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Role.eq("customer"))
            .order_by_asc(customer::Column::Id)
            .limit(limit);
        if let Some(a) = after {
            q = q.filter(customer::Column::Id.gt(a.as_uuid()));
        }
        Ok(q.into_tuple::<Uuid>()
            .all(self.conn())
            .await
            .map_err(err("failed to list customers"))?
            .into_iter()
            .map(CustomerId::from_uuid)
            .collect())
    }
}

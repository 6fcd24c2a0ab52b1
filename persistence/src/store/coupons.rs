//! Coupons and their uses; uses per person by the e-mail's blind index.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::ids::OrderId;
use domain::money::{Currency, Money};
use domain::shop::coupon::{Coupon, CouponCode, CouponRepo, CouponRules, CouponValue};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{coupon, coupon_use};

fn to_u32(v: Option<i32>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

fn to_i32(v: Option<u32>) -> Option<i32> {
    v.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

fn coupon_of(r: coupon::Model) -> Result<Coupon, StorageError> {
    let value = match r.kind.as_str() {
        "percent" => CouponValue::Percent(u32::try_from(r.value).map_err(|_| corrupt("coupon"))?),
        "fixed" => CouponValue::Fixed(
            Money::new(
                r.value,
                Currency::parse(r.currency.as_deref().unwrap_or("EUR"))
                    .map_err(|_| corrupt("coupon currency"))?,
            )
            .map_err(|_| corrupt("coupon amount"))?,
        ),
        _ => return Err(corrupt("coupon kind")),
    };
    Ok(Coupon {
        id: r.id,
        rules: CouponRules {
            code: CouponCode::parse(&r.code).map_err(|_| corrupt("coupon code"))?,
            value,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            min_basket: r
                .min_basket
                .map(|m| Money::new(m, Currency::EUR))
                .transpose()
                .map_err(|_| corrupt("coupon minimum"))?,
            max_uses: to_u32(r.max_uses),
            max_uses_per_person: to_u32(r.max_uses_per_person),
            active: r.active,
        },
        uses: u32::try_from(r.uses).map_err(|_| corrupt("coupon uses"))?,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn value_columns(v: CouponValue) -> (&'static str, i64, Option<String>) {
    match v {
        CouponValue::Percent(bp) => ("percent", i64::from(bp), None),
        CouponValue::Fixed(m) => ("fixed", m.amount_minor(), Some(m.currency().to_string())),
    }
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[async_trait]
impl<C: Conn> CouponRepo for SqlRepos<C> {
    async fn insert(&self, c: &Coupon) -> Result<bool, StorageError> {
        let (kind, value, currency) = value_columns(c.rules.value);
        let r = c.rules.clone();
        let res = coupon::Entity::insert(coupon::ActiveModel {
            id: Set(c.id),
            code: Set(r.code.as_str().to_owned()),
            kind: Set(kind.to_owned()),
            value: Set(value),
            currency: Set(currency),
            starts_at: Set(r.starts_at),
            ends_at: Set(r.ends_at),
            min_basket: Set(r.min_basket.map(|m| m.amount_minor())),
            max_uses: Set(to_i32(r.max_uses)),
            max_uses_per_person: Set(to_i32(r.max_uses_per_person)),
            active: Set(r.active),
            uses: Set(0),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
        })
        .on_conflict(
            OnConflict::column(coupon::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a coupon"))?;
        Ok(res == 1)
    }

    async fn update(
        &self,
        id: Uuid,
        r: &CouponRules,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, StorageError> {
        let (kind, value, currency) = value_columns(r.value);
        let res = coupon::Entity::update_many()
            .col_expr(coupon::Column::Code, Expr::value(r.code.as_str()))
            .col_expr(coupon::Column::Kind, Expr::value(kind))
            .col_expr(coupon::Column::Value, Expr::value(value))
            .col_expr(coupon::Column::Currency, Expr::value(currency))
            .col_expr(coupon::Column::StartsAt, Expr::value(r.starts_at))
            .col_expr(coupon::Column::EndsAt, Expr::value(r.ends_at))
            .col_expr(
                coupon::Column::MinBasket,
                Expr::value(r.min_basket.map(|m| m.amount_minor())),
            )
            .col_expr(coupon::Column::MaxUses, Expr::value(to_i32(r.max_uses)))
            .col_expr(
                coupon::Column::MaxUsesPerPerson,
                Expr::value(to_i32(r.max_uses_per_person)),
            )
            .col_expr(coupon::Column::Active, Expr::value(r.active))
            .col_expr(coupon::Column::UpdatedAt, Expr::value(now))
            .filter(coupon::Column::Id.eq(id))
            .exec(self.conn())
            .await;
        match res {
            Ok(r) if r.rows_affected == 1 => Ok(Some(true)),
            Ok(_) => Ok(None),
            Err(e) if is_unique_violation(&e) => Ok(Some(false)),
            Err(e) => Err(StorageError::new("failed to change a coupon", e)),
        }
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StorageError> {
        let r = coupon::Entity::delete_by_id(id)
            .exec(self.conn())
            .await
            .map_err(err("failed to delete a coupon"))?;
        Ok(r.rows_affected == 1)
    }

    async fn get(&self, id: Uuid) -> Result<Option<Coupon>, StorageError> {
        coupon::Entity::find_by_id(id)
            .one(self.conn())
            .await
            .map_err(err("failed to load a coupon"))?
            .map(coupon_of)
            .transpose()
    }

    async fn by_code(&self, code: &CouponCode) -> Result<Option<Coupon>, StorageError> {
        coupon::Entity::find()
            .filter(coupon::Column::Code.eq(code.as_str()))
            .one(self.conn())
            .await
            .map_err(err("failed to load a coupon"))?
            .map(coupon_of)
            .transpose()
    }

    async fn list(&self, limit: u64, offset: u64) -> Result<Vec<Coupon>, StorageError> {
        coupon::Entity::find()
            .order_by_desc(coupon::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await
            .map_err(err("failed to list coupons"))?
            .into_iter()
            .map(coupon_of)
            .collect()
    }

    async fn uses_by(&self, coupon_id: Uuid, email_bidx: &[u8]) -> Result<u32, StorageError> {
        let n = coupon_use::Entity::find()
            .filter(coupon_use::Column::CouponId.eq(coupon_id))
            .filter(coupon_use::Column::EmailBidx.eq(email_bidx.to_vec()))
            .count(self.conn())
            .await
            .map_err(err("failed to count a coupon's uses"))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn record_use(
        &self,
        coupon_id: Uuid,
        order: OrderId,
        email_bidx: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        // One statement decides: a coupon at its limit is not counted.
        let r = coupon::Entity::update_many()
            .col_expr(coupon::Column::Uses, Expr::col(coupon::Column::Uses).add(1))
            .filter(coupon::Column::Id.eq(coupon_id))
            .filter(
                coupon::Column::MaxUses
                    .is_null()
                    .or(Expr::col(coupon::Column::Uses).lt(Expr::col(coupon::Column::MaxUses))),
            )
            .exec(self.conn())
            .await
            .map_err(err("failed to count a coupon's use"))?;
        if r.rows_affected != 1 {
            return Ok(false);
        }
        coupon_use::Entity::insert(coupon_use::ActiveModel {
            id: Set(Uuid::now_v7()),
            coupon_id: Set(coupon_id),
            order_id: Set(order.as_uuid()),
            email_bidx: Set(email_bidx.to_vec()),
            used_at: Set(now),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to record a coupon's use"))?;
        Ok(true)
    }
}

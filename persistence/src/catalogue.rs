//! The catalogue repository: plans and formats, rows <-> domain.

use std::collections::HashMap;

use domain::StorageError;
use domain::catalogue::{
    CatalogueStore, Format, FormatKind, ImageUrl, Plan, PlanError, PlanSpecs, PlanWriteError,
    Rating, Slug, Style,
};
use domain::ids::{FormatId, ProductId};
use domain::money::{Currency, Money};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};

use crate::Db;
use crate::entities::{
    catalogue_change, catalogue_revision, product, product_format, product_rating,
};

/// [`CatalogueStore`] on the SQL database.
#[derive(Debug, Clone)]
pub struct SqlCatalogueStore {
    db: Db,
}

impl SqlCatalogueStore {
    /// A store on `db`.
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn corrupt(what: &str) -> StorageError {
    StorageError::msg(format!("corrupt catalogue row: {what}"))
}

fn to_format(row: product_format::Model) -> Result<Format, StorageError> {
    let currency = Currency::parse(&row.currency).map_err(|_| corrupt("currency"))?;
    Ok(Format {
        id: FormatId::from_uuid(row.id),
        kind: row
            .kind
            .parse::<FormatKind>()
            .map_err(|_| corrupt("format kind"))?,
        sku: row.sku,
        price: Money::new(row.price_minor, currency).map_err(|_| corrupt("price"))?,
    })
}

fn small(v: i16, what: &str) -> Result<u8, StorageError> {
    u8::try_from(v).map_err(|_| corrupt(what))
}

fn to_plan(row: product::Model, mut formats: Vec<Format>) -> Result<Plan, StorageError> {
    let urls: Vec<String> =
        serde_json::from_str(&row.image_urls).map_err(|_| corrupt("image urls"))?;
    let images = urls
        .iter()
        .map(|u| ImageUrl::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt("image url"))?;
    formats.sort_by_key(|f| (f.price.amount_minor(), f.kind));
    Ok(Plan {
        id: ProductId::from_uuid(row.id),
        slug: Slug::parse(&row.slug).map_err(|_| corrupt("slug"))?,
        title: row.title,
        description: row.description,
        style: row.style.parse::<Style>().map_err(|_| corrupt("style"))?,
        specs: PlanSpecs {
            living_area_m2: u32::try_from(row.living_area_m2).map_err(|_| corrupt("surface"))?,
            bedrooms: small(row.bedrooms, "bedrooms")?,
            bathrooms: small(row.bathrooms, "bathrooms")?,
            levels: small(row.levels, "levels")?,
            garage_spaces: small(row.garage_spaces, "garage")?,
            lot_width_cm: u32::try_from(row.lot_width_cm).map_err(|_| corrupt("lot width"))?,
            lot_depth_cm: u32::try_from(row.lot_depth_cm).map_err(|_| corrupt("lot depth"))?,
        },
        images,
        formats,
        published: row.published,
        created_at: row.created_at,
        updated_at: row.updated_at,
        rating: None,
    })
}

/// The ratings of plans (all of them when `ids` is `None`): one small
/// table, read with the plans, so a plan's rating is part of the cached
/// catalogue and changes with the plan's revision.
async fn ratings(
    conn: &impl sea_orm::ConnectionTrait,
    ids: Option<Vec<uuid::Uuid>>,
) -> Result<HashMap<uuid::Uuid, Rating>, StorageError> {
    let mut q = product_rating::Entity::find();
    if let Some(ids) = ids {
        q = q.filter(product_rating::Column::ProductId.is_in(ids));
    }
    Ok(q.all(conn)
        .await
        .map_err(|e| StorageError::new("failed to load ratings", e))?
        .into_iter()
        .filter_map(|r| Rating::of(r.count, r.sum).map(|rating| (r.product_id, rating)))
        .collect())
}

fn rated(mut plan: Plan, ratings: &HashMap<uuid::Uuid, Rating>) -> Plan {
    plan.rating = ratings.get(&plan.id.as_uuid()).copied();
    plan
}

pub(crate) fn to_row(plan: &Plan) -> Result<product::ActiveModel, StorageError> {
    let urls: Vec<&str> = plan.images.iter().map(ImageUrl::as_str).collect();
    let too_big = |what: &str| StorageError::msg(format!("{what} out of range"));
    Ok(product::ActiveModel {
        id: Set(plan.id.as_uuid()),
        slug: Set(plan.slug.as_str().to_owned()),
        title: Set(plan.title.clone()),
        description: Set(plan.description.clone()),
        style: Set(plan.style.as_str().to_owned()),
        living_area_m2: Set(
            i32::try_from(plan.specs.living_area_m2).map_err(|_| too_big("surface"))?
        ),
        bedrooms: Set(i16::from(plan.specs.bedrooms)),
        bathrooms: Set(i16::from(plan.specs.bathrooms)),
        levels: Set(i16::from(plan.specs.levels)),
        garage_spaces: Set(i16::from(plan.specs.garage_spaces)),
        lot_width_cm: Set(i32::try_from(plan.specs.lot_width_cm).map_err(|_| too_big("lot width"))?),
        lot_depth_cm: Set(i32::try_from(plan.specs.lot_depth_cm).map_err(|_| too_big("lot depth"))?),
        image_urls: Set(
            serde_json::to_string(&urls).map_err(|e| StorageError::new("encode image urls", e))?
        ),
        published: Set(plan.published),
        created_at: Set(plan.created_at),
        updated_at: Set(plan.updated_at),
    })
}

pub(crate) fn format_rows(plan: &Plan) -> Vec<product_format::ActiveModel> {
    plan.formats
        .iter()
        .map(|f| product_format::ActiveModel {
            id: Set(f.id.as_uuid()),
            product_id: Set(plan.id.as_uuid()),
            kind: Set(f.kind.as_str().to_owned()),
            sku: Set(f.sku.clone()),
            price_minor: Set(f.price.amount_minor()),
            currency: Set(f.price.currency().as_str().to_owned()),
        })
        .collect()
}

pub(crate) fn write_error(e: sea_orm::DbErr) -> PlanWriteError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) if msg.contains("slug") => {
            PlanError::SlugTaken.into()
        }
        Some(SqlErr::UniqueConstraintViolation(msg)) if msg.contains("sku") => {
            PlanError::SkuTaken.into()
        }
        _ => StorageError::new("failed to write plan", e).into(),
    }
}

impl CatalogueStore for SqlCatalogueStore {
    #[tracing::instrument(skip_all)]
    async fn published_plans(&self) -> Result<Vec<Plan>, StorageError> {
        let conn = self.db.conn();
        let rows = product::Entity::find()
            .filter(product::Column::Published.eq(true))
            .all(conn)
            .await
            .map_err(|e| StorageError::new("failed to load plans", e))?;
        let mut formats: HashMap<uuid::Uuid, Vec<Format>> = HashMap::new();
        for f in product_format::Entity::find()
            .inner_join(product::Entity)
            .filter(product::Column::Published.eq(true))
            .all(conn)
            .await
            .map_err(|e| StorageError::new("failed to load formats", e))?
        {
            formats.entry(f.product_id).or_default().push(to_format(f)?);
        }
        let ratings = ratings(conn, None).await?;
        rows.into_iter()
            .map(|row| {
                let f = formats.remove(&row.id).unwrap_or_default();
                to_plan(row, f).map(|p| rated(p, &ratings))
            })
            .collect()
    }

    async fn changes_since(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Option<Vec<(i64, ProductId)>>, StorageError> {
        let rows = catalogue_change::Entity::find()
            .filter(catalogue_change::Column::Revision.gt(after))
            .order_by_asc(catalogue_change::Column::Revision)
            .limit(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
            .all(self.db.conn())
            .await
            .map_err(|e| StorageError::new("failed to read the catalogue's changes", e))?;
        // Too many, or the log no longer reaches back to `after`.
        if rows.len() > limit || rows.first().is_some_and(|r| r.revision != after + 1) {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .map(|r| (r.revision, ProductId::from_uuid(r.product_id)))
                .collect(),
        ))
    }

    async fn revision(&self) -> Result<i64, StorageError> {
        let row = catalogue_revision::Entity::find_by_id(1)
            .one(self.db.conn())
            .await
            .map_err(|e| StorageError::new("failed to read catalogue revision", e))?;
        Ok(row.map_or(0, |r| r.revision))
    }

    async fn find(&self, id: ProductId) -> Result<Option<Plan>, StorageError> {
        let conn = self.db.conn();
        let Some(row) = product::Entity::find_by_id(id.as_uuid())
            .one(conn)
            .await
            .map_err(|e| StorageError::new("failed to load a plan", e))?
        else {
            return Ok(None);
        };
        let formats = product_format::Entity::find()
            .filter(product_format::Column::ProductId.eq(row.id))
            .all(conn)
            .await
            .map_err(|e| StorageError::new("failed to load formats", e))?
            .into_iter()
            .map(to_format)
            .collect::<Result<Vec<_>, _>>()?;
        let ratings = ratings(conn, Some(vec![row.id])).await?;
        to_plan(row, formats).map(|p| Some(rated(p, &ratings)))
    }

    async fn list_all(
        &self,
        after: Option<ProductId>,
        limit: usize,
    ) -> Result<Vec<Plan>, StorageError> {
        let mut q = product::Entity::find().order_by_desc(product::Column::Id);
        if let Some(after) = after {
            q = q.filter(product::Column::Id.lt(after.as_uuid()));
        }
        let rows = q
            .limit(u64::try_from(limit).unwrap_or(100))
            .all(self.db.conn())
            .await
            .map_err(|e| StorageError::new("failed to list plans", e))?;
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
        let ratings = ratings(self.db.conn(), Some(ids.clone())).await?;
        let mut formats: HashMap<uuid::Uuid, Vec<Format>> = HashMap::new();
        for f in product_format::Entity::find()
            .filter(product_format::Column::ProductId.is_in(ids))
            .all(self.db.conn())
            .await
            .map_err(|e| StorageError::new("failed to load formats", e))?
        {
            formats.entry(f.product_id).or_default().push(to_format(f)?);
        }
        rows.into_iter()
            .map(|row| {
                let f = formats.remove(&row.id).unwrap_or_default();
                to_plan(row, f).map(|p| rated(p, &ratings))
            })
            .collect()
    }

    async fn slug_exists(&self, slug: &Slug) -> Result<bool, StorageError> {
        let n = product::Entity::find()
            .filter(product::Column::Slug.eq(slug.as_str()))
            .count(self.db.conn())
            .await
            .map_err(|e| StorageError::new("failed to look up slug", e))?;
        Ok(n > 0)
    }
}

/// Change log entries kept: an instance further behind reloads everything.
pub const CHANGES_KEPT: i64 = 10_000;

/// Increments the catalogue revision and logs which plan it changed, inside
/// the caller's transaction. The revision row's lock orders concurrent
/// writers, so revisions commit in order.
pub(crate) async fn bump_revision(
    conn: &impl sea_orm::ConnectionTrait,
    product: ProductId,
) -> Result<(), sea_orm::DbErr> {
    catalogue_revision::Entity::update_many()
        .col_expr(
            catalogue_revision::Column::Revision,
            Expr::col(catalogue_revision::Column::Revision).add(1),
        )
        .filter(catalogue_revision::Column::Id.eq(1))
        .exec(conn)
        .await?;
    let revision = catalogue_revision::Entity::find_by_id(1)
        .one(conn)
        .await?
        .map_or(0, |r| r.revision);
    catalogue_change::Entity::insert(catalogue_change::ActiveModel {
        revision: sea_orm::ActiveValue::Set(revision),
        product_id: sea_orm::ActiveValue::Set(product.as_uuid()),
    })
    .exec_without_returning(conn)
    .await?;
    if revision % 1000 == 0 {
        catalogue_change::Entity::delete_many()
            .filter(catalogue_change::Column::Revision.lte(revision - CHANGES_KEPT))
            .exec(conn)
            .await?;
    }
    Ok(())
}

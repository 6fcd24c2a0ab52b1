//! `products`: one row per house plan.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub description: String,
    pub style: String,
    pub living_area_m2: i32,
    pub bedrooms: i16,
    pub bathrooms: i16,
    pub levels: i16,
    pub garage_spaces: i16,
    pub lot_width_cm: i32,
    pub lot_depth_cm: i32,
    /// JSON array of URLs.
    pub image_urls: String,
    pub published: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::product_format::Entity")]
    Formats,
}

impl Related<super::product_format::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Formats.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

//! `articles`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub title_fr: String,
    pub title_en: String,
    pub summary_fr: String,
    pub summary_en: String,
    #[sea_orm(column_type = "Text")]
    pub body_fr: String,
    #[sea_orm(column_type = "Text")]
    pub body_en: String,
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub comments_open: bool,
    pub author_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

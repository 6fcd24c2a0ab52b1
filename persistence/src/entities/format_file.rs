//! `format_files`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "format_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub format_id: Uuid,
    pub product_id: Uuid,
    pub file_id: String,
    pub content_type: String,
    pub extension: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `legal_documents`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legal_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub version: i32,
    pub published_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub text_fr: String,
    #[sea_orm(column_type = "Text")]
    pub text_en: String,
    #[sea_orm(column_type = "Text")]
    pub text_hash: String,
    pub summary: Option<String>,
    pub published_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `invoices`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub number: String,
    pub year: i32,
    pub order_id: Uuid,
    pub subject_id: Uuid,
    pub issued_at: DateTimeUtc,
    pub currency: String,
    pub total: i64,
    pub archive_enc: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `consent_events`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    pub purpose: String,
    pub given: bool,
    pub channel: String,
    pub policy_version: Option<i32>,
    pub policy_hash: Option<String>,
    pub terms_version: Option<i32>,
    pub terms_hash: Option<String>,
    pub at: DateTimeUtc,
    pub source_enc: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

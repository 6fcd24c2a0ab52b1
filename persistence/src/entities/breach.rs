//! `breaches`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "breaches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub nature: String,
    /// JSON array of strings.
    pub data_categories: String,
    /// JSON array of strings.
    pub people_categories: String,
    pub approx_people: i64,
    pub approx_records: i64,
    pub consequences: String,
    pub measures: String,
    pub discovered_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Uuid,
    pub authority_notified_at: Option<DateTimeUtc>,
    pub authority_reference: Option<String>,
    pub people_notified_at: Option<DateTimeUtc>,
    pub people_notified: i64,
    /// When the notice to every customer was claimed (once).
    pub all_notified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

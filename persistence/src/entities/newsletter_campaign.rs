//! `newsletter_campaigns`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "newsletter_campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub audience: String,
    pub subject_fr: String,
    pub subject_en: String,
    #[sea_orm(column_type = "Text")]
    pub body_fr: String,
    #[sea_orm(column_type = "Text")]
    pub body_en: String,
    pub status: String,
    pub scheduled_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub cursor_id: Option<Uuid>,
    pub audience_size: Option<i32>,
    pub enqueued: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `dpo_requests`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dpo_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub channel: String,
    pub received_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub extended: bool,
    pub verified_at: Option<DateTimeUtc>,
    pub status: String,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub notes_enc: Vec<u8>,
    pub contact_message_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `contact_messages`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub topic: String,
    pub language: String,
    pub status: String,
    pub name_enc: Vec<u8>,
    pub email_enc: Vec<u8>,
    pub message_enc: Vec<u8>,
    pub order_number_enc: Option<Vec<u8>>,
    pub ip_enc: Option<Vec<u8>>,
    pub user_agent_enc: Option<Vec<u8>>,
    pub policy_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
    pub dsr_requested_at: Option<DateTimeUtc>,
    pub dsr_requested_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

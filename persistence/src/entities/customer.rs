//! `customers`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email_bidx: Vec<u8>,
    pub email_enc: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub role: String,
    pub preferred_language: String,
    pub display_prefs: String,
    pub display_prefs_updated_at: Option<DateTimeUtc>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_active_at: DateTimeUtc,
    pub inactivity_warned_at: Option<DateTimeUtc>,
    pub restricted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

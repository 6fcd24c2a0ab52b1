//! `api_keys`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub purpose: Option<String>,
    /// Space-separated scope names.
    pub scopes: String,
    pub prefix: String,
    /// Keyed hash of the secret (never the secret).
    pub secret_hash: Vec<u8>,
    pub previous_prefix: Option<String>,
    pub previous_hash: Option<Vec<u8>>,
    pub previous_until: Option<DateTimeUtc>,
    pub rate_per_minute: i32,
    pub created_at: DateTimeUtc,
    pub created_by: Uuid,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub rotated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

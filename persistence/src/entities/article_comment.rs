//! `article_comments`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_comments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub article_id: Uuid,
    pub subject_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub status: String,
    pub name_enc: Vec<u8>,
    pub email_enc: Vec<u8>,
    pub website_enc: Option<Vec<u8>>,
    pub body_enc: Vec<u8>,
    pub ip_enc: Option<Vec<u8>>,
    pub user_agent_enc: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub moderated_at: Option<DateTimeUtc>,
    pub moderated_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

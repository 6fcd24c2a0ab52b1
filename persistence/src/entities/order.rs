//! `orders`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub number: String,
    pub cart_id: Uuid,
    pub subject_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub email_bidx: Vec<u8>,
    pub status: String,
    pub payment_method: String,
    pub country: String,
    pub language: String,
    pub currency: String,
    pub goods_net: i64,
    pub discount_net: i64,
    pub shipping_net: i64,
    pub vat: i64,
    pub total: i64,
    pub shipping: Option<String>,
    pub coupon_code: Option<String>,
    pub source_key: String,
    pub fraud_signals: String,
    pub key_hash: Vec<u8>,
    pub fingerprint: Vec<u8>,
    pub lines_enc: Vec<u8>,
    pub buyer_enc: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub status_changed_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
